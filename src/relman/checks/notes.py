"""The notes check: release notes for the version exist, or valid fragments are pending.

It asks the notes layer (:mod:`relman.notes`) which fragments are pending and
what is wrong with them, and where the notes of the version go; it only
looks, it never builds notes.
"""

from __future__ import annotations

from collections.abc import Iterator

from relman.checks import CheckContext, Finding, Skip, get_check, register
from relman.errors import RelmanError

ID = "notes"


@register(
    ID,
    "release notes exist for the version or valid fragments are pending; changelog present",
    kinds=("alpha", "beta", "rc", "final", "bug-fix", "security", "end-of-life"),
)
def check_notes(ctx: CheckContext) -> Iterator[Finding]:
    from relman import notes

    check = get_check(ID)
    config = ctx.config
    if config.notes.system == "none":
        raise Skip("no news fragment system configured ([tool.towncrier] or Misc/NEWS.d)")
    try:
        problems = notes.check_fragments(config)
        pending = notes.pending_fragments(config)
    except RelmanError as exc:
        yield check.finding(exc.message, hint=exc.hint)
        return
    for problem in problems:
        yield check.finding(
            problem.reason, file=_rel(ctx, problem.path), hint=_hint(config.notes.system)
        )
    if pending or not ctx.version:
        yield from _check_changelog(ctx)
        return
    from packaging.version import Version

    versions = [ctx.version]
    base = Version(ctx.version).base_version
    if base != ctx.version:
        versions.append(base)
    written = False
    for version in versions:
        # where the notes are committed: the news file, or in NumPy's layout the
        # tracked doc/source/release/X.Y.Z-notes.rst beside the ignored news file
        home = notes.notes_home(config, version)
        if home is None:
            continue
        target = home[0]
        text = ctx.read_text(_rel(ctx, target))
        written = written or (
            text is not None and (_names(target.name, version) or _names(text, version))
        )
    if not written:
        missing = notes.notes_home(config, ctx.version)
        yield check.finding(
            f"no release notes for {ctx.version} and no news fragments pending",
            file=_rel(ctx, missing[0]) if missing else None,
            hint=_hint(config.notes.system),
        )
    yield from _check_changelog(ctx)


def _names(text: str, version: str) -> bool:
    """Whether ``text`` names ``version`` itself: "26.4", not "1.26.4", "26.4.1" or "26.4rc1"."""
    from relman.notes.sections import names_version

    return names_version(text, version)


def _rel(ctx: CheckContext, path: object) -> str:
    from pathlib import Path

    p = Path(str(path))
    try:
        return p.resolve().relative_to(ctx.root.resolve()).as_posix()
    except ValueError:
        return str(p)


def _hint(system: str) -> str:
    if system == "blurb":
        return "add entries with `blurb add` (Misc/NEWS.d/next/<section>/)"
    return (
        "add fragments with `relman notes new ISSUE TYPE` and check them with `relman notes check`"
    )


def _check_changelog(ctx: CheckContext) -> Iterator[Finding]:
    check = get_check(ID)
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
