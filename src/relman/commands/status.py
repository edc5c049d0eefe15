"""`relman status`, `relman config`, `relman init`."""

from __future__ import annotations

from typing import Any

import click

from relman.commands._common import echo, emit, get_state, global_options, message, table

STATUS_KINDS = (
    ("alpha", "alpha"),
    ("beta", "beta"),
    ("rc", "rc"),
    ("final", "final"),
    ("bug-fix", "micro"),
    ("minor", "minor"),
    ("major", "major"),
)


def project_status(config: Any) -> dict[str, Any]:
    from relman import line, versionfiles
    from relman.errors import VersionError
    from relman.git import find_repo
    from relman.line import last_release
    from relman.versioning import next_version, parse_version

    repo = find_repo(config.project_dir)
    sources = versionfiles.read_sources(config)
    versions = sorted({s.version for s in sources if s.version})
    dynamic = versionfiles.dynamic_backend(config.pyproject, config.project_dir)
    has_commits = repo.has_commits()
    last = last_release(config, repo) if has_commits else None
    current = line.current_version(config, repo)
    nexts: dict[str, str | None] = {}
    for label, kind in STATUS_KINDS:
        try:
            nexts[label] = next_version(current, kind) if current else None
        except VersionError:
            nexts[label] = None
    return {
        "project": config.name,
        "project_dir": str(config.project_dir),
        "version": current,
        "version_sources": [
            {"path": s.source.path, "kind": s.kind, "version": s.version, "error": s.error}
            for s in sources
        ],
        "dynamic_version": dynamic,
        "consistent": len({str(parse_version(v, strict=False)) for v in versions}) <= 1
        and not any(s.error for s in sources),
        "branch": repo.current_branch(),
        "head": repo.head() if has_commits else None,
        "clean": not repo.is_dirty(),
        "last_release": None
        if last is None
        else {"tag": last.name, "version": str(last.version), "commit": last.commit},
        "commits_since_release": repo.count_commits(f"{last.name}..HEAD")
        if last
        else (repo.count_commits("HEAD") if has_commits else 0),
        "next": nexts,
        "shallow": repo.is_shallow() if has_commits else False,
    }


@click.command()
@global_options(dry_run=False)
def status() -> None:
    """Project, version, last release, branch state and the next versions."""
    data = project_status(get_state().config())

    def render() -> None:
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
        if last:
            n = data["commits_since_release"]
            echo(f"last release: {last['tag']} ({n} commit{'' if n == 1 else 's'} since)")
        else:
            echo(f"last release: none ({data['commits_since_release']} commits)")
        if data["shallow"]:
            echo(
                "warning:  shallow clone: tags and history are incomplete; "
                "run `git fetch --unshallow --tags`"
            )
        echo("next versions:")
        for label, value in data["next"].items():
            echo(f"  {label:<8} {value or '-'}")

    emit(data, render)


@click.command("config")
@global_options(dry_run=False)
def config_cmd() -> None:
    """The resolved configuration and where each value came from."""
    from relman.config import config_fields

    config = get_state().config()
    plain = config.as_dict()
    rows = []
    data: dict[str, Any] = {}
    for key, _type, _default, _doc in config_fields():
        value: Any = plain
        for part in key.replace("-", "_").split("."):
            value = value[part]
        origin = config.origins.get(key, "default")
        data[key] = {"value": value, "origin": origin}
        rows.append((key, _show(value), origin))
    data = {
        "project": {"value": config.name, "origin": config.origins.get("name", "pyproject")},
        "project-dir": {
            "value": str(config.project_dir),
            "origin": config.origins.get("project-dir", "detected"),
        },
        **data,
    }

    emit(
        data,
        lambda: table(
            ("key", "value", "from"),
            [
                ("project", config.name, data["project"]["origin"]),
                ("project-dir", str(config.project_dir), data["project-dir"]["origin"]),
                *rows,
            ],
        ),
    )


def _show(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value) or "[]"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_show(v)}" for k, v in value.items()) or "{}"
    return str(value)


_INIT_KEYS = ("main-branch", "maintenance-branch", "tag-format", "remote")


def detected_table(config: Any) -> dict[str, Any]:
    """The [tool.relman] table relman would write: the main keys and every detected value."""
    from relman.config import config_fields

    plain = config.as_dict()
    out: dict[str, Any] = {}
    for key, _type, _default, _doc in config_fields():
        if key not in _INIT_KEYS and config.origins.get(key) != "detected":
            continue
        value: Any = plain
        for part in key.replace("-", "_").split("."):
            value = value[part]
        if value is None:
            continue
        if isinstance(value, list):
            value = [
                {k: v for k, v in item.items() if v is not None} if isinstance(item, dict) else item
                for item in value
            ]
            value = [
                item["path"]
                if isinstance(item, dict)
                and list(item) in (["path"], ["path", "kind"])
                and item.get("kind") in (None, "pyproject", "python")
                else item
                for item in value
            ]
        section, _, leaf = key.rpartition(".")
        (out.setdefault(section, {}) if section else out)[leaf] = value
    return out


@click.command()
@click.option(
    "--write", is_flag=True, help="Add the table to pyproject.toml (keeps formatting and comments)."
)
@global_options()
def init(write: bool) -> None:
    """Show the detected [tool.relman] table; --write adds what is missing to pyproject.toml."""
    import tomlkit

    from relman import _atomic
    from relman.errors import NothingToDo

    state = get_state()
    config = state.config()
    wanted = detected_table(config)
    path = config.project_dir / "pyproject.toml"
    # a setup.py-only project gets a pyproject.toml holding just the table
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    doc = tomlkit.parse(text)
    tool = doc.setdefault("tool", tomlkit.table(is_super_table=True))
    existing = tool.get("relman")
    if existing is None:
        existing = tomlkit.table()
        tool.append("relman", existing)
    added: list[str] = []
    for key, value in wanted.items():
        if isinstance(value, dict):
            sub = existing.get(key)
            if sub is None:
                sub = tomlkit.table()
                existing.append(key, sub)
            for k, v in value.items():
                if k not in sub:
                    sub[k] = v
                    added.append(f"{key}.{k}")
        elif key not in existing:
            existing[key] = value
            added.append(key)
    snippet = tomlkit.dumps({"tool": {"relman": wanted}})
    if not write or state.dry_run:
        emit({"table": wanted, "path": str(path), "written": False}, lambda: echo(snippet.rstrip()))
        if not state.json:
            message(f"# detected for {path}; `relman init --write` adds the missing keys")
        return
    if not added:
        raise NothingToDo(f"{path} already has every detected [tool.relman] key")
    _atomic.write_text(path, tomlkit.dumps(doc))
    emit(
        {"table": wanted, "path": str(path), "written": True, "added": added},
        lambda: message(f"added to {path}: {', '.join(added)}"),
    )
