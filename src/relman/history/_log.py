"""The two streamed ``git log`` passes a changelog reads, and the revision range.

A changelog needs every commit of the range (names, subjects, bodies,
parents) and the names of everyone who contributed before it (for the "+"
marks). They are two ``git log`` passes started together: the one over the
history before the range asks only for the fields the style's "seen before"
rule needs, so a small range on a big history costs little more than that
pass. Each commit of the range is kept as the list of its fields (indices
below); nothing is computed per commit that a rule does not use. The
rules read each batch of commits as git writes it (the ``scans`` of
:func:`read_passes`), so Python's work runs while git still walks the
history, not after it.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from relman.errors import UsageError

if TYPE_CHECKING:
    from relman._spawn import Spawned
    from relman.git import Repo

from relman.history._fields import (
    BEFORE_FIELDS_MAILMAP,
    BEFORE_FIELDS_RAW,
    BODY,
    CO_AUTHORS,
    COMMITTER,
    EMAIL,
    NAME,
    PARENTS,
    RANGE_FIELDS,
    RAW_NAME,
    SHA,
    SUBJECT,
)

__all__ = [
    "BEFORE_FIELDS_MAILMAP",
    "BEFORE_FIELDS_RAW",
    "BODY",
    "COMMITTER",
    "CO_AUTHORS",
    "EMAIL",
    "NAME",
    "PARENTS",
    "RANGE_FIELDS",
    "RAW_NAME",
    "SHA",
    "SUBJECT",
    "Passes",
    "Range",
    "StartedLog",
    "first_parent_line",
    "read_passes",
    "resolve_range",
    "start_log",
]


@dataclass(frozen=True)
class Range:
    text: str
    start: str | None  # full sha, None for the whole history
    end: str


def resolve_range(repo: Repo, rev_range: str) -> Range:
    """``START..END`` or one revision, checked; an unknown side is a usage error."""
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
    return Range(text, start, end)


@dataclass
class Passes:
    """The range's commits and the history before it, as read from git."""

    rng: Range
    commits: list[list[str]] = field(default_factory=list)  # newest first
    before: list[list[str]] = field(default_factory=list)  # BEFORE_FIELDS_*, each distinct once
    shallow: bool = False


@dataclass(frozen=True)
class StartedLog:
    """The range's pass already running, and maybe the one before it (see :func:`start_log`)."""

    repo: Repo
    rev_range: str
    mailmap_rev: str | None
    rng: Range
    batches: Iterator[list[list[str]]]  # the commits, a batch at a time as git writes them
    before_fields: tuple[str, ...] = ()  # what the pass before the range reads, if started
    before: Iterator[list[list[str]]] | None = None
    spawned: tuple[Spawned | None, Spawned | None] = (None, None)  # started by the CLI
    # what was read from it, and what read it (read_passes' Passes and scans): they live
    # as long as this does, so that a command that ends its process at once (see
    # relman.cli.run) never frees them one object at a time
    read: list[object] = field(default_factory=list)

    def close(self) -> None:
        """Stop the passes (a pass not read to its end is killed)."""
        _close(self.batches, self.spawned[0])
        self.close_before()

    def close_before(self) -> None:
        """Stop the pass before the range, if it was started."""
        if self.before is not None:
            _close(self.before, self.spawned[1])


def _close(batches: Iterator[list[list[str]]], spawned: Spawned | None = None) -> None:
    close = getattr(batches, "close", None)
    if close is not None:
        close()
    if spawned is not None:  # (a pass never read has not adopted it)
        spawned.close()


Scan = Callable[[list[list[str]]], None]  # reads one batch of commits


def start_log(
    repo: Repo,
    rev_range: str,
    *,
    mailmap_rev: str | None = None,
    spawned: Spawned | None = None,
    before_fields: Sequence[str] = (),
    spawned_before: Spawned | None = None,
) -> StartedLog:
    """Start the ``git log`` pass of ``rev_range`` now, to be read by ``collect_changelog``.

    The CLI starts it before loading the configuration, so that git and
    Python work at the same time on a big history: ``spawned`` is then that
    ``git log`` of ``rev_range`` as written (see ``_fields.plain_range``), already
    running; the range is checked here all the same. With ``before_fields``
    the pass over the history before the range starts too (``spawned_before``:
    already running, as ``git log START`` with ``START`` as written).
    """
    rng = resolve_range(repo, rev_range)
    revs = [rng.end] + ([f"^{rng.start}"] if rng.start else [])
    if spawned is not None:
        revs = [rev_range.strip()]
    batches = _started(repo, revs, RANGE_FIELDS, mailmap_rev, spawned)
    before = None
    if before_fields and rng.start:
        start = [rng.start]
        if spawned_before is not None:
            start = [rev_range.strip().partition("..")[0] or "HEAD"]
        before = _started(repo, start, before_fields, mailmap_rev, spawned_before, distinct=True)
    elif spawned_before is not None:
        spawned_before.close()
    return StartedLog(
        repo,
        rev_range,
        mailmap_rev,
        rng,
        batches,
        tuple(before_fields) if before else (),
        before,
        (spawned, spawned_before if before else None),
    )


def _started(
    repo: Repo,
    revs: Sequence[str],
    fields: Sequence[str],
    mailmap_rev: str | None,
    spawned: Spawned | None = None,
    *,
    distinct: bool = False,
) -> Iterator[list[list[str]]]:
    """``git log``'s batches, git running once this returns."""
    batches = repo.iter_log_batches(
        revs, fields, mailmap_rev=mailmap_rev, spawned=spawned, distinct=distinct
    )
    if spawned is not None:
        return batches  # running already: no need to wait here for its first batch
    first = next(batches, None)  # git is running from here on
    return _chained(first, batches)


def _chained(
    first: list[list[str]] | None, rest: Iterator[list[list[str]]]
) -> Iterator[list[list[str]]]:
    try:
        if first is not None:
            yield first
        yield from rest
    finally:
        _close(rest)


def read_passes(
    repo: Repo,
    rev_range: str,
    *,
    mailmap_rev: str | None,
    before_fields: Sequence[str],
    started: StartedLog | None = None,
    scans: Sequence[Scan] = (),
    before_scans: Sequence[Scan] = (),
) -> Passes:
    """Both passes read to the end: the one before the range runs while the range is read.

    Each batch of the range's commits goes to every one of ``scans`` as it
    arrives, each batch of the history before it to ``before_scans``.
    """
    if started is None or (started.rev_range, started.mailmap_rev) != (rev_range, mailmap_rev):
        if started is not None:
            started.close()
        started = start_log(repo, rev_range, mailmap_rev=mailmap_rev)
    rng = started.rng
    before: Iterator[list[list[str]]] = iter(())
    if started.before is not None and started.before_fields == tuple(before_fields):
        before = started.before
    elif rng.start:
        if started.before is not None:  # started for another style's fields
            started.close_before()
        before = _started(repo, [rng.start], before_fields, mailmap_rev, distinct=True)
    passes = Passes(rng, shallow=bool(rng.start) and repo.is_shallow())  # while git reads
    started.read.extend((passes, *scans, *before_scans))
    with collector_paused():
        for kept, batches, readers in (
            (passes.commits, started.batches, scans),
            (passes.before, before, before_scans),
        ):
            for batch in batches:
                kept += batch
                for read in readers:
                    read(batch)
    return passes


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while the commits are read and the lists made.

    Reading makes no cyclic garbage, only the records (tens of thousands of
    lists, kept until the lists are made), which the collector would walk
    again and again for nothing; they are freed by reference counting all
    the same. Nested uses keep it off until the outermost ends.

    When it ends, what was made meanwhile counts as old (moved to the oldest
    generation, as ``gc.freeze()`` then ``gc.unfreeze()`` do, in constant
    time): turned on again, the collector would otherwise walk every record
    at once, as young objects that outnumber its threshold a hundredfold.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def first_parent_line(by_sha: Mapping[str, list[str]], end: str) -> list[str]:
    """The first-parent line from ``end`` within the commits ``by_sha``, newest first."""
    line: list[str] = []
    sha: str | None = end
    while sha is not None and sha in by_sha:
        line.append(sha)
        sha = by_sha[sha][PARENTS].partition(" ")[0] or None
    return line
