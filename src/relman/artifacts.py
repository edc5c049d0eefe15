"""Release artifacts: build, name checks, inspection, checksums, release README.

* :func:`build_artifacts` builds the sdist and wheel through the ``build``
  frontend (uv as its installer when available) from a clean checkout of a
  commit (a private git clone with its submodules, so setuptools_scm, hatch-vcs and
  ``meson dist`` find git), never from the working tree, with ``SOURCE_DATE_EPOCH``
  set to the commit time: two builds of one commit give byte-identical
  pure-Python artifacts. Names are checked before anything reaches ``outdir``.
* :func:`inspect_artifacts` reads every file's metadata with
  :mod:`packaging.metadata`, renders the long description as
  ``twine check --strict`` does, checks wheel contents against RECORD, the
  sdist against the files git tracks, and the wheels against the expected
  matrix (``[tool.relman.build] wheels``, or derived from the metadata).
* :func:`write_checksums` and :func:`write_release_readme` write
  ``SHA256SUMS`` and ``README.rst``/``README.md`` listing every file with its
  size and SHA256, as NumPy's ``write_release`` does.

The module is long because building and inspecting share the archive readers
and the wheel-name rules; each part reads the same members the same way.
"""

from __future__ import annotations

import base64
import csv
import fnmatch
import hashlib
import io
import os
import re
import sys
import tarfile
import tempfile
import warnings
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from relman import _atomic, _proc, _report
from relman._atomic import sha256_file
from relman.errors import CheckFailed, CommandError, NotARepository, UsageError

if TYPE_CHECKING:
    from relman.config import Config
    from relman.git import Repo

__all__ = [
    "ArtifactInfo",
    "InspectReport",
    "artifact_files",
    "build_artifacts",
    "check_artifact_names",
    "derive_wheel_matrix",
    "inspect_artifacts",
    "sha256_file",
    "wheel_identifiers",
    "write_checksums",
    "write_release_readme",
]

#: Metadata versions the common package indexes accept (they validate with
#: packaging, so packaging's list wins when it has one).
ACCEPTED_METADATA_VERSIONS = ("1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5")
#: Top-level folders that must not be installed into site-packages.
STRAY_TOP_LEVEL = frozenset(
    {"tests", "test", "testing", "docs", "doc", "examples", "benchmarks", "build", "dist", "src"}
)
#: Files a build backend adds to an sdist that git does not track.
GENERATED_SDIST_FILES = frozenset({"PKG-INFO", "setup.cfg"})
#: Build configuration files that must reach the sdist when git tracks them.
BUILD_FILES = (
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "MANIFEST.in",
    "meson.build",
    "meson.options",
    "meson_options.txt",
    "CMakeLists.txt",
    "build.py",
    "hatch_build.py",
)
#: Suffixes of sources that make a project non-pure.
COMPILED_SUFFIXES = (".c", ".cc", ".cpp", ".cxx", ".pyx", ".f", ".f90", ".rs", ".m", ".mm")
#: cibuildwheel-style platforms when the metadata names no operating system.
DEFAULT_PLATFORMS = ("manylinux_x86_64", "macosx_x86_64", "macosx_arm64", "win_amd64")
_OS_PLATFORMS = {
    "Operating System :: POSIX :: Linux": ("manylinux_x86_64",),
    "Operating System :: MacOS": ("macosx_x86_64", "macosx_arm64"),
    "Operating System :: MacOS :: MacOS X": ("macosx_x86_64", "macosx_arm64"),
    "Operating System :: Microsoft :: Windows": ("win_amd64",),
    "Operating System :: OS Independent": DEFAULT_PLATFORMS,
    "Operating System :: POSIX": ("manylinux_x86_64", "macosx_x86_64", "macosx_arm64"),
}
_KNOWN_MINORS = range(8, 16)


# -- small helpers -------------------------------------------------------------


def artifact_kind(path: Path) -> str | None:
    """``sdist``, ``wheel`` or None for a file name."""
    if path.name.endswith(".whl"):
        return "wheel"
    if path.name.endswith((".tar.gz", ".zip")):
        return "sdist"
    return None


def artifact_files(directory: Path) -> list[Path]:
    """The sdists and wheels in ``directory``, wheels first, sorted by name."""
    directory = Path(directory)
    if not directory.is_dir():
        raise UsageError(f"{directory} is not a folder", hint="build first: `relman build`")
    found = [p for p in directory.iterdir() if p.is_file() and artifact_kind(p)]
    return sorted(found, key=lambda p: (artifact_kind(p) != "wheel", p.name))


def _version_of(path: Path) -> str | None:
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    try:
        if path.name.endswith(".whl"):
            return str(parse_wheel_filename(path.name)[1])
        return str(parse_sdist_filename(path.name)[1])
    except (InvalidSdistFilename, InvalidWheelFilename):
        return None


def versions_in_names(paths: Sequence[Path]) -> list[str]:
    """The distinct versions the file names carry."""
    return sorted({v for v in (_version_of(Path(p)) for p in paths) if v})


# -- names -----------------------------------------------------------------------


def check_artifact_names(paths: Sequence[Path], *, name: str, version: str | None) -> list[str]:
    """Problems with the file names: PEP 625 sdists, parseable wheels, one version.

    ``version`` is the release version every name must carry; with None the
    names must at least agree with each other.
    """
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        canonicalize_name,
        parse_sdist_filename,
        parse_wheel_filename,
    )
    from packaging.version import InvalidVersion, Version

    problems: list[str] = []
    want_name = canonicalize_name(name)
    want: Version | None = None
    if version is not None:
        try:
            want = Version(version)
        except InvalidVersion:
            return [f"{version!r} is not a valid PEP 440 version"]
    seen: set[str] = set()
    for path in paths:
        fname = Path(path).name
        if fname.endswith(".whl"):
            try:
                dist, ver, _build, _tags = parse_wheel_filename(fname)
            except InvalidWheelFilename as exc:
                problems.append(f"{fname}: not a valid wheel file name ({exc})")
                continue
            if fname.split("-", 1)[0] != str(dist).replace("-", "_"):
                problems.append(
                    f"{fname}: the name part should be {str(dist).replace('-', '_')!r} "
                    "(normalized, underscores)"
                )
        elif fname.endswith((".tar.gz", ".zip")):
            if not fname.endswith(".tar.gz"):
                problems.append(f"{fname}: sdists must be .tar.gz (PEP 625)")
                continue
            try:
                dist, ver = parse_sdist_filename(fname)
            except InvalidSdistFilename as exc:
                problems.append(f"{fname}: not a valid sdist file name ({exc})")
                continue
            expected = f"{str(dist).replace('-', '_')}-{ver}.tar.gz"
            if fname != expected:
                problems.append(f"{fname}: the PEP 625 name is {expected}")
        else:
            problems.append(f"{fname}: neither an sdist (.tar.gz) nor a wheel (.whl)")
            continue
        if dist != want_name:
            problems.append(f"{fname}: project name {dist!r} is not {want_name!r}")
        if want is not None and ver != want:
            problems.append(f"{fname}: version {ver} is not the release version {want}")
        seen.add(str(ver))
    if want is None and len(seen) > 1:
        problems.append(f"the files carry different versions: {', '.join(sorted(seen))}")
    return problems


# -- safe archives -----------------------------------------------------------------


def unsafe_members(tf: tarfile.TarFile) -> list[str]:
    """Why members of ``tf`` must not be extracted: absolute paths, ``..``, links out, devices."""
    problems: list[str] = []
    for m in tf.getmembers():
        name = m.name
        parts = PurePosixPath(name).parts
        if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
            problems.append(f"{name}: absolute path")
            continue
        if ".." in parts:
            problems.append(f"{name}: path leaves the archive ('..')")
            continue
        if m.issym():
            target = m.linkname
            if target.startswith(("/", "\\")):
                problems.append(f"{name}: symbolic link to an absolute path {target}")
                continue
            resolved = os.path.normpath(os.path.join(os.path.dirname(name), target))
            if resolved == ".." or resolved.startswith("../") or resolved.startswith("/"):
                problems.append(f"{name}: symbolic link pointing outside the archive ({target})")
        elif m.islnk():
            target = os.path.normpath(m.linkname)
            if target.startswith(("/", "..")):
                problems.append(f"{name}: hard link pointing outside the archive ({m.linkname})")
        elif not (m.isfile() or m.isdir()):
            problems.append(f"{name}: special file (device or fifo)")
    return problems


def extract_tar(archive: Path, dest: Path) -> None:
    """Extract ``archive`` into ``dest`` safely, or raise :class:`CheckFailed` writing nothing.

    Every member is checked first (no absolute paths, no ``..``, no links
    pointing out, no devices); extraction then uses tarfile's ``data`` filter
    as a second line of defence.
    """
    try:
        tf = tarfile.open(archive)  # noqa: SIM115 (closed by the with below)
    except (tarfile.TarError, OSError) as exc:
        raise CheckFailed(f"{archive.name} is not a readable tar archive: {exc}") from None
    with tf:
        problems = unsafe_members(tf)
        if problems:
            shown = "; ".join(problems[:5]) + (" …" if len(problems) > 5 else "")
            raise CheckFailed(
                f"{archive.name} is unsafe to extract: {shown}",
                hint="the archive was not extracted; rebuild it from a clean export",
            )
        dest.mkdir(parents=True, exist_ok=True)
        if hasattr(tarfile, "data_filter"):
            tf.extractall(dest, filter="data")
        else:  # pragma: no cover - Python without the extraction filters
            tf.extractall(dest)


# -- build -------------------------------------------------------------------------


def _project_subdir(config: Config, repo: Repo) -> PurePosixPath:
    try:
        rel = config.project_dir.resolve().relative_to(repo.root.resolve())
    except ValueError:
        raise UsageError(f"{config.project_dir} is not inside the repository {repo.root}") from None
    return PurePosixPath(rel.as_posix())


def build_artifacts(
    config: Config,
    repo: Repo,
    *,
    rev: str = "HEAD",
    outdir: Path,
    sdist: bool = True,
    wheel: bool = True,
    version: str | None = None,
) -> list[Path]:
    """Build from a clean export of ``rev``; return the files written to ``outdir``.

    The build runs through the ``build`` frontend in isolated environments
    (uv as installer when available), with ``SOURCE_DATE_EPOCH`` set to the
    commit time and without the user's pip/uv configuration. Names are
    checked (PEP 625, wheel names, ``version`` when given) before the files
    are moved into ``outdir``: on any failure ``outdir`` is left untouched.
    """
    from relman.venv import find_uv

    if not (sdist or wheel):
        raise UsageError("nothing to build", hint="ask for --sdist, --wheel or both")
    sha = repo.rev_parse(rev)
    if sha is None:
        raise UsageError(f"{rev!r} is not a commit of {repo.root}", hint="give a tag or a commit")
    epoch = repo.commit_time(sha)
    sub = _project_subdir(config, repo)
    outdir = Path(outdir)
    uv = find_uv()
    with tempfile.TemporaryDirectory(prefix="relman-build-") as tmp_name:
        tmp = Path(tmp_name)
        export = tmp / "export"
        # a real checkout of the commit (a private clone, with submodules):
        # setuptools_scm, hatch-vcs and meson-python's `meson dist` need git;
        # mtimes are set to the commit time
        repo.clone_checkout(export, sha)
        return _build_in(
            config,
            repo,
            export,
            sha=sha,
            rev=rev,
            epoch=epoch,
            sub=sub,
            outdir=outdir,
            sdist=sdist,
            wheel=wheel,
            version=version,
            uv=uv,
            tmp=tmp,
        )


def _set_mtimes(root: Path, epoch: int) -> None:
    for dirpath, dirnames, filenames in os.walk(root):
        if ".git" in dirnames:
            dirnames.remove(".git")
        if ".git" in filenames:
            filenames.remove(".git")
        for name in filenames:
            path = Path(dirpath) / name
            if not path.is_symlink():
                os.utime(path, (epoch, epoch))


def _build_in(
    config: Config,
    repo: Repo,
    export: Path,
    *,
    sha: str,
    rev: str,
    epoch: int,
    sub: PurePosixPath,
    outdir: Path,
    sdist: bool,
    wheel: bool,
    version: str | None,
    uv: str | None,
    tmp: Path,
) -> list[Path]:
    from relman.venv import isolated_environ

    _set_mtimes(export, epoch)
    srcdir = export / sub if str(sub) != "." else export
    if not (srcdir / "pyproject.toml").is_file() and not (srcdir / "setup.py").is_file():
        raise UsageError(
            f"{sub}/pyproject.toml is not in commit {sha[:12]}",
            hint="commit the project first; relman builds from git, not from the working tree",
        )
    built = tmp / "dist"
    args: list[str] = [sys.executable, "-m", "build", "--outdir", str(built)]
    if uv:
        args += ["--installer", "uv"]
    if sdist:
        args.append("--sdist")
    if wheel:
        args.append("--wheel")
    args.append(str(srcdir))
    extra = {"SOURCE_DATE_EPOCH": str(epoch)}
    if uv:
        extra["UV"] = uv
    env = isolated_environ(extra_index=config.build.extra_index, extra=extra)
    kinds = " and ".join(k for k, on in (("sdist", sdist), ("wheel", wheel)) if on)
    _report.info(f"building {kinds} of {config.name} at {sha[:12]} ({rev})")
    try:
        _proc.run(args, cwd=srcdir, env=env, timeout=1800, what=f"building the {kinds}")
    except CommandError as exc:
        log = _save_log(repo, f"build-{sha[:12]}.log", exc)
        raise CommandError(
            exc.message,
            command=exc.command,
            returncode=exc.returncode,
            stdout=exc.stdout,
            stderr=exc.stderr,
            hint=f"the full build output is in {log}",
        ) from None
    files = sorted(built.iterdir()) if built.is_dir() else []
    problems = check_artifact_names(files, name=config.name, version=version)
    if problems:
        raise CheckFailed(
            "the built files have bad names:\n" + "\n".join(f"  - {p}" for p in problems),
            hint="nothing was written to " + str(outdir),
        )
    outdir.mkdir(parents=True, exist_ok=True)
    result: list[Path] = []
    for f in files:
        _atomic.write_bytes(outdir / f.name, f.read_bytes())
        result.append(outdir / f.name)
    for p in result:
        _report.info(f"built {p}")
    return result


def _save_log(repo: Repo, name: str, exc: CommandError) -> Path:
    logdir = repo.git_dir / "relman" / "logs"
    text = f"$ {' '.join(exc.command)}\nexit {exc.returncode}\n\n{exc.stdout}\n{exc.stderr}"
    _atomic.write_text(logdir / name, text)
    return logdir / name


# -- metadata ----------------------------------------------------------------------


@dataclass(frozen=True)
class ArtifactInfo:
    """What inspection found about one file."""

    path: Path
    kind: str
    size: int
    sha256: str
    name: str | None = None
    version: str | None = None
    metadata_version: str | None = None
    requires_python: str | None = None
    requires_dist: tuple[str, ...] = ()
    license_expression: str | None = None
    classifiers: tuple[str, ...] = ()
    identifiers: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class InspectReport:
    """The result of :func:`inspect_artifacts`; ``ok`` when nothing blocks a release."""

    artifacts: tuple[ArtifactInfo, ...]
    problems: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    expected_wheels: tuple[str, ...] = ()
    matrix_source: str = "none"
    missing_wheels: tuple[str, ...] = ()
    unexpected_wheels: tuple[str, ...] = ()
    #: per sdist: {"compared_with": rev, "missing": [...], "untracked": [...]}
    sdist_vs_git: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def ok(self) -> bool:
        return not self.problems


def _read_metadata_bytes(path: Path, kind: str) -> bytes:
    if kind == "wheel":
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if n.count("/") == 1]
            found = [n for n in names if n.endswith(".dist-info/METADATA")]
            if len(found) != 1:
                raise CheckFailed(f"{path.name}: expected one .dist-info/METADATA, found {found}")
            return zf.read(found[0])
    with tarfile.open(path) as tf:
        found_ = [
            m for m in tf.getmembers() if m.name.count("/") == 1 and m.name.endswith("/PKG-INFO")
        ]
        if len(found_) != 1:
            raise CheckFailed(f"{path.name}: expected one <name>-<version>/PKG-INFO")
        fh = tf.extractfile(found_[0])
        if fh is None:
            raise CheckFailed(f"{path.name}: PKG-INFO is not a regular file")
        return fh.read()


def _render_description(
    description: str | None, content_type: str | None
) -> tuple[list[str], list[str]]:
    """(problems, warnings) of rendering the long description like ``twine check --strict``."""
    from email.message import Message

    problems: list[str] = []
    notes: list[str] = []
    if content_type is None:
        problems.append("long description content type missing (defaulting to text/x-rst)")
        content_type = "text/x-rst"
    msg = Message()
    msg["content-type"] = content_type
    ctype = msg.get_content_type()
    params = dict(msg.get_params() or [])
    params.pop(ctype, None)
    if not description or description.rstrip() == "UNKNOWN":
        problems.append("long description missing")
        return problems, notes
    stream = io.StringIO()
    if ctype == "text/x-rst":
        import readme_renderer.rst

        if readme_renderer.rst.render(description, stream=stream) is None:
            detail = " ".join(stream.getvalue().split())[:300]
            problems.append(f"long description (reStructuredText) does not render: {detail}")
    elif ctype == "text/markdown":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import readme_renderer.markdown

            if not readme_renderer.markdown.variants:
                notes.append("Markdown long description not rendered: install readme_renderer[md]")
            elif (
                readme_renderer.markdown.render(description, variant=params.get("variant", "GFM"))
                is None
            ):
                problems.append("long description (Markdown) does not render")
    elif ctype != "text/plain":
        problems.append(f"long description content type {ctype} is not rst, markdown or plain")
    return problems, notes


@dataclass(frozen=True)
class _Meta:
    """The metadata fields inspection uses, as plain values."""

    metadata_version: str | None
    name: str | None
    version: str | None
    requires_python: str | None
    requires_dist: tuple[str, ...]
    license_expression: str | None
    classifiers: tuple[str, ...]
    description: str | None
    description_content_type: str | None


def _parse_metadata(data: bytes) -> tuple[_Meta, list[str], list[str]]:
    """(fields, problems, warnings) of a METADATA/PKG-INFO file.

    Validation uses :class:`packaging.metadata.Metadata`; when it fails, the
    fields are still read from the raw parse so the report can show them.
    """
    import packaging.metadata
    from packaging.metadata import Metadata, parse_email

    problems: list[str] = []
    notes: list[str] = []
    accepted = tuple(
        getattr(packaging.metadata, "_VALID_METADATA_VERSIONS", ACCEPTED_METADATA_VERSIONS)
    )
    raw, unparsed = parse_email(data)
    mv = raw.get("metadata_version")
    if mv not in accepted:
        problems.append(
            f"Metadata-Version {mv or '(missing)'} is not one package indexes accept "
            f"({', '.join(accepted)})"
        )
    for key in unparsed:
        notes.append(f"metadata field {key!r} was not understood")
    try:
        meta = Metadata.from_raw(raw, validate=True)
    except Exception as exc:
        for sub in getattr(exc, "exceptions", [exc]):
            text = f"invalid metadata: {sub}"
            if "metadata version" not in str(sub) or mv in accepted:
                problems.append(text)
        return (
            _Meta(
                metadata_version=mv,
                name=raw.get("name"),
                version=raw.get("version"),
                requires_python=raw.get("requires_python"),
                requires_dist=tuple(raw.get("requires_dist") or ()),
                license_expression=raw.get("license_expression"),
                classifiers=tuple(raw.get("classifiers") or ()),
                description=raw.get("description"),
                description_content_type=raw.get("description_content_type"),
            ),
            problems,
            notes,
        )
    return (
        _Meta(
            metadata_version=meta.metadata_version,
            name=meta.name,
            version=None if meta.version is None else str(meta.version),
            requires_python=None if meta.requires_python is None else str(meta.requires_python),
            requires_dist=tuple(str(r) for r in meta.requires_dist or ()),
            license_expression=meta.license_expression,
            classifiers=tuple(meta.classifiers or ()),
            description=meta.description,
            description_content_type=meta.description_content_type,
        ),
        problems,
        notes,
    )


# -- wheels ------------------------------------------------------------------------


def _platform_family(platform: str) -> str:
    m = re.match(r"^(manylinux|musllinux)_\d+_\d+_(.+)$", platform)
    if m:
        return f"{m.group(1)}_{m.group(2)}"
    m = re.match(r"^manylinux(?:1|2010|2014)_(.+)$", platform)
    if m:
        return f"manylinux_{m.group(1)}"
    m = re.match(r"^macosx_\d+_\d+_(.+)$", platform)
    if m:
        return f"macosx_{m.group(1)}"
    return platform


def wheel_identifiers(filename: str) -> tuple[str, ...]:
    """cibuildwheel-style build identifiers a wheel provides (``cp311-manylinux_x86_64``).

    A pure wheel gives ``py3-none-any``.
    """
    from packaging.utils import parse_wheel_filename

    _, _, _, tags = parse_wheel_filename(filename)
    out: set[str] = set()
    for tag in tags:
        if tag.platform == "any":
            out.add(
                f"{tag.interpreter}-{tag.abi}-any"
                if tag.abi != "none"
                else f"{tag.interpreter}-none-any"
            )
        else:
            out.add(f"{tag.interpreter}-{_platform_family(tag.platform)}")
    return tuple(sorted(out))


def _check_wheel_contents(path: Path) -> tuple[list[str], list[str]]:
    problems: list[str] = []
    notes: list[str] = []
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        for n, count in Counter(names).items():
            if count > 1:
                problems.append(f"duplicate entry {n} ({count} times)")
        dist_infos = {
            n.split("/", 1)[0] for n in names if n.split("/", 1)[0].endswith(".dist-info")
        }
        if len(dist_infos) != 1:
            problems.append(f"expected one .dist-info folder, found {sorted(dist_infos) or 'none'}")
            return problems, notes
        dist_info = dist_infos.pop()
        data_dir = dist_info[: -len(".dist-info")] + ".data"
        record_name = f"{dist_info}/RECORD"
        if record_name not in names:
            problems.append(f"{record_name} is missing")
            return problems, notes
        record: dict[str, tuple[str, str]] = {}
        for row in csv.reader(io.StringIO(zf.read(record_name).decode("utf-8"))):
            if not row:
                continue
            if len(row) != 3:
                problems.append(f"RECORD row {row!r} does not have 3 fields")
                continue
            if row[0] in record:
                problems.append(f"RECORD lists {row[0]} twice")
            record[row[0]] = (row[1], row[2])
        files = [n for n in names if not n.endswith("/")]
        unsigned = {record_name, f"{dist_info}/RECORD.jws", f"{dist_info}/RECORD.p7s"}
        for n in files:
            if n in unsigned:
                continue
            if n not in record:
                problems.append(f"{n} is in the wheel but not in RECORD")
                continue
            digest, size = record[n]
            data = zf.read(n)
            algo, _, expected = digest.partition("=")
            if algo not in ("sha256", "sha384", "sha512"):
                problems.append(
                    f"RECORD hash of {n} uses {algo or 'no algorithm'}; sha256 or better is required"
                )
                continue
            actual = (
                base64.urlsafe_b64encode(hashlib.new(algo, data).digest()).rstrip(b"=").decode()
            )
            if actual != expected:
                problems.append(f"{n}: hash does not match RECORD")
            if size and size != str(len(data)):
                problems.append(f"{n}: size {len(data)} does not match RECORD ({size})")
        for n in record:
            if n not in names:
                problems.append(f"RECORD lists {n}, which is not in the wheel")
        for n in files:
            parts = PurePosixPath(n).parts
            if n.startswith("/") or ".." in parts:
                problems.append(f"{n}: path outside the installation folder")
                continue
            if n.endswith((".pyc", ".pyo")) or "__pycache__" in parts:
                problems.append(f"{n}: compiled bytecode should not be shipped")
            top = parts[0]
            if top in (dist_info, data_dir):
                continue
            if len(parts) > 1 and top in STRAY_TOP_LEVEL:
                problems.append(
                    f"{n}: stray top-level {top!r} folder (it would install a package named {top})"
                )
            elif len(parts) == 1 and not n.endswith((".py", ".pyi", ".so", ".pyd", ".pth")):
                problems.append(f"{n}: file outside the package (it would land in site-packages)")
    return problems, notes


def _wheel_top_levels(path: Path) -> set[str]:
    with zipfile.ZipFile(path) as zf:
        tops: set[str] = set()
        for n in zf.namelist():
            parts = PurePosixPath(n).parts
            if len(parts) > 1 and not parts[0].endswith((".dist-info", ".data")):
                tops.add(parts[0])
            elif (
                len(parts) > 1
                and parts[0].endswith(".data")
                and len(parts) > 3
                and parts[1] in ("purelib", "platlib")
            ):
                tops.add(parts[2])
        return tops


# -- sdists ------------------------------------------------------------------------


def _sdist_files(path: Path) -> tuple[str, list[str], list[str]]:
    """(top folder, regular files relative to it, problems) of an sdist."""
    problems: list[str] = []
    with tarfile.open(path) as tf:
        problems += [f"unsafe member {p}" for p in unsafe_members(tf)]
        members = tf.getmembers()
    tops = {PurePosixPath(m.name).parts[0] for m in members if PurePosixPath(m.name).parts}
    if len(tops) != 1:
        problems.append(f"expected one top-level folder, found {sorted(tops)}")
        return "", [], problems
    top = tops.pop()
    expected_top = path.name[: -len(".tar.gz")]
    if top != expected_top:
        problems.append(f"top-level folder is {top!r}, expected {expected_top!r}")
    files = sorted(
        m.name[len(top) + 1 :] for m in members if m.isfile() and m.name.startswith(top + "/")
    )
    if "pyproject.toml" not in files:
        problems.append("pyproject.toml is missing (required in sdists)")
    return top, files, problems


def _package_dirs(tops: Iterable[str], files: Sequence[str]) -> set[str]:
    """Import packages of a project, from wheel top levels or the sdist layout."""
    pkgs = {t for t in tops if "." not in t}
    if pkgs:
        return pkgs
    for f in files:
        parts = PurePosixPath(f).parts
        if len(parts) == 2 and parts[1] == "__init__.py":
            pkgs.add(parts[0])
        elif len(parts) == 3 and parts[0] == "src" and parts[2] == "__init__.py":
            pkgs.add(parts[1])
    return pkgs


def compare_sdist_with_git(
    sdist_files: Sequence[str], git_files: Sequence[str], packages: Iterable[str]
) -> tuple[list[str], list[str]]:
    """(tracked files missing from the sdist, sdist files git does not track).

    Only files under the import packages (``pkg/`` or ``src/pkg/``) and the
    build configuration files count as required.
    """
    in_sdist = set(sdist_files)
    tracked = set(git_files)
    prefixes = tuple(p for pkg in packages for p in (f"{pkg}/", f"src/{pkg}/"))
    required = [
        f for f in sorted(tracked) if (prefixes and f.startswith(prefixes)) or f in BUILD_FILES
    ]
    missing = [f for f in required if f not in in_sdist]
    untracked = [
        f
        for f in sorted(in_sdist)
        if f not in tracked and f not in GENERATED_SDIST_FILES and ".egg-info/" not in f
    ]
    return missing, untracked


def _sdist_is_pure(files: Sequence[str]) -> bool:
    return not any(
        f.endswith(COMPILED_SUFFIXES) or PurePosixPath(f).name in ("meson.build", "CMakeLists.txt")
        for f in files
    )


# -- expected wheels ---------------------------------------------------------------


def derive_wheel_matrix(meta: Any, *, pure: bool) -> list[str]:
    """Expected wheel identifiers from the metadata, when the project configures none.

    A pure project ships one ``py3-none-any`` wheel. Otherwise: one CPython
    wheel per ``Programming Language :: Python :: 3.X`` classifier allowed by
    Requires-Python, for each platform the ``Operating System`` classifiers
    name (all common ones when none is named).
    """
    from packaging.version import Version

    if pure:
        return ["py3-none-any"]
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    classifiers = list(getattr(meta, "classifiers", None) or [])
    raw_spec = getattr(meta, "requires_python", None)
    try:
        spec = SpecifierSet(str(raw_spec)) if raw_spec is not None else None
    except InvalidSpecifier:
        spec = None
    minors: list[int] = []
    for c in classifiers:
        m = re.fullmatch(r"Programming Language :: Python :: 3\.(\d+)", c)
        if m:
            minors.append(int(m.group(1)))
    if not minors:
        minors = [x for x in _KNOWN_MINORS]
    if spec is not None:
        minors = [x for x in minors if spec.contains(Version(f"3.{x}"), prereleases=True)]
    platforms: list[str] = []
    for c in classifiers:
        for key, plats in _OS_PLATFORMS.items():
            if c == key:
                platforms += [p for p in plats if p not in platforms]
    if not platforms:
        platforms = list(DEFAULT_PLATFORMS)
    return [f"cp3{x}-{p}" for x in sorted(set(minors)) for p in platforms]


def match_wheels(
    expected: Sequence[str], identifiers: dict[str, tuple[str, ...]]
) -> tuple[list[str], list[str]]:
    """(expected patterns no wheel provides, wheel files no pattern expects)."""
    missing = [
        pat
        for pat in expected
        if not any(fnmatch.fnmatchcase(i, pat) for ids in identifiers.values() for i in ids)
    ]
    unexpected = [
        fname
        for fname, ids in identifiers.items()
        if not any(fnmatch.fnmatchcase(i, pat) for i in ids for pat in expected)
    ]
    return missing, unexpected


# -- inspect -----------------------------------------------------------------------


def _git_files_for(config: Config, version: str, rev: str | None) -> tuple[list[str] | None, str]:
    """Tracked files of the project at the release (tag, or ``rev``, or HEAD)."""
    from relman.git import find_repo

    try:
        repo = find_repo(config.project_dir)
    except (NotARepository, CommandError):
        return None, "no git repository"
    if rev is None:
        tag = config.tag_for(version)
        rev = tag if repo.rev_parse(tag) else "HEAD"
    if repo.rev_parse(rev) is None:
        return None, f"{rev} does not exist"
    sub = _project_subdir(config, repo)
    prefix = "" if str(sub) == "." else f"{sub}/"
    files = repo.tree_files(rev, prefix.rstrip("/"))
    return [f[len(prefix) :] for f in files if f.startswith(prefix)], rev


def inspect_artifacts(
    config: Config,
    paths: Sequence[Path],
    *,
    version: str,
    rev: str | None = None,
    allow_missing_wheels: bool | None = None,
) -> InspectReport:
    """Inspect release files: names, metadata, description, contents, wheel matrix.

    ``rev`` is the commit the sdist is compared with (default: the release tag
    when it exists, else HEAD). Missing expected wheels are problems unless
    ``allow_missing_wheels`` (default: ``[tool.relman.build]
    allow-missing-wheels``); a matrix derived for a non-pure project only
    warns, since it is a guess.
    """
    from packaging.utils import canonicalize_name
    from packaging.version import Version

    paths = [Path(p) for p in paths]
    if not paths:
        raise UsageError("no artifacts to inspect", hint="build first: `relman build`")
    for p in paths:
        if not p.is_file():
            raise UsageError(f"{p} does not exist")
    allow = (
        config.build.allow_missing_wheels if allow_missing_wheels is None else allow_missing_wheels
    )
    problems: list[str] = [*check_artifact_names(paths, name=config.name, version=version)]
    notes: list[str] = []
    infos: list[ArtifactInfo] = []
    wheel_ids: dict[str, tuple[str, ...]] = {}
    tops: set[str] = set()
    sdists: list[tuple[Path, list[str]]] = []
    meta_for_matrix: _Meta | None = None
    for path in paths:
        kind = artifact_kind(path) or "unknown"
        p_problems: list[str] = []
        p_notes: list[str] = []
        meta: _Meta | None = None
        ids: tuple[str, ...] = ()
        try:
            data = _read_metadata_bytes(path, kind)
            meta, mp, mn = _parse_metadata(data)
            p_problems += mp
            p_notes += mn
        except (CheckFailed, zipfile.BadZipFile, tarfile.TarError, OSError) as exc:
            p_problems.append(f"metadata unreadable: {exc}")
        if meta is not None:
            if meta.name and canonicalize_name(meta.name) != canonicalize_name(config.name):
                p_problems.append(f"metadata Name {meta.name} is not {config.name}")
            try:
                if meta.version is not None and Version(meta.version) != Version(version):
                    p_problems.append(f"metadata Version {meta.version} is not {version}")
            except ValueError:
                pass
            rp, rn = _render_description(meta.description, meta.description_content_type)
            p_problems += rp
            p_notes += rn
            meta_for_matrix = meta_for_matrix or meta
        if kind == "wheel":
            try:
                wp, wn = _check_wheel_contents(path)
                p_problems += wp
                p_notes += wn
                ids = wheel_identifiers(path.name)
                wheel_ids[path.name] = ids
                tops |= _wheel_top_levels(path)
                if any(re.search(r"-linux_[^-]+$", i) for i in ids):
                    p_notes.append(
                        "plain linux platform tag: public indexes reject it; repair the wheel "
                        "(auditwheel) to a manylinux tag"
                    )
            except (zipfile.BadZipFile, OSError, ValueError) as exc:
                p_problems.append(f"not a readable wheel: {exc}")
        elif kind == "sdist":
            try:
                _top, files, sp = _sdist_files(path)
                p_problems += sp
                sdists.append((path, files))
            except (tarfile.TarError, OSError) as exc:
                p_problems.append(f"not a readable sdist: {exc}")
        infos.append(
            ArtifactInfo(
                path=path,
                kind=kind,
                size=path.stat().st_size,
                sha256=sha256_file(path),
                name=None if meta is None else meta.name,
                version=None if meta is None else meta.version,
                metadata_version=None if meta is None else meta.metadata_version,
                requires_python=None if meta is None else meta.requires_python,
                requires_dist=() if meta is None else meta.requires_dist,
                license_expression=None if meta is None else meta.license_expression,
                classifiers=() if meta is None else meta.classifiers,
                identifiers=ids,
                problems=tuple(p_problems),
                warnings=tuple(p_notes),
            )
        )
        problems += [f"{path.name}: {p}" for p in p_problems]
        notes += [f"{path.name}: {n}" for n in p_notes]

    # the sdist against git
    vs_git: dict[str, Any] = {}
    if sdists:
        git_files, where = _git_files_for(config, version, rev)
        if git_files is None:
            notes.append(f"sdist not compared with git: {where}")
        for path, files in sdists:
            pkgs = _package_dirs(tops, files)
            if git_files is None:
                continue
            missing, untracked = compare_sdist_with_git(files, git_files, pkgs)
            vs_git[path.name] = {"compared_with": where, "missing": missing, "untracked": untracked}
            problems += [
                f"{path.name}: {f} is tracked by git ({where}) but missing" for f in missing
            ]
            notes += [f"{path.name}: {f} is not tracked by git" for f in untracked]

    # the wheel matrix
    pure: bool
    if wheel_ids:
        pure = all(i.endswith("-none-any") for ids in wheel_ids.values() for i in ids)
    else:
        pure = all(_sdist_is_pure(files) for _, files in sdists)
    if config.build.wheels:
        expected = list(config.build.wheels)
        source = "config"
    elif sdists or wheel_ids:
        expected = derive_wheel_matrix(meta_for_matrix, pure=pure)
        source = "derived"
    else:
        expected, source = [], "none"
    missing_w, unexpected_w = match_wheels(expected, wheel_ids)
    strict = source == "config" or (source == "derived" and pure)
    for pat in missing_w:
        text = f"no wheel for {pat} (expected by the {source} wheel matrix)"
        if strict and not allow:
            problems.append(text)
        else:
            notes.append(text)
    for fname in unexpected_w:
        notes.append(f"{fname}: not in the {source} wheel matrix ({', '.join(expected)})")
    return InspectReport(
        artifacts=tuple(infos),
        problems=tuple(problems),
        warnings=tuple(notes),
        expected_wheels=tuple(expected),
        matrix_source=source,
        missing_wheels=tuple(missing_w),
        unexpected_wheels=tuple(unexpected_w),
        sdist_vs_git=vs_git,
    )


# -- checksums and release README --------------------------------------------------


def write_checksums(dir: Path) -> Path:
    """Write ``SHA256SUMS`` (``<hex>  <name>`` per artifact, sorted) in ``dir``."""
    files = sorted(artifact_files(dir), key=lambda p: p.name)
    if not files:
        raise UsageError(f"{dir} has no sdists or wheels", hint="build first: `relman build`")
    text = "".join(f"{sha256_file(p)}  {p.name}\n" for p in files)
    target = Path(dir) / "SHA256SUMS"
    _atomic.write_text(target, text)
    return target


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover


def write_release_readme(dir: Path, version: str) -> list[Path]:
    """Write ``README.rst`` and ``README.md`` in ``dir``: each file, its size and SHA256."""
    files = sorted(artifact_files(dir), key=lambda p: p.name)
    if not files:
        raise UsageError(f"{dir} has no sdists or wheels", hint="build first: `relman build`")
    rows = [(p.name, p.stat().st_size, sha256_file(p)) for p in files]
    title = f"Release {version}"
    w_name = max(len("File"), *(len(r[0]) for r in rows))
    w_size = max(len("Size"), *(len(str(r[1])) for r in rows))
    w_hash = 64
    sep = f"{'=' * w_name}  {'=' * w_size}  {'=' * w_hash}"
    rst = [title, "=" * len(title), "", "Checksums", "---------", "", sep]
    rst.append(f"{'File':<{w_name}}  {'Size':>{w_size}}  {'SHA256':<{w_hash}}".rstrip())
    rst.append(sep)
    rst += [f"{n:<{w_name}}  {s:>{w_size}}  {h}" for n, s, h in rows]
    rst += [sep, ""]
    md = [f"# {title}", "", "## Checksums", "", "| File | Size | SHA256 |", "| --- | ---: | --- |"]
    md += [f"| `{n}` | {s} ({_human(s)}) | `{h}` |" for n, s, h in rows]
    md.append("")
    out = {Path(dir) / "README.rst": "\n".join(rst), Path(dir) / "README.md": "\n".join(md)}
    _atomic.write_many({p: t.encode("utf-8") for p, t in out.items()})
    return list(out)
