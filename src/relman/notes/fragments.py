"""Text helpers shared by the notes commands: the release index and new notes files."""

from __future__ import annotations

import re

__all__ = ["add_toctree_entry", "start_text"]

_TOCTREE = re.compile(r"^(\s*)\.\. toctree::\s*$")


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
        if entry in entries:
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
