"""`relman ci`: the GitHub Actions workflow that builds, checks and publishes the wheels.

``ci init`` writes the workflow (``--dry-run`` prints it; an existing file is
kept unless ``--force``), ``ci check`` says whether the file still matches what
relman would write (exit 1 when not), ``ci matrix`` shows the expected wheels
as a platforms x Pythons table. ``ci run``, ``ci status`` and
``ci rerun-failed`` drive the workflow on GitHub.
"""

from __future__ import annotations

import click

from relman.commands._common import echo, emit, get_state, global_options, message, table


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
@global_options(dry_run=False)
def matrix_cmd() -> None:
    """The expected wheels (from cibuildwheel) as CI jobs and a platforms x Pythons table."""
    from relman.ci import project_matrix
    from relman.matrix import matrix_table

    m = project_matrix(get_state().config())
    t = matrix_table(m.identifiers, lambda _i: True)

    def render() -> None:
        table(
            ("job", "runner", "wheels"),
            [(j.name, j.runner, len(j.identifiers)) for j in m.jobs],
            title=f"{len(m.identifiers)} expected wheels",
        )
        table(
            ("platform", *t.pythons),
            [
                (plat, *("x" if t.cell(plat, py) else "" for py in t.pythons))
                for plat in t.platforms
            ],
        )

    emit(
        {
            "identifiers": m.identifiers,
            "jobs": [
                {"name": j.name, "runner": j.runner, "identifiers": list(j.identifiers)}
                for j in m.jobs
            ],
        },
        render,
    )
