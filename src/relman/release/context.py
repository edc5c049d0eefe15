"""What every release step sees: the context, the state file, the lock, and the
:class:`Step` and :class:`StepPlan` types.

State lives in ``<git-dir>/relman/<version>.json`` (never in the working
tree), written atomically. It remembers only what cannot be looked up:
artifact hashes, gate answers, outcomes and the commits the release made.
One lock per repository (:func:`repository_lock`, ``flock``, released by the
kernel even on SIGKILL) stops a second run that would change the repository
while one does: a release of any version, a version or notes commit.

Steps that edit files record the paths they are about to touch before they
touch them (:meth:`Context.editing`); a run that was killed half-way through
such a step leaves that record behind, and the next run restores those paths
to the last commit (:meth:`Context.recover`) before running the step again.
Nothing half-done survives a resume.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import json
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from packaging.version import Version

from relman import _atomic, _report
from relman._fault import fault_point
from relman.config import Config
from relman.errors import UsageError, VersionError
from relman.git import Repo

__all__ = [
    "KINDS",
    "RELEASE_KINDS",
    "Context",
    "ReleaseState",
    "Step",
    "StepPlan",
    "changing_repository",
    "clear_stale_index_lock",
    "detect_kind",
    "remote_ref",
    "repository_lock",
    "version_files_text",
]

KINDS = ("alpha", "beta", "rc", "final", "bug-fix", "new-branch", "security", "end-of-life")
RELEASE_KINDS = frozenset({"alpha", "beta", "rc", "final", "bug-fix", "security"})


def detect_kind(version: str) -> str:
    """The release kind a version implies: 1.2.0a1 alpha, 1.2.0rc1 rc, 1.2.1 bug-fix."""
    v = Version(version)
    if v.pre is not None:
        return {"a": "alpha", "b": "beta", "rc": "rc"}[v.pre[0]]
    if v.is_devrelease:
        raise VersionError(
            f"{version} is a development version, not a release",
            hint="give the version to release, like 1.2.0 or 1.2.0rc1",
        )
    release = (*v.release, 0, 0)
    return "bug-fix" if release[2] > 0 or v.post is not None else "final"


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


# -- state ------------------------------------------------------------------


def _state_problem(data: Any, path: Path) -> str | None:
    """Why ``data`` is not a state file of the release its name says, or None."""
    if not isinstance(data, dict):
        return f"it holds a {type(data).__name__}, not a table"
    if not isinstance(data.get("steps", {}), dict) or not all(
        isinstance(v, dict) for v in data.get("steps", {}).values()
    ):
        return "'steps' is not a table of tables"
    for key in ("version", "kind", "branch", "start_commit", "finished", "in_flight"):
        value = data.get(key)
        if value is not None and not isinstance(value, str if key != "in_flight" else dict):
            return f"{key!r} is a {type(value).__name__}"
    version = data.get("version")
    if (
        version is not None
        and path.stem.split(".new-branch")[0].split(".end-of-life")[0] != version
    ):
        return f"it is named {path.name} but records the release of {version}"
    return None


class ReleaseState:
    """The state file of one release, ``<git-dir>/relman/<version>.json``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict[str, Any] = {}
        if path.exists():
            try:
                self.data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise UsageError(
                    f"the release state file {path} cannot be read: {exc}",
                    hint="move it away to start the release from the world's state",
                ) from None
            problem = _state_problem(self.data, path)
            if problem:
                raise UsageError(
                    f"the release state file {path} is not relman's: {problem}",
                    hint="move it away to start the release from the world's state",
                )
        self.data.setdefault("steps", {})

    @property
    def exists(self) -> bool:
        return self.path.exists()

    def save(self) -> None:
        self.data["updated"] = _now()
        try:
            _atomic.write_text(self.path, json.dumps(self.data, indent=2, sort_keys=True) + "\n")
        except OSError as exc:
            raise UsageError(
                f"relman cannot write its state file {self.path}: {exc.strerror or exc}",
                hint=f"make {self.path.parent} writable; relman keeps the release's state there",
            ) from None

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def set(self, key: str, value: Any) -> None:
        self.data[key] = value
        self.save()

    def step(self, name: str) -> dict[str, Any]:
        steps: dict[str, dict[str, Any]] = self.data["steps"]
        return steps.setdefault(name, {})

    def mark(self, name: str, status: str, detail: str = "") -> None:
        self.step(name).update({"status": status, "at": _now(), "detail": detail})
        self.save()


_held: dict[Path, int] = {}  # lock files this process holds, and how deeply


@contextlib.contextmanager
def repository_lock(repo: Repo, doing: str) -> Iterator[None]:
    """One exclusive lock per repository for everything that changes it.

    A release of any version, ``version set/bump``, ``notes build --commit``:
    while one holds ``<git-dir>/relman.lock`` (``flock``, let go
    by the kernel even on SIGKILL), a second stops at once with a message
    naming the holder. Re-entrant within one process.
    """
    # beside the state folder, not in it: a run that changed nothing leaves no folder
    path = repo.git_dir / "relman.lock"
    if _held.get(path):
        _held[path] += 1
        try:
            yield
        finally:
            _held[path] -= 1
        return
    try:
        fh = path.open("a+")
    except OSError as exc:
        raise UsageError(
            f"relman cannot write its lock in {path.parent}: {exc.strerror or exc}",
            hint="relman keeps its state and lock there; make the folder writable",
        ) from None
    try:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            raise UsageError(
                f"another relman run is changing this repository ({holder})",
                hint="wait for it to finish; the lock goes away when that process ends",
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}: {doing}")
        fh.flush()
        _held[path] = 1
        try:
            yield
        finally:
            _held.pop(path, None)
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        fh.close()


@contextlib.contextmanager
def changing_repository(repo: Repo, doing: str, *, commit: bool = False) -> Iterator[None]:
    """Hold the repository lock; with ``commit``, first refuse what git could not commit
    cleanly (no commits, a merge, cherry-pick or rebase under way, a locked index)."""
    with repository_lock(repo, doing):
        if commit:
            repo.check_can_commit()
        yield


def clear_stale_index_lock(repo: Repo) -> None:
    """On resume: remove ``index.lock`` left by a killed git; name it when one holds it."""
    lock = repo.index_lock
    if not lock.exists():
        return
    if repo.index_lock_held():
        raise UsageError(
            f"git's index is locked: {lock} exists and a git process is running here",
            hint=f"wait for that git command to finish; if none is running, remove {lock}",
        )
    with contextlib.suppress(FileNotFoundError):
        lock.unlink()
    _report.warn(f"removed {lock}, left by a git process that is no longer running")


# -- context ----------------------------------------------------------------


@dataclass
class Context:
    """Everything a step needs; built once per run."""

    config: Config
    repo: Repo
    version: str
    kind: str
    state: ReleaseState
    yes: bool = False
    confirm: Callable[[str], bool] | None = None
    force: bool = False
    environ: dict[str, str] = field(default_factory=lambda: dict(os.environ))

    @property
    def workdir(self) -> Path:
        return self.repo.git_dir / "relman" / self.version

    @property
    def dist_dir(self) -> Path:
        return self.workdir / "dist"

    @property
    def tag(self) -> str:
        return self.config.tag_for(self.version)

    @property
    def branch(self) -> str:
        """The branch the release is made from (recorded at the start)."""
        recorded = self.state.get("branch")
        if recorded:
            return str(recorded)
        return self.repo.current_branch() or "HEAD"

    @property
    def on_main(self) -> bool:
        return self.branch == self.config.main_branch

    @property
    def release_commit(self) -> str | None:
        """The commit the tag points at, once tagged; before that, None."""
        if self.repo.tag_exists(self.tag):
            return self.repo.rev_parse(f"refs/tags/{self.tag}")
        return None

    def artifacts(self) -> list[Path]:
        recorded: dict[str, str] = self.state.get("artifacts", {}) or {}
        return [self.dist_dir / name for name in sorted(recorded)]

    @property
    def packaged(self) -> bool:
        """The project builds as a Python package (pyproject.toml, setup.py or setup.cfg)."""
        from relman.config import _is_cpython

        root = self.config.project_dir
        if _is_cpython(root):
            # CPython 3.11 and older have a setup.py at the root: it builds modules, it is
            # not a package to publish
            return False
        return any((root / name).is_file() for name in ("pyproject.toml", "setup.py", "setup.cfg"))

    def source_only(self) -> bool:
        return (
            self.kind == "security" and not self.config.build.wheels
        ) or self.config.release.source_only

    # file-editing steps record what they touch before touching it
    @contextlib.contextmanager
    def editing(self, step: str, paths: Sequence[str]) -> Iterator[None]:
        self.state.set("in_flight", {"step": step, "paths": sorted(set(paths))})
        yield
        self.state.set("in_flight", None)

    def before_commit(self, step: str) -> None:
        fault_point(f"{step}:mid")

    def recover(self) -> list[str]:
        """Undo the half-done edits of a step a previous run was killed in."""
        flight = self.state.get("in_flight")
        if not flight:
            return []
        paths: list[str] = list(flight.get("paths", []))
        if paths:
            at_head = set(
                self.repo.git("ls-tree", "-r", "--name-only", "HEAD", "--", *paths).splitlines()
            )
            self.repo.git("reset", "-q", "HEAD", "--", *paths, check=False)
            if at_head:
                self.repo.git("checkout", "HEAD", "--", *sorted(at_head))
            for p in paths:
                if p not in at_head:  # made by the step: it goes
                    with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                        (self.repo.root / p).unlink()
        self.state.set("in_flight", None)
        _report.info(
            f"restored {len(paths)} file(s) left half-edited by the {flight.get('step')} step"
        )
        return paths

    @property
    def notes_version(self) -> str:
        """The version whose notes file this release writes.

        With one towncrier notes file per release, the pre-releases of a release
        write the notes of the release they lead to, as NumPy keeps one
        ``1.19.0-notes.rst`` for 1.19.0rc1, rc2 and 1.19.0: each pre-release
        rewrites it from every fragment of the cycle (kept until the final),
        and the final carries the whole cycle. Otherwise (blurb's file per
        pre-release, one news file for every release) the version itself.
        """
        v = Version(self.version)
        return v.base_version if v.is_prerelease and self.notes_accumulate else self.version

    @property
    def notes_accumulate(self) -> bool:
        """The project keeps one towncrier notes file per release (``{version}`` in its name)."""
        if self.config.notes.system != "towncrier":
            return False
        from relman.notes.towncrier import load_settings

        settings = load_settings(self.config.project_dir, self.config.pyproject)
        return not settings.single_file and "{version}" in settings.filename

    def released_notes(self, medium: str = "text") -> str:
        """This release's section of the notes in the release commit, for ``medium``.

        ``"text"`` for mail, ``"markdown"`` for GitHub ("" when there are none).
        """
        commit = self.release_commit
        if self.config.notes.system == "none" or commit is None:
            return ""
        from relman import notes

        return notes.release_notes(
            self.config, self.repo, self.notes_version, rev=commit, medium=medium
        )

    def relpath(self, path: Path) -> str:
        return path.resolve().relative_to(self.repo.root.resolve()).as_posix()


# -- steps ------------------------------------------------------------------


@dataclass(frozen=True)
class StepPlan:
    name: str
    status: str  # done, pending, skipped
    description: str
    actions: tuple[str, ...] = ()
    reason: str = ""
    # for a step that ran: its wall time, and how much of it external programs took
    seconds: float | None = None
    external_seconds: float | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "status": self.status,
            "description": self.description,
            "actions": list(self.actions),
            "reason": self.reason,
        }
        if self.seconds is not None:
            out["seconds"] = round(self.seconds, 3)
            out["external_seconds"] = round(self.external_seconds or 0.0, 3)
        return out


class Step:
    """One step of a release. Subclasses set name, kinds and description."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    kinds: ClassVar[frozenset[str]] = RELEASE_KINDS

    def skip_reason(self, ctx: Context) -> str | None:
        """Why this step does not apply to this project or release (None: it applies)."""
        return None

    def blockers(self, ctx: Context) -> list[str]:
        """What would stop this step if it ran now, found without changing anything
        (the plan lists them and exits 1); empty when nothing would."""
        return []

    def is_done(self, ctx: Context) -> bool:
        raise NotImplementedError

    def plan(self, ctx: Context) -> list[str]:
        raise NotImplementedError

    def run(self, ctx: Context) -> None:
        raise NotImplementedError


def version_files_text(ctx: Context, rev: str) -> dict[str, str | None]:
    """The version every configured source shows at ``rev``."""
    from relman import versionfiles

    values: dict[str, str | None] = {}
    for source in versionfiles.sources_of(ctx.config):
        text = ctx.repo.show_file(rev, source.path)
        values[source.path] = None
        if text is None:
            continue
        found = versionfiles.read_source_text(ctx.config, source, text)
        values[source.path] = found
    return values


def remote_ref(ctx: Context, ref: str) -> str | None:
    out = ctx.repo.git("ls-remote", ctx.config.remote, ref, check=False)
    for line in out.splitlines():
        sha, _, name = line.partition("\t")
        if name == ref:
            return sha
    return None
