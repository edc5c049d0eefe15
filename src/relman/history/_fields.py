"""The fields the changelog's ``git log`` passes ask for, by position, and plain ranges.

Apart from ``_log`` (which reads the passes) so that the CLI can start the
passes before importing anything else (see :mod:`relman.cli`):
:func:`plain_range` tells when git can be given the range as the user wrote it,
:func:`likely_before_fields` what the pass before the range will be asked for.
"""

from __future__ import annotations

import os

# fields of a commit of the range
SHA, PARENTS, NAME, EMAIL, RAW_NAME, COMMITTER, SUBJECT, CO_AUTHORS, BODY = range(9)
RANGE_FIELDS = (
    "%H",
    "%P",
    "%aN",
    "%aE",
    "%an",
    "%cn",
    "%s",
    "%(trailers:key=Co-authored-by,valueonly,separator=%x1d)",
    "%b",
)
# what each style needs of the history before the range
BEFORE_FIELDS_MAILMAP = ("%aN", "%(trailers:key=Co-authored-by,valueonly,separator=%x1d)")
BEFORE_FIELDS_RAW = ("%an", "%cn", "%b")


def plain_range(rev_range: str) -> bool:
    """True when ``git log RANGE`` lists what ``_log.resolve_range`` makes of it (``A..B``, ``B``).

    Revisions with spaces, a leading ``-`` or ``^``, ``:`` or ``...`` are left
    to be resolved first.
    """
    text = rev_range.strip()
    if not text or "..." in text or ":" in text or any(c.isspace() for c in text):
        return False
    return not any(side.startswith(("-", "^")) for side in text.split(".."))


def likely_before_fields(style: str | None, project_dir: str) -> tuple[str, ...]:
    """The fields of the pass before the range for ``style`` (``--style``), or the likely style.

    Without ``--style``: the names rule's fields where the project keeps
    SciPy's author scripts, else the mailmap rule's. A wrong guess (a style
    set in ``pyproject.toml``) only costs the pass started again.
    """
    if style is None:
        tools = os.path.join(project_dir, "tools")
        scipy = os.path.isfile(os.path.join(tools, "release", "authors.py")) or all(
            os.path.isfile(os.path.join(tools, name)) for name in ("authors.py", "gh_lists.py")
        )
        style = "scipy" if scipy else "default"
    return BEFORE_FIELDS_RAW if style == "scipy" else BEFORE_FIELDS_MAILMAP
