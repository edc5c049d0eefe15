"""The project's release line: where its version comes from, the last release of
this line, the range of the next release, the next versions in the project's
own scheme, and the development version after a release.

This is the one home of the release line that versions, status, history,
checks and the release pipeline use; it sits above the configuration data,
the version files and version arithmetic (:mod:`relman.versioning`), and
below every domain module.

API (everything takes the :class:`~relman.config.Config` and the
:class:`~relman.git.Repo`):

- :func:`release_line` (``rev="HEAD"``): a :class:`ReleaseLine` with the
  branch, where the version comes from (:class:`VersionSource`), the tree's
  version, the last release of the line, whether the tree names a release
  not tagged yet (``pending``), the version scheme, and
  :meth:`ReleaseLine.next_version`. With a branch name as ``rev`` it
  describes that branch's line from its files (the last release of each
  maintenance line).
- :func:`current_version`: the version the tree is at (from its files, or
  computed from git the way the build backend would); None when unknown.
- :func:`last_release`: the last release of the line ``rev`` is on
  (:mod:`relman.line.tags` explains how main finds releases tagged on
  maintenance branches).
- :func:`release_range`: the revision range of the next release (or of a
  given version): the changelog's default range.
- :func:`dev_version_after`: the development version after a release, or
  None when the project makes no post-release commit
  (:mod:`relman.line.scheme`).
- :func:`check_new_version`: refuses a version that must not be set.
"""

from __future__ import annotations

from packaging.version import InvalidVersion, Version

from relman import versionfiles
from relman._record import record
from relman.config import Config
from relman.errors import UsageError, VersionError
from relman.git import Repo
from relman.line.scheme import (
    Scheme,
    _reshape,
    dev_version_after,
    head_year,
    learn_scheme,
    next_in_scheme,
)
from relman.line.source import VersionSource, git_version, version_source
from relman.line.tags import ReleaseTag, last_release_before, last_release_reached, release_tags
from relman.versioning import _pad, parse_version

__all__ = [
    "ReleaseLine",
    "ReleaseTag",
    "Scheme",
    "VersionSource",
    "check_new_version",
    "current_version",
    "dev_version_after",
    "last_release",
    "release_line",
    "release_range",
    "release_tags",
    "version_at",
    "version_source",
]

#: status labels and the release kind each stands for
STATUS_KINDS = (
    ("alpha", "alpha"),
    ("beta", "beta"),
    ("rc", "rc"),
    ("final", "final"),
    ("bug-fix", "micro"),
    ("minor", "minor"),
    ("major", "major"),
)


@record(kw_only=False)
class ReleaseLine:
    """A branch's release line as relman sees it (see the module docstring)."""

    rev: str
    branch: str | None
    on_main: bool
    source: VersionSource
    version: str | None
    last: ReleaseTag | None
    pending: bool
    scheme: Scheme
    #: the last release is tagged on this branch (reachable from ``rev``)
    last_reachable: bool = False

    def next_version(self, kind: str) -> str:
        """The next version of ``kind`` (a status label like ``bug-fix`` or a kind
        of :mod:`relman.versioning`) in the project's scheme."""
        kind = dict(STATUS_KINDS).get(kind, kind)
        if self.version is None:
            raise VersionError(
                "the project's version is not known",
                hint="fix the version sources (`relman version check`), or pass --from VERSION",
            )
        last = self.last
        tree = Version(Version(self.version).public)
        if (
            kind in ("alpha", "beta", "rc", "final")
            and last is not None
            and last.version.is_prerelease
            and self.last_reachable
            and tree.is_devrelease
            and tree.pre is None
            and Version(tree.base_version) >= Version(last.version.base_version)
        ):
            # pre-releases of X.Y made from a tree already developing the next version
            # (packaging: 26.0rc3 from a main at 26.1.dev1; pip: 24.1b2 from 24.1.dev1):
            # the next continues them
            return next_in_scheme(last.version, kind, self.scheme, pending=False)
        if (
            kind == "micro"
            and last is not None
            and not last.version.is_prerelease
            and tree.is_devrelease
            and (*tree.release, 0, 0)[2] == 0
            and (*last.version.release, 0)[:2] < (*tree.release, 0)[:2]
        ):
            # the tree develops the next minor: the next bug-fix is the last release's
            # (pip releases 26.2.1 from a main at 26.3.dev0)
            return next_in_scheme(last.version, kind, self.scheme, pending=False)
        return next_in_scheme(self.version, kind, self.scheme, pending=self.pending)

    def next_versions(self) -> dict[str, str | None]:
        """The next version of every status label (None where none follows)."""
        out: dict[str, str | None] = {}
        for label, _ in STATUS_KINDS:
            try:
                out[label] = self.next_version(label) if self.version else None
            except VersionError:
                out[label] = None
        return out


def _agreed(values: list[str | None]) -> str | None:
    found = set()
    for value in values:
        if value is None:
            return None
        try:
            found.add(str(Version(value)))
        except InvalidVersion:
            return None
    return found.pop() if len(found) == 1 else None


def version_at(config: Config, repo: Repo, rev: str) -> str | None:
    """The version the project's files hold at ``rev`` (None for a version from git,
    or when the files disagree)."""
    values: list[str | None] = []
    for source in versionfiles.sources_of(config):
        text = repo.show_file(rev, source.path)
        values.append(None if text is None else versionfiles.read_source_text(config, source, text))
    return _agreed(values) if values else None


def current_version(config: Config, repo: Repo | None = None) -> str | None:
    """The version the working tree is at: what all its files agree on, or, for a
    version derived from git, what the build backend computes now.

    None when the sources disagree, cannot be read, or there are none.
    """
    source = version_source(config)
    if source.origin == "files":
        if any(s.error for s in source.files):
            return None
        return _agreed([s.version for s in source.files])
    if source.from_git and repo is not None and source.backend:
        return git_version(config, repo, source.backend)
    return None


def last_release(config: Config, repo: Repo, rev: str = "HEAD") -> ReleaseTag | None:
    """The last release of the line ``rev`` is on (the working tree's for HEAD)."""
    if not repo.has_commits():
        return None
    version = current_version(config, repo) if rev == "HEAD" else version_at(config, repo, rev)
    return last_release_before(config, repo, rev, version=version)


def release_line(config: Config, repo: Repo, rev: str = "HEAD") -> ReleaseLine:
    """The release line of the working tree (``rev="HEAD"``) or of a branch."""
    source = version_source(config)
    has_commits = repo.has_commits()
    if rev == "HEAD":
        version = current_version(config, repo)
        branch = repo.current_branch()
    else:
        version = version_at(config, repo, rev) if has_commits else None
        branch = rev
    last, reachable = (
        last_release_reached(config, repo, rev, version=version) if has_commits else (None, False)
    )
    tags = release_tags(config, repo) if has_commits else []
    pending = False
    if version is not None and not source.from_git and any(t.is_release for t in tags):
        # the tree names a release the project (which tags its releases) has not tagged
        pending = not Version(version).is_devrelease and not repo.tag_exists(
            config.tag_for(version)
        )
    scheme = learn_scheme(
        Version(Version(version).public) if version else None,
        tags,
        head_year(repo) if has_commits else 0,
    )
    return ReleaseLine(
        rev=rev,
        branch=branch,
        on_main=branch == config.main_branch,
        source=source,
        version=version,
        last=last,
        pending=pending,
        scheme=scheme,
        last_reachable=reachable,
    )


def release_range(config: Config, repo: Repo, version: str | None = None) -> str:
    """The revision range of the release ``version`` (default: the next release).

    Bug-fix release X.Y.Z (Z > 0): the previous final release of X.Y..HEAD.
    New X.Y.0 (and its pre-releases): from the X.Y.0.dev0 tag when the
    project tags where a minor's development starts, otherwise from where the
    previous minor's line left (the merge base with its latest release, or its
    maintenance branch)..HEAD. When the version is already tagged, the range
    ends at its tag, so an old changelog can be regenerated; but with no
    ``version`` given, a tree that still names a tagged release with commits
    after the tag gives ``<tag>..HEAD`` (the changes since that release).
    """
    from relman.errors import NothingToDo

    if not repo.has_commits():
        raise NothingToDo(
            "the repository has no commits yet: there is no history to list",
            hint="commit the project first",
        )
    if version is None:
        tree = current_version(config, repo)
        if tree is not None:
            v = Version(tree)
            version = v.base_version if v.local is None else Version(v.public).base_version
            tag = config.tag_for(str(v.public))
            if (
                not v.is_devrelease
                and repo.tag_exists(tag)
                and repo.rev_parse(f"{tag}^{{commit}}") != repo.head()
            ):
                # the tree still names the last release and work went on since:
                # the changelog being made is the one of what follows that tag
                return f"{tag}..HEAD"
    if version is None:
        last = last_release(config, repo)
        return f"{last.name}..HEAD" if last else "HEAD"
    try:
        target = Version(version)
    except InvalidVersion:
        raise UsageError(
            f"{version!r} is not a valid version", hint="give a PEP 440 version like 1.2.0"
        ) from None
    end = "HEAD"
    tag = config.tag_for(version)
    if not target.is_devrelease and repo.tag_exists(tag):
        end = tag
    major, minor, micro = (*target.release, 0, 0)[:3]
    every = release_tags(config, repo)
    tags = release_tags(config, repo, merged_into=end)
    finals = [t for t in tags if not t.version.is_prerelease and t.version < target]
    if micro > 0:
        same_line = [t for t in finals if t.version.release[:2] == (major, minor)]
        if not same_line:
            # the line's releases are tagged on its maintenance branch
            same_line = [
                t
                for t in every
                if not t.version.is_prerelease
                and t.version.release[:2] == (major, minor)
                and t.version < target
            ]
        if same_line:
            return f"{same_line[-1].name}..{end}"
        if finals:
            return f"{finals[-1].name}..{end}"
        return end
    dev0 = Version(f"{major}.{minor}.dev0")
    for t in every:
        if t.version == dev0 and repo.is_ancestor(t.name, end):
            return f"{t.name}..{end}"
    older = [
        t for t in every if not t.version.is_prerelease and t.version.release[:2] < (major, minor)
    ]
    bases: list[str] = []
    if older:
        prev = older[-1]
        base = repo.merge_base(prev.name, end)
        if base:
            bases.append(base)
        branch = config.maintenance_branch_for(str(prev.version))
        for ref in (branch, f"{config.remote}/{branch}"):
            if repo.rev_parse(ref):
                base = repo.merge_base(ref, end)
                if base:
                    bases.append(base)
                break
    if bases:
        # the newest of the candidate bases (they lie on one line of history)
        best = bases[0]
        for b in bases[1:]:
            if repo.is_ancestor(best, b):
                best = b
        for t in older[::-1]:
            if t.commit == best:
                return f"{t.name}..{end}"
        return f"{best}..{end}"
    return end


def check_new_version(config: Config, repo: Repo, version: str, *, force: bool = False) -> Version:
    """Refuse a version that must not be set; return it parsed when it may.

    Always refused (``force`` does not help): text that is not normalized
    PEP 440, and a version whose release tag already exists. Refused unless
    ``force`` (the ordering checks): a version lower than or equal to a
    release tag on this line (tags reachable from HEAD, and tags of the same
    X.Y series anywhere), going from a final back to a pre-release or .dev of
    the same release (compared with the version in the files), and a version
    the project's scheme never produces (27.0.0 where releases are 26.2, 26.3).
    """
    v = parse_version(version)
    tag = config.tag_for(str(v))
    if repo.has_commits() and repo.tag_exists(tag):
        raise VersionError(
            f"the tag {tag} already exists: {v} is already released",
            hint="choose a later version (`relman version next KIND` suggests one)",
        )
    if force:
        return v
    if repo.has_commits():
        tags = release_tags(config, repo)
        reachable = {t.name for t in release_tags(config, repo, merged_into="HEAD")}
        series = tuple(_pad(tuple(v.release))[:2])
        for t in reversed(tags):
            same_series = tuple(_pad(tuple(t.version.release))[:2]) == series
            if (t.name in reachable or same_series) and v <= t.version:
                where = (
                    "on this branch"
                    if t.name in reachable
                    else f"in the {series[0]}.{series[1]} series"
                )
                raise VersionError(
                    f"{v} is not later than {t.version} (tag {t.name} {where})",
                    hint="choose a later version, or pass --force if you really mean it",
                )
        current = current_version(config, repo)
        scheme = learn_scheme(
            Version(Version(current).public) if current else None, tags, head_year(repo)
        )
        if scheme.parts == 2 and len(v.release) == 3 and v.release[2] == 0:
            short = _reshape(str(v), scheme)
            raise VersionError(
                f"{v} has three parts, but this project's releases have two (like {short})",
                hint=f"write {short}, or pass --force if you really mean {v}",
            )
    current = current_version(config)
    if current is not None:
        cur = Version(current)
        if not cur.is_prerelease and v.is_prerelease and cur.release == v.release and v < cur:
            raise VersionError(
                f"{v} goes back from the final release {cur} to a pre-release of it",
                hint="the next version after a final is `relman version next micro` "
                "(or pass --force if you really mean it)",
            )
    return v
