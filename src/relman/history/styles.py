"""Project styles of a changelog: whose rules pick the people and pull requests, and the layout.

=========  ===================  =======================  ==========================
style      people               pull requests            layout
=========  ===================  =======================  ==========================
numpy      mailmap rule         merges, squash merges;   ``doc/changelog`` file:
           (``%aN``, trailers)  backport PRs listed      Contributors, Pull requests
                                themselves               merged
scipy      names rule           also ``Title (#N)``      release notes sections:
           (authors.py)         merges; a backport PR    Authors (with counts),
                                gives way to its         Pull requests for X
                                originals; first-parent
                                merges only; what an
                                older line shipped
                                (milestones) left out
default    mailmap rule         as scipy, without        as numpy
                                the last two rules
=========  ===================  =======================  ==========================

The style is ``[tool.relman.changelog] style``, detected from the project
(its name, or its own changelog script in ``tools/``). Titles are made safe
for rst as both projects' scripts do: whitespace collapsed, lone backticks
doubled into literals, ``*`` escaped (SciPy keeps it inside literals), long
titles cut after 60 characters at the next word, or at 80, with "...".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from relman.errors import UsageError
from relman.history._log import BEFORE_FIELDS_MAILMAP, BEFORE_FIELDS_RAW


@dataclass(frozen=True)
class Style:
    name: str
    people: str  # "mailmap" or "names"
    title_merges: bool  # "Title (#N)" merge commits on the first-parent line count
    originals: bool  # a backport PR gives way to the pull requests it carries
    layout: str  # "numpy" or "scipy"
    milestones: bool = False  # a PR shipped by an older line's release belongs to that release
    nested_merges: bool = True  # "Merge pull request" commits inside a PR's branch count

    @property
    def before_fields(self) -> tuple[str, ...]:
        return BEFORE_FIELDS_RAW if self.people == "names" else BEFORE_FIELDS_MAILMAP


STYLES = {
    "numpy": Style("numpy", "mailmap", title_merges=False, originals=False, layout="numpy"),
    "scipy": Style(
        "scipy",
        "names",
        title_merges=True,
        originals=True,
        layout="scipy",
        milestones=True,
        nested_merges=False,
    ),
    "default": Style("default", "mailmap", title_merges=True, originals=True, layout="numpy"),
}


def get_style(name: str) -> Style:
    try:
        return STYLES[name]
    except KeyError:
        raise UsageError(
            f"unknown changelog style {name!r}", hint=f"use one of {', '.join(STYLES)}"
        ) from None


def _space_after(m: re.Match[str]) -> str:
    # a literal must be followed by a space or an escaped one
    following = m.group(2)
    return f"``{m.group(1)}``" + (following if following == " " else "\\ " + following)


def _unescape_in_literal(m: re.Match[str]) -> str:
    return "``" + m.group(1).replace("\\*", "*") + "``"


def title_rules(style: Style, project_dir: Path) -> str:
    """``legacy`` when the project's own ``tools/changelog.py`` predates rst-safe titles.

    NumPy's script only shortened titles until November 2024 (and, by a bug,
    never cut those whose next word ran past 80 characters), and lone
    backticks were doubled after; releases made with it show titles that way. Otherwise the style's name.
    """
    if style.name == "numpy":
        script = project_dir / "tools" / "changelog.py"
        try:
            if "backtick" not in script.read_text(encoding="utf-8", errors="replace"):
                return "legacy"
        except OSError:
            pass
    return style.name


def sanitize_title(title: str, style: str = "numpy") -> str:
    """A pull-request title made safe for rst, shortened the way NumPy's and SciPy's lists do.

    ``style`` is ``numpy``, ``scipy`` (which keeps ``*`` unescaped inside
    literals) or ``legacy`` (NumPy's script before November 2024: shortened only).
    """
    text = " ".join(title.split())
    if style == "legacy":
        if len(text) > 60:
            rest = re.sub(r"\s.*$", "...", text[60:])
            if len(rest) <= 20:
                text = text[:60] + rest
        # the published files then had their lone backticks doubled
        return re.sub(r"(?<!`)`(?!`)", "``", text)
    if len(text) <= 60 and "`" not in text and "*" not in text:
        return text
    # a lone backtick becomes a double one (inline literal)
    text = re.sub(r"(?<!`)`(?!`)", "``", text)
    text = re.sub(r"``(.*?)``(.)", _space_after, text)
    text = text.replace("*", "\\*")
    if style == "scipy":
        text = re.sub(r"``(.*?)``", _unescape_in_literal, text)
    if len(text) > 60:
        rest = re.sub(r"\s.*$", "...", text[60:])
        text = text[:80] + "..." if len(rest) > 20 else text[:60] + rest
        if text.count("`") % 4:
            # cut inside a literal: close it before the ellipsis
            text = text[:-3] + "``..."
    return text


# whitespace str.split() splits at, but for the space (ASCII, then the rest of Unicode's):
# one search in C for each is faster than a regex over all the titles
_OTHER_SPACES = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000"
)


def sanitize_titles(titles: Sequence[str], style: str = "numpy") -> list[str]:
    """``[sanitize_title(t, style) for t in titles]``, looking at all of them at once.

    Most titles come from git as :func:`sanitize_title` would leave them:
    single spaces, at most 60 characters, no backtick or ``*``. When no
    title has other whitespace than single spaces between words (checked
    on all of them joined), only those that are long or hold ``*`` or a
    backtick go through :func:`sanitize_title`.
    """
    # a space on each side of the separator: a title's leading or trailing space, like
    # two between its words, makes two in a row (one search for the three)
    joined = " \x00 ".join(titles)
    if (
        "  " in joined
        or joined[:1] == " "
        or joined[-1:] == " "
        or any(space in joined for space in _OTHER_SPACES)
    ):
        return [sanitize_title(t, style) for t in titles]
    if "`" not in joined and "*" not in joined and max(map(len, titles), default=0) <= 60:
        return list(titles)  # (each search above is one pass in C, where a loop is not)
    return [
        t if len(t) <= 60 and "`" not in t and "*" not in t else sanitize_title(t, style)
        for t in titles
    ]
