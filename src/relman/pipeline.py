"""The release pipeline: steps, plans, state, resume, gates.

A release is an ordered list of :class:`Step` chosen by the release kind.
Each step can tell from the world whether it is already done
(:meth:`Step.is_done`: is the tag there, at this commit? is every file on the
index with this hash?), can describe what it would change
(:meth:`Step.plan`), and does it (:meth:`Step.run`). ``--dry-run`` prints
the plans and never calls ``run``.

State lives in ``<git-dir>/relman/<version>.json`` (never in the working
tree), written atomically. It remembers only what cannot be looked up:
artifact hashes, gate answers, outcomes and the commits the release made.
A lock file beside it (``flock``, released by the kernel even on SIGKILL)
stops a second concurrent run.

Steps that edit files record the paths they are about to touch before they
touch them; a run that was killed half-way through such a step leaves that
record behind, and the next run restores those paths to the last commit
before running the step again. Nothing half-done survives a resume.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import hashlib
import json
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from packaging.version import Version

from relman import _atomic, _report
from relman._atomic import sha256_file
from relman._fault import fault_point
from relman.config import Config
from relman.errors import CheckFailed, NotImplementedStep, RelmanError, UsageError, VersionError
from relman.git import Repo

__all__ = [
    "KINDS",
    "Context",
    "ReleaseState",
    "Step",
    "StepPlan",
    "detect_kind",
    "plan_release",
    "run_release",
    "steps_for",
]

KINDS = ("alpha", "beta", "rc", "final", "bug-fix", "new-branch", "security", "end-of-life")
_RELEASE_KINDS = frozenset({"alpha", "beta", "rc", "final", "bug-fix", "security"})


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
        self.data.setdefault("steps", {})

    @property
    def exists(self) -> bool:
        return self.path.exists()

    def save(self) -> None:
        self.data["updated"] = _now()
        _atomic.write_text(self.path, json.dumps(self.data, indent=2, sort_keys=True) + "\n")

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


@contextlib.contextmanager
def release_lock(path: Path) -> Iterator[None]:
    """An exclusive lock for one release; a second run stops with a clear message."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = path.open("a+")
    try:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            raise UsageError(
                f"another relman run is working on this release ({holder})",
                hint="wait for it to finish; the lock goes away when that process ends",
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}")
        fh.flush()
        yield
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        fh.close()


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
        root = self.config.project_dir
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

    def released_notes(self) -> str:
        """The release notes file as it is in the release commit ("" when there is none)."""
        commit = self.release_commit
        if self.config.notes.system == "none" or commit is None:
            return ""
        from relman import notes

        target = notes.notes_file(self.config, self.version)
        if target is None:
            return ""
        return self.repo.show_file(commit, self.relpath(target)) or ""

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

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "description": self.description,
            "actions": list(self.actions),
            "reason": self.reason,
        }


class Step:
    """One step of a release. Subclasses set name, kinds and description."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    kinds: ClassVar[frozenset[str]] = _RELEASE_KINDS

    def skip_reason(self, ctx: Context) -> str | None:
        """Why this step does not apply to this project or release (None: it applies)."""
        return None

    def is_done(self, ctx: Context) -> bool:
        raise NotImplementedError

    def plan(self, ctx: Context) -> list[str]:
        raise NotImplementedError

    def run(self, ctx: Context) -> None:
        raise NotImplementedError


def _version_files_text(ctx: Context, rev: str) -> dict[str, str | None]:
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


class ChecksStep(Step):
    name = "checks"
    description = "preflight checks (tree, branch, upstream, tag, versions, notes, ...)"
    # an end of life releases nothing: its steps check the branch themselves
    kinds = _RELEASE_KINDS | {"new-branch"}

    def is_done(self, ctx: Context) -> bool:
        # results of checks cannot be looked up later; once the release commit
        # exists the checks of the starting point are history
        return ctx.state.step(self.name).get("status") == "done"

    def plan(self, ctx: Context) -> list[str]:
        return ["run `relman check` for this version and kind; stop on any error"]

    def run(self, ctx: Context) -> None:
        from relman.checks import run_checks

        report = run_checks(ctx.config, version=ctx.version, kind=ctx.kind, repo=ctx.repo)
        for finding in report.findings:
            where = finding.location()
            _report.info(
                f"  {finding.severity}: [{finding.check}] "
                + (f"{where}: " if where else "")
                + finding.message
                + (f" (hint: {finding.hint})" if finding.hint else "")
            )
        for skipped in report.skipped:
            _report.info(f"  skipped: [{skipped.id}] {skipped.reason}")
        if not report.ok:
            raise CheckFailed(
                f"{len(report.errors)} preflight check(s) failed; nothing was changed",
                hint="fix the problems above (or configure [tool.relman.checks]) and run again",
            )
        if ctx.kind in _RELEASE_KINDS:  # the only kinds that make a signed tag
            _ensure_signing_ready(ctx)


def _ensure_signing_ready(ctx: Context) -> None:
    """A missing signing key must stop the release before anything changes."""
    mode = ctx.config.release.sign
    if mode == "none":
        return
    key = ctx.repo.config_get("user.signingkey")
    fmt = "ssh" if mode == "ssh" else (ctx.repo.config_get("gpg.format") or "openpgp")
    if mode == "gpg":
        fmt = "openpgp"
    if fmt == "ssh":
        if not key:
            raise UsageError(
                "tags are signed with ssh but git has no user.signingkey",
                hint="git config user.signingkey ~/.ssh/id_ed25519.pub, or set "
                "[tool.relman.release] sign = 'none' for unsigned tags",
            )
        return
    from relman import _proc

    args = ["gpg", "--batch", "--list-secret-keys", "--with-colons"]
    if key:
        args.append(key)
    out = _proc.run(args, cwd=ctx.repo.root, check=False)
    if out.returncode != 0 or "sec:" not in out.stdout:
        raise UsageError(
            "no gpg secret key is available to sign the release tag"
            + (f" (user.signingkey = {key})" if key else ""),
            hint="create or import a key (gpg --quick-gen-key), set git's user.signingkey, or set "
            "[tool.relman.release] sign = 'none' for unsigned tags",
        )


class NotesStep(Step):
    name = "notes"
    description = "release notes built from news fragments and committed"

    def skip_reason(self, ctx: Context) -> str | None:
        if ctx.config.notes.system == "none":
            return "not configured: no news fragment system found"
        return None

    def is_done(self, ctx: Context) -> bool:
        from relman import notes

        if ctx.release_commit:
            return True
        target = notes.notes_file(ctx.config, ctx.version)
        if target is None:
            return False
        rel = ctx.relpath(target)
        if ctx.repo.show_file("HEAD", rel) is None and not (
            # a news file git ignores (NumPy's notes-towncrier.rst) is never committed
            target.exists() and ctx.repo.is_ignored(rel)
        ):
            return False
        return not notes.pending_fragments(ctx.config)

    def plan(self, ctx: Context) -> list[str]:
        from relman import notes

        target = notes.notes_file(ctx.config, ctx.version)
        pending = notes.pending_fragments(ctx.config)
        return [
            f"write {ctx.relpath(target) if target else 'the notes'} from {len(pending)} fragment(s)",
            f"git rm the {len(pending)} fragment(s)",
            f"commit '{ctx.config.notes.commit_message.format(version=ctx.version)}'",
        ]

    def run(self, ctx: Context) -> None:
        from relman import notes

        target = notes.notes_file(ctx.config, ctx.version)
        paths = [ctx.relpath(p) for p in notes.pending_fragments(ctx.config)]
        if target is not None:
            paths.append(ctx.relpath(target))
        if ctx.config.notes.release_index:
            paths.append(ctx.config.notes.release_index)
        with ctx.editing(self.name, paths):
            notes.build_notes(ctx.config, ctx.version, commit=False)
            ctx.before_commit(self.name)
            ctx.repo.create_commit(ctx.config.notes.commit_message.format(version=ctx.version))


class ChangelogStep(Step):
    name = "changelog"
    description = "changelog with contributors and merged pull requests, committed"

    def skip_reason(self, ctx: Context) -> str | None:
        if not ctx.config.changelog.path:
            return "not configured: [tool.relman.changelog] path is not set"
        return None

    def _path(self, ctx: Context) -> str:
        assert ctx.config.changelog.path
        return ctx.config.changelog.path.format(version=ctx.version)

    def is_done(self, ctx: Context) -> bool:
        if ctx.release_commit:
            return True
        return ctx.repo.show_file("HEAD", self._path(ctx)) is not None

    def plan(self, ctx: Context) -> list[str]:
        from relman import history

        return [
            f"write {self._path(ctx)} for {history.default_range(ctx.config, ctx.repo, ctx.version)}",
            f"commit 'REL: changelog for {ctx.version}'",
        ]

    def run(self, ctx: Context) -> None:
        from relman import history

        path = self._path(ctx)
        with ctx.editing(self.name, [path]):
            written = history.write_changelog(ctx.config, ctx.repo, ctx.version)
            if written is None:
                raise CheckFailed("the changelog was not written")
            ctx.before_commit(self.name)
            ctx.repo.create_commit(f"REL: changelog for {ctx.version}", paths=[path])


class VersionStep(Step):
    name = "version"
    description = "version set to the release version in every file, committed"

    def skip_reason(self, ctx: Context) -> str | None:
        from relman import versionfiles

        backend = versionfiles.dynamic_backend(ctx.config.pyproject, ctx.config.project_dir)
        if backend and not ctx.config.version.files:
            return f"dynamic version ({backend}): the tag is the version"
        if not ctx.config.version.files:
            return "not configured: no version source found"
        return None

    def is_done(self, ctx: Context) -> bool:
        if ctx.release_commit:
            return True
        values = _version_files_text(ctx, "HEAD")
        return bool(values) and all(v == ctx.version for v in values.values())

    def plan(self, ctx: Context) -> list[str]:
        from relman import versionfiles

        changes = versionfiles.plan_version_change(ctx.config, ctx.version)
        files = ", ".join(ctx.relpath(p) for p in changes) or "no file"
        message = ctx.config.version.commit_message.format(version=ctx.version)
        return [f"set version {ctx.version} in {files}", f"commit '{message}'"]

    def run(self, ctx: Context) -> None:
        from relman import versionfiles

        changes = versionfiles.plan_version_change(ctx.config, ctx.version)
        paths = [ctx.relpath(p) for p in changes]
        message = ctx.config.version.commit_message.format(version=ctx.version)
        with ctx.editing(self.name, paths):
            versionfiles.set_version(ctx.config, ctx.version)
            ctx.before_commit(self.name)
            ctx.repo.create_commit(message, paths=paths, allow_empty=not paths)


class TagStep(Step):
    name = "tag"
    description = "signed, annotated tag with the version in its message (not pushed yet)"

    def is_done(self, ctx: Context) -> bool:
        commit = ctx.release_commit
        if commit is None:
            return False
        recorded = ctx.state.get("release_commit")
        if recorded and recorded != commit:
            raise UsageError(
                f"tag {ctx.tag} points at {commit[:12]}, but this release tagged {recorded[:12]}",
                hint=f"someone moved the tag; check `git show {ctx.tag}` before going on",
            )
        return True

    def _sign(self, ctx: Context) -> bool | None:
        return {"none": False, "auto": True, "gpg": True, "ssh": True}[ctx.config.release.sign]

    def plan(self, ctx: Context) -> list[str]:
        how = (
            "unsigned"
            if ctx.config.release.sign == "none"
            else f"signed ({ctx.config.release.sign})"
        )
        return [f"create {how} annotated tag {ctx.tag} at HEAD"]

    def run(self, ctx: Context) -> None:
        if ctx.repo.is_dirty(untracked=False):
            raise CheckFailed(
                "the working tree has uncommitted changes; the tag would not match the files",
                hint="commit or stash them, then run `relman release --resume`",
            )
        message = ctx.config.release.tag_message.format(name=ctx.config.name, version=ctx.version)
        if ctx.version not in message:
            message = f"{message}\n\nVersion {ctx.version}"
        sign = self._sign(ctx)
        extra: dict[str, str] = {}
        if ctx.config.release.sign in ("gpg", "ssh"):
            fmt = "openpgp" if ctx.config.release.sign == "gpg" else "ssh"
            extra = {
                "GIT_CONFIG_COUNT": "1",
                "GIT_CONFIG_KEY_0": "gpg.format",
                "GIT_CONFIG_VALUE_0": fmt,
            }
        args = [
            "tag",
            "-s" if sign else "--no-sign",
            *([] if sign else ["-a"]),
            "-F",
            "-",
            ctx.tag,
            "HEAD",
        ]
        ctx.repo.git(*args, input=message, env=extra or None, what=f"git tag {ctx.tag}")
        fault_point(f"{self.name}:mid")
        ctx.state.set("release_commit", ctx.repo.head())


class BuildStep(Step):
    name = "build"
    description = "sdist and wheels built from a clean export of the tag"

    def skip_reason(self, ctx: Context) -> str | None:
        if not ctx.packaged:
            return "not a Python package here (no pyproject.toml, setup.py or setup.cfg)"
        return None

    def is_done(self, ctx: Context) -> bool:
        recorded: dict[str, str] = ctx.state.get("artifacts") or {}
        if not recorded:
            return False
        if ctx.state.get("built_from") != ctx.release_commit:
            return False  # the tag was made again at another commit: build again
        for name, digest in recorded.items():
            path = ctx.dist_dir / name
            if not path.is_file():
                return False
            if sha256_file(path) != digest:
                raise UsageError(
                    f"{path} changed since it was built (sha256 differs from the release state)",
                    hint="the published release must be the built one; remove the file to rebuild it",
                )
        return True

    def plan(self, ctx: Context) -> list[str]:
        what = "the sdist" if ctx.source_only() else "the sdist and wheels"
        src = ctx.config.build.wheels_from
        if src and not ctx.source_only():
            return [f"build the sdist of {ctx.tag} into {ctx.dist_dir}", f"fetch wheels from {src}"]
        return [f"build {what} of {ctx.tag} into {ctx.dist_dir}"]

    def run(self, ctx: Context) -> None:
        from relman import artifacts

        if ctx.dist_dir.exists():
            for stale in ctx.dist_dir.iterdir():
                if stale.is_file():
                    stale.unlink()
        fetch = bool(ctx.config.build.wheels_from) and not ctx.source_only()
        files = artifacts.build_artifacts(
            ctx.config,
            ctx.repo,
            rev=ctx.tag,
            outdir=ctx.dist_dir,
            sdist=True,
            wheel=not ctx.source_only() and not fetch,
            version=ctx.version,
        )
        if fetch:
            from relman import index

            assert ctx.config.build.wheels_from
            fetched = index.fetch_files(
                ctx.config.build.wheels_from,
                ctx.config.name,
                ctx.version,
                dest=ctx.dist_dir,
                config=ctx.config,
            )
            files += [f.path for f in fetched.files if f.filename.endswith(".whl")]
        fault_point(f"{self.name}:mid")
        ctx.state.data["built_from"] = ctx.release_commit
        ctx.state.set("artifacts", {p.name: sha256_file(p) for p in files})


class VerifyStep(Step):
    name = "verify"
    description = "artifacts inspected and verified in clean environments"

    def skip_reason(self, ctx: Context) -> str | None:
        if not ctx.packaged:
            return "not a Python package here (no pyproject.toml, setup.py or setup.cfg)"
        return None

    def _key(self, ctx: Context) -> str:
        return hashlib.sha256(
            json.dumps(ctx.state.get("artifacts") or {}, sort_keys=True).encode()
        ).hexdigest()

    def is_done(self, ctx: Context) -> bool:
        step = ctx.state.step(self.name)
        return step.get("status") == "done" and step.get("artifacts_key") == self._key(ctx)

    def plan(self, ctx: Context) -> list[str]:
        return [
            "inspect metadata, contents and the expected wheel matrix",
            "build and test the sdist in a fresh environment; install and test each wheel",
        ]

    def run(self, ctx: Context) -> None:
        from relman import artifacts, verify

        files = ctx.artifacts()
        inspected = artifacts.inspect_artifacts(ctx.config, files, version=ctx.version)
        if not inspected.ok:
            for problem in inspected.problems:
                _report.info(f"  {problem}")
            raise CheckFailed(
                "the artifacts have problems (above); nothing was published",
                hint="the tag is not pushed yet: fix the project, delete the local tag "
                f"(git tag -d {ctx.tag}), then run `relman release --resume`",
            )
        fault_point(f"{self.name}:mid")
        verified = verify.verify_artifacts(
            ctx.config, files, version=ctx.version, logdir=ctx.workdir / "logs"
        )
        if not verified.ok:
            raise CheckFailed(
                "verification in a clean environment failed; nothing was published",
                hint=f"see the logs in {ctx.workdir / 'logs'}",
            )
        ctx.state.step(self.name)["artifacts_key"] = self._key(ctx)
        ctx.state.save()


class ChecksumsStep(Step):
    name = "checksums"
    description = "SHA256SUMS, optional detached signatures and the release README"

    def skip_reason(self, ctx: Context) -> str | None:
        if not ctx.packaged:
            return "not a Python package here (no pyproject.toml, setup.py or setup.cfg)"
        return None

    def is_done(self, ctx: Context) -> bool:
        sums = ctx.dist_dir / "SHA256SUMS"
        if not sums.is_file():
            return False
        recorded: dict[str, str] = ctx.state.get("artifacts") or {}
        listed = {}
        for line in sums.read_text(encoding="utf-8").splitlines():
            digest, _, name = line.partition("  ")
            listed[name.strip().lstrip("*")] = digest
        return all(listed.get(n) == d for n, d in recorded.items()) and bool(
            ctx.state.step(self.name).get("status") == "done"
        )

    def plan(self, ctx: Context) -> list[str]:
        actions = [
            f"write {ctx.dist_dir / 'SHA256SUMS'} and README.rst/README.md with sizes and hashes"
        ]
        if ctx.config.build.sign != "none":
            actions.append(f"sign each file with {ctx.config.build.sign} (.asc/.sig beside it)")
        return actions

    def run(self, ctx: Context) -> None:
        from relman import artifacts

        files = ctx.artifacts()
        artifacts.write_checksums(ctx.dist_dir)
        fault_point(f"{self.name}:mid")
        artifacts.write_release_readme(ctx.dist_dir, ctx.version)
        if ctx.config.build.sign != "none":
            from relman import signing

            signing.sign_files(ctx.config, files)


class GateStep(Step):
    name = "gate"
    description = "manual confirmations (green lights) before anything is published"

    def skip_reason(self, ctx: Context) -> str | None:
        return None if ctx.config.release.gates else "no gates configured"

    def is_done(self, ctx: Context) -> bool:
        answers: dict[str, bool] = ctx.state.get("gates") or {}
        return all(answers.get(g) for g in ctx.config.release.gates)

    def plan(self, ctx: Context) -> list[str]:
        return [f"confirm: {g}" for g in ctx.config.release.gates]

    def run(self, ctx: Context) -> None:
        answers: dict[str, bool] = dict(ctx.state.get("gates") or {})
        for gate in ctx.config.release.gates:
            if answers.get(gate):
                continue
            if ctx.yes:
                ok = True
            elif ctx.confirm is None:
                raise CheckFailed(
                    f"gate not confirmed: {gate}",
                    hint="run on a terminal to answer it, or pass --yes",
                )
            else:
                ok = ctx.confirm(f"{gate}?")
            if not ok:
                raise CheckFailed(f"gate not confirmed: {gate}", hint="run again when it is")
            answers[gate] = True
            ctx.state.set("gates", answers)


def _remote_ref(ctx: Context, ref: str) -> str | None:
    out = ctx.repo.git("ls-remote", ctx.config.remote, ref, check=False)
    for line in out.splitlines():
        sha, _, name = line.partition("\t")
        if name == ref:
            return sha
    return None


class PushStep(Step):
    name = "push"
    description = "push the release commit and tag (after a git push --dry-run)"

    def skip_reason(self, ctx: Context) -> str | None:
        if not ctx.config.release.push:
            return "disabled: [tool.relman.release] push = false"
        if ctx.config.remote not in ctx.repo.remotes():
            return f"no remote named {ctx.config.remote!r}"
        return None

    def is_done(self, ctx: Context) -> bool:
        commit = ctx.release_commit
        if commit is None:
            return False
        remote_tag = _remote_ref(ctx, f"refs/tags/{ctx.tag}")
        if remote_tag is None:
            return False
        local_tag_obj = ctx.repo.git("rev-parse", f"refs/tags/{ctx.tag}")
        if remote_tag != local_tag_obj:
            raise UsageError(
                f"the remote's tag {ctx.tag} is not the one made by this release",
                hint="someone pushed a different tag; resolve it by hand before going on",
            )
        remote_branch = _remote_ref(ctx, f"refs/heads/{ctx.branch}")
        return (
            remote_branch is not None
            and ctx.repo.rev_parse(remote_branch) is not None
            and (ctx.repo.is_ancestor(commit, remote_branch))
        )

    def plan(self, ctx: Context) -> list[str]:
        return [
            f"git push --dry-run {ctx.config.remote} {ctx.branch} {ctx.tag}",
            f"git push --atomic {ctx.config.remote} {ctx.branch} {ctx.tag}",
        ]

    def run(self, ctx: Context) -> None:
        commit = ctx.release_commit
        assert commit is not None
        refspecs = [f"{commit}:refs/heads/{ctx.branch}", f"refs/tags/{ctx.tag}:refs/tags/{ctx.tag}"]
        ctx.repo.push(ctx.config.remote, refspecs, dry_run=True)
        fault_point(f"{self.name}:mid")
        ctx.repo.push(ctx.config.remote, refspecs)


class PublishStep(Step):
    name = "publish"
    description = "upload to the package index: wheels first, sdist last, hashes verified"

    def skip_reason(self, ctx: Context) -> str | None:
        if not ctx.packaged:
            return "not a Python package here (no pyproject.toml, setup.py or setup.cfg)"
        return None

    def _target(self, ctx: Context) -> Any:
        from relman import index

        return index.resolve_target(ctx.config, None)

    def is_done(self, ctx: Context) -> bool:
        from relman import index

        recorded: dict[str, str] = ctx.state.get("artifacts") or {}
        if not recorded:
            return False
        present = index.list_files(self._target(ctx), ctx.config.name)
        return all(present.get(name) == digest for name, digest in recorded.items())

    def plan(self, ctx: Context) -> list[str]:
        target = ctx.config.publish.target
        n = len(ctx.state.get("artifacts") or {}) or "the"
        return [
            f"upload {n} file(s) to {target}: wheels in parallel, then the sdist; verify sha256"
        ]

    def run(self, ctx: Context) -> None:
        from relman import index

        report = index.publish_files(ctx.config, ctx.artifacts(), self._target(ctx))
        if not report.ok:
            raise CheckFailed(
                "not every file is on the index with the right hash",
                hint="run `relman release --resume`: files already uploaded are skipped",
            )


class GitHubReleaseStep(Step):
    name = "github-release"
    description = "GitHub release with the notes and the files, pre-release for a/b/rc"

    def _forge(self, ctx: Context) -> Any:
        from relman.forge import forge_from_config

        return forge_from_config(ctx.config, environ=ctx.environ)

    def skip_reason(self, ctx: Context) -> str | None:
        if not ctx.config.github.repo:
            return "not configured: no GitHub repository ([tool.relman.github] repo)"
        if self._forge(ctx) is None:
            return f"not configured: no token in ${ctx.config.github.token_env}"
        return None

    def _assets(self, ctx: Context) -> list[Path]:
        extra = [ctx.dist_dir / n for n in ("SHA256SUMS", "README.md")]
        signatures = sorted(p for p in ctx.dist_dir.glob("*") if p.suffix in (".asc", ".sig"))
        return ctx.artifacts() + [p for p in extra if p.is_file()] + signatures

    def is_done(self, ctx: Context) -> bool:
        from relman.forge import find_release

        with self._forge(ctx) as forge:
            release = find_release(forge, ctx.tag)
        if release is None:
            return False
        have = {a.get("name") for a in release.get("assets", [])}
        return all(p.name in have for p in self._assets(ctx))

    def plan(self, ctx: Context) -> list[str]:
        pre = Version(ctx.version).is_prerelease
        return [
            f"create the release {ctx.tag} on {ctx.config.github.repo}"
            + (" (pre-release)" if pre else ""),
            f"upload {len(self._assets(ctx))} file(s) (artifacts, SHA256SUMS, README, signatures)",
        ]

    def run(self, ctx: Context) -> None:
        from relman.forge import create_release, find_release, upload_release_asset

        body = ctx.released_notes()
        with self._forge(ctx) as forge:
            release = find_release(forge, ctx.tag) or create_release(
                forge,
                ctx.tag,
                name=f"{ctx.config.name} {ctx.version}",
                body=body,
                prerelease=Version(ctx.version).is_prerelease,
            )
            have = {a.get("name") for a in release.get("assets", [])}
            for n, path in enumerate(self._assets(ctx)):
                if n == 1:
                    fault_point(f"{self.name}:mid")  # the release exists, one file uploaded
                if path.name not in have:
                    upload_release_asset(forge, release, path)


class DocsStep(Step):
    name = "docs"
    description = "docs archive: versioned folder, `stable` link, version switcher"

    def skip_reason(self, ctx: Context) -> str | None:
        if not ctx.config.docs.archive_dir:
            return "not configured: [tool.relman.docs] archive-dir is not set"
        return None

    def is_done(self, ctx: Context) -> bool:
        from relman import docs

        return docs.docs_done(ctx.config, ctx.version)

    def plan(self, ctx: Context) -> list[str]:
        from relman import docs

        return docs.plan_docs(ctx.config, ctx.version).actions()

    def run(self, ctx: Context) -> None:
        from relman import docs

        docs.archive_docs(ctx.config, ctx.version)


class AnnounceStep(Step):
    name = "announce"
    description = "announcement rendered and sent by SMTP (or written to the outbox)"

    def _where(self, ctx: Context) -> str:
        from relman import announce

        if ctx.config.announce.smtp_host:
            return f"send to {', '.join(ctx.config.announce.to) or '(no recipients)'} via {ctx.config.announce.smtp_host}"
        path = (
            announce.outbox_dir(ctx.config, ctx.repo.git_dir)
            / f"{ctx.config.name}-{ctx.version}.eml"
        )
        return f"write {path}"

    def is_done(self, ctx: Context) -> bool:
        from relman import announce

        if ctx.config.announce.smtp_host:
            return bool(ctx.state.step(self.name).get("sent_to"))
        path = (
            announce.outbox_dir(ctx.config, ctx.repo.git_dir)
            / f"{ctx.config.name}-{ctx.version}.eml"
        )
        return path.is_file()

    def plan(self, ctx: Context) -> list[str]:
        return ["render the announcement (notes, files and checksums)", self._where(ctx)]

    def run(self, ctx: Context) -> None:
        from relman import announce

        notes_text = ctx.released_notes()
        commit = ctx.release_commit
        message = announce.render_announcement(
            ctx.config,
            ctx.version,
            notes=notes_text,
            files=ctx.state.get("artifacts") or {},
            tag=ctx.tag,
            commit=commit,
        )
        fault_point(f"{self.name}:mid")
        sent_to = announce.send_announcement(
            ctx.config, message, version=ctx.version, git_dir=ctx.repo.git_dir
        )
        ctx.state.step(self.name)["sent_to"] = sent_to
        ctx.state.save()


class PostReleaseStep(Step):
    name = "post-release"
    description = "next development version and notes file, committed and pushed"
    kinds = frozenset({"alpha", "beta", "rc", "final", "bug-fix", "security"})

    def _dev_version(self, ctx: Context) -> str:
        from relman.versioning import next_dev_version

        return next_dev_version(ctx.version, on_main=ctx.on_main)

    def skip_reason(self, ctx: Context) -> str | None:
        if VersionStep().skip_reason(ctx):
            return "dynamic version: nothing to reset"
        return None

    def _committed(self, ctx: Context) -> str | None:
        """The post-release commit on the branch, when it is there already."""
        commit = ctx.release_commit
        if commit is None:
            return None
        head = ctx.repo.rev_parse(f"refs/heads/{ctx.branch}")
        if head is None or head == commit or not ctx.repo.is_ancestor(commit, head):
            return None
        values = _version_files_text(ctx, head)
        ok = bool(values) and all(v == self._dev_version(ctx) for v in values.values())
        return head if ok else None

    def is_done(self, ctx: Context) -> bool:
        head = self._committed(ctx)
        if head is None:
            return False
        if PushStep().skip_reason(ctx):
            return True
        remote = _remote_ref(ctx, f"refs/heads/{ctx.branch}")
        return (
            remote is not None
            and ctx.repo.rev_parse(remote) is not None
            and ctx.repo.is_ancestor(head, remote)
        )

    def _message(self, ctx: Context) -> str:
        v = Version(ctx.version)
        major, minor = (*v.release, 0)[:2]
        return ctx.config.release.post_release_message.format(
            major=major, minor=minor, version=ctx.version, dev_version=self._dev_version(ctx)
        )

    def plan(self, ctx: Context) -> list[str]:
        actions = [f"set version {self._dev_version(ctx)}"]
        if ctx.config.notes.template:
            actions.append(f"start the notes file of {self._dev_version(ctx).split('.dev')[0]}")
        actions.append(f"commit '{self._message(ctx)}'")
        if not PushStep().skip_reason(ctx):
            actions.append(f"push {ctx.branch} to {ctx.config.remote}")
        return actions

    def run(self, ctx: Context) -> None:
        if self._committed(ctx) is None:
            self._commit(ctx)
        fault_point(f"{self.name}:pushing")
        if not PushStep().skip_reason(ctx):
            ctx.repo.push(ctx.config.remote, [f"refs/heads/{ctx.branch}:refs/heads/{ctx.branch}"])

    def _commit(self, ctx: Context) -> None:
        from relman import versionfiles

        dev = self._dev_version(ctx)
        if ctx.repo.current_branch() != ctx.branch:
            raise UsageError(
                f"the post-release commit goes on {ctx.branch}, but {ctx.repo.current_branch()} is checked out",
                hint=f"git checkout {ctx.branch}, then `relman release --resume`",
            )
        changes = versionfiles.plan_version_change(ctx.config, dev)
        paths = [ctx.relpath(p) for p in changes]
        next_release = str(Version(dev).base_version)
        notes_paths: list[str] = []
        if ctx.config.notes.template:
            from relman import notes

            target = notes.notes_file(ctx.config, next_release)
            if target is not None:
                notes_paths.append(ctx.relpath(target))
            if ctx.config.notes.release_index:
                notes_paths.append(ctx.config.notes.release_index)
        with ctx.editing(self.name, paths + notes_paths):
            versionfiles.set_version(ctx.config, dev)
            if ctx.config.notes.template:
                from relman import notes

                written = notes.start_notes(ctx.config, next_release)
                paths += [ctx.relpath(p) for p in written]
            ctx.before_commit(self.name)
            ctx.repo.create_commit(self._message(ctx), paths=sorted(set(paths)))


class ForwardPortStep(Step):
    name = "forward-port"
    description = "branch for main with this release's notes, changelog and .mailmap"
    kinds = frozenset({"alpha", "beta", "rc", "final", "bug-fix", "security"})

    def _branch(self, ctx: Context) -> str:
        return ctx.config.release.forward_port_branch.format(version=ctx.version)

    def _paths(self, ctx: Context) -> list[str]:
        commit = ctx.release_commit or "HEAD"
        paths = []
        if ctx.config.notes.system != "none":
            from relman import notes

            target = notes.notes_file(ctx.config, ctx.version)
            if target is not None:
                paths.append(ctx.relpath(target))
        if ctx.config.changelog.path:
            paths.append(ctx.config.changelog.path.format(version=ctx.version))
        paths.append(".mailmap")
        return [p for p in paths if ctx.repo.show_file(commit, p) is not None]

    def skip_reason(self, ctx: Context) -> str | None:
        if ctx.on_main:
            return "released from the main branch: nothing to forward-port"
        if ctx.repo.rev_parse(f"refs/heads/{ctx.config.main_branch}") is None:
            return f"no local {ctx.config.main_branch} branch"
        return None

    def is_done(self, ctx: Context) -> bool:
        return ctx.repo.rev_parse(f"refs/heads/{self._branch(ctx)}") is not None

    def plan(self, ctx: Context) -> list[str]:
        return [
            f"create branch {self._branch(ctx)} from {ctx.config.main_branch} with "
            + (", ".join(self._paths(ctx)) or "the release files"),
            "(the working tree is not touched; push it and open a pull request)",
        ]

    def run(self, ctx: Context) -> None:
        commit = ctx.release_commit
        assert commit is not None
        paths = self._paths(ctx)
        index_file = ctx.workdir / "forward-port.index"
        index_file.parent.mkdir(parents=True, exist_ok=True)
        env = {"GIT_INDEX_FILE": str(index_file)}
        main = ctx.config.main_branch
        ctx.repo.git("read-tree", main, env=env)
        for line in ctx.repo.git("ls-tree", "-r", commit, "--", *paths).splitlines():
            meta, _, path = line.partition("\t")
            mode, _, sha = meta.split()
            ctx.repo.git("update-index", "--add", "--cacheinfo", f"{mode},{sha},{path}", env=env)
        fault_point(f"{self.name}:mid")
        tree = ctx.repo.git("write-tree", env=env)
        message = f"REL: forward-port the {ctx.version} release notes and changelog"
        new = ctx.repo.git("commit-tree", tree, "-p", main, "-F", "-", input=message)
        ctx.repo.git("branch", self._branch(ctx), new)
        index_file.unlink(missing_ok=True)


class InstallCheckStep(Step):
    name = "install-check"
    description = (
        "install the release from the index into a fresh environment and check its version"
    )

    def skip_reason(self, ctx: Context) -> str | None:
        if not ctx.packaged:
            return "not a Python package here (no pyproject.toml, setup.py or setup.cfg)"
        return None

    def is_done(self, ctx: Context) -> bool:
        return ctx.state.step(self.name).get("status") == "done"

    def plan(self, ctx: Context) -> list[str]:
        return [
            f"pip install {ctx.config.name}=={ctx.version} from {ctx.config.publish.target} in a new venv"
        ]

    def run(self, ctx: Context) -> None:
        from relman import index, venv

        target = index.resolve_target(ctx.config, None)
        where = ctx.workdir / "install-check"
        if where.exists():  # left by an interrupted run
            import shutil

            shutil.rmtree(where)
        env = venv.create_env(where)
        fault_point(f"{self.name}:mid")
        env.install(f"{ctx.config.name}=={ctx.version}", index_url=index.install_url(target))
        out = env.run(
            "python",
            "-c",
            f"import importlib.metadata as m; print(m.version({ctx.config.name!r}))",
        )
        text = out.stdout.strip()
        installed = text.splitlines()[-1] if text else ""
        if installed != ctx.version:
            raise CheckFailed(f"installed {ctx.config.name} {installed!r}, expected {ctx.version}")
        ctx.state.step(self.name)["installed"] = installed
        ctx.state.save()


# -- new branch and end of life ---------------------------------------------


class BranchStep(Step):
    name = "branch"
    description = "create the maintenance branch at this point"
    kinds = frozenset({"new-branch"})

    def _branch(self, ctx: Context) -> str:
        return ctx.config.maintenance_branch_for(ctx.version)

    def is_done(self, ctx: Context) -> bool:
        return ctx.repo.rev_parse(f"refs/heads/{self._branch(ctx)}") is not None

    def plan(self, ctx: Context) -> list[str]:
        return [f"create branch {self._branch(ctx)} at {ctx.branch}"]

    def run(self, ctx: Context) -> None:
        start = ctx.state.get("start_commit") or ctx.repo.head()
        ctx.repo.create_branch(self._branch(ctx), start)


class MainDevStep(Step):
    name = "main-dev-version"
    description = "main moves on to the next minor's .dev0 with a new notes file"
    kinds = frozenset({"new-branch"})

    def _dev(self, ctx: Context) -> str:
        v = Version(ctx.version)
        major, minor = (*v.release, 0)[:2]
        return f"{major}.{minor + 1}.0.dev0"

    def skip_reason(self, ctx: Context) -> str | None:
        if VersionStep().skip_reason(ctx):
            return "dynamic version: the .dev0 tag marks development"
        return None

    def is_done(self, ctx: Context) -> bool:
        values = _version_files_text(ctx, f"refs/heads/{ctx.config.main_branch}")
        return bool(values) and all(v == self._dev(ctx) for v in values.values())

    def plan(self, ctx: Context) -> list[str]:
        return [
            f"on {ctx.config.main_branch}: set version {self._dev(ctx)}",
            f"commit 'REL: begin {self._dev(ctx).removesuffix('.0.dev0')} development'",
            f"tag {ctx.config.tag_for(self._dev(ctx))}",
        ]

    def run(self, ctx: Context) -> None:
        from relman import versionfiles

        if ctx.repo.current_branch() != ctx.config.main_branch:
            raise UsageError(f"check out {ctx.config.main_branch} to start a new branch")
        dev = self._dev(ctx)
        changes = versionfiles.plan_version_change(ctx.config, dev)
        paths = [ctx.relpath(p) for p in changes]
        with ctx.editing(self.name, paths):
            versionfiles.set_version(ctx.config, dev)
            if ctx.config.notes.template:
                from relman import notes

                paths += [
                    ctx.relpath(p) for p in notes.start_notes(ctx.config, dev.removesuffix(".dev0"))
                ]
            ctx.repo.create_commit(
                f"REL: begin {dev.removesuffix('.0.dev0')} development", paths=paths
            )
        tag = ctx.config.tag_for(dev)
        if not ctx.repo.tag_exists(tag):
            ctx.repo.create_tag(
                tag, f"Start of {dev.removesuffix('.dev0')} development", sign=False
            )


class PushBranchesStep(Step):
    name = "push-branches"
    description = "push the new maintenance branch, main and the .dev0 tag"
    kinds = frozenset({"new-branch"})

    def skip_reason(self, ctx: Context) -> str | None:
        return PushStep().skip_reason(ctx)

    def _refs(self, ctx: Context) -> list[str]:
        refs = [
            f"refs/heads/{ctx.config.maintenance_branch_for(ctx.version)}",
            f"refs/heads/{ctx.config.main_branch}",
        ]
        dev_tag = ctx.config.tag_for(MainDevStep()._dev(ctx))
        if ctx.repo.tag_exists(dev_tag):
            refs.append(f"refs/tags/{dev_tag}")
        return refs

    def is_done(self, ctx: Context) -> bool:
        for ref in self._refs(ctx):
            local = ctx.repo.git("rev-parse", ref, check=False)
            if _remote_ref(ctx, ref) != local:
                return False
        return True

    def plan(self, ctx: Context) -> list[str]:
        return [f"git push --atomic {ctx.config.remote} " + " ".join(self._refs(ctx))]

    def run(self, ctx: Context) -> None:
        refs = [f"{r}:{r}" for r in self._refs(ctx)]
        ctx.repo.push(ctx.config.remote, refs, dry_run=True)
        ctx.repo.push(ctx.config.remote, refs)


def _eol_names(ctx: Context) -> tuple[str, str]:
    v = Version(ctx.version)
    major, minor = (*v.release, 0)[:2]
    return ctx.config.maintenance_branch_for(ctx.version), f"{major}.{minor}"


class EolTagStep(Step):
    name = "eol-tag"
    description = "tag the head of the maintenance branch as X.Y"
    kinds = frozenset({"end-of-life"})

    def is_done(self, ctx: Context) -> bool:
        return ctx.repo.tag_exists(_eol_names(ctx)[1])

    def plan(self, ctx: Context) -> list[str]:
        branch, tag = _eol_names(ctx)
        return [f"create tag {tag} at the head of {branch}"]

    def run(self, ctx: Context) -> None:
        branch, tag = _eol_names(ctx)
        head = ctx.repo.rev_parse(f"refs/heads/{branch}")
        if head is None:
            raise UsageError(
                f"there is no branch {branch} to end", hint="check the version and branch pattern"
            )
        ctx.repo.create_tag(
            tag, f"{ctx.config.name} {tag} reached its end of life", rev=head, sign=False
        )
        if not PushStep().skip_reason(ctx):
            ctx.repo.push(ctx.config.remote, [f"refs/tags/{tag}:refs/tags/{tag}"])


class EolDeleteStep(Step):
    name = "eol-delete-branch"
    description = "delete the maintenance branch (after confirmation)"
    kinds = frozenset({"end-of-life"})

    def is_done(self, ctx: Context) -> bool:
        return ctx.repo.rev_parse(f"refs/heads/{_eol_names(ctx)[0]}") is None

    def plan(self, ctx: Context) -> list[str]:
        branch, _ = _eol_names(ctx)
        return [f"delete branch {branch} locally and on {ctx.config.remote}"]

    def run(self, ctx: Context) -> None:
        branch, tag = _eol_names(ctx)
        question = f"delete branch {branch} (its head is tagged {tag})?"
        if not (ctx.yes or (ctx.confirm is not None and ctx.confirm(question))):
            raise CheckFailed(
                f"not confirmed: {question}", hint="answer on a terminal or pass --yes"
            )
        if ctx.repo.current_branch() == branch:
            raise UsageError(
                f"{branch} is checked out", hint=f"git checkout {ctx.config.main_branch} first"
            )
        ctx.repo.git("branch", "-D", branch)
        if not PushStep().skip_reason(ctx) and _remote_ref(ctx, f"refs/heads/{branch}"):
            ctx.repo.git("push", ctx.config.remote, "--delete", branch)


def steps_for(kind: str) -> list[Step]:
    """The ordered steps of a release of ``kind``."""
    if kind not in KINDS:
        raise UsageError(
            f"unknown release kind {kind!r}", hint="choose one of: " + ", ".join(KINDS)
        )
    every: list[Step] = [
        ChecksStep(),
        NotesStep(),
        ChangelogStep(),
        VersionStep(),
        TagStep(),
        BuildStep(),
        VerifyStep(),
        ChecksumsStep(),
        GateStep(),
        PushStep(),
        PublishStep(),
        GitHubReleaseStep(),
        DocsStep(),
        AnnounceStep(),
        PostReleaseStep(),
        ForwardPortStep(),
        InstallCheckStep(),
        BranchStep(),
        MainDevStep(),
        PushBranchesStep(),
        EolTagStep(),
        EolDeleteStep(),
    ]
    out = []
    for step in every:
        if kind in step.kinds:
            out.append(step)
    return out


# -- running ----------------------------------------------------------------


def _select(
    steps: list[Step], *, from_step: str | None, only: Sequence[str], skip: Sequence[str]
) -> set[str]:
    names = [s.name for s in steps]
    for name in [from_step, *only, *skip]:
        if name and name not in names:
            raise UsageError(
                f"no step named {name!r} in this release",
                hint="steps: " + ", ".join(names),
            )
    chosen = set(names)
    if from_step:
        chosen = set(names[names.index(from_step) :])
    if only:
        chosen &= set(only)
    chosen -= set(skip)
    return chosen


def _forget_if_untouched(ctx: Context) -> None:
    """A release that failed before changing anything leaves no state behind."""
    steps: dict[str, dict[str, Any]] = ctx.state.data.get("steps", {})
    if any(s.get("status") == "done" for s in steps.values()):
        return
    if ctx.repo.head() != ctx.state.get("start_commit"):
        return
    ctx.state.path.unlink(missing_ok=True)
    ctx.state.path.with_suffix(".lock").unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        ctx.state.path.parent.rmdir()  # only when empty


def plan_release(
    ctx: Context,
    *,
    from_step: str | None = None,
    only: Sequence[str] = (),
    skip: Sequence[str] = (),
) -> list[StepPlan]:
    """Every step with done / pending / skipped and what it would change."""
    steps = steps_for(ctx.kind)
    chosen = _select(steps, from_step=from_step, only=only, skip=skip)
    plans = []
    for step in steps:
        reason = step.skip_reason(ctx)
        if reason:
            plans.append(StepPlan(step.name, "skipped", step.description, reason=reason))
            continue
        if step.name not in chosen:
            plans.append(StepPlan(step.name, "skipped", step.description, reason="not selected"))
            continue
        try:
            done = step.is_done(ctx)
        except RelmanError as exc:
            plans.append(StepPlan(step.name, "blocked", step.description, reason=exc.message))
            continue
        if done:
            plans.append(StepPlan(step.name, "done", step.description))
            continue
        try:
            actions = tuple(step.plan(ctx))
        except NotImplementedStep as exc:
            plans.append(StepPlan(step.name, "skipped", step.description, reason=exc.message))
            continue
        except RelmanError as exc:
            actions = (f"(cannot plan yet: {exc.message})",)
        plans.append(StepPlan(step.name, "pending", step.description, actions))
    return plans


def run_release(
    ctx: Context,
    *,
    from_step: str | None = None,
    only: Sequence[str] = (),
    skip: Sequence[str] = (),
    on_step: Callable[[str, str, str], None] | None = None,
) -> list[StepPlan]:
    """Run every pending step in order; stop at the first failure.

    ``on_step(name, status, detail)`` is told of each step's outcome. The state
    file records it; a later run re-checks every step against the world and
    resumes at the first one that is not done.
    """
    steps = steps_for(ctx.kind)
    chosen = _select(steps, from_step=from_step, only=only, skip=skip)
    lock = ctx.state.path.with_suffix(".lock")
    outcomes: list[StepPlan] = []
    with release_lock(lock):
        if not ctx.state.get("branch"):
            ctx.state.data.update(
                {
                    "version": ctx.version,
                    "kind": ctx.kind,
                    "branch": ctx.repo.current_branch(),
                    "start_commit": ctx.repo.head(),
                    "started": _now(),
                }
            )
            ctx.state.save()
        elif ctx.state.get("kind") != ctx.kind:
            raise UsageError(
                f"this release was started as {ctx.state.get('kind')}, not {ctx.kind}",
                hint=f"resume it with --kind {ctx.state.get('kind')}, or remove {ctx.state.path}",
            )
        ctx.recover()
        for step in steps:
            reason = step.skip_reason(ctx)
            if reason or step.name not in chosen:
                detail = reason or "not selected"
                outcomes.append(StepPlan(step.name, "skipped", step.description, reason=detail))
                if reason:
                    ctx.state.mark(step.name, "skipped", detail)
                if on_step:
                    on_step(step.name, "skipped", detail)
                continue
            if step.is_done(ctx):
                ctx.state.mark(step.name, "done", ctx.state.step(step.name).get("detail", ""))
                outcomes.append(StepPlan(step.name, "done", step.description))
                if on_step:
                    on_step(step.name, "done", "already done")
                continue
            if on_step:
                on_step(step.name, "running", step.description)
            ctx.state.mark(step.name, "running")
            fault_point(f"{step.name}:start")
            try:
                step.run(ctx)
            except RelmanError as exc:
                ctx.state.mark(step.name, "failed", exc.message)
                _forget_if_untouched(ctx)
                raise
            fault_point(f"{step.name}:end")
            ctx.state.mark(step.name, "done")
            outcomes.append(StepPlan(step.name, "done", step.description))
            if on_step:
                on_step(step.name, "done", "")
        ctx.state.set("finished", _now())
    return outcomes


def open_context(
    config: Config,
    repo: Repo,
    version: str | None,
    *,
    kind: str | None = None,
    yes: bool = False,
    confirm: Callable[[str], bool] | None = None,
    force: bool = False,
    resume: bool = False,
) -> Context:
    """Validate the version and build the context of a release (new or resumed)."""
    state_dir = repo.git_dir / "relman"
    if version is None:
        if not resume:
            raise UsageError("give the version to release", hint="relman release 1.2.0")
        unfinished = []
        for path in sorted(state_dir.glob("*.json")) if state_dir.is_dir() else []:
            data = ReleaseState(path).data
            if data.get("version") and not data.get("finished"):
                unfinished.append((path.stat().st_mtime, data))
        if not unfinished:
            raise UsageError(
                "there is no unfinished release to resume", hint="start one: relman release VERSION"
            )
        data = max(unfinished, key=lambda item: item[0])[1]
        version, kind = str(data["version"]), kind or data.get("kind")
    from relman.versioning import parse_version

    normalized = str(parse_version(version))
    kind = kind or detect_kind(normalized)
    if kind not in KINDS:
        raise UsageError(
            f"unknown release kind {kind!r}", hint="choose one of: " + ", ".join(KINDS)
        )
    # a new branch or an end of life is not a release of that version: its own state file
    stem = normalized if kind in _RELEASE_KINDS else f"{normalized}.{kind}"
    state = ReleaseState(state_dir / f"{stem}.json")
    ctx = Context(config, repo, normalized, kind, state, yes=yes, confirm=confirm, force=force)
    if kind in _RELEASE_KINDS and not state.exists:
        from relman.versioning import check_new_version

        check_new_version(config, repo, normalized, force=force)
    return ctx
