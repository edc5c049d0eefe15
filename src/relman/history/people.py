"""The people of a changelog: names, first-timer marks, bots and AI assistants left out.

Two rules tell who contributed, after the project's scripts:

- **mailmap** (NumPy's ``tools/changelog.py``, and relman's default): the
  author names through git's ``.mailmap`` (``%aN``) and the names of
  ``Co-authored-by`` trailers (through the mailmap too), as ``git shortlog
  --group=author --group=trailer:co-authored-by`` counts them; a "+" for a
  name not seen anywhere in the history of the range's start; sorted as
  Python sorts the printed ``Name`` / ``Name +`` strings.
- **names** (SciPy's ``tools/release/authors.py``): the names as written
  (``%an``) of authors *and committers*, mapped by name only through the
  ``.mailmap`` lines that name both sides; people thanked in messages
  ("Thanks to", "Courtesy of", ``Co-authored-by:``) count as well, and each
  occurrence counts once; the committer "GitHub" is left out; sorted by
  surname (particles ``van der``, ``de``, ``von`` skipped); a leading ``@``
  of a bare handle is dropped when printed.

Both leave out bots (``[tool.relman.changelog] bots``: names or e-mail
patterns) and AI assistants named in trailers (``ai-assistants``), from the
lists and from the names seen before. A commit whose author is git's example
identity (``Your Name``, as ``git config --global user.name "Your Name"``
leaves it) names nobody: it is left out with a warning asking for a
``.mailmap`` entry (NumPy 2.2.3's list maps one to its author that way). In a shallow clone no first-timer can
be known: none is marked, with a warning.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING

from relman import _report
from relman._regex import LazyPattern
from relman.history._log import (
    CO_AUTHORS,
    COMMITTER,
    EMAIL,
    NAME,
    RAW_NAME,
    Passes,
)

if TYPE_CHECKING:
    from relman.git import MailmapLookup, Repo


@dataclass(frozen=True)
class Author:
    """A contributor of a range: the name as printed, first-time flag, commit count."""

    name: str
    new: bool
    commits: int

    @property
    def display(self) -> str:
        return f"{self.name} +" if self.new else self.name


def pattern_matcher(patterns: Iterable[str]) -> re.Pattern[str]:
    """One case-insensitive regex for ``*``/``?`` wildcard patterns (the rest is literal)."""
    parts = []
    for pat in patterns:
        rx = re.escape(pat).replace(r"\*", ".*").replace(r"\?", ".")
        parts.append(f"(?:{rx})")
    return re.compile("|".join(parts) or "(?!)", re.I)


def is_match(rx: re.Pattern[str], name: str, email: str = "") -> bool:
    """A bot or assistant by its name, its address or its address's user part."""
    if rx.fullmatch(name):
        return True
    return bool(email) and bool(rx.fullmatch(email) or rx.fullmatch(email.split("@")[0]))


# the example identities of git's documentation and set-up guides: no one's name
_PLACEHOLDER_NAMES = frozenset({"your name", "your full name", "your name here"})


def is_placeholder(name: str) -> bool:
    """An author name left as git's example configuration writes it."""
    return " ".join(name.split()).lower() in _PLACEHOLDER_NAMES


def warn_placeholders(found: Mapping[tuple[str, str], int]) -> None:
    """One warning per example identity left out of the lists ((name, email): commits)."""
    for (name, email), n in sorted(found.items()):
        commits = "1 commit" if n == 1 else f"{n} commits"
        who = f"{name} <{email}>" if email else name
        _report.warn(
            f"{commits} by {who!r}, git's example identity, left out of the author list: "
            f"map it to its author in .mailmap (`Real Name <real@address> {who}`; "
            f"`git log --author={email or name!r}` lists them)"
        )


def _split_contact(value: str) -> tuple[str, str]:
    name, _, email = value.strip().partition("<")
    return " ".join(name.split()), email.rstrip("> ").strip()


# -- .mailmap -------------------------------------------------------------------


def read_mailmap(repo: Repo, mailmap_rev: str | None) -> tuple[str, str] | None:
    """The ``.mailmap`` text and where it is (``path`` or ``REV:.mailmap``), if any."""
    if mailmap_rev is not None:
        text = repo.show_file(mailmap_rev, ".mailmap")
        return (text, f"{mailmap_rev}:.mailmap") if text is not None else None
    path = Path(repo.root) / ".mailmap"
    if not path.is_file():
        return None
    return path.read_bytes().decode("utf-8", errors="replace"), str(path)


_MAILMAP_LINE = LazyPattern(r"^([^<>]*)<([^<>]*)>(?:([^<>]*)<([^<>]*)>)?\s*(?:#.*)?$")


def mailmap_problems(text: str, where: str) -> list[str]:
    """``file:line: ...`` for each line git cannot read as written (it says nothing of them)."""
    problems = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not _MAILMAP_LINE.match(stripped):
            problems.append(
                f"{where}:{number}: not a mailmap line (Name <email> [Name <email>]): {stripped!r}"
            )
        elif "\ufffd" in stripped:
            problems.append(f"{where}:{number}: not valid UTF-8")
    return problems


_NAME_MAP_LINE = LazyPattern(r"^(.*?)\s*<(.*?)>(.*?)\s*<(.*?)>\s*$")


def name_map(text: str) -> dict[str, str]:
    """Name-to-name mapping from the lines that name both sides (SciPy's rule)."""
    names: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = _NAME_MAP_LINE.match(line)
        if m:
            new, old = m.group(1).strip(), m.group(3).strip()
            if new and old:
                names[old] = new
    return names


# -- the mailmap rule (NumPy, default) --------------------------------------------


def _warn_undecodable(names: Iterable[str]) -> None:
    for name in sorted({n for n in names if "\ufffd" in n}):
        _report.warn(
            f"the name {name!r} is not valid UTF-8 in the commits (undecodable bytes shown "
            "as \ufffd)",
        )


class MailmapScan:
    """What the mailmap rule reads of each commit, gathered batch by batch as git streams.

    Called with a batch of the range's commits; :meth:`before` with a batch
    of the history before it (``BEFORE_FIELDS_MAILMAP``).
    """

    def __init__(self, lookup: MailmapLookup | None = None) -> None:
        self.identities: Counter[tuple[str, str]] = Counter()  # (name, email): few, repeated
        self.co_authored: list[tuple[str, str]] = []  # (author, trailers) of the range
        self.contacts: set[str] = set()  # the co-authors' contacts of the range
        self.seen: set[str] = set()  # authors before the range
        self.contacts_before: set[str] = set()  # the co-authors' contacts before the range
        self.lookup = lookup  # maps the co-authors while git reads, when given

    def __call__(self, batch: list[list[str]]) -> None:
        self.identities.update(map(_IDENTITY, batch))
        co = [(c[NAME], c[CO_AUTHORS]) for c in batch if c[CO_AUTHORS]]
        if co:
            self.co_authored += co
            self._add(self.contacts, [t for _, t in co])

    def before(self, batch: list[list[str]]) -> None:
        self.seen.update(map(_FIRST, batch))
        co = [b[1] for b in batch if b[1]]
        if co:
            self._add(self.contacts_before, co)

    def _add(self, known: set[str], trailers: list[str]) -> None:
        new = _contacts(trailers) - known
        known |= new
        if new and self.lookup is not None:
            self.lookup.add(new)


def _contacts(trailers: Iterable[str]) -> set[str]:
    """The contacts of Co-authored-by trailer values (joined by ``\\x1d``), blank ones left out."""
    found: set[str] = set()
    for value in trailers:
        found.update(value.split("\x1d"))
    return {v for v in found if v.strip()}


_IDENTITY = itemgetter(NAME, EMAIL)
_FIRST = itemgetter(0)


def collect_mailmap_authors(
    repo: Repo,
    passes: Passes,
    *,
    mailmap_rev: str | None,
    bots: re.Pattern[str],
    assistants: re.Pattern[str],
    scan: MailmapScan | None = None,
) -> tuple[Author, ...]:
    """Authors and co-authors through the mailmap; "+" for names not seen before the range.

    ``scan`` is the :class:`MailmapScan` that read ``passes`` as they
    arrived; without it they are read here.
    """
    if scan is None:
        scan = MailmapScan()
        scan(passes.commits)
        scan.before(passes.before)
    if scan.lookup is not None:
        mapped = scan.lookup.result()
    else:
        raw = scan.contacts | scan.contacts_before
        mapped = repo.check_mailmap(raw, mailmap_rev=mailmap_rev) if raw else {}
    co: dict[str, tuple[str, str]] = {}  # the range's co-authors who are people
    people: dict[tuple[str, str], bool] = {}  # a person (after the mailmap): named by many
    for value in scan.contacts:
        person = mapped.get(value.strip()) or _split_contact(value)
        kept = people.get(person)
        if kept is None:
            kept = people[person] = (
                bool(person[0])
                and not is_placeholder(person[0])
                and not is_match(bots, *person)
                and not is_match(assistants, *person)
            )
        if kept:
            co[value] = person
    counts: dict[str, int] = {}
    placeholders: dict[tuple[str, str], int] = {}
    for (name, email), n in scan.identities.items():
        if is_placeholder(name):
            placeholders[(name, email)] = n
        elif not is_match(bots, name, email):
            counts[name] = counts.get(name, 0) + n
    warn_placeholders(placeholders)
    for name, trailers in scan.co_authored:
        for extra in {co[v][0] for v in trailers.split("\x1d") if v in co} - {name}:
            counts[extra] = counts.get(extra, 0) + 1
    seen = scan.seen
    # a co-author of a commit before the range contributed before it (whoever it is: the
    # lists leave bots out, the history keeps them)
    seen.update((mapped.get(v.strip()) or _split_contact(v))[0] for v in scan.contacts_before)
    _warn_undecodable(counts)
    mark = not passes.shallow
    authors = [Author(name, mark and name not in seen, n) for name, n in counts.items()]
    # NumPy sorts the printed strings ("Name +" and "Name") with Python's sort
    authors.sort(key=lambda a: a.display)
    return tuple(authors)


# -- the names rule (SciPy) -----------------------------------------------------------

_THANKS = LazyPattern(
    r"([Tt]hanks to|[Cc]ourtesy of|Co-authored-by:) "
    r"([A-Z][A-Za-z]*? [A-Z][A-Za-z]*? [A-Z][A-Za-z]*|[A-Z][A-Za-z]*? [A-Z]\."
    r" [A-Z][A-Za-z]*|[A-Z][A-Za-z ]*? [A-Z][A-Za-z]*|[a-z0-9]+)($|\.| )"
)
_AND = LazyPattern(r"^(and|, and|, ) ")
_MARKERS = ("hanks to", "ourtesy of", "Co-authored-by:")
_HEADER = LazyPattern(r"^@@@([^@]*)@@@")


def _thanked(line: str, names: Mapping[str, str], out: list[str]) -> None:
    """The people a message line thanks, as SciPy's authors.py reads them."""
    while True:
        m = _THANKS.search(line)
        if not m:
            return
        name = m.group(2)
        if name != "this":
            out.append(names.get(name, name))
        line = _AND.sub("Thanks to ", line[m.end() :].strip())


def _names_of(name: str, committer: str, body: str, names: Mapping[str, str]) -> list[str]:
    """Every name one commit adds: author, committer, people thanked (repeats kept)."""
    out: list[str] = []
    for header in (name, committer):
        line = f"@@@{header}@@@".strip()
        m = _HEADER.match(line)
        if m:
            out.append(names.get(m.group(1), m.group(1)))
            line = line[m.end() :]
        if "hanks to" in line or "ourtesy of" in line or "Co-authored-by:" in line:
            _thanked(line, names, out)
    if body and any(marker in body for marker in _MARKERS):
        for line in body.splitlines():
            _thanked(line.strip(), names, out)
    return out


def scipy_name_key(fullname: str) -> tuple[str, str]:
    """Surname, then forename, lower case (SciPy's order)."""
    m = re.search(" [a-z ]*[A-Za-z-]+$", fullname)
    if m:
        forename, surname = fullname[: m.start()].strip(), fullname[m.start() :].strip()
    else:
        forename, surname = "", fullname.strip()
    for particle in ("van der ", "de ", "von "):
        if surname.startswith(particle):
            surname = surname[len(particle) :]
            break
    return (surname.lower(), forename.lower())


class NamesScan:
    """What the names rule reads of each commit, gathered batch by batch as git streams.

    Called with a batch of the range's commits; :meth:`before` with a batch
    of the history before it (``BEFORE_FIELDS_RAW``).
    """

    def __init__(self, names: Mapping[str, str]) -> None:
        self.names = names
        self.counts: Counter[str] = Counter()
        self.seen: set[str] = set()

    def __call__(self, batch: list[list[str]]) -> None:
        names, counts = self.names, self.counts
        for c in batch:
            counts.update(_names_of(c[RAW_NAME], c[COMMITTER], c[-1], names))

    def before(self, batch: list[list[str]]) -> None:
        names, seen = self.names, self.seen
        for b in batch:
            seen.update(_names_of(b[0], b[1], b[2], names))


def collect_named_authors(
    passes: Passes,
    names: Mapping[str, str],
    *,
    bots: re.Pattern[str],
    assistants: re.Pattern[str],
    scan: NamesScan | None = None,
) -> tuple[Author, ...]:
    """Authors, committers and people thanked, mapped by name (SciPy's authors.py).

    ``scan`` is the :class:`NamesScan` (made with ``names``) that read
    ``passes`` as they arrived; without it they are read here.
    """
    if scan is None:
        scan = NamesScan(names)
        scan(passes.commits)
        scan.before(passes.before)
    counts = scan.counts
    counts.pop("GitHub", None)
    seen = scan.seen
    placeholders: dict[tuple[str, str], int] = {}
    for name in list(counts):
        if is_placeholder(name):
            placeholders[(name, "")] = counts.pop(name)
        elif is_match(bots, name) or is_match(assistants, name):
            del counts[name]
    warn_placeholders(placeholders)
    _warn_undecodable(counts)
    mark = not passes.shallow
    ordered = sorted(counts, key=scipy_name_key)
    return tuple(Author(n.strip("@"), mark and n not in seen, counts[n]) for n in ordered)
