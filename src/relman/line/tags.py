"""Release tags and the last release of a line.

A release tag is a tag that names a version under the configured tag format.
The last release of the line a revision is on is the newest release (not a
``.devN`` marker tag) that is either reachable from it, or, when the tree's
version is known, precedes that version: projects that tag their releases on
maintenance branches (NumPy, SciPy, CPython) never merge those tags into main,
so on main the last release is the newest one before the version main heads
for (2.5.3 for a main at 2.6.0.dev0), not an ancient tag that happens to be
reachable.
"""

from __future__ import annotations

import os
from bisect import bisect_left
from dataclasses import dataclass
from functools import cached_property
from operator import attrgetter

from packaging.version import Version

from relman.config import Config
from relman.git import Repo, remembered

__all__ = ["ReleaseTag", "last_release_before", "last_release_reached", "release_tags"]


@dataclass(frozen=True, order=True)
class ReleaseTag:
    """A tag that names a version: the version, the tag's name, the commit it points at."""

    version: Version
    name: str
    commit: str

    @cached_property
    def is_release(self) -> bool:
        """A real release: not a .devN marker tag (NumPy tags the start of development).

        Worked out once per tag: status asks it of every tag several times.
        """
        return not self.version.is_devrelease


def release_tags(config: Config, repo: Repo, *, merged_into: str | None = None) -> list[ReleaseTag]:
    """Tags that name a version under the configured tag format, lowest first.

    With ``merged_into`` only tags reachable from that revision are returned.
    Within :func:`relman.git.reading` each answer is worked out once.
    """
    # the config is part of the value, so its id names no other config while remembered
    key = ("release_tags", os.fspath(repo.root), id(config), merged_into)
    found = remembered(key, lambda: (config, _release_tags(config, repo, merged_into)))[1]
    return list(found)


def _release_tags(config: Config, repo: Repo, merged_into: str | None) -> list[ReleaseTag]:
    if merged_into is not None:
        # the release tags of the whole repository, each parsed once, filtered
        merged = set(repo.merged_tags(merged_into))
        return [t for t in release_tags(config, repo) if t.name in merged]
    found = []
    parse = config.tag_parser()
    for name, commit in repo.tags().items():
        version = parse(name)
        if version is not None:
            tag = ReleaseTag(version, name, commit)
            tag.__dict__["is_release"] = not version.is_devrelease  # what the property keeps
            found.append(tag)
    # ReleaseTag's own order (version, name, commit): by name, then, stably, by version
    # (a name has one commit), so a comparison is one of versions, not of tuples
    found.sort(key=attrgetter("name"))
    found.sort(key=attrgetter("version"))
    return found


def last_release_before(
    config: Config, repo: Repo, rev: str = "HEAD", *, version: str | Version | None = None
) -> ReleaseTag | None:
    """The last release of the line ``rev`` is on.

    The newest release tag reachable from ``rev``, or, when the tree's
    ``version`` is given, the newest release that is reachable or precedes it
    (releases tagged on maintenance branches count for main).
    """
    return last_release_reached(config, repo, rev, version=version)[0]


def last_release_reached(
    config: Config, repo: Repo, rev: str = "HEAD", *, version: str | Version | None = None
) -> tuple[ReleaseTag | None, bool]:
    """:func:`last_release_before`, and whether that release is reachable from ``rev``
    (one of the tags merged into it: no other git call needed)."""
    if not repo.has_commits():
        return None, False
    reachable = [t for t in release_tags(config, repo, merged_into=rev) if t.is_release]
    # both lists come lowest first: the newest of each is its last
    candidates = reachable[-1:]
    if version is not None:
        before = Version(str(version))
        before = Version(before.public)
        names = {t.name for t in reachable}
        every = release_tags(config, repo)
        below = bisect_left(every, before, key=attrgetter("version"))  # those < before
        earlier = next(
            (t for t in reversed(every[:below]) if t.is_release and t.name not in names), None
        )
        candidates += [earlier] if earlier is not None else []
    if not candidates:
        return None, False
    last = max(candidates)
    return last, bool(reachable) and last is reachable[-1]
