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
        return None
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
