"""`relman ci`: the GitHub Actions workflow that builds, checks and publishes the wheels.

``ci init`` writes the workflow (``--dry-run`` prints it; an existing file is
kept unless ``--force``), ``ci check`` says whether the file still matches what
relman would write (exit 1 when not), ``ci matrix`` shows the expected wheels
as a platforms x Pythons table. ``ci run``, ``ci status`` and
``ci rerun-failed`` drive the workflow on GitHub.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from relman.commands._common import echo, emit, get_state, global_options, message, table

if TYPE_CHECKING:
    from relman.actions import Run
    from relman.config import Config
    from relman.forge import Forge


@click.group()
@global_options(dry_run=False)
def ci() -> None:
    """The CI workflow that builds every wheel (GitHub Actions)."""


@ci.command()
@click.option("--force", is_flag=True, help="Overwrite a workflow file that differs.")
@global_options()
def init(force: bool) -> None:
    """Write the release workflow (path: ci.workflow); --dry-run prints it."""
    from relman import _atomic
    from relman.ci import workflow_for, workflow_path, workflow_state
    from relman.errors import UsageError

    state = get_state()
    config = state.config()
    text = workflow_for(config)
    path = workflow_path(config)
    if state.dry_run:
        echo(text.rstrip("\n"))
        return
    current = workflow_state(path, text)
    if current.state == "current":
        message(f"{path} is already what relman writes")
    elif current.state != "missing" and not force:
        raise UsageError(
            f"{path} exists and differs from the workflow relman would write",
            hint="compare with `relman ci init --dry-run`; pass --force to overwrite it",
        )
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        _atomic.write_text(path, text)
        message(f"wrote {path}")
    emit({"path": str(path), "state": "current"}, lambda: None)


@ci.command()
@global_options(dry_run=False)
def check() -> None:
    """Whether the workflow on disk is what relman would write (exit 1 when not)."""
    from relman.ci import workflow_for, workflow_path, workflow_state
    from relman.errors import CheckFailed

    config = get_state().config()
    path = workflow_path(config)
    result = workflow_state(path, workflow_for(config))
    emit({"path": str(path), "state": result.state}, lambda: echo(f"{path}: {result.state}"))
    if not result.ok:
        hints = {
            "missing": "write it with `relman ci init`",
            "changed": "the configuration changed since it was written: `relman ci init --force`",
            "foreign": "relman did not write this file; `relman ci init --force` replaces it",
        }
        raise CheckFailed(f"{path} is {result.state}", hint=hints[result.state])


@ci.command("matrix")
@click.option(
    "--dist",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Mark each expected wheel present or missing in this folder (exit 1 when one is missing).",
)
@global_options(dry_run=False)
def matrix_cmd(dist: Path | None) -> None:
    """The expected wheels (from cibuildwheel) as CI jobs and a platforms x Pythons table."""
    import fnmatch

    from relman.artifacts import wheel_identifiers
    from relman.ci import project_matrix
    from relman.errors import CheckFailed
    from relman.matrix import matrix_table

    m = project_matrix(get_state().config())
    provided = (
        [i for p in sorted(dist.glob("*.whl")) for i in wheel_identifiers(p.name)]
        if dist is not None
        else None
    )

    def covers(ident: str) -> bool:
        return provided is None or any(fnmatch.fnmatchcase(i, ident) for i in provided)

    t = matrix_table(m.identifiers, covers)
    marks = {"present": "x" if dist is None else "present", "missing": "MISSING", "": ""}

    def render() -> None:
        table(
            ("job", "runner", "wheels"),
            [(j.name, j.runner, len(j.identifiers)) for j in m.jobs],
            title=f"{len(m.identifiers)} expected wheels",
        )
        table(
            ("platform", *t.pythons),
            [(plat, *(marks[t.cell(plat, py)] for py in t.pythons)) for plat in t.platforms],
        )

    emit(
        {
            "identifiers": m.identifiers,
            "jobs": [
                {"name": j.name, "runner": j.runner, "identifiers": list(j.identifiers)}
                for j in m.jobs
            ],
            "missing": t.missing if dist is not None else [],
        },
        render,
    )
    if dist is not None and t.missing:
        raise CheckFailed(
            f"{len(t.missing)} expected wheel(s) missing in {dist}: {', '.join(t.missing)}",
            hint="fetch them (`relman wheels fetch --from github-actions`) or build them",
        )


# -- driving the workflow -----------------------------------------------------------


def _forge() -> tuple[Config, Forge]:
    from relman.actions import ci_forge
    from relman.errors import UsageError

    config = get_state().config()
    client = ci_forge(config)
    if client is None:
        raise UsageError(
            "GitHub is not configured: no repository or no token",
            hint=f"set [tool.relman.github] repo (or ci.repo) and ${config.github.token_env}",
        )
    return config, client


def _fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    m, s = divmod(int(seconds), 60)
    return f"{m}m{s:02d}s" if m else f"{s}s"


def _job_rows(run: Run) -> list[tuple[str, str, str]]:
    return [(j.name, j.state, _fmt_duration(j.duration)) for j in run.jobs]


def _run_title(run: Run) -> str:
    state = run.conclusion if run.done else run.status.replace("_", " ")
    return f"run {run.id} ({state}) {run.html_url}"


def _run_dict(run: Run) -> dict[str, object]:
    return {
        "id": run.id,
        "status": run.status,
        "conclusion": run.conclusion,
        "head_sha": run.head_sha,
        "url": run.html_url,
        "jobs": [{"name": j.name, "state": j.state, "duration": j.duration} for j in run.jobs],
    }


def follow_run(client: Forge, run_id: int, *, poll: float, timeout: float) -> Run:
    """Follow a run with a live job table on a terminal, a line per change otherwise."""
    import sys

    from relman.actions import wait_for_run
    from relman.commands._common import _color_enabled, console

    state = get_state()
    if not state.json and _color_enabled(sys.stderr):
        from rich.live import Live
        from rich.table import Table

        def render(run: Run) -> Any:
            t = Table("job", "state", "duration", title=_run_title(run))
            for row in _job_rows(run):
                t.add_row(*row)
            return t

        with Live(console=console(stderr=True), refresh_per_second=4) as live:
            return wait_for_run(
                client,
                run_id,
                poll=poll,
                timeout=timeout,
                on_update=lambda r: live.update(render(r)),
            )
    last: dict[str, str] = {}

    def changed(run: Run) -> None:
        for job in run.jobs:
            if last.get(job.name) != job.state:
                last[job.name] = job.state
                message(f"{job.name}: {job.state} {_fmt_duration(job.duration)}".rstrip())

    return wait_for_run(client, run_id, poll=poll, timeout=timeout, on_update=changed)


def _finish(run: Run) -> None:
    from relman.errors import CheckFailed

    emit(
        _run_dict(run),
        lambda: table(("job", "state", "duration"), _job_rows(run), title=_run_title(run)),
    )
    if run.done and not run.ok:
        failed = [j.name for j in run.jobs if j.state == "failed"]
        raise CheckFailed(
            f"run {run.id} {run.conclusion}" + (f": {', '.join(failed)} failed" if failed else ""),
            hint=f"re-run the failed jobs with `relman ci rerun-failed {run.id}`",
        )


@ci.command()
@click.option(
    "--ref", default=None, help="Commit, branch or tag to build (default: HEAD's tag or HEAD)."
)
@click.option(
    "--environment",
    type=click.Choice(["none", "testpypi", "pypi"]),
    default="none",
    show_default=True,
    help="Where the workflow's publish job uploads.",
)
@click.option("--no-wait", is_flag=True, help="Print the run id and return.")
@global_options(dry_run=False)
def run(ref: str | None, environment: str, no_wait: bool) -> None:
    """Dispatch the workflow for the release commit and follow its run."""
    from relman.actions import start_run, workflow_id
    from relman.git import find_repo

    config, client = _forge()
    repo = find_repo(config.project_dir)
    head = repo.head()
    if ref is None:
        tags = repo.tags_at("HEAD")
        ref = tags[0] if tags else head
    sha = repo.rev_parse(f"{ref}^{{commit}}") or head
    wf = workflow_id(config)
    with client:
        run_id = start_run(
            client,
            config,
            ref=ref,
            head_sha=sha,
            environment=environment,
            poll=min(2.0, config.ci.poll),
        )
        if no_wait:
            emit({"id": run_id}, lambda: echo(str(run_id)))
            return
        message(f"run {run_id} of {wf} for {ref}")
        result = follow_run(client, run_id, poll=config.ci.poll, timeout=config.ci.timeout)
    _finish(result)


@ci.command()
@click.argument("run_id", metavar="RUN", type=int, required=False)
@global_options(dry_run=False)
def status(run_id: int | None) -> None:
    """The jobs of a run (default: the newest run for HEAD), once."""
    from relman.actions import find_run, get_run, workflow_id
    from relman.errors import NothingToDo
    from relman.git import find_repo

    config, client = _forge()
    with client:
        if run_id is None:
            sha = find_repo(config.project_dir).head()
            found = find_run(client, workflow_id(config), head_sha=sha)
            if found is None:
                raise NothingToDo(
                    f"no run of {workflow_id(config)} for {sha[:12]}",
                    hint="start one with `relman ci run`",
                )
            run_id = found.id
        result = get_run(client, run_id)
    _finish(result)


@ci.command("rerun-failed")
@click.argument("run_id", metavar="RUN", type=int)
@click.option("--no-wait", is_flag=True, help="Return once the jobs are queued again.")
@global_options(dry_run=False)
def rerun_failed_cmd(run_id: int, no_wait: bool) -> None:
    """Re-run the failed jobs of RUN and follow it again."""
    from relman.actions import rerun_failed

    config, client = _forge()
    with client:
        rerun_failed(client, run_id)
        message(f"re-running the failed jobs of run {run_id}")
        if no_wait:
            emit({"id": run_id}, lambda: echo(str(run_id)))
            return
        result = follow_run(client, run_id, poll=config.ci.poll, timeout=config.ci.timeout)
    _finish(result)
