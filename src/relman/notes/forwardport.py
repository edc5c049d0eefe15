"""Forward-porting a release's notes to the main branch without overwriting main.

A single news file (towncrier's default) on main has moved on since the
maintenance branch left it; the release added its section right after the
start string. :func:`insert_section` puts that section into main's file at
main's start string, leaving everything only main has, or says it cannot
(None: a conflict to report, never an overwrite).
"""

from __future__ import annotations

__all__ = ["insert_section"]


def insert_section(main: str, base: str | None, release: str, *, start_string: str) -> str | None:
    """Main's news file with the section the release added to ``base``.

    The sections of an earlier release of the line that main has already
    (pytest forward-ports each release by itself) are not added twice; the
    blank lines after the start string are the release's. None when the
    release's change is not an insertion after the start string, or main has
    no start string.
    """
    marker = start_string.strip()
    if not marker or marker not in release or marker not in main:
        return _insert_before_next(main, base, release)
    raw = release.split(marker, 1)[1]
    after_release = raw.lstrip("\n")
    lead = raw[: len(raw) - len(after_release)] or "\n"
    after_base = (base or "").split(marker, 1)[1].lstrip("\n") if base and marker in base else ""
    if after_base and not after_release.endswith(after_base):
        return None
    added = after_release[: len(after_release) - len(after_base)] if after_base else after_release
    head, after_main = main.split(marker, 1)
    added = _not_in(added, after_main)
    if not added.strip():
        return main  # nothing new, or forward-ported already
    rest = after_main.lstrip("\n")
    chunk = added if added.endswith("\n") else added + "\n"
    if rest and not chunk.endswith("\n\n"):
        chunk += "\n"
    return f"{head}{marker}{lead}{chunk}{rest}"


def _insert_before_next(main: str, base: str | None, release: str) -> str | None:
    """A news file without the start string (astropy's CHANGES.rst): the block the
    release inserted into ``base`` goes into main before the section it precedes there
    (6.1.7's before 6.1.6's, below main's newer 7.0.0). None when the release changed
    more than one inserted block, or main lacks that section."""
    if base is None:
        return None
    old, new = base.splitlines(keepends=True), release.splitlines(keepends=True)
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    if old[head : len(old) - tail] or not tail:
        return None
    inserted = "".join(new[head : len(new) - tail])
    added = _not_in(inserted, main)  # earlier releases of the line main has already
    if not added.strip():
        return main
    rest = inserted[len(added) :] + "".join(new[len(new) - tail :])
    following = [line for line in rest.splitlines(keepends=True) if line.strip()][:2]
    anchor = "".join(following)
    lines = main.splitlines(keepends=True)
    for i in range(len(lines)):
        if "".join(lines[i : i + len(following)]) == anchor:
            return "".join(lines[:i]) + added + "".join(lines[i:])
    return None


def _not_in(added: str, main: str) -> str:
    """``added`` without its trailing blocks (from a blank line on) that ``main`` holds."""
    lines = added.splitlines(keepends=True)
    for i in range(len(lines)):
        if i and lines[i - 1].strip():
            continue
        tail = "".join(lines[i:]).strip()
        if tail and tail in main:
            return "".join(lines[:i])
    return added
