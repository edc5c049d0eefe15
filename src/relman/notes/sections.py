"""One release's section of a notes file, and that section rendered for a medium.

A news file kept as one file for every release (towncrier's default) holds a
title, the start string and every earlier release; the announcement and the
GitHub release carry only the section of the release they announce.
:func:`release_section` finds it: the first heading that names the version
and everything up to the next heading of the same or a higher level. A file
kept per release (NumPy's ``X.Y.Z-notes.rst``) is the section as a whole,
less its title.

The section is then rendered for where it goes: :func:`as_plain_text` for
mail (reStructuredText or Markdown markup reduced to readable text) and
:func:`as_markdown` for GitHub (reStructuredText turned into GitHub Markdown).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from relman._regex import LazyPattern

__all__ = ["Section", "as_markdown", "as_plain_text", "names_version", "release_section"]

_ADORNMENT = LazyPattern(r"^([!-/:-@\[-`{-~])\1*\s*$")
_MD_HEADING = LazyPattern(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


@dataclass(frozen=True, kw_only=True)
class Section:
    """A release's section: its title, its body and whether it is Markdown."""

    title: str
    body: str
    markdown: bool = False


def names_version(text: str, version: str) -> bool:
    """Whether ``text`` names ``version`` itself: "26.4", not "1.26.4", "26.4.1" or "26.4rc1"."""
    # at a word start, or after a `v` that starts a word ("v26.4")
    pattern = r"(?:(?<![\w.])|(?<=(?<![\w.])[vV]))" + re.escape(version) + r"(?![\w]|\.\d)"
    return re.search(pattern, text) is not None


@dataclass(frozen=True)
class _Heading:
    start: int  # first line of the heading (the overline when there is one)
    end: int  # first line after it
    title: str
    style: str  # "=" or "=o" (with overline) for rst, "#" * level for Markdown


def _rst_headings(lines: list[str]) -> list[_Heading]:
    out: list[_Heading] = []
    i = 0
    n = len(lines)
    while i < n:
        line = lines[i]
        # overline + title + underline
        if (
            i + 2 < n
            and _ADORNMENT.match(line)
            and lines[i + 1].strip()
            and lines[i + 2].rstrip() == line.rstrip()
            and len(line.rstrip()) >= len(lines[i + 1].strip())
        ):
            out.append(_Heading(i, i + 3, lines[i + 1].strip(), line[0] + "o"))
            i += 3
            continue
        if (
            i + 1 < n
            and line.strip()
            and not line[0].isspace()
            and not _ADORNMENT.match(line)
            and _ADORNMENT.match(lines[i + 1])
            and len(lines[i + 1].rstrip()) >= len(line.rstrip())
            and len(lines[i + 1].rstrip()) >= 2
        ):
            out.append(_Heading(i, i + 2, line.strip(), lines[i + 1][0]))
            i += 2
            continue
        i += 1
    return out


def _md_headings(lines: list[str]) -> list[_Heading]:
    out: list[_Heading] = []
    fenced = False
    for i, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        m = None if fenced else _MD_HEADING.match(line)
        if m:
            out.append(_Heading(i, i + 1, m.group(2), m.group(1)))
    return out


def _is_markdown(text: str, filename: str) -> bool:
    if filename:
        return filename.lower().endswith(".md")
    return bool(re.search(r"^#{1,6} ", text, re.MULTILINE)) and not re.search(
        r"^[=\-~^]{3,}\s*$", text, re.MULTILINE
    )


def release_section(
    text: str, version: str, *, filename: str = "", start_string: str = ""
) -> Section | None:
    """The section of ``text`` that holds the notes of ``version`` (None: there is none).

    ``filename`` says the markup (``.md`` is Markdown); ``start_string`` is
    towncrier's marker, after which the releases begin.
    """
    markdown = _is_markdown(text, filename)
    text = text.replace("\r\n", "\n")
    if start_string and start_string.strip() in text:
        text = text.split(start_string.strip(), 1)[1].lstrip("\n")
    lines = text.split("\n")
    headings = _md_headings(lines) if markdown else _rst_headings(lines)
    if markdown:
        rank = {h.style: len(h.style) for h in headings}
    else:
        rank = {}
        for h in headings:  # rst levels are the order styles first appear in
            rank.setdefault(h.style, len(rank))
    for k, heading in enumerate(headings):
        if not names_version(heading.title, version):
            continue
        level = rank[heading.style]
        stop = len(lines)
        for later in headings[k + 1 :]:
            if rank[later.style] <= level:
                stop = later.start
                break
        body = "\n".join(lines[heading.end : stop]).strip("\n")
        return Section(title=heading.title, body=_drop_directives(body), markdown=markdown)
    return None


def _drop_directives(body: str) -> str:
    """The body without comments and file-level directives (towncrier's marker, includes)."""
    out: list[str] = []
    skipping = False
    for line in body.split("\n"):
        if skipping:
            if not line.strip() or line[:1].isspace():
                continue
            skipping = False
        stripped = line.strip()
        if re.match(r"\.\.(\s+(currentmodule|include|towncrier)\b.*|\s*)$", stripped) or (
            stripped.startswith(".. ") and "::" not in stripped and not stripped.startswith(".. _")
        ):
            skipping = True
            continue
        out.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip("\n")


# -- rendering for a medium ---------------------------------------------------

_RST_LINK = LazyPattern(r"`([^`<]+?)\s*<([^>`]+)>`__?")
_RST_ROLE = LazyPattern(r":[\w:+-]+:`~?([^`]+)`")
_RST_LITERAL = LazyPattern(r"``(.+?)``")
_RST_REF = LazyPattern(r"`([^`]+)`_{1,2}")
_MD_LINK = LazyPattern(r"\[([^\]]+)\]\(([^)\s]+)\)")


def _role_text(match: re.Match[str]) -> str:
    text = match.group(1)
    m = re.match(r"(.*?)\s*<[^>]+>$", text)  # :ref:`title <target>`
    return m.group(1) if m else text


def as_plain_text(section: Section) -> str:
    """The section as plain text for mail: headings kept, inline markup dropped."""
    if section.markdown:
        lines = []
        for line in section.body.split("\n"):
            m = _MD_HEADING.match(line)
            if m:
                title = _MD_LINK.sub(r"\1 (\2)", m.group(2))
                lines += [title, ("=" if len(m.group(1)) <= 2 else "-") * len(title)]
            else:
                lines.append(_MD_LINK.sub(r"\1 (\2)", line))
        return "\n".join(lines).strip("\n")
    out: list[str] = []
    lines = section.body.split("\n")
    heading_lines = {h.start for h in _rst_headings(lines)} | {
        h.start + 1 for h in _rst_headings(lines)
    }
    for i, line in enumerate(lines):
        new = _RST_LINK.sub(r"\1 (\2)", line)
        new = _RST_ROLE.sub(_role_text, new)
        new = _RST_LITERAL.sub(r"\1", new)
        new = _RST_REF.sub(r"\1", new)
        if i in heading_lines and i + 1 < len(lines) and _ADORNMENT.match(lines[i + 1]):
            out.append(new)
            out.append(lines[i + 1][0] * len(new.strip()))
            continue
        if i - 1 in heading_lines and _ADORNMENT.match(line) and out and i > 0:
            continue  # the underline was written with the title
        out.append(new)
    return "\n".join(out).strip("\n")


def as_markdown(section: Section) -> str:
    """The section as GitHub Markdown (a Markdown section stays as it is)."""
    if section.markdown:
        return section.body
    lines = section.body.split("\n")
    headings = {h.start: h for h in _rst_headings(lines)}
    rank: dict[str, int] = {}
    for h in headings.values():
        rank.setdefault(h.style, len(rank))
    out: list[str] = []
    i = 0
    in_code = False
    code_indent = 0
    while i < len(lines):
        line = lines[i]
        if in_code:
            if line.strip() and len(line) - len(line.lstrip()) < code_indent:
                while out and not out[-1].strip():
                    out.pop()
                out.append("```")
                in_code = False
            else:
                out.append(line[code_indent:] if line.strip() else "")
                i += 1
                continue
        if i in headings:
            h = headings[i]
            out.append("#" * min(rank[h.style] + 2, 6) + " " + _inline_markdown(h.title))
            i = h.end
            continue
        stripped = line.rstrip()
        if stripped.endswith("::") and not stripped.lstrip().startswith(".. "):
            # a literal block follows: "text::" -> "text:", then a fenced block
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            if j < len(lines) and lines[j][:1].isspace():
                lead = stripped[:-2].rstrip()
                if lead.strip():
                    out.append(_inline_markdown(lead + ":"))
                out.append("```")
                code_indent = len(lines[j]) - len(lines[j].lstrip())
                in_code = True
                i = j
                continue
        m = re.match(r"^(\s*)#\.\s", line)
        if m:
            line = m.group(1) + "1. " + line[m.end() :]
        out.append(_inline_markdown(line))
        i += 1
    if in_code:
        while out and not out[-1].strip():
            out.pop()
        out.append("```")
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip("\n")


def _inline_markdown(line: str) -> str:
    line = _RST_LINK.sub(r"[\1](\2)", line)
    line = _RST_ROLE.sub(lambda m: f"`{_role_text(m)}`", line)
    line = _RST_LITERAL.sub(r"`\1`", line)
    return _RST_REF.sub(r"\1", line)
