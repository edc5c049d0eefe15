"""Preflight checks: one registry, one small module per family.

Each check has an id, a one-line description, the release kinds it applies
to and a default severity (``error`` or ``warning``); it returns
:class:`Finding` objects with a file, a line and a fix hint. A check may
also be *skipped* (not configured, offline): that is reported as skipped,
never as passed.

:func:`run_checks` runs them all (or ``only`` some, minus ``skip``) against
one :class:`CheckContext`, which reads each file at most once and lists the
tracked files once. ``[tool.relman.checks]`` ``disable`` removes checks and
``severity`` (``{id = "warning"}``) overrides their severity.

Release kinds: ``alpha``, ``beta``, ``rc``, ``final``, ``bug-fix``,
``new-branch``, ``security``, ``end-of-life``. Without an explicit kind it is
derived from the version (``2.3.0rc1`` is ``rc``, ``2.3.1`` is ``bug-fix``).
"""

from __future__ import annotations

import datetime as _dt
import difflib
import importlib
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from relman.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from relman.config import Config
    from relman.git import Repo

__all__ = [
    "KINDS",
    "Check",
    "CheckContext",
    "CheckReport",
    "CheckResult",
    "Finding",
    "Skip",
    "kind_of",
    "list_checks",
    "register",
    "run_checks",
]

KINDS = ("alpha", "beta", "rc", "final", "bug-fix", "new-branch", "security", "end-of-life")
SEVERITIES = ("error", "warning")
_FAMILIES = (
    "git",
    "version",
    "notes",
    "deprecations",
    "capi",
    "copyright",
    "support",
    "numpy_deps",
    "blockers",
    "ci",
)


@dataclass(frozen=True)
class Finding:
    """One problem a check found."""

    check: str
    message: str
    severity: str = "error"
    file: str | None = None
    line: int | None = None
    hint: str | None = None

    def location(self) -> str:
        if self.file is None:
            return ""
        return f"{self.file}:{self.line}" if self.line else self.file


class Skip(Exception):
    """Raised by a check that cannot run here (not configured, offline)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


CheckFunction = Callable[["CheckContext"], Iterable[Finding]]


@dataclass(frozen=True)
class Check:
    id: str
    description: str
    kinds: tuple[str, ...]
    severity: str
    function: CheckFunction = field(repr=False, compare=False)

    def finding(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        hint: str | None = None,
        severity: str | None = None,
    ) -> Finding:
        """A finding of this check (``severity`` defaults to the check's)."""
        return Finding(self.id, message, severity or self.severity, file, line, hint)


@dataclass(frozen=True)
class CheckResult:
    id: str
    description: str
    severity: str
    status: str  # passed, failed, warning, skipped
    findings: tuple[Finding, ...] = ()
    reason: str | None = None


@dataclass(frozen=True)
class CheckReport:
    version: str | None
    kind: str
    date: _dt.date
    results: tuple[CheckResult, ...]

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.results for f in r.findings]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def skipped(self) -> list[CheckResult]:
        return [r for r in self.results if r.status == "skipped"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def raise_for_errors(self) -> None:
        """Raise :class:`~relman.errors.CheckFailed` (exit 1) when any error-level finding."""
        from relman.errors import CheckFailed

        errors = self.errors
        if not errors:
            return
        first = errors[0]
        where = first.location()
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise CheckFailed(
            f"{len(errors)} error{'s' if len(errors) > 1 else ''} found by the preflight checks: "
            f"{where + ': ' if where else ''}{first.message}{more}",
            hint=first.hint or "`relman check` lists every finding",
        )

    def as_dict(self) -> dict[str, Any]:
        """The shape of ``relman check --json``."""

        def plain(f: Finding) -> dict[str, Any]:
            return {
                "check": f.check,
                "severity": f.severity,
                "message": f.message,
                "file": f.file,
                "line": f.line,
                "hint": f.hint,
            }

        return {
            "version": self.version,
            "kind": self.kind,
            "date": self.date.isoformat(),
            "ok": self.ok,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "checks": [
                {
                    "id": r.id,
                    "description": r.description,
                    "severity": r.severity,
                    "status": r.status,
                    "reason": r.reason,
                    "findings": [plain(f) for f in r.findings],
                }
                for r in self.results
            ],
        }


_REGISTRY: dict[str, Check] = {}


def register(
    id: str, description: str, *, kinds: Sequence[str] = KINDS, severity: str = "error"
) -> Callable[[CheckFunction], CheckFunction]:
    """Add a check to the registry (used as a decorator in the family modules)."""
    assert severity in SEVERITIES
    assert all(k in KINDS for k in kinds), kinds

    def decorate(function: CheckFunction) -> CheckFunction:
        _REGISTRY[id] = Check(id, description, tuple(kinds), severity, function)
        return function

    return decorate


def list_checks() -> list[Check]:
    """Every registered check, in the order they run."""
    for family in _FAMILIES:
        importlib.import_module(f"relman.checks.{family}")
    order = {f"relman.checks.{family}": n for n, family in enumerate(_FAMILIES)}
    return sorted(_REGISTRY.values(), key=lambda c: order.get(c.function.__module__, len(order)))


def get_check(check_id: str) -> Check:
    list_checks()
    return _REGISTRY[check_id]


def kind_of(version: str | None) -> str:
    """The release kind a version implies: alpha, beta, rc, bug-fix or final."""
    if version is None:
        return "final"
    from packaging.version import Version

    v = Version(version)
    if v.pre is not None:
        return {"a": "alpha", "b": "beta", "rc": "rc"}[v.pre[0]]
    if len(v.release) > 2 and v.release[2] > 0:
        return "bug-fix"
    return "final"


class CheckContext:
    """What the checks share: config, repository, target version, cached file reads."""

    def __init__(
        self,
        config: Config,
        repo: Repo,
        *,
        version: str | None,
        kind: str,
        date: _dt.date,
        environ: Mapping[str, str],
    ) -> None:
        self.config = config
        self.repo = repo
        self.version = version
        self.kind = kind
        self.date = date
        self.environ = environ
        self._texts: dict[str, str | None] = {}

    @property
    def root(self) -> Path:
        return self.config.project_dir

    @cached_property
    def repo_prefix(self) -> str:
        """The project folder relative to the repository root: ``""`` or ``"sub/"``."""
        prefix = self.root.resolve().relative_to(self.repo.root.resolve()).as_posix()
        return "" if prefix == "." else prefix + "/"

    @cached_property
    def _index(self) -> list[tuple[str, str, int]]:
        prefix = self.repo_prefix
        entries = self.repo.index_entries(*([prefix] if prefix else []))
        return [(path[len(prefix) :], oid, stage) for path, oid, stage in entries]

    @cached_property
    def tracked_files(self) -> list[str]:
        """Tracked files relative to the project folder (one ``git ls-files``)."""
        return [path for path, _, _ in self._index]

    @cached_property
    def _clean_blobs(self) -> dict[str, str]:
        changed = {e.path for e in self.repo.status() if e.code[1] != " "}
        prefix = self.repo_prefix
        return {
            path: oid
            for path, oid, stage in self._index
            if stage == 0 and prefix + path not in changed
        }

    def blob_id(self, path: str) -> str | None:
        """git's blob id of a tracked file whose working copy is as the index has it.

        None for a file changed in the working tree (or not tracked): read it
        then. A check that caches per file keys by this id without reading.
        """
        return self._clean_blobs.get(path)

    def read_text(self, path: str) -> str | None:
        """A file of the project (relative path) as text, read once; None when absent."""
        if path not in self._texts:
            try:
                self._texts[path] = (self.root / path).read_text(encoding="utf-8", errors="replace")
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
                self._texts[path] = None
        return self._texts[path]

    @property
    def pyproject(self) -> Mapping[str, Any]:
        return self.config.pyproject

    def forge(self, not_checked: str) -> Any:
        """The GitHub client of the project's configuration, or :class:`Skip` saying what
        is missing and that ``not_checked`` (a phrase: "CI status") was not checked."""
        from relman import forge as forge_mod

        client = forge_mod.forge_from_config(self.config, environ=self.environ)
        if client is None:
            gh = self.config.github
            missing = "repository" if not gh.repo else f"token (${gh.token_env})"
            raise Skip(f"offline: no GitHub {missing} configured, {not_checked} not checked")
        return client

    def line_of(self, path: str, needle: str) -> int | None:
        """The first line of ``path`` that contains ``needle`` (1-based), or None."""
        text = self.read_text(path)
        if text is None:
            return None
        at = text.find(needle)
        return None if at < 0 else text.count("\n", 0, at) + 1


def _validate(config: Config, ids: Sequence[str], only: Sequence[str], skip: Sequence[str]) -> None:
    problems: list[str] = []
    for where, names in (("--only", only), ("--skip", skip)):
        for name in names:
            if name not in ids:
                close = difflib.get_close_matches(name, ids, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                problems.append(f"{where}: unknown check {name!r}{hint}")
    if problems:
        raise UsageError("; ".join(problems), hint="known checks: " + ", ".join(ids))
    cfg: list[str] = []
    for name in config.checks.disable:
        if name not in ids:
            close = difflib.get_close_matches(name, ids, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            cfg.append(f"tool.relman.checks.disable: unknown check {name!r}{hint}")
    for name, level in config.checks.severity.items():
        if name not in ids:
            close = difflib.get_close_matches(name, ids, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            cfg.append(f"tool.relman.checks.severity.{name}: unknown check{hint}")
        elif level not in SEVERITIES:
            cfg.append(f"tool.relman.checks.severity.{name}: {level!r} is not error or warning")
    if cfg:
        raise ConfigError(
            "the [tool.relman.checks] table has problems:",
            problems=cfg,
            hint="`relman check --list` shows the check ids",
        )


def _target_version(config: Config, repo: Repo) -> str | None:
    """The release the working tree prepares: the release line's version without .devN
    (for a version from git, the one the build backend computes)."""
    from packaging.version import Version

    from relman.line import current_version

    found = current_version(config, repo)
    if found is None:
        return None
    v = Version(Version(found).public)
    return str(Version(str(v).rsplit(".dev", 1)[0])) if v.is_devrelease else str(v)


def run_checks(
    config: Config,
    *,
    version: str | None,
    kind: str | None,
    only: Sequence[str] = (),
    skip: Sequence[str] = (),
    repo: Repo | None = None,
    date: _dt.date | None = None,
    environ: Mapping[str, str] | None = None,
) -> CheckReport:
    """Run the preflight checks for releasing ``version`` (default: the version in the tree).

    ``kind`` selects the checks that apply (default: derived from the
    version). Checks named in ``only`` run even when their kind does not
    match; ``skip`` and ``[tool.relman.checks] disable`` leave checks out.
    ``date`` is the release date (default: today) used by the copyright and
    support checks. Never raises for a failing check: read ``.ok``.
    """
    from relman.git import find_repo
    from relman.versioning import parse_version

    checks = list_checks()
    ids = [c.id for c in checks]
    _validate(config, ids, only, skip)
    if kind is not None and kind not in KINDS:
        close = difflib.get_close_matches(kind, KINDS, n=1)
        raise UsageError(
            f"unknown release kind {kind!r}" + (f" (did you mean {close[0]!r}?)" if close else ""),
            hint="choose one of: " + ", ".join(KINDS),
        )
    repo = repo or find_repo(config.project_dir)
    if version is not None:
        version = str(parse_version(version))
    else:
        version = _target_version(config, repo)
    the_kind = kind or kind_of(version)
    ctx = CheckContext(
        config,
        repo,
        version=version,
        kind=the_kind,
        date=date or _dt.date.today(),
        environ=os.environ if environ is None else environ,
    )
    results: list[CheckResult] = []
    for check in checks:
        if check.id in skip or check.id in config.checks.disable:
            continue
        if only and check.id not in only:
            continue
        if not only and the_kind not in check.kinds:
            continue
        severity = config.checks.severity.get(check.id, check.severity)
        try:
            found = list(check.function(ctx))
        except Skip as exc:
            results.append(
                CheckResult(check.id, check.description, severity, "skipped", (), exc.reason)
            )
            continue
        if check.id in config.checks.severity:
            found = [Finding(f.check, f.message, severity, f.file, f.line, f.hint) for f in found]
        status = (
            "failed"
            if any(f.severity == "error" for f in found)
            else ("warning" if found else "passed")
        )
        results.append(
            CheckResult(check.id, check.description, severity, status, tuple(found), None)
        )
    return CheckReport(version, the_kind, ctx.date, tuple(results))
