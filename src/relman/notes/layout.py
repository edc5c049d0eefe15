"""Where a release's notes are kept, and whether they are committed there.

Usually the notes go to the configured news file. NumPy's news file
(``doc/source/release/notes-towncrier.rst``) is ignored by git: the tracked
``doc/source/release/X.Y.Z-notes.rst`` of the release includes it with
``.. include:: notes-towncrier.rst``, and the release manager puts the
generated text into the release file in place of the include. Then the
release file is where the notes are kept: :func:`including_file` finds it and
:func:`replace_include` puts the notes in.

:func:`notes_home` names the file a release's notes are committed in, and
:func:`notes_committed` says whether that file, at a commit, holds the notes
of the release (a section that names the version, no include left).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from relman.notes.sections import names_version, release_section

if TYPE_CHECKING:
    from relman.git import Repo

__all__ = ["include_pattern", "including_file", "notes_committed", "replace_include"]


def _versions(version: str) -> list[str]:
    from packaging.version import InvalidVersion, Version

    try:
        base = Version(version).base_version
    except InvalidVersion:
        return [version]
    return [version] if base == version else [version, base]


def include_pattern(target: str) -> re.Pattern[str]:
    """The ``.. include::`` line (rst) or MyST include of the file ``target``."""
    name = re.escape(target)
    return re.compile(
        rf"^[ \t]*(?:\.\.[ \t]+include::[ \t]+(?:\./)?{name}|```\{{include\}}[ \t]+(?:\./)?{name}\n```)[ \t]*$",
        re.MULTILINE,
    )


def including_file(
    repo: Repo, news_file: Path, version: str, *, ignored: bool | None = None
) -> Path | None:
    """The tracked notes file of ``version`` kept beside the ignored ``news_file``.

    Only for a news file git ignores and does not track (NumPy's
    ``notes-towncrier.rst``); the release file sits in the same folder and
    names the version (or its base version, for a pre-release) in its name.
    One that still includes the news file is preferred; once the notes are
    in it (after a release candidate) it no longer does. ``ignored`` is
    whether git ignores ``news_file``, when the caller asked git already.
    """
    root = repo.root.resolve()
    try:
        rel = news_file.resolve().relative_to(root).as_posix()
    except ValueError:
        return None
    if ignored is None:
        ignored = repo.is_ignored(rel)  # git never counts a tracked file as ignored
    if not ignored:
        return None
    folder_rel = Path(os.path.relpath(news_file.resolve().parent, root)).as_posix()
    pattern = include_pattern(news_file.name)
    candidates = sorted(
        f
        for f in repo.ls_files(folder_rel)
        if os.path.dirname(f) == ("" if folder_rel == "." else folder_rel)
        and os.path.basename(f) != news_file.name
    )
    found: Path | None = None
    for version_ in _versions(version):
        for name in candidates:
            if not names_version(os.path.basename(name), version_):
                continue
            path = root / name
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            if pattern.search(text):
                return path
            found = found or path
    return found


def replace_include(text: str, include_of: str, notes: str) -> str:
    """``text`` with the include of ``include_of`` replaced by ``notes``."""
    pattern = include_pattern(include_of)
    m = pattern.search(text)
    if m is None:
        return text
    before = text[: m.start()].rstrip("\n")
    after = text[m.end() :].lstrip("\n")
    body = notes.strip("\n")
    out = (before + "\n\n" if before else "") + body + "\n"
    if after:
        out += "\n" + after
    return out


def notes_committed(
    repo: Repo,
    path: str,
    version: str,
    *,
    rev: str = "HEAD",
    start_string: str = "",
    include_of: str | None = None,
) -> bool:
    """Whether the file ``path`` at ``rev`` holds the notes of ``version``.

    The file must exist at ``rev``, hold a section (or a name) for the version
    and, for NumPy's layout, no longer include the generated file.
    """
    text = repo.show_file(rev, path)
    if text is None:
        return False
    if include_of is not None and include_pattern(include_of).search(text):
        return False
    marker = start_string.strip()
    if marker and marker in text and not text.split(marker, 1)[1].strip():
        return False  # started (`relman notes start`), not built yet
    for v in _versions(version):
        if names_version(os.path.basename(path), v):
            return True
        if release_section(text, v, filename=path, start_string=start_string) is not None:
            return True
    return False
