"""`relman build`, `inspect`, `verify`, `checksums`, `verify-signatures`."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from relman.commands._common import echo, emit, get_state, global_options, message, table

if TYPE_CHECKING:
    from relman.config import Config

_DIR = click.Path(exists=True, file_okay=False, path_type=Path)
_PATHS = click.Path(exists=True, path_type=Path)
_PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg")


def _files_of(config: Config, files: list[Path]) -> bool:
    """Whether any of ``files`` carries the project's name."""
    from packaging.utils import canonicalize_name

    want = canonicalize_name(config.name)
    return any(canonicalize_name(f.name.split("-", 1)[0]) == want for f in files)


def _artifacts_from(config: Config | None, paths: tuple[Path, ...]) -> list[Path]:
    """The artifacts named on the command line: folders (default: the build outdir) or files.

    ``relman inspect dist/*`` works as ``twine check dist/*`` does; other
    files in the list (SHA256SUMS, signatures) are left out.
    """
    from relman.artifacts import artifact_files, artifact_kind
    from relman.errors import UsageError

    if not paths:
        assert config is not None
        outdir = (config.project_dir / config.build.outdir).resolve()
        found = artifact_files(outdir) if outdir.is_dir() else []
        return found or _last_release_files(config) or artifact_files(outdir)
    files: list[Path] = []
    for path in paths:
        path = path.resolve()
        if path.is_dir():
            files.extend(artifact_files(path))
        elif artifact_kind(path):
            files.append(path)
    files = sorted(set(files), key=lambda p: (artifact_kind(p) != "wheel", p.name))
    if not files:
        raise UsageError(
            "no sdist or wheel among " + ", ".join(str(p) for p in paths),
            hint="pass the dist folder or the .tar.gz/.whl files",
        )
    return files


def _last_release_files(config: Config) -> list[Path]:
    """The artifacts of the most recent `relman release`, kept in the git directory."""
    from relman.artifacts import artifact_files
    from relman.errors import NotARepository
    from relman.git import find_repo

    try:
        state_dir = find_repo(config.project_dir).git_dir / "relman"
    except NotARepository:
        return []
    dists = [d for d in state_dir.glob("*/dist") if artifact_files(d)]
    if not dists:
        return []
    newest = max(dists, key=lambda d: d.stat().st_mtime)
    message(f"inspecting the files of the last release, in {newest}")
    return artifact_files(newest)


def _release_version(paths: list[Path], given: str | None) -> str:
    """The version being released: --version, else the one every file name carries."""
    from relman.artifacts import versions_in_names
    from relman.errors import UsageError

    if given:
        return given
    found = versions_in_names(paths)
    if len(found) != 1:
        raise UsageError(
            "cannot tell the release version from the file names"
            + (f" (they carry {', '.join(found)})" if found else ""),
            hint="pass --version VERSION",
        )
    return found[0]


def _default_logdir(config: Config, version: str) -> Path:
    from relman.errors import NotARepository
    from relman.git import find_repo

    try:
        return find_repo(config.project_dir).git_dir / "relman" / "logs" / f"verify-{version}"
    except NotARepository:
        return Path(tempfile.gettempdir()) / f"relman-verify-{config.name}-{version}"


@click.command()
@click.option("--sdist", "sdist", is_flag=True, help="Build the sdist (default: both).")
@click.option("--wheel", "wheel", is_flag=True, help="Build the wheel (default: both).")
@click.option(
    "--outdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the files go (default: [tool.relman.build] outdir, `dist`).",
)
@click.option(
    "--rev",
    default=None,
    help="Commit or tag to build (default: the tag of --version when it exists, else HEAD).",
)
@click.option("--version", "version", default=None, help="Release version the names must carry.")
@global_options()
def build(
    sdist: bool, wheel: bool, outdir: Path | None, rev: str | None, version: str | None
) -> None:
    """Build the sdist and wheel from a clean `git archive` export of a commit.

    The working tree is never used: uncommitted changes are not built.
    SOURCE_DATE_EPOCH is the commit time, so builds are reproducible.
    """
    from relman.artifacts import build_artifacts, sha256_file
    from relman.git import find_repo

    state = get_state()
    config = state.config()
    repo = find_repo(config.project_dir)
    if not sdist and not wheel:
        sdist = wheel = True
    if rev is None:
        tag = config.tag_for(version) if version else None
        rev = tag if tag and repo.rev_parse(tag) else "HEAD"
    target = outdir or (config.project_dir / config.build.outdir)
    sha = repo.rev_parse(rev)
    kinds = [k for k, on in (("sdist", sdist), ("wheel", wheel)) if on]
    if state.dry_run:
        plan = {"rev": rev, "commit": sha, "outdir": str(target), "build": kinds, "written": []}
        emit(
            plan,
            lambda: message(
                f"would build {' and '.join(kinds)} of {config.name} from {rev} "
                f"({(sha or '?')[:12]}) into {target}"
            ),
        )
        return
    if repo.is_dirty(untracked=False):
        message(f"note: uncommitted changes are not built; building {rev} from git")
    files = build_artifacts(
        config, repo, rev=rev, outdir=target, sdist=sdist, wheel=wheel, version=version
    )
    rows = [(f.name, f.stat().st_size, sha256_file(f)) for f in files]
    emit(
        {
            "rev": rev,
            "commit": sha,
            "outdir": str(target),
            "files": [
                {"path": str(f), "size": s, "sha256": h}
                for f, (_, s, h) in zip(files, rows, strict=True)
            ],
        },
        lambda: table(("file", "size", "sha256"), rows),
    )


def _inspect_data(report: Any) -> dict[str, Any]:
    from relman.commands._common import as_plain

    return {
        "ok": report.ok,
        "problems": list(report.problems),
        "warnings": list(report.warnings),
        "wheel_matrix": {
            "source": report.matrix_source,
            "expected": list(report.expected_wheels),
            "missing": list(report.missing_wheels),
            "unexpected": list(report.unexpected_wheels),
        },
        "sdist_vs_git": report.sdist_vs_git,
        "findings": [
            {"file": file, "rule": f.rule, "severity": f.severity, "message": f.message}
            for file, f in report.findings
        ],
        "artifacts": [
            {
                **{k: v for k, v in as_plain(a).items() if k != "findings"},
                "ok": a.ok,
                "path": str(a.path),
            }
            for a in report.artifacts
        ],
    }


def _project_config() -> Config | None:
    """The project's configuration, or None outside any project (inspect works anywhere)."""
    from relman.errors import ConfigError, UsageError

    state = get_state()
    if state.project is None and not any(
        (d / n).is_file() for d in (Path.cwd(), *Path.cwd().parents) for n in _PROJECT_FILES
    ):
        return None  # nowhere near a project: leave the configuration unread
    try:
        return state.config()
    except ConfigError:
        raise
    except UsageError:
        return None


@click.command()
@click.argument("paths", metavar="[DIRECTORY|FILE]...", type=_PATHS, nargs=-1)
@click.option(
    "--version", "version", default=None, help="Release version (default: the files must agree)."
)
@click.option("--rev", default=None, help="Commit the sdist is compared with (default: the tag).")
@click.option(
    "--matrix",
    is_flag=True,
    help="Also check that every expected wheel is there (the release does).",
)
@click.option(
    "--allow-missing-wheels",
    is_flag=True,
    default=None,
    help="With --matrix: missing wheels are warnings, not problems.",
)
@click.option(
    "--private-index",
    is_flag=True,
    help="The files go to a private index: the public index's upload rules only warn.",
)
@global_options(dry_run=False)
def inspect(
    paths: tuple[Path, ...],
    version: str | None,
    rev: str | None,
    matrix: bool,
    allow_missing_wheels: bool | None,
    private_index: bool,
) -> None:
    """Hold sdists and wheels to the rules of twine check, of the index's upload and
    relman's own: the FILEs given, or those in DIRECTORY (default: the project's dist).

    Works anywhere, like `twine check`: inside a project, names are checked
    against it and the sdist against git. Exit 1 when a file breaks a rule
    whose severity is error; warnings do not fail.
    """
    from relman.artifacts import inspect_artifacts
    from relman.errors import CheckFailed, UsageError

    config = _project_config()
    if config is None and not paths:
        raise UsageError(
            "no files to inspect (and no project here)",
            hint="pass the sdists and wheels: `relman inspect dist/*`",
        )
    files = _artifacts_from(config, paths)
    if config is not None and not _files_of(config, files):
        config = None  # files of another project: inspected as files alone
    report = inspect_artifacts(
        config,
        files,
        version=version,
        rev=rev,
        matrix=matrix,
        allow_missing_wheels=allow_missing_wheels or None,
        public=not private_index,
    )

    def render() -> None:
        table(
            ("file", "name", "version", "metadata", "requires-python", "license", "result"),
            [
                (
                    a.path.name,
                    a.name,
                    a.version,
                    a.metadata_version,
                    a.requires_python or "-",
                    a.license_expression or "-",
                    "ok" if a.ok else f"{len(a.problems)} problem(s)",
                )
                for a in report.artifacts
            ],
        )
        if matrix:
            echo(
                f"wheel matrix ({report.matrix_source}): "
                + (", ".join(report.expected_wheels) or "-")
                + (
                    f"; missing: {', '.join(report.missing_wheels)}"
                    if report.missing_wheels
                    else ""
                )
            )
        for w in report.warnings:
            echo(f"warning: {w}")
        for p in report.problems:
            echo(f"problem: {p}")

    emit(_inspect_data(report), render)
    if not report.ok:
        raise CheckFailed(
            f"{len(report.problems)} problem(s) in "
            + ", ".join(sorted({str(f.parent) for f in files})),
            hint="fix them and rebuild; `relman inspect --json` gives the details",
        )


@click.command()
@click.argument("paths", metavar="[DIRECTORY|FILE]...", type=_PATHS, nargs=-1)
@click.option(
    "--version", "version", default=None, help="Release version (default: from the names)."
)
@click.option(
    "--logdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where logs go (default: .git/relman/logs/verify-VERSION).",
)
@global_options(dry_run=False)
def verify(paths: tuple[Path, ...], version: str | None, logdir: Path | None) -> None:
    """Install and test the artifacts in DIRECTORY (or the FILEs given) in fresh
    environments, as a user would.

    The sdist is built and installed without the repository; each wheel that
    fits this interpreter is installed into its own environment; then the
    test command runs. Exit 1 on any failure; the log path is printed.
    """
    from relman.errors import CheckFailed
    from relman.verify import verify_artifacts

    config = get_state().config()
    files = _artifacts_from(config, paths)
    version = _release_version(files, version)
    logs = logdir or _default_logdir(config, version)
    report = verify_artifacts(config, files, version=version, logdir=logs)

    def render() -> None:
        table(
            ("file", "kind", "result", "detail"),
            [(r.artifact, r.kind, r.status.upper(), r.detail) for r in report.results],
        )
        for r in report.failures:
            echo(f"log of {r.artifact}: {r.log}")

    emit(
        {
            "ok": report.ok,
            "logdir": str(report.logdir),
            "results": [
                {
                    "artifact": r.artifact,
                    "kind": r.kind,
                    "status": r.status,
                    "detail": r.detail,
                    "log": str(r.log) if r.log else None,
                    "steps": [
                        {
                            "step": s.step,
                            "ok": s.ok,
                            "seconds": s.seconds,
                            "log": str(s.log) if s.log else None,
                        }
                        for s in r.steps
                    ],
                }
                for r in report.results
            ],
        },
        render,
    )
    if not report.ok:
        failed = report.failures
        if failed:
            raise CheckFailed(
                f"{len(failed)} of {len(report.results)} artifact(s) failed verification: "
                + "; ".join(f"{r.artifact}: {r.detail}" for r in failed),
                hint=f"the failing command's output is in {failed[0].log}",
            )
        raise CheckFailed(
            "nothing could be verified here (no sdist, no wheel for this interpreter)"
        )


@click.command()
@click.argument("directory", type=_DIR, required=False)
@click.option(
    "--version", "version", default=None, help="Release version (default: from the names)."
)
@click.option(
    "--sign/--no-sign",
    default=None,
    help="Write detached signatures (default: when [tool.relman.build] sign is set).",
)
@global_options()
def checksums(directory: Path | None, version: str | None, sign: bool | None) -> None:
    """Write SHA256SUMS, README.rst and README.md (and signatures) in DIRECTORY."""
    from relman.artifacts import artifact_files, write_checksums, write_release_readme
    from relman.signing import sign_files, signable_files

    state = get_state()
    config = state.config()
    directory = (directory or (config.project_dir / config.build.outdir)).resolve()
    files = artifact_files(directory)
    version = _release_version(files, version)
    do_sign = (config.build.sign != "none") if sign is None else sign
    planned = [directory / "SHA256SUMS", directory / "README.rst", directory / "README.md"]
    if state.dry_run:
        emit(
            {"would_write": [str(p) for p in planned], "sign": do_sign},
            lambda: message(
                "would write "
                + ", ".join(p.name for p in planned)
                + (" and signatures" if do_sign else "")
            ),
        )
        return
    written = [write_checksums(directory), *write_release_readme(directory, version)]
    signatures = sign_files(config, signable_files(directory)) if do_sign else []

    def render() -> None:
        for p in (*written, *signatures):
            echo(str(p))

    emit({"written": [str(p) for p in written], "signatures": [str(p) for p in signatures]}, render)


@click.command("verify-signatures")
@click.argument("directory", type=_DIR, required=False)
@global_options(dry_run=False)
def verify_signatures(directory: Path | None) -> None:
    """Check the detached signatures of the artifacts and SHA256SUMS in DIRECTORY."""
    from relman.errors import CheckFailed
    from relman.signing import signable_files
    from relman.signing import verify_signatures as check

    config = get_state().config()
    directory = (directory or (config.project_dir / config.build.outdir)).resolve()
    problems = check(config, directory)
    files = signable_files(directory)

    def render() -> None:
        for p in problems:
            echo(f"problem: {p}")
        if not problems:
            echo(f"{len(files)} signature(s) good")

    emit({"ok": not problems, "files": [f.name for f in files], "problems": problems}, render)
    if problems:
        raise CheckFailed(f"{len(problems)} signature problem(s) in {directory}")
