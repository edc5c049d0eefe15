"""Authors, first-time contributors, merged pull requests and backports, from git.

Everything here works offline from one ``git log`` pass per question (never
one subprocess per commit):

- :func:`default_range` picks the range of a release: the release line's
  range (:func:`relman.line.release_range`): the previous release on the same
  line for a bug-fix release (``v1.26.3..HEAD`` for 1.26.4); for a new
  ``X.Y.0`` the ``vX.Y.0.dev0`` tag when the project tags the start of
  development, otherwise the merge base with the previous minor's line.
- :func:`collect_changelog` lists the contributors (names through .mailmap,
  ``Co-authored-by`` trailers included, bots left out, a ``+`` for people
  whose first commit is in the range) and the merged pull requests (merge
  commits, squash merges and backports), sorted as NumPy's
  ``tools/changelog.py`` sorts them.
- :func:`render_changelog` writes rst in NumPy's ``doc/changelog`` shape,
  markdown or json; :func:`write_changelog` writes ``[tool.relman.changelog]
  path`` for a release.
- :func:`enrich_titles` optionally replaces pull-request titles with the ones
  on GitHub (GraphQL, 100 per request, cached in the git directory).
- :func:`find_duplicate_identities` finds names that will show up twice in a
  changelog, for fixing .mailmap before publishing.
- :func:`find_backports` lists the pull requests merged on the main branch
  that are marked for backport and tells whether each is already on a
  maintenance branch.

The module is long because every rule works on the one parsed ``git log``
stream (commits, trailers, merges, .mailmap); splitting it would split that parser.
"""

from __future__ import annotations

import gc
import itertools
import json
import operator
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from relman import _report
from relman.errors import UsageError

if TYPE_CHECKING:
    from relman.config import Config
    from relman.forge import Forge
    from relman.git import LogRecord, Repo

__all__ = [
    "Author",
    "Backport",
    "BackportReport",
    "Changelog",
    "IdentityProblem",
    "PullRequest",
    "StartedLog",
    "collect_changelog",
    "default_range",
    "enrich_titles",
    "find_backports",
    "find_duplicate_identities",
    "render_changelog",
    "sanitize_title",
    "start_log",
    "write_changelog",
]

FORMATS = ("rst", "md", "json")

AUTHOR_MSG = (
    'A total of {n} {people} contributed to this release.  People with a "+" by their\n'
    "names contributed a patch for the first time."
)
PR_MSG = "A total of {n} {pull_requests} merged for this release."


def _author_msg(n: int) -> str:
    return AUTHOR_MSG.format(n=n, people="person" if n == 1 else "people")


def _pr_msg(n: int) -> str:
    return PR_MSG.format(n=n, pull_requests="pull request was" if n == 1 else "pull requests were")


_MERGE_PR = re.compile(r"Merge pull request #(\d+)")
_AUTO_MERGE = re.compile(r"Auto merge of #(\d+)")
_SQUASH_PR = re.compile(r"^(.*)\((?:#|gh-|gh-#)(\d+)\)$")
_MERGE_FROM = re.compile(r"Merge pull request #\d+ from (\S+)")
_NAME = operator.itemgetter(2)  # LogRecord.name
_CHERRY = re.compile(r"\(cherry picked from commit ([0-9a-f]{7,64})\)")


@dataclass(frozen=True)
class Author:
    """A contributor of a range: the mailmapped name, first-time flag, commit count."""

    name: str
    new: bool
    commits: int

    @property
    def display(self) -> str:
        return f"{self.name} +" if self.new else self.name


class PullRequest(NamedTuple):
    """A merged pull request (a named tuple: a changelog can list tens of thousands)."""

    number: int
    title: str
    url: str


@dataclass(frozen=True)
class Changelog:
    """Contributors and merged pull requests of one revision range."""

    range: str
    authors: tuple[Author, ...]
    pull_requests: tuple[PullRequest, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "range": self.range,
            "authors": [{"name": a.name, "new": a.new, "commits": a.commits} for a in self.authors],
            "pull_requests": [
                {"number": p.number, "title": p.title, "url": p.url} for p in self.pull_requests
            ],
        }


# -- ranges -------------------------------------------------------------------


@dataclass(frozen=True)
class _Range:
    text: str
    start: str | None  # full sha, None for the whole history
    end: str


def _resolve_range(repo: Repo, rev_range: str) -> _Range:
    text = rev_range.strip()
    if "..." in text or not text:
        raise UsageError(
            f"unsupported revision range {rev_range!r}",
            hint="give START..END (for example v1.2.0..HEAD) or a single revision",
        )
    start_name, sep, end_name = text.partition("..")
    if not sep:
        start_name, end_name = "", text
    else:  # as in git, an empty side means HEAD
        start_name = start_name or "HEAD"
    end_name = end_name or "HEAD"
    end = repo.rev_parse(end_name)
    if end is None:
        raise UsageError(
            f"revision {end_name!r} of range {text!r} does not exist",
            hint="check the tag or branch name (`git tag -l`, `git branch -a`)",
        )
    start = None
    if start_name:
        start = repo.rev_parse(start_name)
        if start is None:
            raise UsageError(
                f"revision {start_name!r} of range {text!r} does not exist",
                hint="check the tag or branch name (`git tag -l`, `git branch -a`)",
            )
    return _Range(text, start, end)


def _current_version(config: Config) -> str | None:
    from packaging.version import InvalidVersion, Version

    from relman import versionfiles

    for source in versionfiles.read_sources(config):
        if source.version:
            try:
                return Version(source.version).base_version
            except InvalidVersion:
                continue
    return None


def default_range(config: Config, repo: Repo, version: str | None = None) -> str:
    """The revision range of the changelog of ``version`` (default: the next release):
    the release line's range (:func:`relman.line.release_range`)."""
    from relman.line import release_range

    return release_range(config, repo, version)


# -- one pass over history ----------------------------------------------------


def _ancestors(start: str | None, parents: Mapping[str, tuple[str, ...]]) -> set[str]:
    """``start`` and every commit reachable from it, within ``parents``."""
    seen: set[str] = set()
    if start is None:
        return seen
    stack = [start]
    while stack:
        sha = stack.pop()
        if sha in seen or sha not in parents:
            continue
        seen.add(sha)
        stack.extend(parents[sha])
    return seen


def _bot_matcher(patterns: Iterable[str]) -> re.Pattern[str]:
    # '*' and '?' are wildcards; everything else (like "[bot]") is literal
    parts = []
    for pat in patterns:
        rx = re.escape(pat).replace(r"\*", ".*").replace(r"\?", ".")
        parts.append(f"(?:{rx})")
    return re.compile("|".join(parts) or "(?!)", re.I)


def _is_bot(rx: re.Pattern[str], name: str, email: str = "") -> bool:
    return bool(rx.fullmatch(name) or (email and rx.fullmatch(email.split("@")[0])))


@dataclass(frozen=True)
class _History:
    rng: _Range
    in_range: list[LogRecord]
    before: list[LogRecord]
    co_authors: dict[str, tuple[str, str]]  # raw trailer value -> mailmapped (name, email)
    parents: dict[str, tuple[str, ...]]
    merge_prs: list[tuple[str, int, str]]  # (sha, number, title) of "Merge pull request #N"
    squash_prs: dict[str, tuple[int, str]]  # sha -> (number, title) of "Title (#N)"
    first_parent: list[str]  # the first-parent line from the range's end, newest first
    old: set[str]  # commits reachable from the range's start


def _merge_title(r: LogRecord) -> str:
    title = _first_line(r.body)
    if not title:
        branch = _MERGE_FROM.search(r.subject)
        title = branch.group(1) if branch else r.subject
    return title


@dataclass(frozen=True)
class StartedLog:
    """A history pass already running (see :func:`start_log`)."""

    repo: Repo
    rev_range: str
    mailmap_rev: str | None
    emails: bool
    rng: _Range
    records: Iterator[LogRecord]


def start_log(
    repo: Repo, rev_range: str, *, mailmap_rev: str | None = None, emails: bool = False
) -> StartedLog:
    """Start the one ``git log`` pass of ``rev_range`` now, to be read by :func:`collect_changelog`.

    The CLI starts it before loading the configuration, so that git and
    Python work at the same time on a big history.
    """
    rng = _resolve_range(repo, rev_range)
    revs = [rng.end] + ([rng.start] if rng.start else [])
    records = repo.iter_history(revs, mailmap_rev=mailmap_rev, emails=emails)
    first = next(records, None)  # git is running from here on
    chained = itertools.chain([first] if first is not None else [], records)
    return StartedLog(repo, rev_range, mailmap_rev, emails, rng, chained)


def _read_records(
    stream: Iterable[LogRecord],
    records: list[LogRecord],
    parents: dict[str, tuple[str, ...]],
    merge_prs: list[tuple[str, int, str]],
    squash_prs: dict[str, tuple[int, str]],
    raw: set[str],
    first_parent: list[str],
    end: str,
) -> str | None:
    """Fill the collections from ``stream``; return where the first-parent line stopped.

    The first-parent line is followed as the records come: git shows a
    commit before its parents except when commit dates are skewed, and then
    the caller finishes the walk from the returned commit.
    """
    merge_rx, auto_rx, squash_rx = _MERGE_PR, _AUTO_MERGE, _SQUASH_PR
    fp_next: str | None = end
    for r in stream:
        records.append(r)
        parents[r.sha] = r.parents
        if r.sha == fp_next:
            first_parent.append(fp_next)
            fp_next = r.parents[0] if r.parents else None
        if r.co_authors:
            raw.update(r.co_authors)
        if len(r.parents) > 1:
            m = merge_rx.search(r.subject) or auto_rx.search(r.subject)
            if m:
                merge_prs.append((r.sha, int(m.group(1)), " ".join(_merge_title(r).split())))
        elif r.subject.endswith(")"):
            m = squash_rx.match(r.subject)
            if m:
                squash_prs[r.sha] = (int(m.group(2)), " ".join(m.group(1).split()))
    return fp_next


def _load_history(
    repo: Repo,
    rev_range: str,
    *,
    mailmap_rev: str | None,
    started: StartedLog | None = None,
    emails: bool = False,
) -> _History:
    wanted = (rev_range, mailmap_rev, emails)
    if started is None or (started.rev_range, started.mailmap_rev, started.emails) != wanted:
        started = start_log(repo, rev_range, mailmap_rev=mailmap_rev, emails=emails)
    rng = started.rng
    records: list[LogRecord] = []
    parents: dict[str, tuple[str, ...]] = {}
    merge_prs: list[tuple[str, int, str]] = []
    squash_prs: dict[str, tuple[int, str]] = {}
    raw: set[str] = set()
    first_parent: list[str] = []
    # the work per commit happens while git still writes the log; no cyclic
    # garbage is made here, so the collector would only rescan the records
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        sha = _read_records(
            started.records, records, parents, merge_prs, squash_prs, raw, first_parent, rng.end
        )
    finally:
        if gc_was_enabled:
            gc.enable()
    while sha is not None and sha in parents:  # skewed dates: finish the walk
        first_parent.append(sha)
        ps = parents[sha]
        sha = ps[0] if ps else None
    old: set[str] = set()
    if rng.start is None:
        in_range, before = records, []
    else:
        old = _ancestors(rng.start, parents)
        in_range = [r for r in records if r.sha not in old]
        before = [r for r in records if r.sha in old]
        merge_prs = [m for m in merge_prs if m[0] not in old]
    mapped = repo.check_mailmap(raw, mailmap_rev=mailmap_rev) if raw else {}
    co: dict[str, tuple[str, str]] = {}
    for value in raw:
        value_s = value.strip()
        if value_s in mapped:
            co[value] = mapped[value_s]
        else:
            name, _, email = value_s.partition("<")
            co[value] = (name.strip(), email.rstrip(">").strip())
    return _History(rng, in_range, before, co, parents, merge_prs, squash_prs, first_parent, old)


def _people(record: LogRecord, co: Mapping[str, tuple[str, str]]) -> list[tuple[str, str]]:
    people = [(record.name, record.email)]
    for value in record.co_authors:
        person = co.get(value)
        if person and person[0]:
            people.append(person)
    return people


def _people_all(record: LogRecord, co: Mapping[str, tuple[str, str]]) -> list[tuple[str, str]]:
    """The author and every co-author, one entry per trailer (empty when unparsable)."""
    return [(record.name, record.email), *(co.get(v, ("", "")) for v in record.co_authors)]


def _collect_authors(config: Config, hist: _History) -> tuple[Author, ...]:
    co = hist.co_authors
    # commits per name: the author, plus co-authors other than the author (once each)
    counts: Counter[str] = Counter(map(_NAME, hist.in_range))
    for r in hist.in_range:
        if r.co_authors:
            extra = {co[v][0] for v in r.co_authors if v in co and co[v][0]} - {r.name}
            counts.update(extra)
    # names only: a changelog pass reads no e-mails of authors
    rx = _bot_matcher(config.changelog.bots)
    for name in [n for n in counts if _is_bot(rx, n)]:
        del counts[name]
    previous = set(map(_NAME, hist.before))
    previous.update(co[v][0] for r in hist.before if r.co_authors for v in r.co_authors if v in co)
    authors = [Author(name, name not in previous, n) for name, n in counts.items()]
    # NumPy sorts the printed strings ("Name +" and "Name") with Python's sort
    authors.sort(key=lambda a: a.display)
    return tuple(authors)


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def _collect_pull_requests(config: Config, hist: _History) -> tuple[PullRequest, ...]:
    found: dict[int, str] = {}
    # merge commits anywhere in the range: "Merge pull request #N from user/branch"
    for _sha, number, title in hist.merge_prs:
        found.setdefault(number, title)
    # squash merges and backports on the first-parent line: "Title (#N)"
    old, squash = hist.old, hist.squash_prs
    for sha in hist.first_parent:
        if sha in old:
            break
        hit = squash.get(sha)
        if hit is not None and hit[0] not in found:
            found[hit[0]] = hit[1]
    template = config.changelog.pr_url
    return tuple(
        PullRequest(n, found[n], template.format(number=n) if template else "")
        for n in sorted(found)
    )


def collect_changelog(
    config: Config,
    repo: Repo,
    rev_range: str,
    *,
    mailmap_rev: str | None = None,
    started: StartedLog | None = None,
) -> Changelog:
    """Contributors and merged pull requests of ``rev_range`` (``A..B`` or ``B``), offline.

    ``started`` is the pass :func:`start_log` began for the same arguments.
    """
    hist = _load_history(repo, rev_range, mailmap_rev=mailmap_rev, started=started)
    return Changelog(
        hist.rng.text,
        _collect_authors(config, hist),
        _collect_pull_requests(config, hist),
    )


# -- GitHub titles ------------------------------------------------------------


def _title_cache(repo: Repo) -> Path:
    return repo.git_dir / "relman" / "pr-titles.json"


def enrich_titles(
    changelog: Changelog, repo: Repo, forge: Forge, *, use_cache: bool = True
) -> Changelog:
    """Titles (and URLs) as on GitHub, fetched with GraphQL 100 at a time, cached on disk.

    Pull requests GitHub does not know keep their titles from git.
    """
    from relman import _atomic
    from relman.forge import fetch_pull_requests

    path = _title_cache(repo)
    cache: dict[str, dict[str, dict[str, str]]] = {}
    if use_cache and path.is_file():
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(loaded, dict):
                cache = loaded
        except (OSError, ValueError):
            cache = {}
    known = cache.setdefault(forge.repo, {})
    wanted = [p.number for p in changelog.pull_requests if str(p.number) not in known]
    if wanted:
        fetched = fetch_pull_requests(forge, wanted)
        for number, info in fetched.items():
            known[str(number)] = {"title": info.title, "url": info.url}
        _atomic.write_text(path, json.dumps(cache, indent=1, sort_keys=True) + "\n")
    prs = []
    for p in changelog.pull_requests:
        info_d = known.get(str(p.number))
        if info_d:
            p = p._replace(title=" ".join(info_d["title"].split()), url=info_d["url"] or p.url)
        prs.append(p)
    return replace(changelog, pull_requests=tuple(prs))


# -- rendering ----------------------------------------------------------------


def sanitize_title(title: str) -> str:
    """A pull-request title made safe for rst, shortened the way NumPy's changelog does."""
    text = " ".join(title.split())
    if len(text) <= 60 and "`" not in text and "*" not in text:
        return text
    # a lone backtick becomes a double one (inline literal)
    text = re.sub(r"(?<!`)`(?!`)", "``", text)

    # a literal must be followed by a space or an escaped one
    def _space_after(m: re.Match[str]) -> str:
        following = m.group(2)
        return f"``{m.group(1)}``" + (following if following == " " else "\\ " + following)

    text = re.sub(r"``(.*?)``(.)", _space_after, text)
    text = text.replace("*", "\\*")
    if len(text) > 60:
        rest = re.sub(r"\s.*$", "...", text[60:])
        text = text[:80] + "..." if len(rest) > 20 else text[:60] + rest
        if text.count("`") % 4:
            # cut inside a literal: close it before the ellipsis
            text = text[:-3] + "``..."
    return text


def _render_rst(changelog: Changelog) -> str:
    lines = ["", "Contributors", "=" * len("Contributors"), ""]
    lines.append(_author_msg(len(changelog.authors)))
    lines.append("")
    lines += [f"* {a.display}" for a in changelog.authors]
    heading = "Pull requests merged"
    lines += ["", heading, "=" * len(heading), ""]
    lines.append(_pr_msg(len(changelog.pull_requests)))
    lines.append("")
    for p in changelog.pull_requests:
        title = sanitize_title(p.title)
        lines.append(
            f"* `#{p.number} <{p.url}>`__: {title}" if p.url else f"* #{p.number}: {title}"
        )
    return "\n".join(lines) + "\n"


def _escape_md(text: str) -> str:
    return re.sub(r"([\\*_\[\]<>])", r"\\\1", text)


def _render_md(changelog: Changelog, version: str | None) -> str:
    lines = [f"# Changelog for {version}", ""] if version else []
    lines += ["## Contributors", "", _author_msg(len(changelog.authors)).replace("\n", " ")]
    lines = [line.replace("  People", " People") for line in lines]
    lines.append("")
    lines += [f"* {_escape_md(a.display)}" for a in changelog.authors]
    lines += ["", "## Pull requests merged", "", _pr_msg(len(changelog.pull_requests)), ""]
    for p in changelog.pull_requests:
        ref = f"[#{p.number}]({p.url})" if p.url else f"#{p.number}"
        lines.append(f"* {ref}: {_escape_md(p.title)}")
    return "\n".join(lines) + "\n"


def render_changelog(changelog: Changelog, fmt: str, *, version: str | None = None) -> str:
    """The changelog as ``rst`` (NumPy's shape), ``md`` or ``json``."""
    if fmt == "rst":
        return _render_rst(changelog)
    if fmt == "md":
        return _render_md(changelog, version)
    if fmt == "json":
        return json.dumps(changelog.as_dict(), indent=2, ensure_ascii=False) + "\n"
    raise UsageError(f"unknown changelog format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}")


def changelog_path(config: Config, version: str) -> Path | None:
    """Where the changelog of ``version`` is written, or None when not configured."""
    if not config.changelog.path:
        return None
    return config.project_dir / config.changelog.path.format(version=version)


def write_changelog(
    config: Config, repo: Repo, version: str, *, forge: Forge | None = None
) -> Path | None:
    """Write ``[tool.relman.changelog] path`` for ``version``; None when no path is set.

    The range is :func:`default_range`; titles come from GitHub when ``forge``
    is given (and from git otherwise).
    """
    path = changelog_path(config, version)
    if path is None:
        return None
    from relman import _atomic

    changelog = collect_changelog(config, repo, default_range(config, repo, version))
    if forge is not None:
        changelog = enrich_titles(changelog, repo, forge)
    _atomic.write_text(path, render_changelog(changelog, config.changelog.format, version=version))
    return path


# -- .mailmap check -----------------------------------------------------------


@dataclass(frozen=True)
class IdentityProblem:
    """Identities that probably belong to one person, or a name that looks like a handle."""

    kind: str  # "same-email", "same-name" or "single-word"
    names: tuple[str, ...]
    emails: tuple[str, ...]
    suggestion: str | None  # a .mailmap line that would merge them

    @property
    def text(self) -> str:
        if self.kind == "same-email":
            return f"{self.emails[0]} is used under {len(self.names)} names: " + ", ".join(
                self.names
            )
        if self.kind == "same-name":
            return (
                f"{' / '.join(self.names)} appears with {len(self.emails)} e-mails: "
                + ", ".join(self.emails)
            )
        return f"{self.names[0]} <{self.emails[0]}> is a single-word name (a user name?)"


def find_duplicate_identities(
    config: Config,
    repo: Repo,
    rev_range: str | None = None,
    *,
    mailmap_rev: str | None = None,
) -> list[IdentityProblem]:
    """Likely duplicate identities after the mailmap, as a release manager checks them.

    Identities are read from the whole history up to the range's end; only
    problems that involve someone who contributed to ``rev_range`` (default:
    :func:`default_range`) are reported.
    """
    rev_range = rev_range or default_range(config, repo)
    hist = _load_history(repo, rev_range, mailmap_rev=mailmap_rev, emails=True)
    bot = _bot_matcher(config.changelog.bots)
    counts: Counter[tuple[str, str]] = Counter()
    recent: set[tuple[str, str]] = set()
    # the identities as written in commits, which .mailmap lines must match
    raw: dict[tuple[str, str], set[str]] = {}
    for records, in_range in ((hist.in_range, True), (hist.before, False)):
        for r in records:
            written = [f"{r.raw_name} <{r.raw_email}>", *r.co_authors]
            for (name, email), as_written in zip(
                _people_all(r, hist.co_authors), written, strict=True
            ):
                if not name or _is_bot(bot, name, email):
                    continue
                key = (name, email.lower())
                counts[key] += 1
                raw.setdefault(key, set()).add(" ".join(as_written.split()))
                if in_range:
                    recent.add(key)
    problems: list[IdentityProblem] = []
    by_email: dict[str, set[str]] = {}
    by_name: dict[str, set[tuple[str, str]]] = {}
    for name, email in counts:
        by_email.setdefault(email, set()).add(name)
        by_name.setdefault(" ".join(name.casefold().split()), set()).add((name, email))

    def preferred(names: Iterable[str], email: str) -> str:
        return max(names, key=lambda n: (" " in n.strip(), n != n.lower(), counts[(n, email)], n))

    def lines(best: tuple[str, str], others: Iterable[tuple[str, str]]) -> str:
        return "\n".join(
            f"{best[0]} <{best[1]}> {as_written}"
            for other in sorted(others)
            for as_written in sorted(raw[other])
        )

    grouped: set[str] = set()
    for email, names in sorted(by_email.items()):
        if len(names) < 2 or not any((n, email) in recent for n in names):
            continue
        best = preferred(names, email)
        others = sorted(n for n in names if n != best)
        grouped.update(others)
        suggestion = lines((best, email), [(o, email) for o in others])
        problems.append(IdentityProblem("same-email", (best, *others), (email,), suggestion))
    for _key, idents in sorted(by_name.items()):
        emails = sorted({e for _, e in idents})
        name_list = sorted({n for n, _ in idents})
        if len(idents) < 2 or not any(i in recent for i in idents):
            continue
        if len(emails) == 1:  # same e-mail, names differ in case: reported above
            continue
        best_ident = max(idents, key=lambda i: (counts[i], i))
        suggestion = lines(best_ident, [i for i in idents if i != best_ident])
        problems.append(IdentityProblem("same-name", tuple(name_list), tuple(emails), suggestion))
    for name, email in sorted(recent):
        if " " not in name.strip() and name not in grouped:
            problems.append(IdentityProblem("single-word", (name,), (email,), None))
    return problems


# -- backports ----------------------------------------------------------------


@dataclass(frozen=True)
class Backport:
    """A pull request merged on the main branch and marked for backport."""

    number: int
    title: str
    commit: str  # the merge or squash commit on the main branch
    marked_by: str  # "trailer", "file" or "label"
    backported: bool
    evidence: str | None  # "pr-number", "cherry-pick" or "patch-id"
    branch_commit: str | None  # the commit on the maintenance branch that carries it


@dataclass(frozen=True)
class BackportReport:
    branch: str
    main: str
    base: str
    backports: tuple[Backport, ...]

    @property
    def missing(self) -> tuple[Backport, ...]:
        return tuple(b for b in self.backports if not b.backported)

    def as_dict(self) -> dict[str, Any]:
        return {
            "branch": self.branch,
            "main": self.main,
            "base": self.base,
            "backports": [
                {
                    "number": b.number,
                    "title": b.title,
                    "commit": b.commit,
                    "marked_by": b.marked_by,
                    "backported": b.backported,
                    "evidence": b.evidence,
                    "branch_commit": b.branch_commit,
                }
                for b in self.backports
            ],
        }


@dataclass(frozen=True)
class _MainPR:
    number: int
    title: str
    commit: str
    commits: tuple[str, ...]  # the commits that carry its change
    messages: tuple[str, ...]


def _resolve_branch(repo: Repo, name: str, remote: str, what: str) -> str:
    for ref in (name, f"{remote}/{name}"):
        if repo.rev_parse(ref):
            return ref
    raise UsageError(
        f"{what} branch {name!r} does not exist (locally or on {remote})",
        hint="pass --branch/--main, or fetch the remote",
    )


def _backport_numbers_from_file(config: Config) -> set[int]:
    if not config.changelog.backport_file:
        return set()
    path = config.project_dir / config.changelog.backport_file
    if not path.is_file():
        raise UsageError(
            f"backport file {path} does not exist",
            hint="create it (one pull-request number per line) or unset "
            "[tool.relman.changelog] backport-file",
        )
    numbers = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0] if not line.lstrip().startswith("#") else line.lstrip()[1:]
        m = re.match(r"\s*(?:gh-)?(\d+)\b", line)
        if m:
            numbers.add(int(m.group(1)))
    return numbers


def _trailer_marked(trailer: str, messages: Iterable[str]) -> bool:
    rx = re.compile(rf"^{re.escape(trailer)}\s*:\s*(.*)$", re.I | re.M)
    for message in messages:
        for m in rx.finditer(message):
            if m.group(1).strip().lower() not in ("no", "false", "0"):
                return True
    return False


def _find_evidence(
    pr: _MainPR, branch_recs: Sequence[LogRecord], patch_ids: Mapping[str, str]
) -> tuple[str | None, str | None]:
    """How ``pr`` got onto the branch (and the commit that carries it), or (None, None)."""
    mention = re.compile(rf"(?:#|gh-|backport[-_/]){pr.number}\b", re.I)
    shas = (*pr.commits, pr.commit)
    texts = [(rec, f"{rec.subject}\n\n{rec.body}") for rec in branch_recs]
    for rec, text in texts:
        if mention.search(text):
            return "pr-number", rec.sha
    for rec, text in texts:
        if any(c.startswith(p) for p in _CHERRY.findall(text) for c in shas):
            return "cherry-pick", rec.sha
    ids = {patch_ids[c] for c in pr.commits if c in patch_ids}
    for rec, _ in texts:
        if rec.sha in patch_ids and patch_ids[rec.sha] in ids:
            return "patch-id", rec.sha
    return None, None


def find_backports(
    config: Config,
    repo: Repo,
    *,
    branch: str | None = None,
    main: str | None = None,
    forge: Forge | None = None,
) -> BackportReport:
    """Pull requests merged on ``main`` since ``branch`` forked, marked for backport.

    A pull request is marked by a ``Backport-Candidate:`` trailer in its
    commits (``[tool.relman.changelog] backport-trailer``), by its number in
    ``backport-file``, or by the ``backport-label`` on GitHub (when ``forge``
    is given: one GraphQL request per 100 pull requests). It counts as
    backported when a commit on the branch names it (``#N``, ``gh-N``, ``backport-N``), carries a
    ``(cherry picked from commit X)`` trailer for one of its commits, or has
    the same patch-id as one of them. One ``git log`` pass; patch-ids (one
    ``git diff-tree`` piped to ``git patch-id``) only for the commits a number
    or a trailer did not settle.
    """
    if branch is None:
        branch = repo.current_branch()
        if branch is None:
            raise UsageError(
                "HEAD is detached: which maintenance branch?", hint="pass --branch NAME"
            )
    main = main or config.main_branch
    branch_ref = _resolve_branch(repo, branch, config.remote, "maintenance")
    main_ref = _resolve_branch(repo, main, config.remote, "main")
    branch_sha = repo.rev_parse(branch_ref)
    main_sha = repo.rev_parse(main_ref)
    assert branch_sha and main_sha
    if branch == main:
        raise UsageError(
            f"{branch} is the main branch: backports go to a maintenance branch",
            hint="check out the maintenance branch, or pass --branch maintenance/X.Y.x",
        )
    if branch_sha == main_sha or repo.is_ancestor(branch_sha, main_sha):
        raise UsageError(
            f"{branch} has no commits of its own beyond {main}",
            hint="run on a maintenance branch, or pass --branch maintenance/X.Y.x",
        )
    base = repo.merge_base(main_sha, branch_sha)
    if base is None:
        raise UsageError(f"{branch} and {main} have no common history")
    records = repo.log_history([main_sha, branch_sha, f"^{base}"], emails=False)
    parents = {r.sha: r.parents for r in records}
    by_sha = {r.sha: r for r in records}
    on_branch = _ancestors(branch_sha, parents)

    # main's first-parent line since the branch point, and the pull requests on it
    line: list[LogRecord] = []
    sha: str | None = main_sha
    while sha is not None and sha in by_sha:
        line.append(by_sha[sha])
        sha = by_sha[sha].parents[0] if by_sha[sha].parents else None
    mainline = {r.sha for r in line}
    prs: list[_MainPR] = []
    for r in line:
        message = f"{r.subject}\n\n{r.body}"
        if len(r.parents) > 1:
            m = _MERGE_PR.search(r.subject) or _AUTO_MERGE.search(r.subject)
            if m:
                inner = _branch_commits(r.parents[1], by_sha, mainline)
                prs.append(
                    _MainPR(
                        int(m.group(1)),
                        " ".join(_merge_title(r).split()),
                        r.sha,
                        tuple(x.sha for x in inner),
                        (message, *(f"{x.subject}\n\n{x.body}" for x in inner)),
                    )
                )
        else:
            m = _SQUASH_PR.match(r.subject)
            if m:
                title = " ".join(m.group(1).split())
                prs.append(_MainPR(int(m.group(2)), title, r.sha, (r.sha,), (message,)))

    labels: dict[int, tuple[str, ...]] = {}
    if forge is not None and prs:
        from relman.forge import fetch_pull_requests

        labels = {
            n: info.labels
            for n, info in fetch_pull_requests(forge, [p.number for p in prs]).items()
        }
    from_file = _backport_numbers_from_file(config)
    label = config.changelog.backport_label
    marked: list[tuple[_MainPR, str]] = []
    for pr in sorted(prs, key=lambda p: p.number):
        if label in labels.get(pr.number, ()):
            marked.append((pr, "label"))
        elif pr.number in from_file:
            marked.append((pr, "file"))
        elif _trailer_marked(config.changelog.backport_trailer, pr.messages):
            marked.append((pr, "trailer"))
    branch_recs = [r for r in records if r.sha in on_branch]
    found = {pr.number: _find_evidence(pr, branch_recs, {}) for pr, _ in marked}
    # patch-ids only when a number or a cherry-pick trailer did not tell
    unresolved = [pr for pr, _ in marked if found[pr.number][0] is None]
    if unresolved:
        patch_ids = repo.patch_ids(
            [r.sha for r in branch_recs if len(r.parents) == 1]
            + [c for pr in unresolved for c in pr.commits]
        )
        for pr in unresolved:
            found[pr.number] = _find_evidence(pr, branch_recs, patch_ids)
    items = [
        Backport(
            pr.number,
            pr.title,
            pr.commit,
            how,
            found[pr.number][0] is not None,
            found[pr.number][0],
            found[pr.number][1],
        )
        for pr, how in marked
    ]
    if not prs:
        _report.debug(f"no pull requests found on {main} since {base[:12]}")
    return BackportReport(branch, main, base, tuple(items))


def _branch_commits(
    tip: str, by_sha: Mapping[str, LogRecord], mainline: set[str]
) -> list[LogRecord]:
    """The commits of a merged branch: from its tip back to where it left the main line."""
    seen: set[str] = set()
    out: list[LogRecord] = []
    stack = [tip]
    while stack:
        sha = stack.pop()
        if sha in seen or sha in mainline or sha not in by_sha:
            continue
        seen.add(sha)
        out.append(by_sha[sha])
        stack.extend(by_sha[sha].parents)
    return out
