"""Inspecting release files against the rule book (:mod:`relman.artifacts.rules`).

:func:`inspect_file` reads one sdist or wheel once through
:mod:`relman.archive` (bounded, streaming) and returns every finding: the
archive rules, the metadata rules, the long description rendered as
``twine check --strict`` renders it, the wheel's RECORD and contents, the
sdist's layout. :func:`inspect_artifacts` inspects a set of files: each file,
the names and versions they share, the release's name and version when a
project is given, the sdist against the files git tracks, and, when asked
(``matrix=True``, as the release does), the expected wheel matrix.

It needs no project and no git repository: ``relman inspect FILE...`` works
anywhere, as ``twine check`` does.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from relman._atomic import sha256_file
from relman.archive import Archive, ArchiveError, check_members, read_archive
from relman.artifacts.matrix import covered_identifiers, derive_wheel_matrix, match_wheels
from relman.artifacts.names import artifact_kind, versions_in_names
from relman.artifacts.readme import render_description
from relman.artifacts.rules import Finding, Meta, filename_findings, finding, metadata_findings
from relman.errors import CommandError, NotARepository, UsageError

if TYPE_CHECKING:
    from relman.config import Config

__all__ = [
    "ArtifactInfo",
    "FileReport",
    "InspectReport",
    "compare_sdist_with_git",
    "inspect_artifacts",
    "inspect_file",
]

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
_HASHES = ("sha256", "sha384", "sha512")


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
    findings: tuple[Finding, ...] = ()

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
    findings: tuple[tuple[str, Finding], ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class FileReport:
    """One file's findings and what the set-level checks need from it."""

    path: Path
    kind: str
    meta: Meta | None = None
    findings: list[Finding] = field(default_factory=list)
    #: regular files of an sdist, relative to its top folder
    files: list[str] = field(default_factory=list)
    #: top-level import names of a wheel
    tops: set[str] = field(default_factory=set)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]


# -- one file ----------------------------------------------------------------------


def inspect_file(path: Path, *, public: bool = True) -> FileReport:
    """Every finding of one sdist or wheel, reading it once."""
    path = Path(path)
    kind = artifact_kind(path) or "unknown"
    report = FileReport(path=path, kind=kind, findings=filename_findings(path.name, public=public))
    if kind == "unknown":
        return report
    try:
        if kind == "wheel":
            archive = read_archive(path, keep=_wheel_keeps, digest=_record_algorithm)
        else:
            archive = read_archive(path, keep=_sdist_keeps)
    except ArchiveError as exc:
        report.findings.append(Finding("relman:archive", f"{exc.message} ({exc.rule})"))
        return report
    report.findings += [
        finding(f"index:{rule}", text, public=public) for rule, text in archive.findings
    ]
    if kind == "wheel":
        meta_name = _wheel_part(archive, "METADATA")
    else:
        meta_name = _sdist_pkg_info(archive, report, public=public)
    data = archive.data.get(meta_name) if meta_name else None
    if data is not None:
        report.meta, found = metadata_findings(data, public=public)
        report.findings += found
        report.findings += [
            Finding(rule, text)
            for rule, text in render_description(
                report.meta.description, report.meta.description_content_type
            )
        ]
        _check_version_in_name(report)
    elif kind == "wheel":
        report.findings.append(
            finding("index:archive-layout", "no .dist-info/METADATA in the wheel", public=public)
        )
    if kind == "wheel":
        _check_wheel(archive, report, public=public)
    return report


def _wheel_keeps(name: str) -> bool:
    parts = name.split("/")
    return (
        len(parts) == 2
        and parts[0].endswith(".dist-info")
        and parts[1] in ("METADATA", "RECORD", "WHEEL", "entry_points.txt")
    )


def _sdist_keeps(name: str) -> bool:
    parts = name.split("/")
    return len(parts) == 2 and parts[1] == "PKG-INFO"


def _wheel_part(archive: Archive, part: str) -> str | None:
    found = [n for n in archive.data if n.endswith(f".dist-info/{part}")]
    return found[0] if len(found) == 1 else None


def _record_rows(archive: Archive) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """(RECORD entries: name -> (hash, size), problems reading it)."""
    name = _wheel_part(archive, "RECORD")
    if name is None:
        return {}, ["no .dist-info/RECORD"]
    rows: dict[str, tuple[str, str]] = {}
    problems: list[str] = []
    try:
        text = archive.data[name].decode("utf-8")
    except UnicodeDecodeError:
        return {}, ["RECORD is not UTF-8"]
    reader = csv.reader(io.StringIO(text))
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(f"RECORD line {reader.line_num} cannot be read: {exc}")
            break
        if not row:
            continue
        if len(row) != 3:
            problems.append(f"RECORD row {row[0]!r} does not have 3 fields")
            continue
        if row[0] in rows:
            problems.append(f"RECORD lists {row[0]} twice")
        rows[row[0]] = (row[1], row[2])
    return rows, problems


def _record_algorithm(archive: Archive, name: str) -> str | None:
    cache = archive.__dict__.setdefault("_record", None)
    if cache is None:
        cache = _record_rows(archive)
        archive.__dict__["_record"] = cache
    algo = cache[0].get(name, ("", ""))[0].partition("=")[0]
    return algo if algo in _HASHES else None


def _check_version_in_name(report: FileReport) -> None:
    from packaging.version import InvalidVersion, Version

    from relman.artifacts.names import version_of

    meta = report.meta
    in_name = version_of(report.path)
    if meta is None or meta.version is None or in_name is None:
        return
    try:
        if Version(meta.version) != Version(in_name):
            report.findings.append(
                Finding(
                    "index:filename",
                    f"the file name carries version {in_name}, the metadata {meta.version}",
                )
            )
    except InvalidVersion:
        pass


def _top_of(name: str) -> str:
    while name.startswith("./"):
        name = name[2:]
    return name.split("/", 1)[0]


def _sdist_pkg_info(archive: Archive, report: FileReport, *, public: bool) -> str | None:
    members = archive.members
    tops = {_top_of(m.name) for m in members} - {""}
    problems, kinds, _copies = check_members(members)
    for p in problems[:20]:
        report.findings.append(Finding("relman:sdist-layout", f"unsafe member {p}"))
    if len(tops) != 1:
        report.findings.append(
            finding(
                "index:archive-layout",
                f"expected one top-level folder, found {sorted(tops)[:10]}",
                public=public,
            )
        )
        return None
    top = tops.pop()
    expected_top = (
        report.path.name[: -len(".tar.gz")]
        if report.path.name.endswith(".tar.gz")
        else report.path.name[: -len(".zip")]
    )
    if top != expected_top:
        report.findings.append(
            Finding(
                "relman:sdist-layout", f"top-level folder is {top!r}, expected {expected_top!r}"
            )
        )
    report.files = sorted(
        m.name[len(top) + 1 :] for m in members if m.kind == "file" and m.name.startswith(top + "/")
    )
    if "pyproject.toml" not in report.files:
        report.findings.append(  # setup.py-era sdists still install, and the index takes them
            Finding(
                "relman:sdist-layout",
                "pyproject.toml is missing (the sdist format asks for it; installers fall back "
                "to setup.py)",
                "warning",
            )
        )
    pkg_info = f"{top}/PKG-INFO"
    kind = kinds.get(pkg_info)
    if kind is None:
        report.findings.append(
            finding("index:archive-layout", f"PKG-INFO not found at {pkg_info}", public=public)
        )
        return None
    if kind != "file":
        report.findings.append(
            finding(
                "index:archive-layout",
                f"{pkg_info} is a {kind}, not a regular file; it is not read",
                public=public,
            )
        )
        return None
    meta_files: list[str] = []
    data = archive.data.get(pkg_info)
    if data is not None:
        from packaging.metadata import parse_email

        meta_files = list(parse_email(data)[0].get("license_files") or ())
    for lf in meta_files:
        if lf not in report.files:
            report.findings.append(
                finding(
                    "index:license-file-missing",
                    f"License-File {lf} is not in the sdist at {top}/{lf}",
                    public=public,
                )
            )
    return pkg_info


def _check_wheel(archive: Archive, report: FileReport, *, public: bool) -> None:
    add = report.findings.append
    names = archive.names()
    dist_infos = {n.split("/", 1)[0] for n in names if n.split("/", 1)[0].endswith(".dist-info")}
    if len(dist_infos) != 1:
        add(
            finding(
                "index:archive-layout",
                f"expected one .dist-info folder, found {sorted(dist_infos) or 'none'}",
                public=public,
            )
        )
        return
    dist_info = dist_infos.pop()
    if f"{dist_info}/WHEEL" not in names:
        add(finding("index:archive-layout", f"WHEEL not found at {dist_info}/WHEEL", public=public))
    if report.meta is not None:
        for lf in report.meta.license_files:
            if report.meta.metadata_version in ("2.4", "2.5") and (
                f"{dist_info}/licenses/{lf}" not in names
            ):
                add(
                    finding(
                        "index:license-file-missing",
                        f"License-File {lf} is not in the wheel at {dist_info}/licenses/{lf}",
                        public=public,
                    )
                )
    record, problems = (
        _record_rows(archive)
        if "_record" not in archive.__dict__
        else (archive.__dict__["_record"])
    )
    record_name = f"{dist_info}/RECORD"
    if record_name not in names:
        add(finding("index:archive-layout", f"{record_name} is missing", public=public))
        return
    for p in problems:
        add(Finding("relman:record", p))
    unsigned = {record_name, f"{dist_info}/RECORD.jws", f"{dist_info}/RECORD.p7s"}
    files = [m.name for m in archive.members if m.kind != "dir"]
    for n in files:
        if n in unsigned:
            continue
        if n not in record:
            add(Finding("relman:record", f"{n} is in the wheel but not in RECORD"))
            continue
        digest, size = record[n]
        algo, _, expected = digest.partition("=")
        if algo not in _HASHES:
            add(
                Finding(
                    "relman:record",
                    f"RECORD hash of {n} uses {algo or 'no algorithm'}; sha256 or better is "
                    "required",
                )
            )
            continue
        if n in archive.data:
            import base64
            import hashlib

            data = archive.data[n]
            actual = (
                base64.urlsafe_b64encode(hashlib.new(algo, data).digest()).rstrip(b"=").decode()
            )
            length = len(data)
        elif n in archive.digests:
            _, actual, length = archive.digests[n]
        else:
            continue  # unreadable member: an archive finding says why
        if actual != expected:
            add(Finding("relman:record", f"{n}: hash does not match RECORD"))
        if size and size != str(length):
            add(Finding("relman:record", f"{n}: size {length} does not match RECORD ({size})"))
    present = set(names)
    for n in record:
        if n not in present:
            add(Finding("relman:record", f"RECORD lists {n}, which is not in the wheel"))
    data_dir = dist_info[: -len(".dist-info")] + ".data"
    for n in files:
        parts = PurePosixPath(n).parts
        if n.startswith("/") or ".." in parts:
            add(Finding("relman:contents", f"{n}: path outside the installation folder"))
            continue
        if n.endswith((".pyc", ".pyo")) or "__pycache__" in parts:
            add(Finding("relman:contents", f"{n}: compiled bytecode should not be shipped"))
        top = parts[0]
        if top == dist_info:
            continue
        if top == data_dir:
            if len(parts) > 3 and parts[1] in ("purelib", "platlib"):
                report.tops.add(parts[2])
            continue
        if len(parts) > 1:
            report.tops.add(top)
        if len(parts) > 1 and top in STRAY_TOP_LEVEL:
            add(
                Finding(
                    "relman:contents",
                    f"{n}: stray top-level {top!r} folder (it would install a package named {top})",
                )
            )
        elif len(parts) == 1 and not n.endswith((".py", ".pyi", ".so", ".pyd", ".pth")):
            add(
                Finding(
                    "relman:contents",
                    f"{n}: file outside the package (it would land in site-packages)",
                )
            )


# -- many files at once -----------------------------------------------------------

#: below this many bytes in all, the files are inspected in this process
PARALLEL_BYTES = 8 * 1024 * 1024


def _inspect_some(paths: Sequence[Path], public: bool) -> list[tuple[FileReport, str]]:
    return [(inspect_file(p, public=public), sha256_file(p)) for p in paths]


def _workers(paths: Sequence[Path]) -> int:
    """How many processes inspect ``paths``: one per CPU, one when little is to do.

    Worker processes are forked, so they start at once with what this process
    has imported; where forking is not how processes start (Windows, macOS) or
    not safe (another thread runs here), the files are inspected in this process.
    """
    import os
    import sys
    import threading

    if len(paths) < 2 or sys.platform != "linux" or threading.active_count() > 1:
        return 1
    if sum(p.stat().st_size for p in paths) < PARALLEL_BYTES:
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, len(paths)))


def _import_for_workers() -> None:
    """Import here, once, what every worker needs (forked workers share it)."""
    import packaging.metadata
    import packaging.requirements
    import packaging.utils
    import readme_renderer.rst
    import trove_classifiers
    import zlib_ng.zlib_ng  # type: ignore[import-not-found,unused-ignore]

    del packaging, readme_renderer, trove_classifiers, zlib_ng


def _tasks(paths: Sequence[Path], workers: int) -> list[list[Path]]:
    """The files in batches, the largest first: one batch per project (its files
    share a long description, rendered once in a process), and a file a batch
    for a project that would keep one worker busy alone (a release's wheels).
    """
    from packaging.utils import canonicalize_name

    size = {p: p.stat().st_size for p in paths}
    share = sum(size.values()) / (2 * workers)
    by_project: dict[str, list[Path]] = {}
    for p in paths:
        if p.name.endswith(".whl"):
            project = p.name.split("-", 1)[0]
        else:  # name-version.tar.gz, the name perhaps with hyphens of its own
            project = p.name.rsplit("-", 1)[0]
        by_project.setdefault(canonicalize_name(project), []).append(p)
    tasks: list[list[Path]] = []
    for group in by_project.values():
        if sum(size[p] for p in group) > share:
            tasks += [[p] for p in group]
        else:
            tasks.append(group)
    return sorted(tasks, key=lambda t: sum(size[p] for p in t), reverse=True)


def _inspect_files(
    paths: Sequence[Path], *, public: bool
) -> tuple[list[FileReport], dict[Path, str]]:
    """Each file's report and sha256, the files spread over one process per CPU.

    Inflating and hashing a wheel's members (to check RECORD) and rendering
    the long description take the time; a process per CPU, the largest
    batches first, keeps every CPU busy. Each file is read once (and once
    more, from the page cache, for its own sha256).
    """
    workers = _workers(paths)
    if workers == 1:
        done = dict(zip(paths, _inspect_some(paths, public), strict=True))
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        _import_for_workers()
        tasks = _tasks(paths, workers)
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            results = pool.map(_inspect_some, tasks, [public] * len(tasks))
            done = {
                p: r
                for task, rs in zip(tasks, results, strict=True)
                for p, r in zip(task, rs, strict=True)
            }
    return [done[p][0] for p in paths], {p: done[p][1] for p in paths}


# -- sdists against git ------------------------------------------------------------


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


def _git_files_for(
    config: Config, version: str | None, rev: str | None
) -> tuple[list[str] | None, str]:
    """Tracked files of the project at the release (tag, or ``rev``, or HEAD)."""
    from relman.artifacts.build import project_subdir
    from relman.git import find_repo

    try:
        repo = find_repo(config.project_dir)
    except (NotARepository, CommandError):
        return None, "no git repository"
    if rev is None:
        tag = config.tag_for(version) if version else None
        rev = tag if tag and repo.rev_parse(tag) else "HEAD"
    if repo.rev_parse(rev) is None:
        return None, f"{rev} does not exist"
    try:
        sub = project_subdir(config, repo)
    except UsageError:
        return None, "the project is not in this repository"
    prefix = "" if str(sub) == "." else f"{sub}/"
    files = repo.tree_files(rev, prefix.rstrip("/"))
    return [f[len(prefix) :] for f in files if f.startswith(prefix)], rev


# -- a set of files ----------------------------------------------------------------


def inspect_artifacts(
    config: Config | None,
    paths: Sequence[Path],
    *,
    version: str | None = None,
    rev: str | None = None,
    matrix: bool = False,
    allow_missing_wheels: bool | None = None,
    public: bool = True,
) -> InspectReport:
    """Inspect release files: each file's rules, then what the set must agree on.

    With a ``config`` (a project), names must be the project's and the sdist
    is compared with git (``rev``, default: the release tag when it exists,
    else HEAD); without one only the files are looked at. ``version`` is the
    release version every file must carry (default: the files must agree).
    ``matrix`` checks the expected wheels (``[tool.relman.build] wheels``, or
    derived from the metadata): missing ones are problems unless
    ``allow_missing_wheels``. ``public`` applies the public index's rules as
    errors; otherwise they warn.
    """
    from packaging.utils import canonicalize_name
    from packaging.version import InvalidVersion, Version

    paths = [Path(p) for p in paths]
    if not paths:
        raise UsageError("no artifacts to inspect", hint="build first: `relman build`")
    for p in paths:
        if not p.is_file():
            raise UsageError(f"{p} does not exist")
    reports, sha = _inspect_files(paths, public=public)
    shared: list[Finding] = []
    names = {canonicalize_name(str(r.meta.name)) for r in reports if r.meta and r.meta.name}
    if config is not None:
        want = canonicalize_name(config.name)
        for r in reports:
            if r.meta and r.meta.name and canonicalize_name(r.meta.name) != want:
                r.findings.append(
                    Finding("relman:release", f"metadata Name {r.meta.name} is not {config.name}")
                )
    elif len(names) > 1:
        shared.append(  # files of several projects inspected at once, as twine check does
            Finding(
                "relman:release",
                f"the files are of different projects: {', '.join(sorted(names))}",
                "warning",
            )
        )
    if version is not None:
        try:
            want_v = Version(version)
        except InvalidVersion:
            raise UsageError(f"{version!r} is not a valid PEP 440 version") from None
        for r in reports:
            try:
                if r.meta and r.meta.version and Version(r.meta.version) != want_v:
                    r.findings.append(
                        Finding(
                            "relman:release",
                            f"metadata Version {r.meta.version} is not the release version {version}",
                        )
                    )
            except InvalidVersion:
                pass
    else:
        found = versions_in_names(paths)
        if len(found) > 1:
            shared.append(
                Finding(
                    "relman:release",
                    f"the files carry different versions: {', '.join(found)}",
                    "error" if config is not None else "warning",
                )
            )
    # the sdist against git
    vs_git: dict[str, Any] = {}
    sdists = [r for r in reports if r.kind == "sdist" and r.files]
    tops = set().union(*(r.tops for r in reports if r.kind == "wheel"))
    if sdists and config is not None:
        git_files, where = _git_files_for(config, version, rev)
        if git_files is None:
            shared.append(
                Finding("relman:sdist-git", f"sdist not compared with git: {where}", "warning")
            )
        for r in sdists:
            if git_files is None:
                continue
            missing, untracked = compare_sdist_with_git(
                r.files, git_files, _package_dirs(tops, r.files)
            )
            vs_git[r.path.name] = {
                "compared_with": where,
                "missing": missing,
                "untracked": untracked,
            }
            r.findings += [
                Finding("relman:sdist-git", f"{f} is tracked by git ({where}) but missing")
                for f in missing
            ]
            r.findings += [
                Finding("relman:sdist-git", f"{f} is not tracked by git", "warning")
                for f in untracked
            ]
    # the wheel matrix
    wheel_ids = {
        r.path.name: covered_identifiers(r.path.name)
        for r in reports
        if r.kind == "wheel"
        and not any(f.rule == "index:filename" and "valid wheel" in f.message for f in r.findings)
    }
    expected: list[str] = []
    source = "none"
    missing_w: list[str] = []
    unexpected_w: list[str] = []
    if matrix:
        allow = (
            (config.build.allow_missing_wheels if config is not None else False)
            if allow_missing_wheels is None
            else allow_missing_wheels
        )
        if wheel_ids:
            pure = all(i.endswith("-none-any") for ids in wheel_ids.values() for i in ids)
        else:
            pure = all(_sdist_is_pure(r.files) for r in sdists)
        meta = next((r.meta for r in reports if r.meta is not None), None)
        expected, source = _expected_wheels(config, meta, pure=pure, shared=shared)
        missing_w, unexpected_w = match_wheels(expected, wheel_ids)
        strict = source in ("cibuildwheel", "config") or pure
        for pat in missing_w:
            shared.append(
                Finding(
                    "relman:matrix",
                    f"no wheel for {pat} (expected by the {source} wheel matrix)",
                    "error" if strict and not allow else "warning",
                )
            )
        for fname in unexpected_w:
            shared.append(
                Finding(
                    "relman:matrix",
                    f"{fname}: not in the {source} wheel matrix ({', '.join(expected)})",
                    "warning",
                )
            )
    return _report(reports, sha, shared, expected, source, missing_w, unexpected_w, vs_git)


def _expected_wheels(
    config: Config | None, meta: Meta | None, *, pure: bool, shared: list[Finding]
) -> tuple[list[str], str]:
    """(expected identifiers, where they come from).

    In a project: cibuildwheel's identifiers (:func:`relman.matrix.expected_matrix`,
    the list the generated CI workflow builds), narrowed by ``[tool.relman.build]
    wheels``; pure when the files are. Without cibuildwheel, or outside a project: the configured list,
    else one derived from the metadata.
    """
    from relman.errors import ToolNotFound

    if config is not None:
        from relman.matrix import PURE_IDENTIFIER, expected_matrix

        selectors = list(config.build.wheels)
        pure = selectors == [PURE_IDENTIFIER] or (not selectors and pure)
        try:
            found = expected_matrix(config.project_dir, selectors=selectors, pure=pure)
            return found.identifiers, "cibuildwheel"
        except (ToolNotFound, CommandError) as exc:
            shared.append(
                Finding(
                    "relman:matrix",
                    f"the expected wheels are not cibuildwheel's: {exc.message}",
                    "warning",
                )
            )
        if config.build.wheels:
            return list(config.build.wheels), "config"
    return derive_wheel_matrix(meta, pure=pure), "derived"


def _report(
    reports: list[FileReport],
    sha: dict[Path, str],
    shared: list[Finding],
    expected: list[str],
    source: str,
    missing: list[str],
    unexpected: list[str],
    vs_git: dict[str, Any],
) -> InspectReport:
    infos: list[ArtifactInfo] = []
    problems: list[str] = []
    warnings: list[str] = []
    everything: list[tuple[str, Finding]] = []
    for r in reports:
        meta = r.meta or Meta()
        errs = tuple(str(f) for f in r.findings if f.severity == "error")
        warns = tuple(str(f) for f in r.findings if f.severity != "error")
        infos.append(
            ArtifactInfo(
                path=r.path,
                kind=r.kind,
                size=r.path.stat().st_size,
                sha256=sha[r.path],
                name=meta.name,
                version=meta.version,
                metadata_version=meta.metadata_version,
                requires_python=meta.requires_python,
                requires_dist=meta.requires_dist,
                license_expression=meta.license_expression,
                classifiers=meta.classifiers,
                identifiers=covered_identifiers(r.path.name)
                if r.kind == "wheel" and not errs_name(r)
                else (),
                problems=errs,
                warnings=warns,
                findings=tuple(r.findings),
            )
        )
        problems += [f"{r.path.name}: {e}" for e in errs]
        warnings += [f"{r.path.name}: {w}" for w in warns]
        everything += [(r.path.name, f) for f in r.findings]
    problems += [str(f) for f in shared if f.severity == "error"]
    warnings += [str(f) for f in shared if f.severity != "error"]
    everything += [("", f) for f in shared]
    return InspectReport(
        artifacts=tuple(infos),
        problems=tuple(problems),
        warnings=tuple(warnings),
        expected_wheels=tuple(expected),
        matrix_source=source,
        missing_wheels=tuple(missing),
        unexpected_wheels=tuple(unexpected),
        sdist_vs_git=vs_git,
        findings=tuple(everything),
    )


def errs_name(r: FileReport) -> bool:
    """Whether the wheel's file name does not parse."""
    return any(f.rule == "index:filename" and "valid wheel" in f.message for f in r.findings)
