"""The pull requests of a range, from git alone.

- **Merge commits** anywhere in the range, or only on its first-parent
  line (``nested_merges``) (``Merge pull request #N from user/branch``,
  ``Auto merge of #N``): the title is the first line of the
  merge message's body; a merge without body takes it from the merged
  branch (its one commit's subject, else its first commit's), never from the
  branch name.
- **Squash and rebase merges** on the first-parent line: subjects ending in
  ``(#N)``, ``(gh-N)`` or ``(gh-#N)``; with ``title_merges``, merge commits
  whose subject is ``Title (#N)`` too.
- **Backports**, with ``originals``: a pull request whose commits name other
  pull requests (cherry-picks keeping ``Title (#N)``, ``(cherry picked from
  commit X)`` trailers resolved to X's pull request, ``Backport of #N``
  bodies, ``[Backport maintenance/x.y.z]`` titles) is a backport: the list
  has the original pull requests instead of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from operator import itemgetter
from typing import TYPE_CHECKING, NamedTuple

from relman._regex import LazyPattern
from relman.errors import CommandError
from relman.history._log import BODY, PARENTS, SHA, SUBJECT, Passes, first_parent_line

if TYPE_CHECKING:
    from relman.git import Repo

MERGE_PR = LazyPattern(r"Merge pull request #(\d+)")
AUTO_MERGE = LazyPattern(r"Auto merge of #(\d+)")
SQUASH_PR = LazyPattern(r"^(.*)\((?:#|gh-|gh-#)(\d+)\)$")
CHERRY = LazyPattern(r"\(cherry picked from commit ([0-9a-f]{7,64})\)")
_BACKPORT_OF = LazyPattern(r"^\s*Backport of #(\d+)", re.M | re.I)
_BACKPORT_PREFIX = LazyPattern(r"^\[Backport [^\]]*\]\s*", re.I)


class PullRequest(NamedTuple):
    """A merged pull request (a named tuple: a changelog can list tens of thousands)."""

    number: int
    title: str
    url: str
    source: str = "git"  # where the title comes from: "git" or "github"


def _clean(title: str) -> str:
    if "  " not in title and "\t" not in title and "\n" not in title and title == title.strip():
        return title  # most titles: no copy
    return " ".join(title.split())


_OTHER_BREAKS = ("\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def first_line(text: str) -> str:
    """The first line of ``text`` that is not blank, stripped (without splitting all of it)."""
    head = text.lstrip().partition("\n")[0]
    if not any(b in head for b in _OTHER_BREAKS):
        return head.strip()
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


_SQUASH = LazyPattern(r"(.*)\((?:#|gh-#?)([0-9]+)\)")  # (fullmatch: no newline in it)


def _squash(subject: str) -> tuple[int, str] | None:
    """``(N, Title)`` of ``Title (#N)``, ``(gh-N)`` or ``(gh-#N)`` (what ``SQUASH_PR`` matches)."""
    m = _SQUASH.fullmatch(subject) if subject[-1:] == ")" else None
    return (int(m[2]), _clean(m[1])) if m else None


def merge_number(subject: str) -> int | None:
    m = MERGE_PR.search(subject) or AUTO_MERGE.search(subject)
    return int(m.group(1)) if m else None


def branch_commits(
    tip: str, by_sha: Mapping[str, list[str]], stop: set[str], base: str = ""
) -> list[list[str]]:
    """The commits of a merged branch, from its tip back to the line it left (or ``base``)."""
    seen: set[str] = {base}
    out: list[list[str]] = []
    stack = [tip]
    while stack:
        sha = stack.pop()
        if sha in seen or sha in stop or sha not in by_sha:
            continue
        seen.add(sha)
        record = by_sha[sha]
        out.append(record)
        stack.extend(record[PARENTS].split())
    return out


class _Ref(NamedTuple):
    number: int | None  # the original pull request, when the commit names it
    title: str
    cherry: str | None  # the commit a "(cherry picked from commit X)" names


def _reference(record: Sequence[str], own: int | None) -> _Ref | None:
    """The original pull request a backported commit names, if any."""
    subject, body = record[SUBJECT], record[BODY]
    title = _clean(_BACKPORT_PREFIX.sub("", subject))
    m = _BACKPORT_OF.search(body) if "ackport of" in body else None
    if m and int(m.group(1)) != own:
        hit = _squash(title)
        return _Ref(int(m.group(1)), hit[1] if hit else title, None)
    hit = _squash(subject)
    if hit and hit[0] == own:  # "Title (#N) (#M)": M backports N, squashed in turn
        hit = _squash(hit[1])
    if hit and hit[0] != own:
        return _Ref(hit[0], _clean(_BACKPORT_PREFIX.sub("", hit[1])), None)
    number = merge_number(subject) if "#" in subject else None
    if number is not None and number != own:  # a merge commit cherry-picked (pytest's patchback)
        return _Ref(number, merge_title(body) or title, None)
    c = CHERRY.search(body) if "cherry picked" in body else None
    if c:
        return _Ref(None, title, c.group(1))
    return None


def merge_title(body: str) -> str:
    """A merge commit's title: the first line of its message's body, unless that is the
    ``(cherry picked from commit X)`` line a cherry-pick added ("" when there is none)."""
    line = _clean(first_line(body))
    return "" if line.startswith("(cherry picked from commit") else line


def _resolve_cherries(repo: Repo, shas: Iterable[str]) -> dict[str, tuple[int, str]]:
    """The pull request (number, title) of each cherry-picked commit, from its subject."""
    wanted = sorted(set(shas))
    if not wanted:
        return {}
    found: dict[str, tuple[int, str]] = {}
    try:
        rows = list(repo.iter_log(["--no-walk", "--ignore-missing", *wanted], ("%H", "%s", "%b")))
    except CommandError:
        return {}
    for sha, subject, body in rows:
        hit = _squash(subject) or (
            (n, merge_title(body) or _clean(subject)) if (n := merge_number(subject)) else None
        )
        if hit:
            for short in wanted:
                if sha.startswith(short):
                    found[short] = hit
    return found


_TAGS = LazyPattern(r"\s*\[(?:wheel build|skip [a-z ]+|ci skip|[a-z]+ skip)\]", re.I)
_GH_BACKPORT = LazyPattern(r"\bbackport(?:ing|ed)? (?:of |from )?(?:gh-|#)(\d+)", re.I)


def _subject_key(subject: str) -> str:
    """A subject without ``(#N)``, CI tags and case, for matching a cherry-pick to its original."""
    hit = _squash(subject)
    text = hit[1] if hit else subject
    return " ".join(_TAGS.sub("", text).split()).casefold()


class MainLine(NamedTuple):
    """The main branch since the range's start: which commits it has, and who merged them."""

    shas: frozenset[str]
    by_subject: Mapping[str, tuple[int, str]]  # subject key -> (PR number, title)
    by_commit: Mapping[str, tuple[int, str]]  # sha -> the PR that merged it


def read_main_line(repo: Repo, main_ref: str, start: str | None) -> MainLine:
    """One ``git log`` pass (sha, parents, subject) over ``main_ref`` since ``start``.

    A subject that several pull requests of main share ("lint", "Apply
    suggestions from code review") names none of them.
    """
    revs = [main_ref] + ([f"^{start}"] if start else [])
    rows = list(repo.iter_log(revs, ("%H", "%P", "%s")))
    by_sha = {r[0]: r for r in rows}
    line: list[str] = []
    on_line: set[str] = set()
    sha: str | None = rows[0][0] if rows else None
    while sha is not None and sha in by_sha:
        line.append(sha)
        on_line.add(sha)
        parents = by_sha[sha][1].split()
        sha = parents[0] if parents else None
    index: dict[str, tuple[int, str]] = {}
    shared: set[str] = set()
    by_commit: dict[str, tuple[int, str]] = {}

    def note(key: str, hit: tuple[int, str]) -> None:
        known = index.setdefault(key, hit)
        if known[0] != hit[0]:
            shared.add(key)

    for sha in reversed(line):  # oldest first: the same answer on every run
        subject = by_sha[sha][2]
        parents = by_sha[sha][1].split()
        number = merge_number(subject) if len(parents) > 1 else None
        if number is not None:
            stack, seen = [parents[1]], set()
            while stack:
                inner = stack.pop()
                if inner in seen or inner in on_line or inner in by_commit or inner not in by_sha:
                    continue  # (a commit already merged belongs to the first PR that merged it)
                seen.add(inner)
                inner_parents = by_sha[inner][1].split()
                if len(inner_parents) < 2:
                    note(_subject_key(by_sha[inner][2]), (number, ""))
                    by_commit[inner] = (number, "")
                stack.extend(inner_parents)
            continue
        hit = _squash(subject)
        if hit:
            note(_subject_key(subject), hit)
            by_commit[sha] = hit
    for key in shared:
        del index[key]
    return MainLine(frozenset(by_sha), index, by_commit)


def pull_request_of(passes: Passes, sha: str) -> int | None:
    """The pull request of the range that merged commit ``sha``: its squash or merge commit."""
    by_sha = {c[SHA]: c for c in passes.commits}
    line = first_parent_line(by_sha, passes.rng.end)
    on_line = set(line)
    for merged in reversed(line):  # oldest first: the first merge that brought it in
        c = by_sha[merged]
        if merged == sha:
            hit = merge_number(c[SUBJECT]) if " " in c[PARENTS] else None
            squash = _squash(c[SUBJECT])
            return hit if hit is not None else squash[0] if squash else None
        parents = c[PARENTS].split()
        number = merge_number(c[SUBJECT]) if len(parents) > 1 else None
        if number is not None:
            inner = branch_commits(parents[1], by_sha, on_line, parents[0])
            if any(r[SHA] == sha for r in inner):
                return number
    return None


_SHA_OF = itemgetter(SHA)


class PullScan:
    """What the pull-request rules read of each commit, gathered batch by batch as git streams.

    Every commit by sha; the merge commits that name a pull request, in log
    order; the first-parent line from the range's end (grown as its commits
    arrive, whatever order git writes them in) with the squash subject of
    each single-parent commit on it.
    """

    def __init__(self, end: str, *, title_merges: bool) -> None:
        self.by_sha: dict[str, list[str]] = {}
        # (commit, its "Merge pull request" number, or its "Title (#N)", title from its message)
        self.merges: list[tuple[list[str], int | None, tuple[int, str] | None, str]] = []
        self.line: list[str] = []
        self.squashes: list[tuple[str, tuple[int, str] | None]] = []  # single-parent, on the line
        self.squashed: dict[int, str] = {}  # their pull requests: number -> first title seen
        self._next: str | None = end
        self._title_merges = title_merges

    def __call__(self, batch: list[list[str]]) -> None:
        by_sha = self.by_sha
        by_sha.update(zip(map(_SHA_OF, batch), batch, strict=True))
        for c in [c for c in batch if " " in c[PARENTS]]:
            subject = c[SUBJECT]
            number = merge_number(subject) if "#" in subject else None
            hit = None
            if number is None and self._title_merges:
                hit = _squash(subject)
            if hit is not None:
                self.merges.append((c, number, hit, hit[1]))
            elif number is not None:  # its title, if its message has a body
                self.merges.append((c, number, hit, _clean(first_line(c[BODY]))))
        sha = self._next
        line = self.line
        squashes = self.squashes
        squashed = self.squashed
        while sha is not None:
            record = by_sha.get(sha)
            if record is None:
                break
            line.append(sha)
            first, space, _ = record[PARENTS].partition(" ")
            if not space:
                hit = _squash(record[SUBJECT])
                squashes.append((sha, hit))
                if hit is not None and hit[0] not in squashed:
                    squashed[hit[0]] = hit[1]
            sha = first or None
        self._next = sha


def collect_pull_requests(
    repo: Repo,
    passes: Passes,
    *,
    title_merges: bool,
    originals: bool,
    main: MainLine | None = None,
    nested_merges: bool = True,
    scan: PullScan | None = None,
) -> dict[int, str]:
    """Pull-request numbers of the range with their titles from git, by number.

    Without ``nested_merges``, only merge commits on the first-parent line
    count: a ``Merge pull request #N`` inside a pull request's branch merged
    a pull request of a fork (its number is the fork's).

    With ``originals``, a pull request merged off the main branch (``main``:
    its commits since the range's start) whose commits name or match pull
    requests of the main branch is a backport: those originals are listed
    instead of it.

    ``scan`` is the :class:`PullScan` (made with the same ``title_merges``)
    that read ``passes.commits`` as they arrived; without it they are read here.
    """
    commits = passes.commits
    if scan is None:
        scan = PullScan(passes.rng.end, title_merges=title_merges)
        scan(commits)
    by_sha = scan.by_sha
    line = scan.line
    on_line = set(line)
    on_main = main.shas if main is not None else frozenset()
    backports = originals and main is not None
    found: dict[int, str] = {}
    containers: set[int] = set()
    backported: dict[int, str] = {}
    cherries: dict[str, str] = {}  # picked sha -> the pick's own title
    position: dict[str, int] = {}  # sha -> index in the log (newest first)

    def original(record: Sequence[str], own: int | None) -> bool:
        """Note the pull request a backported commit carries; True when it names one."""
        ref = _reference(record, own)
        if ref is not None and ref.number is not None:
            backported.setdefault(ref.number, ref.title)
            return True
        if ref is not None and ref.cherry:
            merged = main.by_commit.get(ref.cherry) if main is not None else None
            if merged is not None:
                backported.setdefault(merged[0], merged[1] or ref.title)
            else:
                cherries.setdefault(ref.cherry, ref.title)
            return True
        if main is not None:
            hit = main.by_subject.get(_subject_key(record[SUBJECT]))
            if hit is not None and hit[0] != own:
                backported.setdefault(hit[0], hit[1] or _clean(record[SUBJECT]))
                return True
        m = _GH_BACKPORT.search(record[BODY]) if "ackport" in record[BODY] else None
        if m and int(m.group(1)) != own:
            backported.setdefault(int(m.group(1)), _clean(record[SUBJECT]))
            return True
        return False

    def branch(c: list[str]) -> list[list[str]]:
        """The single-parent commits of the branch merge ``c`` merged."""
        parents = c[PARENTS].split()
        return [
            r
            for r in branch_commits(parents[1], by_sha, on_line, parents[0])
            if " " not in r[PARENTS]
        ]

    for c, number, hit, title in scan.merges:
        if (hit is not None or not nested_merges) and c[SHA] not in on_line:
            continue
        check = backports and c[SHA] not in on_main
        inner = branch(c) if check else None
        if hit is not None:
            number = hit[0]
        else:
            if not title:
                if inner is None:
                    inner = branch(c)
                if inner:
                    if not position:  # computed once, for the first merge without a body
                        position.update((r[SHA], i) for i, r in enumerate(commits))
                    oldest = max(inner, key=lambda r: position[r[SHA]])
                    title = _clean(inner[0][SUBJECT] if len(inner) == 1 else oldest[SUBJECT])
            title = title or _clean(c[SUBJECT])
        assert number is not None
        found.setdefault(number, title)
        if check and inner:
            hits = [original(r, number) for r in inner if r[SHA] not in on_main]
            if any(hits):
                containers.add(number)
    found = {**scan.squashed, **found}  # (a merge's title wins over a squash's)
    for sha, hit in scan.squashes if backports else ():
        if sha not in on_main:
            c = by_sha[sha]
            ref = _reference(c, hit[0] if hit else None)
            if hit is not None and ref is not None and ref.number is not None:
                containers.add(hit[0])  # a squashed backport: "[Backport x] Title (#M)"
            if hit is None or ref is not None:
                original(c, hit[0] if hit else None)
    if originals:
        for number, title in _resolve_cherries(repo, cherries).values():
            backported.setdefault(number, title)
        for number in containers:
            found.pop(number, None)
        for number, title in backported.items():
            found.setdefault(number, title)
    return {n: found[n] for n in sorted(found)}
