"""`relman notes`: release notes from news fragments (towncrier or blurb)."""

from __future__ import annotations

from pathlib import Path

import click

from relman.commands._common import echo, emit, get_state, global_options, message


@click.group()
@global_options()
def notes() -> None:
    """Release notes from news fragments (towncrier- and blurb-compatible)."""


@notes.command("new")
@click.argument("issue")
@click.argument("kind", metavar="TYPE")
@click.option("-m", "--message", "text", default=None, help="Fragment text (default: $EDITOR).")
@global_options()
def new(issue: str, kind: str, text: str | None) -> None:
    """Create a fragment for ISSUE of TYPE (blurb: TYPE is the section)."""
    from relman.errors import UsageError
    from relman.notes import new_fragment

    state = get_state()
    config = state.config()
    if text is None:
        edited = click.edit("", extension=".rst")
        if edited is None or not edited.strip():
            raise UsageError("no fragment text given; nothing created", hint="pass -m TEXT")
        text = edited
    if state.dry_run:
        emit({"created": None, "dry_run": True}, lambda: message("dry run: nothing created"))
        return
    path = new_fragment(config, issue, kind, text)
    emit({"created": str(path)}, lambda: echo(str(path)))


@notes.command("check")
@click.option(
    "--against", metavar="REF", default=None, help="Fail when the branch adds no fragment."
)
@click.option("--no-rst", is_flag=True, help="Skip the reStructuredText check.")
@global_options(dry_run=False)
def check(against: str | None, no_rst: bool) -> None:
    """Validate every fragment; exit 1 with one line per problem."""
    from relman.errors import CheckFailed
    from relman.notes import check_fragments

    problems = check_fragments(get_state().config(), against=against, rst=not no_rst)
    data = {
        "ok": not problems,
        "problems": [
            {"path": str(p.path) if p.path else None, "reason": p.reason} for p in problems
        ],
    }

    def render() -> None:
        for p in problems:
            echo(str(p))

    emit(data, render)
    if problems:
        raise CheckFailed(
            f"{len(problems)} problem{'s' if len(problems) > 1 else ''} with the news fragments"
        )


_VERSION_HELP = (
    "Version the notes are for (default: towncrier's `version` setting, else the "
    "release the project's files (or, for a version from git, the checkout) are "
    "heading for: 1.2.0 for 1.2.0.dev0)."
)


_NAME_HELP = "Project name in the title (default: towncrier's `name`, the package's)."


@notes.command("draft")
@click.option("--version", "version", default=None, help=_VERSION_HELP)
@click.option("--name", "name", default=None, help=_NAME_HELP)
@click.option("--date", default=None, help="Release date (default: today, or SOURCE_DATE_EPOCH).")
@global_options(dry_run=False)
def draft(version: str | None, name: str | None, date: str | None) -> None:
    """Print the notes of VERSION; change nothing."""
    from relman.commands._notes import draft

    data, newline = draft(get_state().config(), version, date=date, name=name)
    emit(data, lambda: echo(data["notes"], nl=newline))


@notes.command("build")
@click.option("--version", "version", default=None, help=_VERSION_HELP)
@click.option("--name", "name", default=None, help=_NAME_HELP)
@click.option("--date", default=None, help="Release date (default: today, or SOURCE_DATE_EPOCH).")
@click.option("--commit", is_flag=True, help="Commit the notes and the removed fragments.")
@global_options()
def build(version: str | None, name: str | None, date: str | None, commit: bool) -> None:
    """Write the notes of VERSION and git rm the used fragments (all or nothing)."""
    from relman.commands._notes import notes_version
    from relman.notes import build_notes, plan_notes

    state = get_state()
    config = state.config()
    version = notes_version(config, version)
    if state.dry_run:
        plan = plan_notes(config, version, date=date, name=name)
        data = {
            "version": version,
            "write": [str(p) for p in plan.files],
            "remove": [str(p) for p in plan.remove],
            "dry_run": True,
        }

        def render_plan() -> None:
            for p in plan.files:
                echo(f"write  {_rel(p, config.project_dir)}")
            for p in plan.remove:
                echo(f"git rm {_rel(p, config.project_dir)}")

        emit(data, render_plan)
        return
    from relman.git import find_repo
    from relman.release.context import changing_repository

    with changing_repository(
        find_repo(config.project_dir), f"relman notes build {version}", commit=commit
    ):
        result = build_notes(config, version, commit=commit, date=date, name=name)
    data2 = {
        "version": version,
        "written": [str(p) for p in result.written],
        "removed": [str(p) for p in result.removed],
        "commit": result.commit,
    }

    def render() -> None:
        for p in result.written:
            echo(f"wrote   {_rel(p, config.project_dir)}")
        echo(f"removed {len(result.removed)} fragment{'s' if len(result.removed) != 1 else ''}")
        if result.commit:
            echo(f"commit  {result.commit[:12]}")

    emit(data2, render)


@notes.command("start")
@click.argument("version")
@global_options()
def start(version: str) -> None:
    """Create the notes file of the next release VERSION from the template."""
    from relman.notes import notes_file, start_notes

    state = get_state()
    config = state.config()
    if state.dry_run:
        target = notes_file(config, version)
        emit(
            {"version": version, "write": [str(target)] if target else [], "dry_run": True},
            lambda: echo(f"write  {target}" if target else "nothing to start"),
        )
        return
    written = start_notes(config, version)

    def render() -> None:
        for p in written:
            echo(f"wrote  {_rel(p, config.project_dir)}")
        if not written:
            message("nothing to start")

    emit({"version": version, "written": [str(p) for p in written]}, render)


@notes.command("list")
@global_options(dry_run=False)
def list_cmd() -> None:
    """The pending fragments, one per line."""
    from relman.notes import pending_fragments

    config = get_state().config()
    paths = pending_fragments(config)

    def render() -> None:
        if paths:
            echo("\n".join(_rel(p, config.project_dir) for p in paths))

    emit({"fragments": [str(p) for p in paths]}, render)


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)
