"""The project as relman finds it: its configuration, with every value the user
did not set detected from the repository.

:func:`load_config` reads ``[tool.relman]`` (:func:`relman.config.read_config`:
defaults, pyproject, ``RELMAN_*`` environment, flags) and fills the values left
unset from a :class:`Detector`: the version files, tag format, main and
maintenance branches, notes system, changelog folder, GitHub repository,
remote and copyright files. Each of those is detected when a command first
reads it (or asks where it came from), so a command pays only for what it
reads. Detection sits above the configuration data so that the dependency goes
one way: configuration at the bottom, detection and the release line above it.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from relman._regex import LazyPattern
from relman.config import MAINTENANCE_PATTERNS, Config, VersionFile, read_config

if TYPE_CHECKING:
    from relman.git import Repo

__all__ = ["Detector", "load_config"]


# a release tag: a prefix that is empty, `v`, or ends with a separator (or `v` after
# one: `pkg-v`), then a version
_TAG_SHAPE = LazyPattern(r"^(?P<prefix>(?:[^\d]*?[-_/@])?[vV]?)(?P<core>\d[^/]*)$")

_GITHUB_REMOTE = LazyPattern(r"github\.com[:/](?P<repo>[^/\s]+/[^/\s]+?)(?:\.git)?/?$")


class Detector:
    """Values found by looking at the repository; each computed at most once.

    The configuration asks it for a value when a command first reads that value,
    so nothing is looked at before it is needed: not even git, for the values
    found in files (the notes system, the release index, the version files).
    """

    def __init__(self, project_dir: Path, pyproject: Mapping[str, Any]) -> None:
        self.project_dir = project_dir
        self.pyproject = pyproject
        self._branches: list[str] | None = None
        self._refs: list[tuple[str, str]] | None = None
        self._remotes: dict[str, str] | None = None

    @functools.cached_property
    def repo(self) -> Repo:
        from relman.git import find_repo  # the values found in files need no git

        return find_repo(self.project_dir)

    def refs(self) -> list[tuple[str, str]]:
        """Every branch and remote-tracking ref with its symbolic target, from
        :meth:`relman.git.Repo.refs` (one git call the commands share, as they share
        the tags of :meth:`relman.git.Repo.tags`)."""
        if self._refs is None:
            self._refs = [(ref.name, ref.target) for ref in self.repo.refs()]
        return self._refs

    def remote_urls(self) -> dict[str, str]:
        """Remote name -> URL, from one git call."""
        if self._remotes is None:
            raw = self.repo.git("config", "--get-regexp", r"^remote\..*\.url$", check=False)
            self._remotes = {}
            for line in raw.splitlines():
                key, _, url = line.partition(" ")
                self._remotes[key[len("remote.") : -len(".url")]] = url
        return self._remotes

    def branches(self) -> list[str]:
        if self._branches is None:
            names = set()
            for ref, _ in self.refs():
                if ref.startswith("refs/heads/"):
                    names.add(ref[len("refs/heads/") :])
                elif ref.startswith("refs/remotes/") and not ref.endswith("/HEAD"):
                    names.add(ref[len("refs/remotes/") :].split("/", 1)[-1])
            self._branches = sorted(names)
        return self._branches

    def tag_names(self) -> list[str]:
        return list(self.repo.tags())

    def main_branch(self) -> str | None:
        symrefs = dict(self.refs())
        for remote in ("upstream", "origin"):
            target = symrefs.get(f"refs/remotes/{remote}/HEAD", "")
            if target.startswith(f"refs/remotes/{remote}/"):
                return target[len(f"refs/remotes/{remote}/") :]
        names = self.branches()
        for candidate in ("main", "master", "trunk", "develop"):
            if candidate in names:
                return candidate
        return None

    def remote(self) -> str | None:
        remotes = list(self.remote_urls())
        # NumPy pushes releases to `upstream`; a fork setup has both.
        for candidate in ("upstream", "origin"):
            if candidate in remotes:
                return candidate
        return remotes[0] if len(remotes) == 1 else None

    def tag_format(self) -> str | None:
        """The tag format most release tags follow: ``v{version}``, ``{version}``, or a
        prefixed one (``release-{version}``; in a repository of several packages,
        ``hatchling-v{version}``, preferring the prefix that names this project)."""
        from relman.versioning import tag_version  # each parsed once: release_tags reads them too

        counts: dict[str, int] = {}
        match = _TAG_SHAPE.compiled().match
        for tag in self.tag_names():
            m = match(tag)
            if not m or tag_version(m.group("core")) is None:
                continue
            prefix = m.group("prefix")
            counts[prefix] = counts.get(prefix, 0) + 1
        if not counts:
            return None
        project = self.pyproject.get("project", {})
        name = project.get("name") if isinstance(project, Mapping) else None
        own = re.sub(r"[-_.]+", "-", str(name or self.project_dir.name)).lower()

        def rank(prefix: str) -> tuple[bool, int, bool]:
            named = re.sub(r"[-_/@]*[vV]?$", "", prefix)
            names_us = bool(named) and re.sub(r"[-_.]+", "-", named).lower() == own
            return (names_us, counts[prefix], prefix == "v")

        best = max(counts, key=rank)
        if best.lower() == "v" or best == "":
            # `v` and bare tags mixed: the more common one, `v` on a tie
            with_v = counts.get("v", 0) + counts.get("V", 0)
            return "v{version}" if with_v >= counts.get("", 0) else "{version}"
        return best + "{version}"

    def maintenance_branch(self) -> str | None:
        counts: dict[str, int] = {}
        for pattern in MAINTENANCE_PATTERNS:
            rx = re.compile(
                "^"
                + re.escape(pattern).replace(r"\{major\}", r"\d+").replace(r"\{minor\}", r"\d+")
                + "$"
            )
            n = sum(1 for b in self.branches() if rx.match(b))
            if n:
                counts[pattern] = n
        if not counts:
            return None
        return max(counts, key=lambda p: (counts[p], -MAINTENANCE_PATTERNS.index(p)))

    def notes_system(self) -> str | None:
        tool = self.pyproject.get("tool", {})
        if isinstance(tool, Mapping) and "towncrier" in tool:
            return "towncrier"
        if (self.project_dir / "towncrier.toml").is_file():
            return "towncrier"
        if (self.project_dir / "Misc" / "NEWS.d").is_dir():
            return "blurb"
        return None

    def release_index(self) -> str | None:
        """SciPy's and NumPy's ``doc/source/release.rst``: a toctree of one notes file per release."""
        index = self.project_dir / "doc" / "source" / "release.rst"
        if not index.is_file():
            return None
        import re

        try:
            text = index.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        entry = re.search(
            r"^\s+(?:[^<\n]*<)?[\w/.-]*?\d+(?:\.\d+)+[\w.-]*>?\s*$", text, re.MULTILINE
        )
        return "doc/source/release.rst" if ".. toctree::" in text and entry else None

    def notes_template(self) -> str | None:
        """NumPy's ``doc/source/release/template.rst`` for the next release's notes file."""
        if self.release_index() is None:
            return None
        template = self.project_dir / "doc" / "source" / "release" / "template.rst"
        return "doc/source/release/template.rst" if template.is_file() else None

    def changelog_style(self) -> str | None:
        """numpy or scipy when the project is one of them or keeps its changelog script."""
        project = self.pyproject.get("project", {})
        name = str(project.get("name", "")).lower() if isinstance(project, Mapping) else ""
        tools = self.project_dir / "tools"
        if name == "numpy" or (tools / "changelog.py").is_file():
            return "numpy"
        if name == "scipy" or (tools / "release" / "authors.py").is_file():
            return "scipy"
        if (tools / "authors.py").is_file() and (tools / "gh_lists.py").is_file():
            return "scipy"
        return None

    def changelog(self) -> str | None:
        if (self.project_dir / "doc" / "changelog").is_dir():
            return "doc/changelog/{version}-changelog.rst"
        return None

    def github_repo(self) -> str | None:
        for remote in ("upstream", "origin"):
            url = self.remote_urls().get(remote)
            if url:
                m = _GITHUB_REMOTE.search(url)
                if m:
                    return m.group("repo")
        return None

    def pr_url(self) -> str | None:
        repo = self.github_repo()
        return f"https://github.com/{repo}/pull/{{number}}" if repo else None

    def copyright(self) -> tuple[str, ...] | None:
        found = [
            p.name
            for p in sorted(self.project_dir.iterdir())
            if p.is_file() and p.name.upper().startswith(("LICENSE", "COPYING", "LICENCE"))
        ]
        return tuple(found) or None

    def version_files(self) -> tuple[VersionFile, ...] | None:
        from relman import versionfiles

        found = versionfiles.detect_files(self.project_dir, self.pyproject)
        return tuple(found) or None


def load_config(
    project_dir: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """Read, detect and validate the configuration of the project at ``project_dir``.

    ``overrides`` are command-line values, a table shaped like [tool.relman]
    (``{"publish": {"target": "local"}}``); they win over everything.
    """
    return read_config(project_dir, environ=environ, overrides=overrides, detect=Detector)
