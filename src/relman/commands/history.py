"""`relman changelog`, `relman authors`, `relman mailmap check`, `relman backports`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from relman.commands._common import echo, emit, get_state, global_options, message, table

if TYPE_CHECKING:
    from relman.config import Config
    from relman.forge import Forge
    from relman.git import Repo

_FORMATS = ("rst", "md", "json")


def _repo(config: Config) -> Repo:
    from relman.git import find_repo

    return find_repo(config.project_dir)


def _range(config: Config, repo: Repo, rev_range: str | None, release: str | None) -> str:
    from relman.history import default_range

    if rev_range:
        return rev_range
    chosen = default_range(config, repo, release)
    message(f"range: {chosen}")
    return chosen


def _same_repo(started: Any, config: Config) -> Repo | None:
    """The repository of an early-started log when it is the project's (saves a git call)."""
    if started is None:
        return None
    repo: Repo = started.repo
    try:
        config.project_dir.relative_to(repo.root)
    except ValueError:
        return None
    return repo


def _forge(config: Config, offline: bool) -> Forge | None:
    if offline:
        return None
    from relman.forge import forge_from_config

    return forge_from_config(config)


_range_arg = click.argument("rev_range", required=False, metavar="[RANGE]")
_release_opt = click.option(
    "--release",
    "release",
    metavar="VERSION",
    help="Release whose default range to use (default: the version in the project files).",
)
_style_opt = click.option(
    "--style",
    type=click.Choice(("default", "numpy", "scipy")),
    default=None,
    help="Whose rules make the lists (default: [tool.relman.changelog] style, detected).",
)
_mailmap_opt = click.option(
    "--mailmap-rev",
    metavar="REV",
    help="Use the .mailmap committed at REV, not the working tree's (which has your uncommitted edits).",
)


@click.command()
@_range_arg
@_release_opt
@click.option(
    "--format",
    "fmt",
    type=click.Choice(_FORMATS),
    default=None,
    help="Output format (default: [tool.relman.changelog] format).",
)
@_mailmap_opt
@_style_opt
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the changelog to FILE instead of stdout.",
)
@click.option(
    "--write",
    is_flag=True,
    help="Write [tool.relman.changelog] path for --release (or the version being made).",
)
@click.option("--offline", is_flag=True, help="Titles from git only, even with a GitHub token.")
@global_options()
def changelog(
    rev_range: str | None,
    release: str | None,
    fmt: str | None,
    mailmap_rev: str | None,
    style: str | None,
    output: Path | None,
    write: bool,
    offline: bool,
) -> None:
    """Contributors and merged pull requests of RANGE (default: this release's range).

    RANGE is START..END or a single revision (its whole history). Names go
    through .mailmap; a "+" marks people whose first commit is in the range.
    """
    from relman import _atomic
    from relman.errors import RemoteError, UsageError
    from relman.history import (
        changelog_path,
        collect_changelog,
        enrich_titles,
        render_changelog,
    )
    from relman.history.changelog import github_note

    state = get_state()
    # what it writes is written and closed before it returns (stdout is flushed by the
    # CLI): the history it read need not be freed one object at a time afterwards
    state.done_at_once = True
    started = None
    if rev_range and not write:
        # start git early: it reads the history while the configuration loads
        from relman.git import find_repo
        from relman.history import start_log

        where = Path(state.project or Path.cwd()).resolve()
        if state.early_log is not None and state.early_log[0] == where:
            from relman import _report

            started = state.early_log[1]  # started by the CLI for these arguments
            for level, text in state.early_log[2]:  # the git commands it ran, for -v
                {"debug": _report.debug, "warning": _report.warn}.get(level, _report.info)(text)
        if started is None or (started.rev_range, started.mailmap_rev) != (
            rev_range,
            mailmap_rev,
        ):
            if started is not None:
                started.close()
            started = start_log(find_repo(where), rev_range, mailmap_rev=mailmap_rev)
    config = state.config()
    repo = _same_repo(started, config) or _repo(config)
    if write and output:
        raise UsageError("--write and --output cannot be used together")
    target = output
    version = release
    if write:
        from relman.history import _current_version

        version = release or _current_version(config)
        target = changelog_path(config, version) if version else None
        if target is None:
            raise UsageError(
                "no changelog path to write"
                + ("" if version else " (and no version found in the project files)"),
                hint="set [tool.relman.changelog] path, pass --release VERSION, or use --output",
            )
    chosen = _range(config, repo, rev_range, release)
    result = collect_changelog(
        config,
        repo,
        chosen,
        mailmap_rev=mailmap_rev,
        started=started,
        style=style,
        version=version,
    )
    state.kept = (started, result)  # (the commits it read live with ``started``)
    forge = _forge(config, offline)
    if forge is not None and result.pull_requests:
        try:
            with forge:
                result = enrich_titles(result, repo, forge)
        except RemoteError as exc:
            message(f"warning: pull-request titles from git only: {exc.message}")
    if forge is not None:
        message(github_note(result))
    fmt = "json" if state.json and not (write or output) else (fmt or config.changelog.format)
    text = render_changelog(result, fmt, version=version)
    if target is None:
        echo(text, nl=False)
        return
    if state.dry_run:
        message(f"would write {target}")
        return
    _atomic.write_text(target, text)
    emit(
        {"path": str(target), "written": True, **result.as_dict()},
        lambda: message(f"wrote {target}"),
    )


@click.command()
@_range_arg
@_release_opt
@_mailmap_opt
@_style_opt
@global_options(dry_run=False)
def authors(
    rev_range: str | None, release: str | None, mailmap_rev: str | None, style: str | None
) -> None:
    """Authors of RANGE with their commit counts; "+" marks first-time contributors."""
    from relman.history import collect_changelog

    config = get_state().config()
    repo = _repo(config)
    result = collect_changelog(
        config,
        repo,
        _range(config, repo, rev_range, release),
        mailmap_rev=mailmap_rev,
        style=style,
    )
    data = {
        "range": result.range,
        "authors": [{"name": a.name, "new": a.new, "commits": a.commits} for a in result.authors],
    }
    emit(
        data,
        lambda: table(
            ("author", "commits", "new"),
            [(a.name, a.commits, "+" if a.new else "") for a in result.authors],
        ),
    )


@click.group()
@global_options(dry_run=False)
def mailmap() -> None:
    """Find identities that would show up twice in a changelog."""


@mailmap.command("check")
@_range_arg
@_release_opt
@_mailmap_opt
@global_options(dry_run=False)
def mailmap_check(rev_range: str | None, release: str | None, mailmap_rev: str | None) -> None:
    """Likely duplicate identities among the authors of RANGE, with .mailmap lines to fix them.

    Reports one e-mail under several names, one name under several e-mails,
    and single-word names (often user names). Exit code 1 when any is found.
    """
    from relman.errors import CheckFailed
    from relman.history import find_duplicate_identities

    config = get_state().config()
    repo = _repo(config)
    chosen = _range(config, repo, rev_range, release)
    problems = find_duplicate_identities(config, repo, chosen, mailmap_rev=mailmap_rev)
    data: dict[str, Any] = {
        "range": chosen,
        "problems": [
            {
                "kind": p.kind,
                "names": list(p.names),
                "emails": list(p.emails),
                "suggestion": p.suggestion,
            }
            for p in problems
        ],
    }

    def render() -> None:
        if not problems:
            echo("no likely duplicate identities")
        for p in problems:
            echo(f"{p.kind}: {p.text}")
            if p.suggestion:
                for line in p.suggestion.splitlines():
                    echo(f"    .mailmap: {line}")

    emit(data, render)
    if problems:
        raise CheckFailed(
            f"{len(problems)} identit{'y' if len(problems) == 1 else 'ies'} to review",
            hint="add the suggested lines to .mailmap and run `relman mailmap check` again",
        )


@click.command()
@click.option("--branch", help="Maintenance branch (default: the current branch).")
@click.option("--main", "main", help="Main branch (default: [tool.relman] main-branch).")
@click.option("--missing", is_flag=True, help="List only pull requests not yet backported.")
@click.option("--check", is_flag=True, help="Exit 1 when a marked pull request is missing.")
@click.option("--offline", is_flag=True, help="Ignore GitHub labels even with a token.")
@global_options(dry_run=False)
def backports(
    branch: str | None, main: str | None, missing: bool, check: bool, offline: bool
) -> None:
    """Pull requests merged on main that are marked for backport, and whether each is on BRANCH.

    Marked: the backport label on GitHub (with a token), a Backport-Candidate
    trailer, or the backport file. Backported: the PR number in a branch
    commit, a "(cherry picked from commit X)" trailer, or an equal patch-id.
    """
    from relman.errors import CheckFailed
    from relman.history import find_backports

    config = get_state().config()
    repo = _repo(config)
    forge = _forge(config, offline)
    if forge is not None:
        with forge:
            report = find_backports(config, repo, branch=branch, main=main, forge=forge)
    else:
        report = find_backports(config, repo, branch=branch, main=main)
    data = report.as_dict()
    items = report.missing if missing else report.backports
    data["backports"] = [b for b in data["backports"] if not missing or not b["backported"]]

    def render() -> None:
        if not items:
            echo(f"no pull requests marked for backport on {report.main} since {report.base[:12]}")
            return
        table(
            ("PR", "status", "how", "title"),
            [
                (
                    f"#{b.number}",
                    "backported" if b.backported else "missing",
                    f"{b.evidence} {b.branch_commit[:12]}" if b.branch_commit else b.marked_by,
                    b.title,
                )
                for b in items
            ],
            title=f"{report.branch} vs {report.main}",
        )

    emit(data, render)
    if check and report.missing:
        raise CheckFailed(
            f"{len(report.missing)} pull request(s) marked for backport are not on {report.branch}",
            hint="cherry-pick them with `git cherry-pick -x` (the trailer records the origin)",
        )
