"""The project's release line: which tags name its releases, the last release of
this branch, the version the project is at, and whether a new version may follow.

This is the one home of the release line that versions, history, checks and
the release pipeline use; it sits above the configuration data, the version
files and version arithmetic (:mod:`relman.versioning`), and below every
domain module.
"""

from __future__ import annotations

from dataclasses import dataclass

from packaging.version import Version

from relman import versionfiles
from relman.config import Config
from relman.errors import VersionError
from relman.git import Repo
from relman.versioning import _pad, parse_version

__all__ = ["ReleaseTag", "check_new_version", "current_version", "last_release", "release_tags"]


@dataclass(frozen=True, order=True)
class ReleaseTag:
    version: Version
    name: str
    commit: str

    @property
    def is_release(self) -> bool:
        """A real release: not a .devN marker tag (NumPy tags the start of development)."""
        return not self.version.is_devrelease


def release_tags(config: Config, repo: Repo, *, merged_into: str | None = None) -> list[ReleaseTag]:
    """Tags that name a version under the configured tag format, lowest first.

    With ``merged_into`` only tags reachable from that revision are returned.
    """
    all_tags = repo.tags()
    names = repo.merged_tags(merged_into, tags=all_tags) if merged_into else list(all_tags)
    found = []
    for name in names:
        version = config.version_from_tag(name)
        if version is not None and name in all_tags:
            found.append(ReleaseTag(Version(version), name, all_tags[name]))
    return sorted(found)


def last_release(config: Config, repo: Repo, rev: str = "HEAD") -> ReleaseTag | None:
    """The highest release (not .dev) tag reachable from ``rev``."""
    if not repo.has_commits():
        return None
    releases = [t for t in release_tags(config, repo, merged_into=rev) if t.is_release]
    return releases[-1] if releases else None


def current_version(config: Config, repo: Repo | None = None) -> str | None:
    """The version all sources agree on; for a dynamic version the last tag's.

    None when the sources disagree, cannot be read, or there are none.
    """
    sources = versionfiles.read_sources(config)
    if any(s.error for s in sources):
        return None
    versions = {str(Version(s.version)) for s in sources if s.version}
    if len(versions) == 1:
        return versions.pop()
    if (
        not versions
        and repo is not None
        and versionfiles.dynamic_backend(config.pyproject, config.project_dir)
    ):
        last = last_release(config, repo)
        return str(last.version) if last else None
    return None


def check_new_version(config: Config, repo: Repo, version: str, *, force: bool = False) -> Version:
    """Refuse a version that must not be set; return it parsed when it may.

    Always refused (``force`` does not help): text that is not normalized
    PEP 440, and a version whose release tag already exists. Refused unless
    ``force`` (the ordering checks): a version lower than or equal to a
    release tag on this line (tags reachable from HEAD, and tags of the same
    X.Y series anywhere), and going from a final back to a pre-release or
    .dev of the same release (compared with the version in the files).
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
        reachable = {t.name for t in release_tags(config, repo, merged_into="HEAD")}
        series = tuple(_pad(tuple(v.release))[:2])
        for t in reversed(release_tags(config, repo)):
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
