"""Release tags: which tags name releases of this project, and the last one."""

from __future__ import annotations

from dataclasses import dataclass

from packaging.version import Version

from relman.config import Config
from relman.git import Repo

__all__ = ["ReleaseTag", "last_release", "release_tags"]


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
    names = repo.git("tag", "--merged", merged_into).split() if merged_into else list(all_tags)
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
