"""What `relman status` finds and shows, without click.

:func:`gather_status` is the project's status as data (the ``--json`` output),
asked of git within :func:`relman.git.reading`; :func:`render_status` is its
text. The click command (:mod:`relman.commands.status`) runs them, and so does
the CLI for a plain ``relman status`` before it has imported click
(:func:`relman.cli.main`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["gather_status", "render_status"]


def gather_status(config: Callable[[], Any]) -> dict[str, Any]:
    """The status of the project ``config()`` loads (within one :func:`relman.git.reading`)."""
    import gc

    from relman import _cache
    from relman.git import reading

    # the objects made so far (modules, configuration) outlive the command: the garbage
    # collector need not walk them again each time thousands of tags are read
    gc.freeze()
    try:
        _cache.allow_writes()  # asked again and again: an unchanged repository asks git once
        with reading():  # a read-only command: each git question asked once
            return project_status(config())
    finally:
        gc.unfreeze()  # collectable again once the command is over (a caller may go on)


def project_status(config: Any) -> dict[str, Any]:
    from relman.git import find_repo
    from relman.line import release_line, release_tags
    from relman.versioning import parse_version

    repo = find_repo(config.project_dir)
    unfinished = unfinished_releases(repo)
    if repo.has_commits():
        _ask_together(config, repo)
    line = release_line(config, repo)
    sources = line.source.files
    versions = sorted({s.version for s in sources if s.version})
    has_commits = repo.has_commits()
    lines = release_lines(config, repo, unfinished) if has_commits else []
    last = line.last
    pending = {u["version"] for u in unfinished if u["kind"] in _RELEASING}
    if last is not None and str(last.version) in pending:
        # a tag whose release did not finish is not the last release
        earlier = [
            t
            for t in release_tags(config, repo, merged_into="HEAD")
            if t.is_release and str(t.version) not in pending
        ]
        last = earlier[-1] if earlier else None
    if has_commits and repo.current_branch() == config.main_branch and lines:
        # main's last release is the newest of every line (made on maintenance branches)
        newest = max(lines, key=lambda e: parse_version(e["last_release"]["version"]))
        if last is None or parse_version(newest["last_release"]["version"]) > last.version:
            tag = newest["last_release"]["tag"]
            last = next(t for t in reversed(release_tags(config, repo)) if t.name == tag)
    return {
        "project": config.name,
        "project_dir": str(config.project_dir),
        "version": line.version,
        "version_sources": [
            {"path": s.source.path, "kind": s.kind, "version": s.version, "error": s.error}
            for s in sources
        ],
        "dynamic_version": line.source.backend if line.source.from_git else None,
        "consistent": len({str(parse_version(v, strict=False)) for v in versions}) <= 1
        and not any(s.error for s in sources),
        "pending_release": line.pending,
        "branch": repo.current_branch(),
        "head": repo.head() if has_commits else None,
        "clean": not repo.is_dirty(),
        "last_release": None
        if last is None
        else {"tag": last.name, "version": str(last.version), "commit": last.commit},
        "commits_since_release": _commits_since(repo, last, has_commits),
        "next": line.next_versions(),
        "lines": lines,
        "unfinished": unfinished,
        "shallow": repo.is_shallow() if has_commits else False,
        "next_scheduled": _next_scheduled(config),
    }


def _ask_together(config: Any, repo: Any) -> None:
    """The two history walks of a cold status at once: the tags reachable from HEAD
    (in a thread) while the tree's version is computed (setuptools-scm's own
    ``git describe``). Both answers are remembered (:func:`relman.git.reading`, the
    git directory's cache), so :func:`relman.line.release_line` reads them; so is
    the state of the working tree, which status shows and setuptools-scm's answer
    depends on (one ``git status`` for both)."""
    import contextvars
    import threading  # a plain thread: concurrent.futures would load logging too

    from relman.line import current_version, release_tags

    failed: list[BaseException] = []

    def merged() -> None:
        try:
            release_tags(config, repo, merged_into="HEAD")
        except BaseException as exc:  # raised again in the command's own thread
            failed.append(exc)

    walk = threading.Thread(target=contextvars.copy_context().run, args=(merged,))
    walk.start()
    try:
        repo.is_dirty()  # the state of the whole tree first: the tracked files' follows from it
        current_version(config, repo)
    finally:
        walk.join()
    if failed:
        raise failed[0]


def _next_scheduled(config: Any) -> dict[str, Any] | None:
    """The next date of a schedule `relman schedule` wrote (release.schedule-file), if any."""
    import datetime as _dt

    if not any(config.project_dir.glob(config.release.schedule_file.format(series="*"))):
        return None  # no schedule: icalendar is not even imported
    from relman.schedule import next_event

    return next_event(config, _dt.date.today())


_RELEASING = ("alpha", "beta", "rc", "final", "bug-fix", "security")


def unfinished_releases(repo: Any) -> list[dict[str, Any]]:
    """Releases (and branch operations) started and not finished, from their state files."""
    import json

    folder = repo.git_dir / "relman"
    out = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict) or not data.get("version") or data.get("finished"):
            continue
        steps = data.get("steps") or {}
        failed = [
            (n, s) for n, s in steps.items() if isinstance(s, dict) and s.get("status") == "failed"
        ]
        out.append(
            {
                "version": str(data["version"]),
                "kind": str(data.get("kind") or ""),
                "branch": data.get("branch"),
                "done": sorted(
                    n for n, s in steps.items() if isinstance(s, dict) and s.get("status") == "done"
                ),
                "failed": failed[0][0] if failed else None,
                "reason": (failed[0][1].get("detail") or "") if failed else "",
                "state": str(path),
            }
        )
    return out


def release_lines(config: Any, repo: Any, unfinished: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each X.Y line with its last finished release, its branch, and whether it ended."""
    from relman.line import release_tags

    pending = {u["version"] for u in unfinished if u["kind"] in _RELEASING}
    branches = set(repo.branches())
    remote = {b.split("/", 1)[1] for b in repo.remote_branches() if "/" in b}
    tags = repo.tags()
    lines: dict[tuple[int, int], dict[str, Any]] = {}
    for tag in release_tags(config, repo):
        release = tag.version.release
        key = (release[0], release[1] if len(release) > 1 else 0)
        entry = lines.get(key)
        if entry is None:
            entry = lines[key] = {"line": f"{key[0]}.{key[1]}", "last_release": None}
        if tag.is_release and not (pending and str(tag.version) in pending):
            entry["last_release"] = tag  # the newest wins: the tags come lowest first
    out = []
    for (major, minor), entry in sorted(lines.items(), reverse=True):
        if entry["last_release"] is None:
            continue
        tag = entry["last_release"]
        entry["last_release"] = {"tag": tag.name, "version": str(tag.version)}
        branch = config.maintenance_branch_for(entry["last_release"]["version"])
        entry["branch"] = branch if branch in branches or branch in remote else None
        entry["ended"] = f"{major}.{minor}" in tags
        out.append(entry)
    return out


def _commits_since(repo: Any, last: Any, has_commits: bool) -> int:
    if not has_commits:
        return 0
    # a release tagged on a maintenance branch: the commits since the line left it
    if last is None:
        return int(repo.count_between(None, "HEAD"))
    return int(repo.count_between(last.name, "HEAD", base_commit=last.commit))


def render_status(data: dict[str, Any], echo: Callable[[str], None]) -> None:
    """``data`` as text, a line at a time through ``echo``."""
    last = data["last_release"]
    echo(f"project:  {data['project']}  ({data['project_dir']})")
    if data["dynamic_version"]:
        echo(
            f"version:  {data['version'] or '-'}  (dynamic: {data['dynamic_version']}, the tag is the version)"
        )
    else:
        echo(
            f"version:  {data['version'] or '-'}"
            + ("" if data["consistent"] else "  (sources disagree!)")
        )
    for s in data["version_sources"]:
        echo(f"          {s['path']}: {s['version'] or s['error']}")
    echo(
        f"branch:   {data['branch'] or '(detached HEAD)'}  ({'clean' if data['clean'] else 'uncommitted changes'})"
    )
    n = data["commits_since_release"]
    commits = f"{n} commit{'' if n == 1 else 's'}"
    if last:
        echo(f"last release: {last['tag']} ({commits} since)")
    else:
        echo(f"last release: none ({commits})")
    if data["pending_release"]:
        echo(f"pending:  {data['version']} is in the tree but not tagged yet")
    if data["lines"]:
        echo("release lines:")
        for entry in data["lines"]:
            where = "ended" if entry["ended"] else (entry["branch"] or data["branch"] or "")
            echo(f"  {entry['line']:<8} {entry['last_release']['tag']:<14} {where}")
    for u in data["unfinished"]:
        detail = f", failed at {u['failed']}: {u['reason']}" if u["failed"] else ""
        echo(
            f"unfinished: {u['version']} ({u['kind']}) on {u['branch'] or '?'}, "
            f"{len(u['done'])} step(s) done{detail}; `relman release --resume` goes on"
        )
    if data["shallow"]:
        echo(
            "warning:  shallow clone: tags and history are incomplete; "
            "run `git fetch --unshallow --tags`"
        )
    scheduled = data["next_scheduled"]
    if scheduled:
        echo(f"scheduled: {scheduled['date']} {scheduled['event']}  ({scheduled['file']})")
    echo("next versions:")
    for label, value in data["next"].items():
        echo(f"  {label:<8} {value or '-'}")
