"""``[tool.relman]`` read once into frozen, typed objects.

Precedence, lowest first: built-in defaults, values detected from the
repository, ``[tool.relman]`` in pyproject.toml, ``RELMAN_*`` environment
variables, command-line flags. :attr:`Config.origins` records where each value
came from; ``relman config`` prints it. A value left to detection is detected
when it is first read (see :func:`read_config`), so a command pays only for
the detection of the values it reads.

Keys are kebab-case in TOML (``main-branch``) and snake_case here. Sections
are sub-tables (``[tool.relman.publish]``). Environment variables are named
``RELMAN_<KEY>`` for top-level keys and ``RELMAN_<SECTION>_<KEY>`` for keys in
sections, upper-case with underscores (``RELMAN_PUBLISH_WORKERS=4``); lists
are comma-separated, booleans are 1/0, true/false, yes/no.

Every problem (unknown key, wrong type, bad value) is collected and reported
together in one :class:`~relman.errors.ConfigError` (exit code 2), each with
its key path and, for unknown keys, a "did you mean" suggestion.

The module is long on purpose: it is the whole schema (every key with its
type, default, documentation and check) in one place, so that validation,
``relman config`` and the README's reference read one table.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import os
import re
import sys
import threading
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from relman._record import defer, record
from relman._regex import LazyPattern
from relman.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from packaging.version import Version

__all__ = [
    "AnnounceConfig",
    "BuildConfig",
    "CIConfig",
    "ChangelogConfig",
    "ChecksConfig",
    "Config",
    "DocsConfig",
    "GitHubConfig",
    "NotesConfig",
    "PublishConfig",
    "ReleaseConfig",
    "VersionConfig",
    "VersionFile",
    "find_project_dir",
    "read_config",
    "read_pyproject",
]

DEFAULT_BOTS = (
    "dependabot*",
    "pre-commit-ci*",
    "github-actions*",
    "*[bot]",
    "renovate*",
    "web-flow",
    "Homu",
    "pytest bot",
    "*[bot]@users.noreply.github.com",
    "*bot@users.noreply.github.com",
)
# AI assistants as they sign Co-authored-by trailers (names and addresses)
DEFAULT_AI_ASSISTANTS = (
    "Claude",
    "Claude Code",
    "Claude Opus*",
    "Claude Sonnet*",
    "Claude Haiku*",
    "Cursor",
    "Cursor AI",
    "Cursor Agent",
    "Copilot",
    "GitHub Copilot",
    "ChatGPT",
    "Codex",
    "OpenAI Codex",
    "Gemini",
    "Gemini Code Assist",
    "Devin AI",
    "Aider",
    "aider (*)",
    "noreply@anthropic.com",
    "*@cursor.com",
    "noreply@openai.com",
    "*+copilot@users.noreply.github.com",
    "*+copilot-swe-agent*@users.noreply.github.com",
)

MAINTENANCE_PATTERNS = (
    "maintenance/{major}.{minor}.x",
    "{major}.{minor}.x",
    "release/{major}.{minor}",
    "release/v{major}.{minor}",
    "release-{major}.{minor}",
    "v{major}.{minor}.x",
    "{major}.{minor}",
)


def _meta(
    doc: str,
    *,
    choices: tuple[str, ...] | None = None,
    detect: str | None = None,
    check: Callable[[Any], str | None] | None = None,
) -> dict[str, Any]:
    return {"doc": doc, "choices": choices, "detect": detect, "check": check}


# sample values of the fields templates get: numbers where relman passes numbers
_SAMPLES: dict[str, Any] = {
    "version": "1.2.0",
    "name": "project",
    "dev_version": "1.3.0.dev0",
    "major": 1,
    "minor": 2,
    "number": 1234,
}


def _check_dev_template(value: str) -> str | None:
    from packaging.version import InvalidVersion, Version

    text = re.sub(r"\{(?:major|minor|micro)(?:\+\d+)?\}", "1", value)
    if "{" in text or "}" in text:
        return "may only use {major}, {minor} and {micro}, each with an optional +N"
    try:
        Version(text)
    except InvalidVersion:
        return f"does not give a PEP 440 version ({text!r} with every field 1)"
    return None


def _template(*fields: str, required: tuple[str, ...] = ()) -> Callable[[Any], str | None]:
    """A load-time check of a ``str.format`` template against the fields it gets."""

    def check(value: Any) -> str | None:
        import string

        if not isinstance(value, str):
            return None
        try:
            names = [n for _, n, _, _ in string.Formatter().parse(value) if n is not None]
        except ValueError as exc:
            return f"is not a valid template ({exc}); write a literal brace as {{{{ or }}}}"
        used = {re.split(r"[.\[]", n, maxsplit=1)[0] for n in names}
        unknown = sorted(used - set(fields))
        if unknown:
            shown = ", ".join("{" + n + "}" if n else "{}" for n in unknown)
            gets = ", ".join("{" + f + "}" for f in fields)
            return f"uses {shown}; this template gets only {gets}"
        missing = [r for r in required if r not in used]
        if missing:
            return "must contain " + " and ".join("{" + r + "}" for r in missing)
        try:
            value.format(**{f: _SAMPLES[f] for f in fields})
        except (ValueError, KeyError, IndexError, AttributeError, TypeError) as exc:
            return f"cannot be filled in: {exc}"
        return None

    return check


_check_pattern = _template("version", required=("version",))
_check_branch_pattern = _template("major", "minor", required=("major", "minor"))


def _non_negative(value: Any) -> str | None:
    return "must not be negative" if isinstance(value, (int, float)) and value < 0 else None


@record
class VersionFile:
    """One place where the project keeps its version.

    ``kind`` is one of the source kinds of :mod:`relman.versionfiles` (detected
    from the file name when omitted); ``pattern`` is a regular expression with
    a named group ``version`` for the generic kind.
    """

    path: str = field(metadata=_meta("file path, relative to the project"))
    kind: str | None = field(
        default=None,
        metadata=_meta(
            "source kind; detected from the file when omitted",
            choices=(
                "pyproject",
                "python",
                "setup",
                "meson",
                "patchlevel",
                "regex",
                "version-module",
            ),
        ),
    )
    pattern: str | None = field(
        default=None, metadata=_meta("regular expression with a (?P<version>...) group")
    )

    @classmethod
    def from_string(cls, value: str) -> VersionFile:
        return cls(path=value)


@record
class VersionConfig:
    """[tool.relman.version]: where the version is kept and how it is committed."""

    files: tuple[VersionFile, ...] = field(
        default=(), metadata=_meta("files that hold the version", detect="version_files")
    )
    commit_message: str = field(
        default="REL: set version to {version}",
        metadata=_meta(
            "message of the commit made by `version bump/set --commit`",
            check=_template("version"),
        ),
    )
    module: str | None = field(
        default=None,
        metadata=_meta("SciPy-style generated version module to write (short_version, ...)"),
    )


@record
class ChangelogConfig:
    """[tool.relman.changelog]: the changelog file, its style, and who is left out of it."""

    path: str | None = field(
        default=None,
        metadata=_meta(
            "changelog file written for each release ({version} is replaced)", detect="changelog"
        ),
    )
    style: str = field(
        default="default",
        metadata=_meta(
            "whose rules make the lists: numpy (tools/changelog.py), scipy "
            "(tools/release/authors.py) or relman's default",
            choices=("default", "numpy", "scipy"),
            detect="changelog_style",
        ),
    )
    format: str = field(
        default="rst", metadata=_meta("rst, md or json", choices=("rst", "md", "json"))
    )
    bots: tuple[str, ...] = field(
        default=DEFAULT_BOTS,
        metadata=_meta("author name or e-mail patterns left out of author lists"),
    )
    ai_assistants: tuple[str, ...] = field(
        default=DEFAULT_AI_ASSISTANTS,
        metadata=_meta("co-author names or e-mails of AI assistants, left out of author lists"),
    )
    pr_url: str | None = field(
        default=None,
        metadata=_meta(
            "pull-request URL template with {number}",
            detect="pr_url",
            check=_template("number", required=("number",)),
        ),
    )
    backport_label: str = field(
        default="backport-candidate", metadata=_meta("label that marks a PR for backport")
    )
    backport_trailer: str = field(
        default="Backport-Candidate",
        metadata=_meta("commit trailer that marks a PR for backport when offline"),
    )
    backport_file: str | None = field(
        default=None, metadata=_meta("file listing PR numbers to backport, one per line")
    )


@record
class NotesConfig:
    """[tool.relman.notes]: the news fragment system and the release notes files."""

    system: str = field(
        default="none",
        metadata=_meta(
            "news fragment system", choices=("towncrier", "blurb", "none"), detect="notes_system"
        ),
    )
    release_index: str | None = field(
        default=None,
        metadata=_meta(
            "toctree file new notes files are added to (doc/source/release.rst)",
            detect="release_index",
        ),
    )
    template: str | None = field(
        default=None,
        metadata=_meta(
            "template copied by `notes start` for the next release", detect="notes_template"
        ),
    )
    highlights: bool = field(
        default=False, metadata=_meta("add a Highlights section placeholder to new notes")
    )
    skip_marker: str = field(
        default="skip-news",
        metadata=_meta("marker in a commit message that exempts a branch from needing a fragment"),
    )
    issue_ranges: tuple[str, ...] = field(
        default=(), metadata=_meta("valid issue number ranges, like '1-30000'")
    )
    commit_message: str = field(
        default="DOC: release notes for {version}",
        metadata=_meta(
            "message of the commit made by `notes build --commit`",
            check=_template("version", "name"),
        ),
    )


@record
class BuildConfig:
    """[tool.relman.build]: artifacts, the expected wheels, tests and signatures."""

    outdir: str = field(default="dist", metadata=_meta("where artifacts are written"))
    wheels: tuple[str, ...] = field(
        default=(), metadata=_meta("expected wheel build identifiers (cibuildwheel style, globs)")
    )
    allow_missing_wheels: bool = field(
        default=False, metadata=_meta("publish even when expected wheels are missing")
    )
    test_command: str | None = field(
        default=None, metadata=_meta("command run in clean environments to test the release")
    )
    test_requires: tuple[str, ...] = field(
        default=("pytest",), metadata=_meta("packages installed for the test command")
    )
    extra_index: str | None = field(
        default=None, metadata=_meta("extra index for build backends in clean environments")
    )
    sign: str = field(
        default="none",
        metadata=_meta("detached signatures for release files", choices=("none", "gpg", "ssh")),
    )
    ssh_key: str | None = field(default=None, metadata=_meta("ssh key file used with sign = ssh"))
    # -- artifacts: signatures and verification ---------------------------------
    gpg_key: str | None = field(
        default=None, metadata=_meta("gpg key id used with sign = gpg (default: gpg's default key)")
    )
    ssh_allowed_signers: str | None = field(
        default=None,
        metadata=_meta("allowed signers file for checking ssh signatures (default: ssh-key.pub)"),
    )
    wheels_from: str | None = field(
        default=None,
        metadata=_meta(
            "staging index to fetch wheels from instead of building, or `github-actions`"
        ),
    )


@record
class PublishConfig:
    """[tool.relman.publish]: the package index uploaded to, and how."""

    target: str = field(
        default="local",
        metadata=_meta("`local`, a URL, or a repository name from ~/.pypirc (pypi, testpypi)"),
    )
    local_dir: str | None = field(
        default=None,
        metadata=_meta("folder of the embedded local index (default: <git-dir>/relman/index)"),
    )
    workers: int = field(default=8, metadata=_meta("parallel uploads"))
    retries: int = field(default=5, metadata=_meta("attempts per file on transient errors"))
    timeout: float = field(default=60.0, metadata=_meta("seconds per request", check=_non_negative))
    index_url: str | None = field(
        default=None,
        metadata=_meta(
            "simple index URL read to see what the index has (default: derived from the upload URL)"
        ),
    )
    backoff: float = field(
        default=0.5,
        metadata=_meta(
            "first retry delay in seconds; doubles each attempt, jittered", check=_non_negative
        ),
    )
    retry_time: float = field(
        default=120.0,
        metadata=_meta("seconds spent at most on retries of one request", check=_non_negative),
    )
    visibility_timeout: float = field(
        default=120.0,
        metadata=_meta(
            "seconds to wait, backing off, for uploaded files to show in the index's listing "
            "(an index behind a CDN lags); 0 checks once",
            check=_non_negative,
        ),
    )
    via: str = field(
        default="relman",
        metadata=_meta(
            "who uploads: relman itself, or the CI workflow's trusted-publishing job",
            choices=("relman", "github-actions"),
        ),
    )


@record
class ChecksConfig:
    """[tool.relman.checks]: which preflight checks run, and what they read."""

    disable: tuple[str, ...] = field(default=(), metadata=_meta("check ids not run"))
    severity: Mapping[str, str] = field(
        default_factory=dict, metadata=_meta("check id -> error or warning")
    )
    copyright_files: tuple[str, ...] = field(
        default=(),
        metadata=_meta(
            "files whose own copyright notices must cover the release year", detect="copyright"
        ),
    )
    copyright_holder: str | None = field(
        default=None,
        metadata=_meta(
            "the project's own copyright holder, whose notices are held to the release year "
            "(default: the holder naming the project or an author, else the most recent)"
        ),
    )
    support_policy: str = field(
        default="spec0", metadata=_meta("support window policy", choices=("spec0", "nep29"))
    )
    capi_files: tuple[str, ...] = field(
        default=(), metadata=_meta("C-API definition files hashed for the C-API check")
    )
    capi_versions_file: str | None = field(
        default=None, metadata=_meta("cversions.txt-style file with one hash per API version")
    )
    capi_version_file: str | None = field(
        default=None, metadata=_meta("file defining C_API_VERSION")
    )
    capi_macro_file: str | None = field(
        default=None, metadata=_meta("header that must define NPY_X_Y_API_VERSION-style macros")
    )
    capi_macro: str | None = field(
        default=None, metadata=_meta("macro name pattern with {major} and {minor}")
    )
    source_dirs: tuple[str, ...] = field(
        default=(), metadata=_meta("folders scanned for deprecations (default: the package)")
    )
    deferred_blocker_label: str | None = field(
        default="deferred blocker",
        metadata=_meta("label that blocks release candidates and finals only (PEP 101)"),
    )


@record
class ReleaseConfig:
    """[tool.relman.release]: tags, gates, pushes and the post-release commit."""

    sign: str = field(
        default="auto",
        metadata=_meta(
            "tag signing: auto follows git config, gpg/ssh force it, none makes unsigned tags",
            choices=("auto", "gpg", "ssh", "none"),
        ),
    )
    tag_message: str = field(
        default="{name} {version} release",
        metadata=_meta("annotated tag message", check=_template("name", "version")),
    )
    gates: tuple[str, ...] = field(
        default=(), metadata=_meta("manual confirmations asked before pushing")
    )
    push: bool = field(default=True, metadata=_meta("push the release commit and tag"))
    dev_version: str | None = field(
        default=None,
        metadata=_meta(
            "development version after a final release, a template like "
            "{major}.{minor}.{micro+1} or {major}.{minor+1}.dev0 "
            "(default: learned from the project's previous post-release commits)",
            check=_check_dev_template,
        ),
    )
    dev_after_pre: str | None = field(
        default=None,
        metadata=_meta(
            "post-release commit after a pre-release: none, or dev "
            "(default: learned from the project's history)",
            choices=("none", "dev"),
        ),
    )
    schedule_file: str = field(
        default="doc/release/schedule-{series}.md",
        metadata=_meta(
            "where `relman schedule` writes a feature release's schedule ({series} is X.Y); "
            "the .ics and -email.txt files go next to it, and `relman status` reads the .ics"
        ),
    )
    post_release_message: str = field(
        default="REL: prepare {major}.{minor}.x for further development",
        metadata=_meta(
            "message of the post-release commit",
            check=_template("major", "minor", "version", "dev_version"),
        ),
    )
    forward_port_branch: str = field(
        default="forward-port-{version}",
        metadata=_meta("branch for the forward-port to main", check=_template("version")),
    )
    source_only: bool = field(
        default=False, metadata=_meta("release only the sdist (security releases do by default)")
    )


@record
class GitHubConfig:
    """[tool.relman.github]: the repository on GitHub, its releases and blockers."""

    repo: str | None = field(
        default=None, metadata=_meta("owner/name on GitHub", detect="github_repo")
    )
    api_url: str | None = field(
        default=None, metadata=_meta("API base URL (GitHub Enterprise or a test server)")
    )
    token_env: str = field(
        default="GITHUB_TOKEN", metadata=_meta("environment variable holding the token")
    )
    milestone: str | None = field(
        default=None, metadata=_meta("milestone title pattern for blockers ({version})")
    )
    blocker_label: str = field(
        default="release blocker", metadata=_meta("label of release blockers")
    )
    release_title: str = field(
        default="{name} {version}",
        metadata=_meta(
            "GitHub release title ({name}, {tag}, {version}, {date}; NumPy: '{tag} ({date})')"
        ),
    )


@record
class CIConfig:
    """[tool.relman.ci]: the GitHub Actions workflow that builds the wheels."""

    repo: str | None = field(
        default=None,
        metadata=_meta("owner/name whose Actions build the wheels (default: github.repo)"),
    )
    branch: str = field(
        default="main",
        metadata=_meta("branch the workflow runs at when it lives in another repository (ci.repo)"),
    )
    workflow: str = field(
        default=".github/workflows/release.yml",
        metadata=_meta("path of the workflow `ci init` writes and `ci run` dispatches"),
    )
    name: str = field(default="release", metadata=_meta("the workflow's name"))
    publish_on_tag: bool = field(
        default=False, metadata=_meta("a tag push uploads to the pypi environment too")
    )
    python: str = field(default="3.13", metadata=_meta("Python the sdist and check jobs use"))
    poll: float = field(default=15.0, metadata=_meta("seconds between looks at a running run"))
    timeout: float = field(default=10800.0, metadata=_meta("seconds to wait for a run at most"))
    workers: int = field(default=8, metadata=_meta("parallel artifact downloads"))


@record
class AnnounceConfig:
    """[tool.relman.announce]: the announcement, its recipients and its sending."""

    template: str | None = field(default=None, metadata=_meta("jinja2 announcement template"))
    to: tuple[str, ...] = field(default=(), metadata=_meta("recipients"))
    to_by_kind: Mapping[str, tuple[str, ...]] = field(
        default_factory=dict,
        metadata=_meta(
            "recipients of one release kind instead of `to` (rc = [...], final = [...])"
        ),
    )
    bcc: tuple[str, ...] = field(
        default=(), metadata=_meta("blind-copy recipients (sent to, never shown)")
    )
    bcc_by_kind: Mapping[str, tuple[str, ...]] = field(
        default_factory=dict,
        metadata=_meta("blind-copy recipients of one release kind instead of `bcc`"),
    )
    sender: str | None = field(default=None, metadata=_meta("From address"))
    smtp_host: str | None = field(
        default=None, metadata=_meta("SMTP server; unset writes to outbox")
    )
    smtp_port: int = field(default=587, metadata=_meta("SMTP port"))
    starttls: bool = field(default=True, metadata=_meta("use STARTTLS"))
    outbox: str | None = field(
        default=None,
        metadata=_meta("folder for unsent announcements (default: <git-dir>/relman/outbox)"),
    )


@record
class DocsConfig:
    """[tool.relman.docs]: the versioned docs archive."""

    archive_dir: str | None = field(
        default=None,
        metadata=_meta(
            "docs archive folder (a checkout of the docs site); unset skips the docs step"
        ),
    )
    html_dir: str | None = field(
        default=None, metadata=_meta("built HTML of the release, relative to the project")
    )
    build_command: str | None = field(
        default=None, metadata=_meta("command that builds html-dir (run in the project)")
    )
    version_dir: str = field(
        default="{major}.{minor}",
        metadata=_meta("folder of a release in the archive ({version}, {major}, {minor})"),
    )
    stable: bool = field(
        default=True,
        metadata=_meta("point the archive's `stable` link at the newest final release"),
    )
    switcher: str | None = field(
        default=None,
        metadata=_meta("version switcher JSON in the archive (pydata-sphinx-theme format)"),
    )
    base_url: str | None = field(
        default=None, metadata=_meta("URL of the archive's root, for switcher entries")
    )
    commit: bool = field(
        default=True, metadata=_meta("commit the archive when it is a git repository")
    )


_SECTIONS: dict[str, type] = {
    "version": VersionConfig,
    "changelog": ChangelogConfig,
    "notes": NotesConfig,
    "build": BuildConfig,
    "publish": PublishConfig,
    "checks": ChecksConfig,
    "release": ReleaseConfig,
    "github": GitHubConfig,
    "announce": AnnounceConfig,
    "docs": DocsConfig,
    "ci": CIConfig,
}


@record
class Config:
    """The resolved configuration of one project."""

    project_dir: Path = field(metadata=_meta("the project folder"))
    name: str = field(metadata=_meta("distribution name from [project]"))
    main_branch: str = field(
        default="main", metadata=_meta("development branch", detect="main_branch")
    )
    maintenance_branch: str = field(
        default="maintenance/{major}.{minor}.x",
        metadata=_meta(
            "maintenance branch pattern", detect="maintenance_branch", check=_check_branch_pattern
        ),
    )
    tag_format: str = field(
        default="v{version}",
        metadata=_meta("release tag name", detect="tag_format", check=_check_pattern),
    )
    remote: str = field(default="origin", metadata=_meta("remote to push to", detect="remote"))
    version: VersionConfig = field(default_factory=VersionConfig)
    changelog: ChangelogConfig = field(default_factory=ChangelogConfig)
    notes: NotesConfig = field(default_factory=NotesConfig)
    build: BuildConfig = field(default_factory=BuildConfig)
    publish: PublishConfig = field(default_factory=PublishConfig)
    checks: ChecksConfig = field(default_factory=ChecksConfig)
    release: ReleaseConfig = field(default_factory=ReleaseConfig)
    github: GitHubConfig = field(default_factory=GitHubConfig)
    announce: AnnounceConfig = field(default_factory=AnnounceConfig)
    docs: DocsConfig = field(default_factory=DocsConfig)
    ci: CIConfig = field(default_factory=CIConfig)
    pyproject: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    origins: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    # -- helpers used across relman ----------------------------------------
    def tag_for(self, version: str) -> str:
        return self.tag_format.format(version=version)

    def version_from_tag(self, tag: str) -> str | None:
        """The version a tag names under :attr:`tag_format`, or None."""
        version = self.parsed_version_from_tag(tag)
        return None if version is None else str(version)

    def parsed_version_from_tag(self, tag: str) -> Version | None:
        """:meth:`version_from_tag` as a :class:`packaging.version.Version`."""
        return self.tag_parser()(tag)

    def tag_parser(self) -> Callable[[str], Version | None]:
        """:meth:`parsed_version_from_tag` as a function, for reading thousands of tags
        (the tag format split and the parser found once, not once a tag)."""
        from relman.versioning import tag_version

        prefix, _, suffix = self.tag_format.partition("{version}")
        start, cut = len(prefix), -len(suffix) if suffix else None

        def parse(tag: str) -> Version | None:
            if not tag.startswith(prefix) or (suffix and not tag.endswith(suffix)):
                return None
            core = tag[start:cut]  # (the tag ends with the suffix: -len is len(tag) - len)
            return tag_version(core) if core and core[0].isdigit() else None

        return parse

    def maintenance_branch_for(self, version: str) -> str:
        from packaging.version import Version

        v = Version(version)
        major, minor = ((*tuple(v.release), 0, 0))[:2]
        return self.maintenance_branch.format(major=major, minor=minor)

    @property
    def state_dir_name(self) -> str:
        return "relman"

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``relman config --json`` (no pyproject, no origins)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name in ("pyproject", "origins"):
                continue
            out[f.name] = _plain(getattr(self, f.name))
        return out


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


# -- reading pyproject.toml -------------------------------------------------


# towncrier.toml alone is enough for the notes commands, as it is for towncrier
_PROJECT_FILES = ("pyproject.toml", "setup.cfg", "setup.py", "towncrier.toml")


def _is_project_dir(folder: Path) -> bool:
    # a CPython checkout has no pyproject.toml: Include/patchlevel.h marks it
    return any((folder / name).is_file() for name in _PROJECT_FILES) or _is_cpython(folder)


def _is_cpython(folder: Path) -> bool:
    return (folder / "Include" / "patchlevel.h").is_file() and (folder / "Misc" / "NEWS.d").is_dir()


def find_project_dir(start: str | os.PathLike[str] | None = None) -> Path:
    """The nearest folder upward from ``start`` that has a pyproject.toml.

    A folder with only setup.py or setup.cfg (a project that predates
    pyproject.toml) or only towncrier.toml, or a CPython checkout (Include/patchlevel.h and
    Misc/NEWS.d), counts when no pyproject.toml is found further up.
    """
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file():
            return folder
    for folder in (here, *here.parents):
        if _is_project_dir(folder):
            return folder
    raise UsageError(
        f"no pyproject.toml (or setup.py) found in {here} or any folder above it",
        hint="run relman inside a Python project, or pass --project DIR",
    )


_SETUP_NAME = LazyPattern(r"""\bname\s*=\s*(['"])(?P<name>[A-Za-z0-9][-\w.]*)\1""")


def _legacy_name(project_dir: Path) -> str | None:
    """The distribution name from setup.cfg ``[metadata] name`` or setup.py ``name="..."``."""
    import configparser

    cfg = project_dir / "setup.cfg"
    if cfg.is_file():
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(cfg.read_text(encoding="utf-8", errors="replace"))
            name = parser.get("metadata", "name", fallback="").strip()
        except configparser.Error:
            name = ""
        if name and not name.startswith(("attr:", "file:")):
            return name
    setup = project_dir / "setup.py"
    if setup.is_file():
        m = _SETUP_NAME.search(setup.read_text(encoding="utf-8", errors="replace"))
        if m:
            return m.group("name")
    if _is_cpython(project_dir):
        return "Python"
    return None


def read_pyproject(project_dir: Path) -> dict[str, Any]:
    """pyproject.toml as plain Python data; a syntax error names line and column."""
    path = project_dir / "pyproject.toml"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(
            f"{path} does not exist",
            hint="run relman inside a Python project, or pass --project DIR",
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not valid UTF-8: {exc}") from None
    return parse_toml(text, path)


_parsed: list[tuple[str, dict[str, Any]]] = []
_parsed_lock = threading.Lock()


def parse_toml(text: str, path: Path) -> dict[str, Any]:
    """TOML text as plain data; a syntax error names the line and column.

    The last texts parsed are remembered (compared whole), so that the
    configuration, the version sources and the notes settings read one
    pyproject.toml once per process, however large its comments make it;
    callers get a copy of their own.
    """
    with _parsed_lock:
        hit = next((data for seen, data in _parsed if seen == text), None)
    if hit is not None:
        return copy.deepcopy(hit)
    data = _parse_toml(text, path)
    with _parsed_lock:
        _parsed[:] = [*_parsed[-3:], (text, copy.deepcopy(data))]
    return data


def _parse_toml(text: str, path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib

        try:
            data: dict[str, Any] = tomllib.loads(text)
            return data
        except tomllib.TOMLDecodeError as exc:
            where = re.search(r"at line (\d+), column (\d+)", str(exc))
            raise ConfigError(
                f"{path} is not valid TOML: {exc}",
                hint=f"fix the syntax at line {where.group(1)}, column {where.group(2)}"
                if where
                else "fix the TOML syntax",
            ) from None
    import tomlkit
    from tomlkit.exceptions import ParseError

    try:
        doc = tomlkit.parse(text)
    except ParseError as exc:
        raise ConfigError(
            f"{path} is not valid TOML: {exc.args[0] if exc.args else exc}".rstrip(),
            hint=f"fix the syntax at line {exc.line}, column {exc.col}",
        ) from None
    unwrapped: dict[str, Any] = doc.unwrap()
    return unwrapped


# -- validation -------------------------------------------------------------


def _close_matches(word: str, candidates: list[str], n: int) -> list[str]:
    """difflib's closest candidates to a mistyped key (difflib is loaded for a mistake only)."""
    import difflib

    return difflib.get_close_matches(word, candidates, n=n)


def _toml_key(name: str) -> str:
    return name.replace("_", "-")


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return " or ".join(_type_name(a) for a in args)
    if origin is tuple:
        return "a list"
    if origin in (Mapping, dict):
        return "a table"
    if dataclasses.is_dataclass(tp):
        return "a table"
    return {str: "a string", int: "an integer", bool: "true or false", float: "a number"}.get(
        tp, str(tp)
    )


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, text: str) -> None:
        self.items.append(text)


def _convert(value: Any, tp: Any, path: str, problems: _Problems) -> Any:
    """Validate ``value`` against annotation ``tp``; returns the converted value."""
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _convert(value, args[0], path, problems)
    if origin is tuple:
        (item_tp, _) = typing.get_args(tp)
        if isinstance(value, str) and item_tp is str:
            value = [value]
        if not isinstance(value, list):
            problems.add(f"{path}: expected a list, got {type(value).__name__}")
            return ()
        return tuple(_convert(v, item_tp, f"{path}[{i}]", problems) for i, v in enumerate(value))
    if origin in (Mapping, dict) or tp is Mapping:
        if not isinstance(value, dict):
            problems.add(f"{path}: expected a table, got {type(value).__name__}")
            return {}
        val_tp = typing.get_args(tp)[1] if typing.get_args(tp) else str
        return {str(k): _convert(v, val_tp, f"{path}.{k}", problems) for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        if isinstance(value, str) and hasattr(tp, "from_string"):
            return tp.from_string(value)
        if not isinstance(value, dict):
            problems.add(f"{path}: expected {_type_name(tp)}, got {type(value).__name__}")
            return None
        return _build(typing.cast(type, tp), value, path, problems, {}, {})
    if tp is bool:
        if not isinstance(value, bool):
            problems.add(f"{path}: expected true or false, got {value!r}")
        return bool(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            problems.add(f"{path}: expected an integer, got {value!r}")
            return 0
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.add(f"{path}: expected a number, got {value!r}")
            return 0.0
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            problems.add(f"{path}: expected a string, got {value!r}")
            return ""
        return value
    if tp is Path:
        return Path(value)
    return value


@functools.cache
def _type_hints(cls: type) -> dict[str, Any]:
    """A configuration class's field types, resolved once (resolving costs milliseconds)."""
    return typing.get_type_hints(cls)


def _build(
    cls: type,
    table: Mapping[str, Any],
    path: str,
    problems: _Problems,
    base: Mapping[str, Any],
    origins: dict[str, str],
    origin_name: str = "pyproject",
) -> Any:
    hints = _type_hints(cls)
    fields = {_toml_key(f.name): f for f in dataclasses.fields(cls) if f.init}
    values: dict[str, Any] = dict(base)
    for key, raw in table.items():
        f = fields.get(key)
        if f is None or f.name in ("project_dir", "name", "pyproject", "origins"):
            close = _close_matches(key, list(fields), n=1)
            if not close and key.replace("_", "-") in fields:
                close = [key.replace("_", "-")]
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.add(f"{path}.{key}: unknown key{hint}")
            continue
        before = len(problems.items)
        value = _convert(raw, hints[f.name], f"{path}.{key}", problems)
        if len(problems.items) == before:
            message = _value_problem(f, value)
            if message:
                problems.add(f"{path}.{key}: {value!r} {message}")
                continue
            values[f.name] = value
            origins[f"{path}.{key}".removeprefix("tool.relman.")] = origin_name
    try:
        return cls(**values)
    except TypeError as exc:  # a required field is missing in a nested table
        problems.add(f"{path}: {exc}")
        return None


# -- environment ------------------------------------------------------------


def _from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    """RELMAN_* variables as a nested table shaped like [tool.relman]."""
    table: dict[str, Any] = {}
    known_top = {f.name for f in dataclasses.fields(Config)} - set(_SECTIONS)
    for var, raw in environ.items():
        if not var.startswith("RELMAN_") or var in ("RELMAN_DEBUG", "RELMAN_INDEX_TOKEN"):
            continue
        key = var[len("RELMAN_") :].lower()
        for section, cls in _SECTIONS.items():
            if key.startswith(section + "_"):
                sub = key[len(section) + 1 :]
                names = {f.name for f in dataclasses.fields(cls)}
                if sub in names:
                    tp = _type_hints(cls)[sub]
                    table.setdefault(section, {})[_toml_key(sub)] = _env_value(raw, tp)
                break
        else:
            if key in known_top and key not in ("project_dir", "name", "pyproject", "origins"):
                tp = _type_hints(Config)[key]
                table[_toml_key(key)] = _env_value(raw, tp)
    return table


def _env_value(raw: str, tp: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        tp = next(a for a in typing.get_args(tp) if a is not type(None))
        origin = typing.get_origin(tp)
    if origin is tuple:
        return [p.strip() for p in raw.split(",") if p.strip()]
    if tp is bool:
        low = raw.strip().lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off", ""):
            return False
        return raw
    if tp is int:
        try:
            return int(raw)
        except ValueError:
            return raw
    if tp is float:
        try:
            return float(raw)
        except ValueError:
            return raw
    return raw


# -- detected values and precedence ------------------------------------------


def _value_problem(f: dataclasses.Field[Any], value: Any) -> str | None:
    """What is wrong with ``value`` for field ``f`` (not one of its choices, or its
    check's complaint), or None."""
    choices = f.metadata.get("choices")
    if choices and value not in choices:
        return f"is not one of {', '.join(choices)}"
    check = f.metadata.get("check")
    return check(value) if check and value is not None else None


class _Origins(Mapping[str, str]):
    """Where each value came from. The origin of a value left to detection is
    known once the value is detected: asking for it detects the value."""

    def __init__(self, known: dict[str, str]) -> None:
        self.known = known
        self.pending: dict[str, Callable[[], object]] = {}

    def __getitem__(self, key: str) -> str:
        resolve = self.pending.get(key)
        if resolve is not None:
            resolve()
        return self.known[key]

    def __contains__(self, key: object) -> bool:
        return key in self.known

    def __iter__(self) -> Iterator[str]:
        return iter(self.known)

    def __len__(self) -> int:
        return len(self.known)

    def __repr__(self) -> str:
        return repr(dict(self))


class _Detection:
    """The values of one configuration left to the detector, each detected when a
    command first reads it (or its origin): the detector is made then, and asked
    only for that value. A detected value is held to the field's choices and
    check, as a value from pyproject.toml is, and reported the same way."""

    def __init__(
        self,
        detect: Callable[[Path, Mapping[str, Any]], Any],
        project_dir: Path,
        pyproject: Mapping[str, Any],
        origins: _Origins,
    ) -> None:
        self._detect = detect
        self._project_dir = project_dir
        self._pyproject = pyproject
        self._origins = origins
        self._detector: Any = None
        self._making = threading.Lock()

    def detector(self) -> Any:
        with self._making:  # values may be read from several threads at once
            if self._detector is None:
                self._detector = self._detect(self._project_dir, self._pyproject)
        return self._detector

    def defer(self, obj: Any, f: dataclasses.Field[Any], key: str) -> None:
        """Leave field ``f`` of ``obj`` (``key`` in [tool.relman]) to the detector."""
        method = f.metadata["detect"]
        default = getattr(obj, f.name)
        origins = self._origins

        def compute() -> Any:
            value = getattr(self.detector(), method)()
            if value is None:
                origins.known[key] = "default"
            else:
                problem = _value_problem(f, value)
                if problem:
                    section, _, name = key.rpartition(".")
                    table = f"tool.relman.{section}" if section else "tool.relman"
                    raise ConfigError(
                        f"the relman configuration in {self._project_dir / 'pyproject.toml'} "
                        "has 1 problem:",
                        problems=[f"tool.relman.{key}: {value!r} {problem} (detected)"],
                        hint=f"set {name} in [{table}] of pyproject.toml",
                    )
                origins.known[key] = "detected"
            origins.pending.pop(key, None)
            return default if value is None else value

        defer(obj, f.name, compute)
        origins.pending[key] = lambda: getattr(obj, f.name)


def read_config(
    project_dir: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    detect: Callable[[Path, Mapping[str, Any]], Any] | None = None,
) -> Config:
    """Read and validate the configuration of the project at ``project_dir``.

    ``detect``, given the project folder and its pyproject data, returns an object
    with one method per detectable value (the ``detect`` name in a field's
    metadata) that answers the value or None; values set explicitly are never
    detected. Detection is lazy: ``detect`` is called, and its method for a value,
    when that value (or its origin) is first read, and the answer is kept; a
    detected value that fails the field's check raises :class:`ConfigError` then.
    :func:`relman.project.load_config` passes the project detector.

    ``overrides`` are command-line values, a table shaped like [tool.relman]
    (``{"publish": {"target": "local"}}``); they win over everything.
    """
    pdir = Path(project_dir).resolve() if project_dir else find_project_dir()
    if not _is_project_dir(pdir):
        raise UsageError(
            f"{pdir} has no pyproject.toml",
            hint="run relman inside a Python project, or pass --project DIR",
        )
    data = read_pyproject(pdir) if (pdir / "pyproject.toml").is_file() else {}
    tool = data.get("tool", {})
    table = tool.get("relman", {}) if isinstance(tool, Mapping) else {}
    problems = _Problems()
    if not isinstance(table, Mapping):
        raise ConfigError("tool.relman in pyproject.toml must be a table")
    env_table = _from_env(os.environ if environ is None else environ)
    origins: dict[str, str] = {}

    # explicit values, layer by layer: pyproject, environment, flags
    merged_sections: dict[str, dict[str, Any]] = {s: {} for s in _SECTIONS}
    top: dict[str, Any] = {}
    top_fields = [f for f in dataclasses.fields(Config) if f.name not in _SECTIONS]
    top_cls_fields = {_toml_key(f.name) for f in top_fields}
    for layer, origin in (
        (table, "pyproject"),
        (env_table, "environment"),
        (overrides or {}, "flag"),
    ):
        for key, raw in layer.items():
            if key in _SECTIONS:
                if not isinstance(raw, Mapping):
                    problems.add(f"tool.relman.{key}: expected a table, got {type(raw).__name__}")
                    continue
                cls = _SECTIONS[key]
                section_fields = {_toml_key(f.name) for f in dataclasses.fields(cls)}
                for sub, val in raw.items():
                    if sub not in section_fields:
                        close = _close_matches(sub, sorted(section_fields), n=1)
                        hint = f" (did you mean {close[0]!r}?)" if close else ""
                        problems.add(f"tool.relman.{key}.{sub}: unknown key{hint}")
                        continue
                    merged_sections[key][sub] = (val, origin)
            elif key in top_cls_fields and key not in (
                "project-dir",
                "name",
                "pyproject",
                "origins",
            ):
                top[key] = (raw, origin)
            else:
                candidates = sorted(
                    (top_cls_fields | set(_SECTIONS))
                    - {"project-dir", "name", "pyproject", "origins"}
                )
                close = _close_matches(key, candidates, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                where = "tool.relman" if origin == "pyproject" else f"tool.relman ({origin})"
                problems.add(f"{where}.{key}: unknown key{hint}")

    detected: list[tuple[str, dataclasses.Field[Any]]] = []  # fields left to the detector

    def build(cls: type, explicit: Mapping[str, tuple[Any, str]], path: str) -> Any:
        values: dict[str, Any] = {}
        # the annotations are resolved (some milliseconds) only for a table with values
        hints = _type_hints(cls) if explicit else {}
        fields = {_toml_key(f.name): f for f in dataclasses.fields(cls)}
        for key, (raw, origin) in explicit.items():
            f = fields[key]
            before = len(problems.items)
            value = _convert(raw, hints[f.name], f"tool.relman.{path}{key}", problems)
            if len(problems.items) != before:
                continue
            message = _value_problem(f, value)
            if message:
                problems.add(f"tool.relman.{path}{key}: {value!r} {message}")
                continue
            values[f.name] = value
            origins[f"{path}{key}"] = origin
        for f in dataclasses.fields(cls):
            key = f"{path}{_toml_key(f.name)}"
            if detect is not None and f.metadata.get("detect") and key not in origins:
                detected.append((path, f))
            origins.setdefault(key, "default")
        return values

    sections = {
        name: build(cls, merged_sections[name], f"{name}.") for name, cls in _SECTIONS.items()
    }
    top_values = build(Config, top, "")
    if problems.items:
        raise ConfigError(
            f"the relman configuration in {pdir / 'pyproject.toml'} has "
            f"{len(problems.items)} problem{'s' if len(problems.items) > 1 else ''}:",
            problems=problems.items,
            hint="fix the keys above; `relman config` shows every key with its default",
        )
    project = data.get("project", {})
    name = project.get("name") if isinstance(project, Mapping) else None
    origins["name"] = "pyproject" if name else "detected"
    if not name:
        poetry = tool.get("poetry", {}) if isinstance(tool, Mapping) else {}
        name = poetry.get("name") if isinstance(poetry, Mapping) else None
        name = name if isinstance(name, str) and name else _legacy_name(pdir)
    origins["project-dir"] = "flag" if project_dir else "detected"
    for key in ("pyproject", "origins"):
        origins.pop(key, None)
    for key in list(origins):
        if key.split(".")[0] in _SECTIONS and "." not in key:
            origins.pop(key)
    for sec in _SECTIONS:
        top_values.pop(sec, None)
        origins.pop(sec, None)
    lazy_origins = _Origins(origins)
    config = Config(
        project_dir=pdir,
        name=str(name or pdir.name),
        pyproject=data,
        origins=lazy_origins,
        **{
            k: v
            for k, v in top_values.items()
            if k not in ("project_dir", "name", "pyproject", "origins")
        },
        **{name_: cls(**sections[name_]) for name_, cls in _SECTIONS.items()},
    )
    if detect is not None:
        detection = _Detection(detect, pdir, data, lazy_origins)
        for path, f in detected:
            owner = getattr(config, path[:-1]) if path else config
            detection.defer(owner, f, f"{path}{_toml_key(f.name)}")
    return config


def config_fields() -> list[tuple[str, str, Any, str]]:
    """Every key as (dotted key, type, default, description), for docs and `relman config`."""
    rows: list[tuple[str, str, Any, str]] = []

    def walk(cls: type, prefix: str) -> None:
        hints = _type_hints(cls)
        for f in dataclasses.fields(cls):
            if f.name in ("project_dir", "name", "pyproject", "origins"):
                continue
            if f.name in _SECTIONS and cls is Config:
                continue
            default = (
                f.default
                if f.default is not dataclasses.MISSING
                else (f.default_factory() if f.default_factory is not dataclasses.MISSING else None)
            )
            rows.append(
                (
                    prefix + _toml_key(f.name),
                    _type_name(hints[f.name]),
                    _plain(default),
                    f.metadata.get("doc", ""),
                )
            )

    walk(Config, "")
    for name, cls in _SECTIONS.items():
        walk(cls, name + ".")
    return rows
