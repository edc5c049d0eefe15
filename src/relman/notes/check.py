"""`relman notes check`: every fragment valid, and a fragment on every branch.

Problems found (each with the file and the reason): a name that is not a
fragment name or has an unknown type, an empty file (fine for types whose
content is not shown), a file that is not UTF-8, reStructuredText that
docutils rejects (Sphinx roles and directives are allowed; Markdown fragments
are not read as reStructuredText), an issue number outside
``tool.relman.notes.issue-ranges``, two
files for the same fragment, blurb metadata errors; with ``against`` a branch
that adds no fragment and has no skip marker in its commit messages.
docutils' answers for towncrier fragments are remembered by content in the git
directory (written only by the commands that write caches, see
:mod:`relman._cache`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from relman._record import record
from relman.errors import CheckFailed, UsageError

if TYPE_CHECKING:
    from relman.config import Config
    from relman.notes.towncrier import Settings

__all__ = ["Problem", "check_fragments", "rst_problems"]


@record(kw_only=False)
class Problem:
    """One problem: the file (None for the branch) and why."""

    path: Path | None
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}" if self.path else self.reason


def _parse_ranges(ranges: Sequence[str]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for item in ranges:
        lo, sep, hi = item.partition("-")
        try:
            out.append((int(lo), int(hi)) if sep else (int(lo), int(lo)))
        except ValueError:
            raise UsageError(
                f"tool.relman.notes.issue-ranges: {item!r} is not a range like '1-30000'"
            ) from None
    return out


_SPHINX_NOISE = ("Unknown interpreted text role", "Unknown directive type", "No role entry for")


def rst_problems(text: str) -> list[str]:
    """docutils' warnings and errors for ``text`` (Sphinx roles/directives tolerated)."""
    import io

    import docutils.core
    import docutils.utils

    stream = io.StringIO()
    try:
        doctree = docutils.core.publish_doctree(
            text,
            settings_overrides={
                "report_level": 5,
                "halt_level": 5,
                "warning_stream": stream,
                "file_insertion_enabled": False,
                "raw_enabled": False,
                "_disable_config": True,
            },
        )
    except Exception as exc:  # docutils raises its own errors on broken input
        return [str(exc).splitlines()[0] if str(exc) else type(exc).__name__]
    out: list[str] = []
    for node in doctree.findall(docutils.nodes.system_message):
        if node["level"] < 2:
            continue
        msg = node.astext().splitlines()[0] if node.astext() else "invalid markup"
        if any(noise in msg for noise in _SPHINX_NOISE):
            continue
        line = node.get("line")
        out.append(f"line {line}: {msg}" if line else msg)
    # unknown roles also leave "problematic" nodes whose messages were filtered above
    return out


class _RstCache:
    """docutils' answer for a fragment's text, remembered by the text's blob id in
    ``<git-dir>/relman/cache/rst.json`` (salted with this module and docutils), so an
    unchanged set of fragments is not parsed again by the next `relman check`."""

    def __init__(self, config: Config) -> None:
        import hashlib
        import importlib.util

        from relman._cache import ResultCache
        from relman.errors import RelmanError
        from relman.git import find_repo

        self.cache: ResultCache | None = None
        try:
            git_dir = find_repo(config.project_dir).git_dir
        except RelmanError:
            return  # not in a git repository: nothing to remember in
        spec = importlib.util.find_spec("docutils")
        origin = spec.origin if spec is not None and spec.origin else ""
        stamp = os.stat(origin).st_mtime_ns if origin else 0
        salt = hashlib.sha1(Path(__file__).read_bytes() + f"{origin}{stamp}".encode())
        self.cache = ResultCache(git_dir, "rst", salt=salt.hexdigest())

    def problems(self, text: str) -> list[str]:
        if self.cache is None:
            return rst_problems(text)
        key = self.cache.key("", text)
        known = self.cache.get(key)
        if isinstance(known, list):
            return [str(m) for m in known]
        found = rst_problems(text)
        self.cache.put(key, found)
        return found

    def save(self) -> None:
        if self.cache is not None:
            self.cache.save()


def check_fragments(
    config: Config, *, against: str | None = None, rst: bool = True
) -> list[Problem]:
    """Every problem with the pending fragments (empty list: all good)."""
    system = config.notes.system
    if system == "towncrier":
        problems, fragment_dirs = _check_towncrier(config, rst=rst)
    elif system == "blurb":
        problems, fragment_dirs = _check_blurb(config, rst=rst)
    else:
        raise UsageError(
            "this project has no news fragment system configured",
            hint="configure [tool.towncrier], use Misc/NEWS.d (blurb), or set "
            "tool.relman.notes.system",
        )
    if against is not None:
        problems.extend(_check_branch(config, against, fragment_dirs))
    return problems


def _read(path: Path, problems: list[Problem], *, allow_empty: bool = False) -> str | None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.append(Problem(path, f"cannot be read: {exc.strerror}"))
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(path, f"not valid UTF-8 ({exc.reason} at byte {exc.start})"))
        return None
    if not text.strip():
        if not allow_empty:
            problems.append(Problem(path, "empty fragment"))
        return None
    return text.replace("\r\n", "\n")


def _markdown_fragment(settings: Settings, path: Path) -> bool:
    """The fragment is Markdown, not reStructuredText: its own extension says so
    (``1417.change.md``), or, for a fragment without one, the project's notes are
    Markdown (a template like attrs' ``towncrier_template.md.jinja``, a
    ``CHANGELOG.md``). towncrier renders with the template's last extension only;
    the check must not read attrs' Markdown fragments as reStructuredText."""
    suffix = path.suffix.lower()
    if settings.is_markdown or suffix in (".md", ".markdown"):
        return True
    if suffix == ".rst":
        return False
    template = settings.template[1] if isinstance(settings.template, tuple) else settings.template
    return ".md" in (s.lower() for s in Path(template).suffixes) or (
        Path(settings.filename).suffix.lower() == ".md"
    )


def _check_towncrier(config: Config, *, rst: bool) -> tuple[list[Problem], list[Path]]:
    import re

    from relman.notes.towncrier import (
        _check_fragment_file,
        _ignored_patterns,
        _matches_any,
        load_settings,
        parse_fragment_name,
    )

    settings = load_settings(config.project_dir, config.pyproject)
    ranges = _parse_ranges(config.notes.issue_ranges)
    patterns = _ignored_patterns(settings)
    problems: list[Problem] = []
    dirs: list[Path] = []
    checked = _RstCache(config) if rst else None
    for _section, section_path in settings.sections:
        folder = settings.fragment_dir(section_path)
        dirs.append(folder)
        try:
            names = sorted(os.listdir(folder))
        except (FileNotFoundError, NotADirectoryError):
            continue
        seen: dict[tuple[str, str, int], Path] = {}
        for name in names:
            path = folder / name
            if name.startswith(".") or path.is_dir():
                continue
            if _matches_any(name.lower(), patterns):
                continue
            parsed = parse_fragment_name(name, settings.type_map)
            if parsed is None:
                parts = name.split(".")
                if len(parts) >= 2:
                    reason = (
                        f"unknown fragment type {parts[1]!r} (known: "
                        + ", ".join(settings.type_map)
                        + ")"
                    )
                else:
                    reason = "not a fragment name (<issue>.<type>[.<counter>].<ext>)"
                problems.append(Problem(path, reason))
                continue
            issue, category, counter = parsed
            orphan = bool(settings.orphan_prefix) and issue.startswith(settings.orphan_prefix)
            if not orphan:
                key = (issue, category, counter)
                if key in seen:
                    problems.append(
                        Problem(path, f"same fragment as {seen[key].name}; add a counter")
                    )
                seen[key] = path
                if settings.issue_pattern and not re.fullmatch(settings.issue_pattern, issue):
                    problems.append(
                        Problem(
                            path,
                            f"issue {issue!r} does not match the pattern "
                            f"{settings.issue_pattern!r}",
                        )
                    )
                if ranges and issue.isdigit():
                    number = int(issue)
                    if not any(lo <= number <= hi for lo, hi in ranges):
                        problems.append(
                            Problem(
                                path,
                                f"issue {number} is outside the configured ranges "
                                f"({', '.join(config.notes.issue_ranges)})",
                            )
                        )
            # types whose content is not shown (towncrier's "misc", pip's "trivial")
            # are commonly empty files: `towncrier create` makes them so
            hidden = not settings.type_map[category].showcontent
            try:
                _check_fragment_file(os.fspath(path), settings.base_dir)
            except CheckFailed as exc:
                problems.append(Problem(path, exc.message.partition(": ")[2]))
                continue
            text = _read(path, problems, allow_empty=hidden)
            if text is not None and checked is not None and not _markdown_fragment(settings, path):
                for msg in checked.problems(text):
                    problems.append(Problem(path, f"invalid reStructuredText: {msg}"))
    if checked is not None:
        checked.save()
    return problems, dirs


def _check_blurb(config: Config, *, rst: bool) -> tuple[list[Problem], list[Path]]:
    from relman.notes import blurb

    root = config.project_dir
    next_dir = root / blurb.NEWS_D / "next"
    problems: list[Problem] = []
    known = {blurb.sanitize_section(s) for s in blurb.SECTIONS} | {
        s.replace("/", "-") for s in blurb.SECTIONS
    }
    if next_dir.is_dir():
        for folder in sorted(next_dir.iterdir()):
            if folder.is_dir() and folder.name not in known:
                problems.append(Problem(folder, "unknown blurb section folder"))
    ranges = _parse_ranges(config.notes.issue_ranges)
    checked = _RstCache(config) if rst else None
    for path in blurb.next_files(root):
        text = _read(path, problems)
        if text is None:
            continue
        try:
            meta = blurb._parse_next_name(os.path.relpath(path, root))
            entries = blurb.parse_entries(text, metadata=meta, filename=str(path))
        except CheckFailed as exc:
            problems.append(Problem(path, exc.message.split(": ", 1)[-1]))
            continue
        if len(entries) != 1:
            problems.append(Problem(path, "a 'next' file must hold exactly one entry"))
        issue = entries[0].get("gh-issue")
        if ranges and issue and issue.isdigit():
            number = int(issue)
            if not any(lo <= number <= hi for lo, hi in ranges):
                problems.append(Problem(path, f"issue {number} is outside the configured ranges"))
        if checked is not None:
            for msg in checked.problems(entries[0].body):
                problems.append(Problem(path, f"invalid reStructuredText: {msg}"))
    if checked is not None:
        checked.save()
    return problems, [next_dir]


def _check_branch(config: Config, against: str, dirs: Sequence[Path]) -> list[Problem]:
    from relman.git import find_repo

    repo = find_repo(config.project_dir)
    if repo.rev_parse(against) is None:
        raise UsageError(f"--against {against!r} is not a commit in this repository")
    root = repo.root.resolve()
    prefixes = [os.path.relpath(d.resolve(), root).replace(os.sep, "/") + "/" for d in dirs]
    added = repo.added_files(against)
    if any(a.startswith(p) for a in added for p in prefixes):
        return []
    marker = config.notes.skip_marker
    for commit in repo.log(f"{against}..HEAD"):
        if marker and (marker in commit.subject or marker in commit.body):
            return []
    return [
        Problem(
            None,
            f"this branch adds no news fragment since {against} "
            f"(add one with `relman notes new`, or write {marker!r} in a commit message)",
        )
    ]
