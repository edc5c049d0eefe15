"""The notes check: release notes for the version exist, or valid fragments are pending.

A small reader of towncrier configuration (``[tool.towncrier]`` in
pyproject.toml or towncrier.toml) and of blurb's ``Misc/NEWS.d`` lives here;
it only looks, it never builds notes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from relman.checks import CheckContext, Finding, Skip, get_check, register

ID = "notes"

_TOWNCRIER_TYPES = ("feature", "bugfix", "doc", "removal", "misc")
_IGNORED = {
    "readme",
    "readme.rst",
    "readme.md",
    "readme.txt",
    "template.rst",
    ".gitignore",
    "template.md",
    ".gitkeep",
    ".keep",
}
_BLURB_NAME = re.compile(
    r"^\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}\.(?:gh-issue|bpo)-\d+\.[A-Za-z0-9_-]+\.rst$"
)


@dataclass(frozen=True)
class _Towncrier:
    directory: str
    filename: str
    types: tuple[str, ...]
    source: str


def _towncrier_config(ctx: CheckContext) -> _Towncrier | None:
    table: Any = ctx.pyproject.get("tool", {}).get("towncrier")
    source = "pyproject.toml"
    if table is None:
        text = ctx.read_text("towncrier.toml")
        if text is None:
            return None
        from relman.config import parse_toml

        table = parse_toml(text, ctx.root / "towncrier.toml").get("tool", {}).get("towncrier")
        source = "towncrier.toml"
        if table is None:
            return None
    if not isinstance(table, Mapping):
        return None
    directory = str(table.get("directory") or "newsfragments")
    if not table.get("directory") and table.get("package"):
        base = str(table.get("package_dir", "."))
        directory = f"{base}/{str(table['package']).replace('.', '/')}/newsfragments"
    types: list[str] = []
    for entry in table.get("type", []) or []:
        if isinstance(entry, Mapping):
            types.append(str(entry.get("directory") or entry.get("name", "")).strip())
    fragment = table.get("fragment")
    if isinstance(fragment, Mapping):
        types.extend(str(k) for k in fragment)
    return _Towncrier(
        directory=directory.strip("/"),
        filename=str(table.get("filename") or "NEWS.rst"),
        types=tuple(t for t in types if t) or _TOWNCRIER_TYPES,
        source=source,
    )


def _fragment_type(name: str, types: tuple[str, ...]) -> str | None:
    parts = name.split(".")
    for part in parts[1:]:
        if part in types:
            return part
    return None


@register(
    ID,
    "release notes exist for the version or valid fragments are pending; changelog present",
    kinds=("alpha", "beta", "rc", "final", "bug-fix", "security", "end-of-life"),
)
def check_notes(ctx: CheckContext) -> Iterator[Finding]:
    check = get_check(ID)
    towncrier = _towncrier_config(ctx)
    blurb = ctx.config.notes.system == "blurb" or (ctx.root / "Misc" / "NEWS.d").is_dir()
    if towncrier is None and not blurb:
        raise Skip("no news fragment system configured ([tool.towncrier] or Misc/NEWS.d)")
    versions = [ctx.version] if ctx.version else []
    if ctx.version:
        from packaging.version import Version

        base = Version(ctx.version).base_version
        if base != ctx.version:
            versions.append(base)
    if towncrier is not None:
        yield from _check_towncrier(ctx, towncrier, versions)
    if blurb:
        yield from _check_blurb(ctx, versions)
    path = ctx.config.changelog.path
    if path and ctx.version:
        name = path.format(version=ctx.version)
        if ctx.read_text(name) is None:
            yield check.finding(
                f"changelog for {ctx.version} is not written yet",
                file=name,
                severity="warning",
                hint=f"`relman changelog --write` writes {name} (the release does it for you)",
            )


def _check_towncrier(ctx: CheckContext, cfg: _Towncrier, versions: list[str]) -> Iterator[Finding]:
    check = get_check(ID)
    prefix = cfg.directory + "/"
    fragments: list[str] = []
    for path in ctx.tracked_files:
        if not path.startswith(prefix):
            continue
        name = path[len(prefix) :]
        if "/" in name or name.lower() in _IGNORED:
            continue
        kind = _fragment_type(name, cfg.types)
        if kind is None:
            yield check.finding(
                "news fragment with an unknown type",
                file=path,
                hint="name fragments <issue>.<type>.rst with a type of " + ", ".join(cfg.types),
            )
            continue
        text = ctx.read_text(path)
        if text is not None and not text.strip():
            yield check.finding("empty news fragment", file=path, hint="describe the change")
            continue
        fragments.append(path)
    if fragments or not versions:
        return
    written = False
    for version in versions:
        if "{version}" in cfg.filename:
            written = written or ctx.read_text(cfg.filename.format(version=version)) is not None
        else:
            text = ctx.read_text(cfg.filename)
            written = written or (text is not None and version in text)
    if not written:
        target = (
            cfg.filename.format(version=versions[0])
            if "{version}" in cfg.filename
            else (cfg.filename)
        )
        yield check.finding(
            f"no release notes for {versions[0]} and no news fragments pending in {cfg.directory}",
            file=target,
            hint=f"add fragments to {cfg.directory} (<issue>.<type>.rst) or write the notes",
        )


def _check_blurb(ctx: CheckContext, versions: list[str]) -> Iterator[Finding]:
    check = get_check(ID)
    pending: list[str] = []
    for path in ctx.tracked_files:
        if not path.startswith("Misc/NEWS.d/next/"):
            continue
        name = path.rsplit("/", 1)[-1]
        if name.lower() in _IGNORED:
            continue
        if not _BLURB_NAME.match(name):
            yield check.finding(
                "news entry with an invalid file name",
                file=path,
                hint="create entries with `blurb add`",
            )
            continue
        pending.append(path)
    if pending or not versions:
        return
    if not any(ctx.read_text(f"Misc/NEWS.d/{v}.rst") is not None for v in versions):
        yield check.finding(
            f"no Misc/NEWS.d/{versions[0]}.rst and no entries pending in Misc/NEWS.d/next",
            file=f"Misc/NEWS.d/{versions[0]}.rst",
            hint="add entries with `blurb add`, then `blurb release`",
        )
