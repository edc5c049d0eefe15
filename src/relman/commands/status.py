"""`relman status`, `relman config`, `relman init`.

What status finds and shows is :mod:`relman.commands._status` (no click there).
"""

from __future__ import annotations

from typing import Any

import click

from relman.commands._common import echo, emit, get_state, global_options, message, table


@click.command()
@global_options(dry_run=False)
def status() -> None:
    """Project, version, last release, release lines, unfinished releases, next versions."""
    from relman.commands._status import gather_status, render_status

    state = get_state()
    # what it writes is written before it returns (the caches atomically, stdout flushed
    # by the CLI): the tags it read need not be freed one object at a time afterwards
    state.done_at_once = True
    data = gather_status(state.config)
    emit(data, lambda: render_status(data, echo))


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
    """A value as TOML spells it (true/false), a list one item a line."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "\n".join(_show(v) for v in value) or "[]"
    if isinstance(value, dict):
        shown = [f"{k}={_show(v)}" for k, v in value.items() if v is not None]
        return ", ".join(shown) or "{}"
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
        if key == "remote" and config.origins.get(key) != "detected":
            continue  # no remote to detect: `config` says default, and so does init
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
    if write and state.dry_run:
        import difflib

        new_text = tomlkit.dumps(doc)
        diff = "".join(
            difflib.unified_diff(
                text.splitlines(keepends=True),
                new_text.splitlines(keepends=True),
                fromfile=f"a/{path.name}",
                tofile=f"b/{path.name}",
            )
        )
        emit(
            {"path": str(path), "written": False, "added": added, "diff": diff},
            lambda: echo(diff.rstrip() if diff else f"# {path} already has every detected key"),
        )
        return
    if not write:
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
