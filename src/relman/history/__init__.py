"""Authors, first-time contributors, merged pull requests and backports, from git.

Everything here works offline from streamed ``git log`` passes (never one
subprocess per commit). The package:

- ``_log``: the revision range and the two passes a changelog reads (the
  range, and the history before it for the "+" marks);
- ``people``: who contributed, bots and AI assistants left out, in the NumPy
  (mailmap) or SciPy (names) rule;
- ``pulls``: every pull request of the range (merges, squash and rebase
  merges, ``Title (#N)`` merges, backports resolved to their originals);
- ``styles``: the numpy, scipy and default styles and rst-safe titles;
- ``changelog``: :func:`collect_changelog`, :func:`render_changelog`,
  :func:`write_changelog`, :func:`enrich_titles` (titles from GitHub);
- ``identities``: :func:`find_duplicate_identities` for fixing .mailmap;
- ``backports``: :func:`find_backports`, marked pull requests and whether a
  maintenance branch has them.

Each module is imported when one of its names is first used (``relman
changelog`` needs neither ``backports`` nor ``identities``), and ``_fields``
holds the passes' fields alone, for the CLI to start git before anything else.

:func:`default_range` (here) picks the range of a release: the release
line's range (:func:`relman.line.release_range`): the previous release on
the same line for a bug-fix release (``v1.26.3..HEAD`` for 1.26.4); for a new
``X.Y.0`` the ``vX.Y.0.dev0`` tag when the project tags the start of
development, otherwise the merge base with the previous minor's line.
"""

from __future__ import annotations

from relman._lazy import on_first_use

# typing is not imported at run time: the CLI starts git before anything that
# needs it loads (mypy and ruff read this name as typing's)
TYPE_CHECKING = False

if TYPE_CHECKING:
    from relman.config import Config
    from relman.git import Repo
    from relman.history._log import StartedLog, start_log
    from relman.history.backports import Backport, BackportReport, find_backports
    from relman.history.changelog import (
        FORMATS,
        Changelog,
        changelog_path,
        collect_changelog,
        enrich_titles,
        render_changelog,
        write_changelog,
    )
    from relman.history.identities import IdentityProblem, find_duplicate_identities
    from relman.history.people import Author
    from relman.history.pulls import PullRequest
    from relman.history.styles import STYLES, Style, sanitize_title

# each name is imported from its module when first used, so that the CLI
# can import the field list (``_fields``) before anything else
_LAZY = {
    "StartedLog": "._log",
    "start_log": "._log",
    "Backport": ".backports",
    "BackportReport": ".backports",
    "find_backports": ".backports",
    "FORMATS": ".changelog",
    "Changelog": ".changelog",
    "changelog_path": ".changelog",
    "collect_changelog": ".changelog",
    "enrich_titles": ".changelog",
    "render_changelog": ".changelog",
    "write_changelog": ".changelog",
    "IdentityProblem": ".identities",
    "find_duplicate_identities": ".identities",
    "Author": ".people",
    "PullRequest": ".pulls",
    "STYLES": ".styles",
    "Style": ".styles",
    "sanitize_title": ".styles",
}


__getattr__ = on_first_use(__name__, _LAZY, globals())


__all__ = [
    "FORMATS",
    "STYLES",
    "Author",
    "Backport",
    "BackportReport",
    "Changelog",
    "IdentityProblem",
    "PullRequest",
    "StartedLog",
    "Style",
    "changelog_path",
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
