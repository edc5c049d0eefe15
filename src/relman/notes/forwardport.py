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

    None when the release's change is not an insertion after the start string,
    or main has no start string.
    """
    marker = start_string.strip()
    if not marker or marker not in release or marker not in main:
        return None
    after_release = release.split(marker, 1)[1].lstrip("\n")
    after_base = (base or "").split(marker, 1)[1].lstrip("\n") if base and marker in base else ""
    if after_base and not after_release.endswith(after_base):
        return None
    added = after_release[: len(after_release) - len(after_base)] if after_base else after_release
    if not added.strip():
        return main
    if added.strip() in main:
        return main  # forward-ported already
    head, after_main = main.split(marker, 1)
    rest = after_main.lstrip("\n")
    chunk = added if added.endswith("\n") else added + "\n"
    if rest and not chunk.endswith("\n\n"):
        chunk += "\n"
    return f"{head}{marker}\n{chunk}{rest}"
