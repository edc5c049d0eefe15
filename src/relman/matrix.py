"""The expected wheel matrix, from cibuildwheel itself.

Which wheels a release must ship is what cibuildwheel would build for the
project: its ``--print-build-identifiers`` reads the project's
``[tool.cibuildwheel]`` configuration and ``requires-python`` and works
offline. relman asks it once per operating system, for the architectures the
GitHub runners build natively, and keeps the identifiers that
``[tool.relman.build] wheels`` selects (every one when the list is empty).
The generated CI workflow builds exactly these identifiers (``CIBW_BUILD``),
and the completeness checks compare against the same list, so the three can
never disagree.

API (the rest of relman uses only these):

- :func:`expected_matrix` -> :class:`Matrix`: the jobs (:class:`MatrixJob`: an
  operating system, an architecture, its GitHub runner, its identifiers) and
  :attr:`Matrix.identifiers`, the flat list of expected build identifiers
  (``cp312-manylinux_x86_64``, ``cp314t-win_amd64``; ``py3-none-any`` for a
  pure project).
- :func:`split_identifier`: ``cp314t-macosx_arm64`` -> (``cp314t``, ``macosx_arm64``).
- :func:`matrix_table`: platforms x Python versions with ``present`` /
  ``missing`` / ``""`` cells, for any ``covers(identifier) -> bool`` the caller
  gives (how a wheel *covers* an identifier is the inspection's business).

cibuildwheel is an optional dependency (``relman[ci]``); without it a
:class:`~relman.errors.ToolNotFound` says how to install it. Errors: a
cibuildwheel failure is a :class:`~relman.errors.CommandError` with its output.
"""

from __future__ import annotations

import fnmatch
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from relman import _proc
from relman.errors import ToolNotFound

__all__ = [
    "DEFAULT_ARCHS",
    "PURE_IDENTIFIER",
    "RUNNERS",
    "Matrix",
    "MatrixJob",
    "MatrixTable",
    "build_identifiers",
    "expected_matrix",
    "matrix_table",
    "split_identifier",
]

PURE_IDENTIFIER = "py3-none-any"

#: (cibuildwheel platform, architecture) -> the GitHub-hosted runner that builds it natively.
RUNNERS: Mapping[tuple[str, str], str] = {
    ("linux", "x86_64"): "ubuntu-24.04",
    ("linux", "aarch64"): "ubuntu-24.04-arm",
    ("linux", "i686"): "ubuntu-24.04",
    ("macos", "x86_64"): "macos-15-intel",
    ("macos", "arm64"): "macos-15",
    ("macos", "universal2"): "macos-15",
    ("windows", "AMD64"): "windows-2025",
    ("windows", "x86"): "windows-2025",
    ("windows", "ARM64"): "windows-11-arm",
}

#: Architectures asked for by default: the ones GitHub's runners build natively.
DEFAULT_ARCHS: Mapping[str, tuple[str, ...]] = {
    "linux": ("x86_64", "aarch64", "i686"),
    "macos": ("x86_64", "arm64", "universal2"),
    "windows": ("AMD64", "x86", "ARM64"),
}

_PLATFORM_ARCH = {
    "win_amd64": ("windows", "AMD64"),
    "win32": ("windows", "x86"),
    "win_arm64": ("windows", "ARM64"),
}


def split_identifier(identifier: str) -> tuple[str, str]:
    """``cp314t-macosx_arm64`` -> (``cp314t``, ``macosx_arm64``); pure -> (``py3``, ``none-any``)."""
    python, _, platform = identifier.partition("-")
    return python, platform


def _platform_arch(platform_tag: str) -> tuple[str, str]:
    """(cibuildwheel platform, architecture) of a platform part (``musllinux_aarch64``)."""
    if platform_tag in _PLATFORM_ARCH:
        return _PLATFORM_ARCH[platform_tag]
    family, _, arch = platform_tag.partition("_")
    if family in ("manylinux", "musllinux"):
        return "linux", arch
    if family == "macosx":
        return "macos", arch
    return family, arch


@dataclass(frozen=True)
class MatrixJob:
    """One CI job: an operating system and architecture on one runner."""

    platform: str  # cibuildwheel's --platform: linux, macos, windows
    arch: str  # cibuildwheel's --archs value: x86_64, aarch64, arm64, AMD64, ...
    runner: str
    identifiers: tuple[str, ...]

    @property
    def name(self) -> str:
        """A unique, stable job and artifact name part (``linux-aarch64``)."""
        return f"{self.platform}-{self.arch}".lower()


@dataclass(frozen=True)
class Matrix:
    """The expected wheels of a release, grouped into CI jobs."""

    jobs: tuple[MatrixJob, ...] = ()
    pure: bool = False
    selectors: tuple[str, ...] = field(default=())

    @property
    def identifiers(self) -> list[str]:
        if self.pure:
            return [PURE_IDENTIFIER]
        return [i for job in self.jobs for i in job.identifiers]


def _cibuildwheel() -> list[str]:
    exe = Path(sys.executable).parent / "cibuildwheel"
    if exe.exists():
        return [str(exe)]
    try:
        return [_proc.find_program("cibuildwheel")]
    except ToolNotFound as exc:
        raise ToolNotFound(
            "cibuildwheel was not found; relman asks it which wheels a release needs",
            command=["cibuildwheel"],
            hint="install relman's CI extra: pip install 'relman[ci]'",
        ) from exc


def build_identifiers(project_dir: Path, platform: str, archs: Sequence[str]) -> list[str]:
    """cibuildwheel's ``--print-build-identifiers`` for one platform and its ``archs``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIBW_")}
    result = _proc.run(
        [
            *_cibuildwheel(),
            "--platform",
            platform,
            "--archs",
            " ".join(archs),
            "--print-build-identifiers",
            str(project_dir),
        ],
        cwd=project_dir,
        env=env,
        what=f"cibuildwheel --print-build-identifiers (platform {platform})",
    )
    return [line.strip() for line in result.stdout.splitlines() if line.strip()]


def _selected(identifier: str, selectors: Sequence[str]) -> bool:
    return not selectors or any(fnmatch.fnmatchcase(identifier, pat) for pat in selectors)


def expected_matrix(
    project_dir: Path,
    *,
    selectors: Sequence[str] = (),
    pure: bool = False,
    archs: Mapping[str, Sequence[str]] | None = None,
) -> Matrix:
    """The matrix cibuildwheel would build for the project at ``project_dir``.

    ``selectors`` are ``[tool.relman.build] wheels`` (cibuildwheel-style globs);
    a platform none of them can match is not asked for. ``archs`` replaces
    :data:`DEFAULT_ARCHS` per platform. A pure project has one job and the
    single identifier ``py3-none-any``.
    """
    if pure:
        job = MatrixJob("linux", "any", RUNNERS[("linux", "x86_64")], (PURE_IDENTIFIER,))
        return Matrix(jobs=(job,), pure=True, selectors=tuple(selectors))
    table = dict(DEFAULT_ARCHS if archs is None else archs)
    jobs: list[MatrixJob] = []
    for platform, wanted in table.items():
        if not wanted or not _platform_may_match(platform, selectors):
            continue
        grouped: dict[str, list[str]] = {a: [] for a in wanted}
        for ident in build_identifiers(project_dir, platform, wanted):
            if not _selected(ident, selectors):
                continue
            _, arch = _platform_arch(split_identifier(ident)[1])
            grouped.setdefault(arch, []).append(ident)
        for arch, idents in grouped.items():
            if idents:
                runner = RUNNERS.get((platform, arch), RUNNERS[(platform, wanted[0])])
                jobs.append(MatrixJob(platform, arch, runner, tuple(idents)))
    return Matrix(jobs=tuple(jobs), selectors=tuple(selectors))


_PLATFORM_WORDS = {
    "linux": ("manylinux", "musllinux"),
    "macos": ("macosx",),
    "windows": ("win",),
}


def _platform_may_match(platform: str, selectors: Sequence[str]) -> bool:
    if not selectors:
        return True
    words = _PLATFORM_WORDS.get(platform, (platform,))
    for pat in selectors:
        plat = pat.partition("-")[2] or "*"
        if plat.startswith("*") or any(plat.startswith(w) or w.startswith(plat) for w in words):
            return True
        if any(fnmatch.fnmatchcase(w, plat.split("_", 1)[0]) for w in words):
            return True
    return False


# -- the table ------------------------------------------------------------------


@dataclass(frozen=True)
class MatrixTable:
    """Platforms (rows) x Python versions (columns); cells ``present``, ``missing`` or ``""``."""

    pythons: tuple[str, ...]
    platforms: tuple[str, ...]
    cells: Mapping[tuple[str, str], str]

    def cell(self, platform: str, python: str) -> str:
        return self.cells.get((platform, python), "")

    @property
    def missing(self) -> list[str]:
        return [f"{py}-{plat}" for (plat, py), v in self.cells.items() if v == "missing"]


def _python_key(python: str) -> tuple[int, int, str]:
    digits = "".join(ch for ch in python[2:] if ch.isdigit())
    major = int(digits[:1] or 0)
    minor = int(digits[1:] or 0)
    return (major, minor, python)


def matrix_table(identifiers: Iterable[str], covers: Callable[[str], bool]) -> MatrixTable:
    """The expected ``identifiers`` laid out as a table, each cell ``covers(identifier)``."""
    cells: dict[tuple[str, str], str] = {}
    pythons: list[str] = []
    platforms: list[str] = []
    for ident in identifiers:
        python, platform = split_identifier(ident)
        if python not in pythons:
            pythons.append(python)
        if platform not in platforms:
            platforms.append(platform)
        cells[(platform, python)] = "present" if covers(ident) else "missing"
    return MatrixTable(
        pythons=tuple(sorted(pythons, key=_python_key)),
        platforms=tuple(platforms),
        cells=cells,
    )
