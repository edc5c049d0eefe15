"""Identities that will show up twice in a changelog, for fixing .mailmap before publishing.

One ``git log`` pass reading names and e-mails before and after the mailmap
(so that suggested ``.mailmap`` lines match the commits as written).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from relman.history._log import resolve_range
from relman.history.people import is_match, pattern_matcher

if TYPE_CHECKING:
    from relman.config import Config
    from relman.git import LogRecord, Repo


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


def _people_all(record: LogRecord, co: Mapping[str, tuple[str, str]]) -> list[tuple[str, str]]:
    """The author and every co-author, one entry per trailer (empty when unparsable)."""
    return [(record.name, record.email), *(co.get(v, ("", "")) for v in record.co_authors)]


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
    if rev_range is None:
        from relman.history import default_range

        rev_range = default_range(config, repo)
    rng = resolve_range(repo, rev_range)
    records = repo.log_history([rng.end], mailmap_rev=mailmap_rev, emails=True)
    old = _ancestors(rng.start, {r.sha: r.parents for r in records})
    raw_co = {v for r in records for v in r.co_authors}
    mapped = repo.check_mailmap(raw_co, mailmap_rev=mailmap_rev) if raw_co else {}
    co: dict[str, tuple[str, str]] = {}
    for value in raw_co:
        name, _, email = value.strip().partition("<")
        co[value] = mapped.get(value.strip()) or (name.strip(), email.rstrip("> ").strip())
    bot = pattern_matcher(config.changelog.bots)
    counts: Counter[tuple[str, str]] = Counter()
    recent: set[tuple[str, str]] = set()
    # the identities as written in commits, which .mailmap lines must match
    raw: dict[tuple[str, str], set[str]] = {}
    in_range_records = [r for r in records if r.sha not in old]
    before = [r for r in records if r.sha in old]
    for part, in_range in ((in_range_records, True), (before, False)):
        for r in part:
            written = [f"{r.raw_name} <{r.raw_email}>", *r.co_authors]
            for (name, email), as_written in zip(_people_all(r, co), written, strict=True):
                if not name or is_match(bot, name, email):
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
