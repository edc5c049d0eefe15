"""`relman wheels fetch`: wheels built elsewhere, from a PEP 503/691 staging index."""

from __future__ import annotations

from pathlib import Path

import click

from relman.commands._common import emit, get_state, global_options, message, table


@click.group()
@global_options(dry_run=False)
def wheels() -> None:
    """Wheels built elsewhere (CI, a staging index)."""


@wheels.command()
@click.argument("name")
@click.argument("version")
@click.option(
    "--from",
    "from_",
    default=None,
    help=(
        "Simple index URL (PEP 503/691), folder, or github-actions[:RUN] "
        "(default: build.wheels-from)."
    ),
)
@click.option(
    "--platform",
    type=click.Choice(["win", "macosx", "manylinux", "musllinux"]),
    default=None,
    help="Only wheels for this platform.",
)
@click.option(
    "--dest",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write to (default: build.outdir of the project).",
)
@click.option("--workers", type=click.IntRange(min=1), default=8, help="Parallel downloads.")
@global_options(dry_run=False)
def fetch(
    name: str,
    version: str,
    from_: str | None,
    platform: str | None,
    dest: Path | None,
    workers: int,
) -> None:
    """Download every file of NAME VERSION from a staging index, verifying its hashes.

    Files already in the destination with the same hash are skipped; one
    with a different hash stops the fetch before anything is downloaded.
    """
    from relman import index
    from relman.errors import UsageError

    state = get_state()
    config = None
    if from_ is None or dest is None:
        config = state.config()
        if from_ is None:
            from_ = config.build.wheels_from
        if dest is None:
            dest = config.project_dir / config.build.outdir
    if not from_:
        raise UsageError("no staging index given", hint="pass --from URL or set build.wheels-from")
    assert dest is not None
    if from_.split(":", 1)[0] == "github-actions":
        _fetch_from_actions(from_, name, version, dest, workers)
        return
    report = index.fetch_files(
        from_, name, version, dest=dest, platform=platform, config=config, workers=workers
    )

    def render() -> None:
        table(
            ("file", "status", "sha256"),
            [
                (f.filename, f.status, f.sha256[:16] + ("" if f.verified else " (index gave none)"))
                for f in report.files
            ],
            title=f"{report.project} {report.version} from {report.index_url}",
        )
        got = sum(1 for f in report.files if f.status == "downloaded")
        message(f"{got} downloaded, {len(report.files) - got} already present, into {dest}")

    emit(report.as_dict(), render)


def _fetch_from_actions(source: str, name: str, version: str, dest: Path, workers: int) -> None:
    """``--from github-actions[:RUN]``: the artifacts of the run for the release tag's commit."""
    from relman import actions
    from relman.ci import project_matrix
    from relman.errors import NothingToDo, UsageError
    from relman.git import find_repo

    config = get_state().config()
    client = actions.ci_forge(config)
    if client is None:
        raise UsageError(
            "GitHub is not configured: no repository or no token",
            hint=f"set [tool.relman.github] repo (or ci.repo) and ${config.github.token_env}",
        )
    repo = find_repo(config.project_dir)
    run_id = actions.parse_source(source)
    expected = project_matrix(config).identifiers
    with client:
        if run_id is None:
            tag = config.tag_for(version)
            sha = repo.rev_parse(f"{tag}^{{commit}}")
            if sha is None:
                raise UsageError(
                    f"tag {tag} does not exist here", hint="pass --from github-actions:RUN"
                )
            run = actions.find_run(client, actions.workflow_id(config), head_sha=sha)
            if run is None:
                raise NothingToDo(
                    f"no run of {actions.workflow_id(config)} for {tag} ({sha[:12]})",
                    hint="start one with `relman ci run --ref " + tag + "`",
                )
            run_id = run.id
        report = actions.fetch_artifacts(
            client,
            run_id,
            dest=dest,
            cache=repo.git_dir / "relman" / "ci-artifacts" / str(run_id),
            name=name,
            version=version,
            expected=expected,
            workers=workers,
        )

    def render() -> None:
        table(
            ("file", "artifact", "sha256"),
            [(f.filename, f.artifact, f.sha256[:16]) for f in report.files],
            title=f"{name} {version} from run {run_id}",
        )
        message(
            f"{len(report.downloaded)} artifacts downloaded, {len(report.reused)} already "
            f"present; {len(report.files)} files into {dest}"
        )

    emit(report.as_dict(), render)
