"""The expected wheel matrix, from cibuildwheel itself.

Which wheels a release must ship is what cibuildwheel would build for the
project: its ``--print-build-identifiers`` reads the project's
``[tool.cibuildwheel]`` configuration and ``requires-python`` and works
offline. relman asks it about each operating system, for the architectures
the GitHub runners build natively (all of them in one interpreter, through its
command line's entry point, when cibuildwheel is installed beside relman), and
keeps the identifiers that ``[tool.relman.build] wheels`` selects (every one
when the list is empty).
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
from relman.errors import CommandError, ToolNotFound

__all__ = [
    "DEFAULT_ARCHS",
    "PURE_IDENTIFIER",
    "RUNNERS",
    "Matrix",
    "MatrixJob",
    "MatrixTable",
    "build_identifiers",
    "every_platforms_identifiers",
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


# Asks cibuildwheel's command line (its console script's entry point) about every
# platform in one interpreter: one start and one import instead of one a platform.
# It prints [exit status, identifiers printed] per platform as JSON, and stops at
# the first platform that fails (what cibuildwheel said is on stderr). The folder it
# runs in (the project's) is left off the import path, as the console script leaves it.
_ASK_EVERY_PLATFORM = """\
import contextlib, io, json, sys
if sys.path and sys.path[0] == "":
    del sys.path[0]
from cibuildwheel.__main__ import main
answers = []
for platform, archs, project in json.loads(sys.argv[1]):
    sys.argv = ["cibuildwheel", "--platform", platform, "--archs", archs,
                "--print-build-identifiers", project]
    out = io.StringIO()
    status = 0
    with contextlib.redirect_stdout(out):
        try:
            main()
        except SystemExit as exc:
            code = exc.code
            status = code if isinstance(code, int) else (0 if code is None else 1)
    answers.append([status, out.getvalue()])
    if status:
        break
print(json.dumps(answers))
"""


def _identifiers(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def build_identifiers(project_dir: Path, platform: str, archs: Sequence[str]) -> list[str]:
    """cibuildwheel's ``--print-build-identifiers`` for one platform and its ``archs``."""
    return every_platforms_identifiers(project_dir, {platform: archs})[platform]


def every_platforms_identifiers(
    project_dir: Path, platforms: Mapping[str, Sequence[str]]
) -> dict[str, list[str]]:
    """cibuildwheel's ``--print-build-identifiers`` for each platform and its ``archs``.

    When cibuildwheel is installed beside relman, all platforms are asked in one
    interpreter; otherwise its program (on PATH) is run once a platform.
    """
    if not platforms:
        return {}
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIBW_")}
    if not _importable_beside_relman("cibuildwheel"):
        return {
            platform: _identifiers(
                _proc.run(
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
                ).stdout
            )
            for platform, archs in platforms.items()
        }
    import json

    asked = [[platform, " ".join(archs), str(project_dir)] for platform, archs in platforms.items()]
    names = ", ".join(platforms)
    result = _proc.run(
        [sys.executable, "-c", _ASK_EVERY_PLATFORM, json.dumps(asked)],
        cwd=project_dir,
        env=env,
        what=f"cibuildwheel --print-build-identifiers (platforms {names})",
    )
    try:
        answers = json.loads(result.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise CommandError(
            f"cibuildwheel --print-build-identifiers (platforms {names}) gave no answer",
            command=result.args,
            stdout=result.stdout,
            stderr=result.stderr,
        ) from None
    found: dict[str, list[str]] = {}
    for (platform, _, _), (status, printed) in zip(asked, answers, strict=False):
        if status != 0:
            detail = (result.stderr or printed).strip()
            last = detail.splitlines()[-1] if detail else "no output"
            raise CommandError(
                f"cibuildwheel --print-build-identifiers (platform {platform}) failed "
                f"(exit {status}): {last}",
                command=["cibuildwheel", "--platform", platform, "--print-build-identifiers"],
                returncode=status,
                stdout=printed,
                stderr=result.stderr,
            )
        found[platform] = _identifiers(printed)
    if len(found) != len(asked):
        raise CommandError(
            f"cibuildwheel --print-build-identifiers answered for {', '.join(found) or 'none'} "
            f"of the platforms {names}",
            command=result.args,
            stdout=result.stdout,
            stderr=result.stderr,
        )
    return found


def _importable_beside_relman(module: str) -> bool:
    """Whether ``module`` is installed where relman's interpreter imports from (the
    current folder, which ``-m`` and ``-c`` put first, not counted)."""
    from importlib.machinery import PathFinder

    here = os.getcwd()
    path = [p for p in sys.path if p not in ("", here)]
    return PathFinder.find_spec(module, path) is not None


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
    asked = {
        platform: wanted
        for platform, wanted in table.items()
        if wanted and _platform_may_match(platform, selectors)
    }
    jobs: list[MatrixJob] = []
    for platform, found in every_platforms_identifiers(project_dir, asked).items():
        wanted = asked[platform]
        grouped: dict[str, list[str]] = {a: [] for a in wanted}
        for ident in found:
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
