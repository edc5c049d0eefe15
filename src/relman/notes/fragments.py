"""Text helpers shared by the notes commands: the release index and new notes files."""

from __future__ import annotations

import re

from relman._regex import LazyPattern

__all__ = [
    "add_toctree_entry",
    "entry_target",
    "next_release_file",
    "start_from_previous",
    "start_text",
]

_TOCTREE = LazyPattern(r"^(\s*)\.\. toctree::\s*$")


def add_toctree_entry(text: str, entry: str) -> str:
    """``text`` with ``entry`` as the first entry of its first toctree.

    NumPy's ``doc/source/release.rst`` lists the notes newest first under one
    ``.. toctree::``; the entry is indented like the existing ones. An entry
    already listed leaves the text unchanged; without a toctree one is added.
    """
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        m = _TOCTREE.match(line)
        if not m:
            continue
        base = m.group(1)
        j = i + 1
        # options (":maxdepth: 2") and blank lines after the directive
        while j < len(lines) and (not lines[j].strip() or lines[j].strip().startswith(":")):
            if not lines[j].strip():
                j += 1
                continue
            if len(lines[j]) - len(lines[j].lstrip()) <= len(base):
                break
            j += 1
        indent = base + "   "
        entries: list[str] = []
        k = j
        while k < len(lines) and lines[k].strip():
            current = lines[k]
            width = len(current) - len(current.lstrip())
            if width <= len(base):
                break
            if not entries:
                indent = current[:width]
            entries.append(current.strip())
            k += 1
        if entry_target(entry) in {entry_target(e) for e in entries}:
            return text
        if (j > 0 and not lines[j - 1].strip()) or entries:
            new = f"{indent}{entry}\n"
        else:
            new = f"\n{indent}{entry}\n"
        if j == len(lines) and lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        lines.insert(j, new)
        return "".join(lines)
    prefix = text if not text or text.endswith("\n") else text + "\n"
    sep = "\n" if prefix.strip() else ""
    return f"{prefix}{sep}.. toctree::\n   :maxdepth: 2\n\n   {entry}\n"


def start_text(
    template: str | None,
    *,
    version: str,
    name: str,
    title_format: str,
    underline: str,
    highlights: bool,
    start_string: str,
) -> str:
    """The first text of a release's notes file.

    From ``template`` with ``{version}`` and ``{name}`` replaced, or a title
    and (when ``highlights``) a Highlights placeholder. The towncrier start
    string is appended when missing, so that the build inserts the notes there.
    """
    if template is not None:
        text = template.replace("{version}", version).replace("{name}", name)
    else:
        title = title_format.format(name=name, version=version, project_date="")
        text = f"{underline * len(title)}\n{title}\n{underline * len(title)}\n\n"
        if highlights:
            text += "Highlights\n" + "=" * len("Highlights") + "\n\n*We hope to have ...*\n\n"
    if start_string not in text:
        text = text.rstrip("\n") + "\n\n" + start_string
        if not text.endswith("\n"):
            text += "\n"
    return text


ENTRY_VERSION = LazyPattern(r"^(?P<head>.*?)(?P<version>\d+(?:\.\d+)+)(?P<tail>[^/]*)$")


def toctree_entries(text: str) -> list[str]:
    """The entries of the first toctree of ``text``, in order."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if not _TOCTREE.match(line):
            continue
        out: list[str] = []
        for later in lines[i + 1 :]:
            stripped = later.strip()
            if not stripped or stripped.startswith(":"):
                if out and not stripped:
                    break
                continue
            if not later[:1].isspace():
                break
            out.append(stripped)
        return out
    return []


def entry_target(entry: str) -> str:
    """The document an entry names: ``2.6.0 <release/2.6.0-notes>`` -> ``release/2.6.0-notes``."""
    m = re.fullmatch(r".*<([^>]+)>\s*", entry)
    return m.group(1) if m else entry


def next_release_file(index_text: str, version: str) -> tuple[str, str] | None:
    """(entry, previous entry) of ``version`` in a release index listing one file per release.

    SciPy's ``doc/source/release.rst`` lists ``release/X.Y.Z-notes`` and
    NumPy's ``X.Y.Z <release/X.Y.Z-notes>``, newest first; the new entry
    follows the newest one's pattern.
    """
    for entry in toctree_entries(index_text):
        m = ENTRY_VERSION.match(entry_target(entry))
        if m:
            return entry.replace(m["version"], version), entry
    return None


_PLACEHOLDER = LazyPattern(r"\b\d+\.x+\.x+\b|\bX\.Y\.Z\b")


def _resize_adornments(text: str) -> str:
    """Over- and underlines as long as the title they mark (after a version changed)."""
    rule = re.compile(r"([=\-~^*#+])\1+")
    lines = text.split("\n")
    for i in range(1, len(lines)):
        title = lines[i - 1].rstrip()
        if not rule.fullmatch(lines[i]) or not title or rule.fullmatch(title):
            continue
        lines[i] = lines[i][0] * len(title)
        if i >= 2 and rule.fullmatch(lines[i - 2]) and lines[i - 2][0] == lines[i][0]:
            lines[i - 2] = lines[i][0] * len(title)
    return "\n".join(lines)


def start_from_previous(
    template: str | None, previous: str | None, *, old_version: str, version: str, name: str
) -> str:
    """The first text of the next per-release notes file.

    From the template (``{version}``, ``{name}`` and NumPy's ``2.xx.x``
    placeholder replaced), or else from the previous release's file: its title
    block with the version changed.
    """
    if template is not None:
        text = template.replace("{version}", version).replace("{name}", name)
        text = _PLACEHOLDER.sub(version, text)
        return _resize_adornments(text)
    lines = (previous or "").split("\n")
    head: list[str] = []
    for line in lines:
        if head and not line.strip() and any(old_version in h for h in head):
            break
        head.append(line)
        if len(head) > 6:
            head = []
            break
    if not head:
        title = f"{name} {version} Release Notes"
        return f"{'=' * len(title)}\n{title}\n{'=' * len(title)}\n"
    block = "\n".join(head).replace(old_version, version)
    return _resize_adornments(block).rstrip("\n") + "\n"
