"""blurb-compatible news entries (CPython's ``Misc/NEWS.d``).

"next" entries live in ``Misc/NEWS.d/next/<section>/<date>.gh-issue-<N>.<nonce>.rst``;
``blurb release X`` merges them into ``Misc/NEWS.d/X.rst``. This module parses
entries with blurb's rules and renders the release file byte for byte as blurb
does (same order, same metadata, same wrapping).
"""

from __future__ import annotations

import base64
import glob
import hashlib
import itertools
import os
import re
import textwrap
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from relman._regex import LazyPattern
from relman.errors import CheckFailed, UsageError

__all__ = [
    "SECTIONS",
    "Entry",
    "find_entries",
    "new_entry_path",
    "parse_entries",
    "release_file",
    "render_release",
    "textwrap_body",
]

SECTIONS = (
    "Security",
    "Core and Builtins",
    "Library",
    "Documentation",
    "Tests",
    "Build",
    "Windows",
    "macOS",
    "iOS",
    "Android",
    "FreeBSD",
    "WASI",
    "Emscripten",
    "Unsupported platforms",
    "IDLE",
    "Tools/Demos",
    "C API",
)
_SANITIZE = {
    "C API": "C_API",
    "Core and Builtins": "Core_and_Builtins",
    "Tools/Demos": "Tools-Demos",
    "Unsupported platforms": "Unsupported_platforms",
}
_UNSANITIZE = {v: k for k, v in _SANITIZE.items()}
LOWEST_GH_ISSUE = 32426
_CVE = LazyPattern(r"(?:CVE-)?(\d{4})-(\d{4,})", re.IGNORECASE | re.ASCII)

NEWS_D = Path("Misc") / "NEWS.d"


def sanitize_section(section: str) -> str:
    return _SANITIZE.get(section, section)


def _unsanitize_path(filename: str) -> str:
    for key, value in _UNSANITIZE.items():
        for sep in ("/", "\\"):
            filename = filename.replace(f"{sep}{key}{sep}", f"{sep}{value}{sep}")
    return filename


def textwrap_body(
    body: str | Iterable[str], *, initial_indent: str = "", subsequent_indent: str = ""
) -> str:
    """blurb's body wrapping: paragraphs reflowed twice at 76 columns, lists kept."""
    text = body if isinstance(body, str) else "\n".join(body).rstrip()
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    paragraphs = text.split("\n\n")
    out: list[str] = []
    kwargs: dict[str, str] = {}
    if initial_indent:
        kwargs["initial_indent"] = initial_indent
    if subsequent_indent:
        kwargs["subsequent_indent"] = subsequent_indent
    dont_reflow = False
    for paragraph in paragraphs:
        dont_reflow = dont_reflow or paragraph.startswith(("* ", "- ", "1. ", "#. "))
        if dont_reflow:
            initial = kwargs.get("initial_indent", "")
            subsequent = kwargs.get("subsequent_indent", "")
            if initial or subsequent:
                lines = [line.rstrip() for line in paragraph.split("\n")]
                indents = itertools.chain(
                    itertools.repeat(initial, 1), itertools.repeat(subsequent)
                )
                paragraph = "\n".join(i + line for i, line in zip(indents, lines, strict=False))
            out.append(paragraph)
        else:
            # blurb wraps twice: the first pass can change how the second one
            # wraps (spaces after a period), and only the second is stable
            for second in (False, True):
                if second:
                    paragraph = paragraph.removeprefix(initial_indent)
                paragraph = "\n".join(
                    textwrap.wrap(
                        paragraph.strip(),
                        width=76,
                        break_long_words=False,
                        break_on_hyphens=False,
                        **kwargs,  # type: ignore[arg-type]
                    )
                ).rstrip()
            out.append(paragraph)
        dont_reflow = paragraph.endswith("::")
        if subsequent_indent:
            kwargs["initial_indent"] = subsequent_indent
    result = "\n\n".join(out).rstrip()
    if not result.endswith("\n"):
        result += "\n"
    return result


def generate_nonce(body: str) -> str:
    digest = hashlib.md5(body.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest)[0:6].decode("ascii")


@dataclass(frozen=True)
class Entry:
    """One news entry: its metadata (ordered as read) and its wrapped body."""

    metadata: tuple[tuple[str, str], ...]
    body: str
    path: Path | None = None

    def get(self, key: str) -> str | None:
        for k, v in self.metadata:
            if k == key:
                return v
        return None


def _normalize_cve(value: str) -> str | None:
    match = _CVE.fullmatch(value.strip())
    if match is None:
        return None
    return f"CVE-{match.group(1)}-{match.group(2)}"


def parse_entries(
    text: str, *, metadata: dict[str, str] | None = None, filename: str = "input"
) -> list[Entry]:
    """Entries of a blurb file, checked with blurb's rules (:class:`CheckFailed` otherwise)."""
    entries: list[Entry] = []
    meta: dict[str, str] = dict(metadata or {})
    body: list[str] = []
    in_metadata = True
    line_number = 0

    def throw(message: str) -> None:
        raise CheckFailed(f"{filename}:{line_number}: {message}")

    def finish() -> None:
        nonlocal meta, body, in_metadata
        if not body:
            throw("the body text must not be empty")
        wrapped = textwrap_body(body)
        for prefix in ("- ", "Issue #", "bpo-", "gh-", "gh-issue-"):
            if re.match(prefix, wrapped, re.I):
                throw(f"the body can't start with {prefix!r}")
        no_changes = meta.get("no changes")
        for key, value in list(meta.items()):
            if key in ("gh-issue", "bpo"):
                try:
                    int(value)
                except (TypeError, ValueError):
                    throw(f"invalid {'GitHub' if key == 'gh-issue' else 'bpo'} number: {value!r}")
            if key == "gh-issue" and not no_changes and int(value) < LOWEST_GH_ISSUE:
                throw(f"invalid gh-issue number: {value!r} (must be >= {LOWEST_GH_ISSUE})")
            if key == "section" and not no_changes and value not in SECTIONS:
                throw(f"invalid section {value!r}; use one of the predefined sections")
            if key == "cve":
                cve = _normalize_cve(value)
                if cve is None:
                    throw(f"invalid CVE identifier: {value!r} (expected CVE-YYYY-NNNN)")
                else:
                    meta[key] = cve
        if "cve" in meta and meta.get("section") != "Security":
            throw("'cve:' may only be used in the 'Security' section")
        if "gh-issue" not in meta and "bpo" not in meta:
            throw("'gh-issue:' or 'bpo:' must be specified in the metadata")
        if "section" not in meta:
            throw("no 'section' specified")
        entries.append(Entry(tuple(meta.items()), wrapped))
        meta = {}
        body = []
        in_metadata = True

    for line_number, raw_line in enumerate(text.split("\n")):  # noqa: B007
        line = raw_line.rstrip()
        if in_metadata:
            if line.startswith(".."):
                name, colon, value = line[2:].strip().partition(":")
                if not colon:
                    throw(f"metadata line without ':': {line!r}")
                name = name.lower().strip()
                if name in meta:
                    throw(f"metadata sets {name!r} twice")
                meta[name] = value.strip()
                continue
            if line.startswith("#"):
                comment = line[1:].strip()
                cname, _, cvalue = comment[2:].partition(":")
                if comment.startswith("..") and cname.lower().strip() == "cve" and cvalue.strip():
                    throw(f"CVE given but the line is still commented out: {line!r}")
                continue
            if not line:
                continue
            in_metadata = False
        if line == "..":
            finish()
            continue
        body.append(line)
    finish()
    return entries


def render_entries(entries: Sequence[Entry]) -> str:
    """blurb's ``str(Blurbs)``: sorted metadata, a blank line, the wrapped body."""
    out: list[str] = []
    for i, entry in enumerate(entries):
        if i:
            out.append("\n..\n\n")
        if entry.metadata:
            for name, value in sorted(entry.metadata):
                out.append(f".. {name}: {value}\n")
            out.append("\n")
        out.append(textwrap_body(entry.body))
    return "".join(out)


def _parse_next_name(path: str) -> dict[str, str]:
    components = path.split(os.sep)
    section, filename = components[-2:]
    section = _UNSANITIZE.get(section, section)
    if section not in SECTIONS:
        raise CheckFailed(f"{path}: unknown section folder {components[-2]!r}")
    fields = [x.strip() for x in filename.split(".")]
    if len(fields) < 4 or fields[-1] != "rst":
        raise CheckFailed(
            f"{path}: not a blurb file name (<date>.gh-issue-<N>.<nonce>.rst)",
        )
    meta = {"date": fields[0], "nonce": fields[-2], "section": section}
    for part in fields[1:-2]:
        for name in ("gh-issue", "bpo"):
            _, got, value = part.partition(f"{name}-")
            if got:
                meta[name] = value.strip()
                break
        else:
            raise CheckFailed(f"{path}: cannot parse {part!r} in the file name")
    return meta


def next_files(project_dir: Path) -> list[Path]:
    """The "next" entry files in blurb's order (sections in order, names descending)."""
    base = os.path.join("Misc", "NEWS.d", "next")
    found: list[str] = []
    for section in SECTIONS:
        names: list[str] = []
        seen: set[str] = set()
        for dir_name in (sanitize_section(section), section.replace("/", "-")):
            if dir_name in seen:
                continue
            seen.add(dir_name)
            pattern = os.path.join(
                glob.escape(str(project_dir)), base, glob.escape(dir_name), "*.rst"
            )
            for entry in glob.glob(pattern):
                rel = os.path.relpath(entry, project_dir)
                if not rel.endswith("/README.rst"):
                    names.append(rel)
        names.sort(reverse=True, key=_unsanitize_path)
        found.extend(names)
    return [project_dir / n for n in found]


def find_entries(project_dir: Path) -> list[Entry]:
    """Every "next" entry, parsed with the metadata its file name carries."""
    entries: list[Entry] = []
    for path in next_files(project_dir):
        rel = os.path.relpath(path, project_dir)
        meta = _parse_next_name(rel)
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CheckFailed(
                f"{path}: not valid UTF-8 ({exc.reason} at byte {exc.start})",
                hint="save the entry as UTF-8",
            ) from None
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        parsed = parse_entries(text, metadata=meta, filename=str(path))
        if len(parsed) != 1:
            raise CheckFailed(f"{path}: a 'next' file must hold exactly one entry")
        entries.append(Entry(parsed[0].metadata, parsed[0].body, path))
    return entries


def current_date() -> str:
    return time.strftime("%Y-%m-%d", time.localtime())


def release_file(project_dir: Path, version: str) -> Path:
    return project_dir / NEWS_D / f"{version}.rst"


def render_release(entries: Sequence[Entry], version: str, *, date: str | None = None) -> str:
    """The text ``blurb release <version>`` writes to ``Misc/NEWS.d/<version>.rst``."""
    date = current_date() if date is None else date
    if not entries:
        body = f"There were no new changes in version {version}.\n"
        meta = (
            ("no changes", "True"),
            ("gh-issue", "0"),
            ("section", "Library"),
            ("date", date),
            ("nonce", generate_nonce(body)),
            ("release date", date),
        )
        return render_entries([Entry(meta, body)])
    first = entries[0]
    kept = tuple((k, v) for k, v in first.metadata if k != "release date")
    return render_entries([Entry((*kept, ("release date", date)), first.body), *entries[1:]])


def new_entry_path(project_dir: Path, issue: str, section: str, body: str) -> Path:
    """Where ``blurb add`` would write a new entry for ``issue`` in ``section``."""
    matches = [s for s in SECTIONS if s.lower() == section.lower()]
    if not matches:
        matches = [s for s in SECTIONS if sanitize_section(s).lower() == section.lower()]
    if not matches:
        raise UsageError(
            f"unknown blurb section {section!r}", hint="use one of: " + ", ".join(SECTIONS)
        )
    number = issue.removeprefix("gh-").removeprefix("#")
    if not number.isdigit() or int(number) < LOWEST_GH_ISSUE:
        raise UsageError(f"invalid GitHub issue number {issue!r} (must be >= {LOWEST_GH_ISSUE})")
    stamp = time.strftime("%Y-%m-%d-%H-%M-%S", time.localtime())
    nonce = generate_nonce(body)
    return (
        project_dir
        / NEWS_D
        / "next"
        / sanitize_section(matches[0])
        / f"{stamp}.gh-issue-{int(number)}.{nonce}.rst"
    )
