"""`relman version`: show, check, next, bump and set the project's version.

``show`` lists every source and its value; ``check`` exits 1 when the sources
disagree (or differ from the release tag at HEAD); ``next KIND`` prints the
next version; ``bump KIND`` and ``set X`` write it into every source, all
files or none (``--dry-run`` prints the unified diff instead, ``--commit``
makes one commit with ``[tool.relman.version] commit-message``). Refusals exit
2 and change nothing; ``--force`` overrides only the ordering checks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from relman.commands._common import echo, emit, get_state, global_options, message, table
from relman.versioning import KINDS

if TYPE_CHECKING:
    from pathlib import Path

    from relman.config import Config
    from relman.git import Repo


@click.group("version")
@global_options(dry_run=False)
def version() -> None:
    """Show, check, bump and set the version in every file that holds it."""


def _repo(config: Config) -> Repo:
    from relman.git import find_repo

    return find_repo(config.project_dir)


def _sources_data(config: Config) -> list[dict[str, Any]]:
    from relman.versionfiles import read_sources

    return [
        {
            "path": s.source.path,
            "kind": s.kind,
            "version": s.version,
            "error": s.error,
            "note": s.note,
        }
        for s in read_sources(config)
    ]


@version.command("show")
@global_options(dry_run=False)
def show() -> None:
    """Every version source and its value (dynamic versions: the tag is the version)."""
    from relman.line import current_version
    from relman.versionfiles import dynamic_backend

    config = get_state().config()
    repo = _repo(config)
    dynamic = dynamic_backend(config.pyproject, config.project_dir)
    sources = _sources_data(config)
    data = {
        "project": config.name,
        "version": current_version(config, repo),
        "dynamic": dynamic,
        "sources": sources,
    }

    def render() -> None:
        if dynamic:
            echo(
                f"version: {data['version'] or '-'} (dynamic: {dynamic} derives it from git; "
                "the tag is the version, relman edits no file)"
            )
        else:
            echo(f"version: {data['version'] or '- (the sources disagree or cannot be read)'}")
        if sources:
            table(
                ("file", "kind", "version"),
                [
                    (
                        s["path"],
                        s["kind"],
                        s["version"] or s["error"] or s["note"] or "-",
                    )
                    for s in sources
                ],
            )

    emit(data, render)


@version.command("check")
@global_options(dry_run=False)
def check() -> None:
    """All sources agree with each other, and with the tag when HEAD is tagged (exit 1 if not)."""
    from relman.errors import CheckFailed
    from relman.line import current_version
    from relman.versionfiles import check_consistency

    config = get_state().config()
    repo = _repo(config)
    problems = check_consistency(config, repo)
    version_ = current_version(config, repo)
    data = {"ok": not problems, "version": version_, "problems": problems}
    emit(data, lambda: echo(f"version {version_}: consistent") if not problems else None)
    if problems:
        raise CheckFailed(
            "the version is not consistent:\n" + "\n".join(f"  - {p}" for p in problems),
            hint="`relman version set X` writes one version into every source",
        )


def _current(config: Config, repo: Repo, start: str | None) -> str:
    from relman.errors import UsageError
    from relman.line import current_version
    from relman.versionfiles import check_consistency
    from relman.versioning import parse_version

    if start is not None:
        return str(parse_version(start))
    current = current_version(config, repo)
    if current is None:
        problems = check_consistency(config, repo) or ["no version found"]
        raise UsageError(
            "there is no single current version:\n" + "\n".join(f"  - {p}" for p in problems),
            hint="fix the sources (`relman version set X`), or pass --from VERSION",
        )
    return current


@version.command("next")
@click.argument("kind", type=click.Choice(KINDS))
@click.option("--from", "start", metavar="VERSION", help="Start from this version.")
@global_options(dry_run=False)
def next_(kind: str, start: str | None) -> None:
    """The next version of KIND after the current one."""
    config = get_state().config()
    repo = _repo(config)
    current = _current(config, repo, start)
    result = _next(config, repo, current, kind)
    emit({"current": current, "kind": kind, "next": result}, lambda: echo(result))


def _next(config: Config, repo: Repo, current: str, kind: str, *, pending_ok: bool = True) -> str:
    """The next version in the project's scheme; `dev` after a final follows the
    branch (main: next minor); a release the tree names but has not tagged yet is
    the next one of its kind."""
    import dataclasses

    from packaging.version import Version

    from relman.line import dev_version_after, release_line
    from relman.line.scheme import next_in_scheme

    line = release_line(config, repo)
    pending = pending_ok and line.pending and current == line.version
    v = Version(Version(current).public)
    if kind == "dev" and not v.is_devrelease and v.pre is None:
        dev = dev_version_after(config, repo, v, on_main=line.on_main, scheme=line.scheme)
        if dev is not None and Version(dev) > v:
            return dev
    if kind != "dev" and current == line.version:
        # the tree's own line: what status shows (a pre-release continuing the last
        # one, a bug-fix of the last release from a tree developing the next minor)
        return dataclasses.replace(line, pending=pending).next_version(kind)
    return next_in_scheme(current, kind, line.scheme, pending=pending)


_FORCE = click.option(
    "--force", is_flag=True, help="Allow a version that is not later than the releases."
)
_COMMIT = click.option(
    "--commit", is_flag=True, help="Commit the changed files (one commit, only these files)."
)


@version.command("bump")
@click.argument("kind", type=click.Choice(KINDS))
@_FORCE
@_COMMIT
@global_options()
def bump(kind: str, force: bool, commit: bool) -> None:
    """Set the next version of KIND in every source."""
    config = get_state().config()
    repo = _repo(config)
    current = _current(config, repo, None)
    _apply(config, repo, _next(config, repo, current, kind, pending_ok=False), force, commit)


@version.command("set")
@click.argument("new_version", metavar="VERSION")
@_FORCE
@_COMMIT
@global_options()
def set_(new_version: str, force: bool, commit: bool) -> None:
    """Set VERSION in every source (all files or none)."""
    config = get_state().config()
    _apply(config, _repo(config), new_version, force, commit)


def _apply(config: Config, repo: Repo, new_version: str, force: bool, commit: bool) -> None:
    from relman.errors import NothingToDo, UsageError
    from relman.line import check_new_version
    from relman.versionfiles import diff_changes, dynamic_backend, plan_version_change

    state = get_state()
    dynamic = dynamic_backend(config.pyproject, config.project_dir)
    if dynamic and not config.version.files:
        raise UsageError(
            f"the version comes from git ({dynamic}): no file holds it, so none can be set",
            hint=f"the tag is the version: tag the release as {config.tag_for(new_version)} "
            "(`relman release VERSION` does)",
        )
    target = str(check_new_version(config, repo, new_version, force=force))
    changes = plan_version_change(config, target)
    rel = [p.relative_to(config.project_dir).as_posix() for p in sorted(changes)]
    if not changes:
        raise NothingToDo(f"every source already holds {target}")
    if state.dry_run:
        diff = diff_changes(config, changes)
        emit(
            {"version": target, "files": rel, "diff": diff, "dry_run": True},
            lambda: echo(diff, nl=False),
        )
        return
    from relman.release.context import changing_repository

    with changing_repository(repo, f"relman version set {target}", commit=commit):
        sha = _write_version(config, repo, target, changes, commit)

    def render() -> None:
        message(f"version set to {target} in {len(rel)} file{'s' if len(rel) != 1 else ''}:")
        for path in rel:
            echo(f"  {path}")
        if sha:
            message(f"committed {sha[:12]}")

    emit({"version": target, "files": rel, "commit": sha}, render)


def _write_version(
    config: Config, repo: Repo, target: str, changes: dict[Path, bytes], commit: bool
) -> str | None:
    """Write the version files (all or none) and commit them with ``commit``."""
    from relman import _atomic
    from relman.errors import UsageError

    to_commit: list[str] = []
    if commit:
        root = repo.root.resolve()
        in_repo = [p.resolve().relative_to(root).as_posix() for p in sorted(changes)]
        dirty = {e.path for e in repo.status(untracked=False)}
        busy = [p for p in in_repo if p in dirty]
        if busy:
            raise UsageError(
                "cannot commit the version change: "
                + ", ".join(busy)
                + " already has uncommitted changes",
                hint="commit or stash them first, or run without --commit",
            )
        to_commit = [p for p in in_repo if not repo.is_ignored(p)]
    _atomic.write_many(changes)
    if commit and to_commit:
        return repo.commit_only(config.version.commit_message.format(version=target), to_commit)
    return None
