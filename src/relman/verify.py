"""Install and test release artifacts in clean environments, as a user would.

:func:`verify_artifacts` takes the files of a release and, for each:

* **sdist**: extracts it through :mod:`relman.archive`: within size limits,
  regular files and folders only (no absolute paths, no ``..``, no links
  pointing out; links inside become copies), creates a fresh virtual
  environment, builds and installs the project from the extracted folder
  alone (no repository), then checks the installed version and runs the
  test command;
* **wheel** that fits this interpreter, reads whole and has no member twice:
  installs it into its own fresh environment and runs the same checks;
  other wheels are skipped.

Environments come from :mod:`relman.venv` (uv when available), isolated from
the user's pip and uv configuration. Every step's command and output is
saved to a log file in ``logdir``; a failure names its log. Artifacts are
verified in parallel. Nothing is written outside a temporary folder and
``logdir``.

The test command is ``[tool.relman.build] test-command``; without one it is
``python -m pytest --pyargs <package>`` when the package installs its tests;
else, when the project keeps its tests in a top-level ``tests/`` folder, that
folder is copied next to (not into) the environment and run with pytest
against the installed package, as SciPy and NumPy test installed wheels; and
only the import and version check otherwise (the result says how to run the
tests when pytest is missing).
"""

from __future__ import annotations

import contextvars
import json
import shlex
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from relman import _atomic, _proc, _report
from relman.archive import ArchiveError, extract_archive, read_archive
from relman.artifacts import artifact_kind
from relman.errors import CommandError, RelmanError, UsageError

if TYPE_CHECKING:
    from relman.config import Config
    from relman.venv import Env

__all__ = ["ArtifactResult", "StepResult", "VerifyReport", "extract_sdist", "verify_artifacts"]

# Run inside the fresh environment with -I from an empty folder: imports every
# top-level package of the distribution and compares versions.
_CHECK_SCRIPT = r"""
import importlib, importlib.metadata as md, json, os, sys
name, want = sys.argv[1], sys.argv[2]
out = {"dist_version": None, "packages": [], "tests": [], "errors": [], "versions": {}}
try:
    dist = md.distribution(name)
except md.PackageNotFoundError:
    out["errors"].append(f"distribution {name} is not installed")
    print(json.dumps(out)); sys.exit(0)
out["dist_version"] = dist.version
if dist.version != want:
    out["errors"].append(f"installed version is {dist.version}, expected {want}")
tops = set()
for f in dist.files or ():
    parts = f.parts
    if not parts or parts[0] in ("..", "__pycache__") or parts[0].endswith((".dist-info", ".data")):
        continue
    if len(parts) > 1:
        tops.add(parts[0])
    elif parts[0].endswith(".py"):
        tops.add(parts[0][:-3])
    elif parts[0].endswith((".so", ".pyd")):
        tops.add(parts[0].split(".")[0])
for top in sorted(t for t in tops if t.isidentifier()):
    out["packages"].append(top)
    try:
        mod = importlib.import_module(top)
    except BaseException as exc:
        out["errors"].append(f"import {top} failed: {type(exc).__name__}: {exc}")
        continue
    v = getattr(mod, "__version__", None)
    if v is not None:
        out["versions"][top] = str(v)
        if str(v) != want:
            out["errors"].append(f"{top}.__version__ is {v}, expected {want}")
    f = getattr(mod, "__file__", None)
    if f and os.path.isdir(os.path.join(os.path.dirname(f), "tests")):
        out["tests"].append(top)
print(json.dumps(out))
"""


@dataclass(frozen=True)
class StepResult:
    """One command of a verification (create, install, check, test)."""

    step: str
    ok: bool
    seconds: float
    detail: str = ""
    log: Path | None = None


@dataclass(frozen=True)
class ArtifactResult:
    """The verification of one file: ``status`` is pass, fail or skipped."""

    artifact: str
    kind: str
    status: str
    detail: str
    steps: tuple[StepResult, ...] = ()
    log: Path | None = None

    @property
    def ok(self) -> bool:
        return self.status != "fail"


@dataclass(frozen=True)
class VerifyReport:
    """Every artifact's result; ``ok`` when none failed and at least one passed."""

    results: tuple[ArtifactResult, ...]
    logdir: Path

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results) and any(r.status == "pass" for r in self.results)

    @property
    def failures(self) -> tuple[ArtifactResult, ...]:
        return tuple(r for r in self.results if r.status == "fail")


def extract_sdist(sdist: Path, dest: Path) -> Path:
    """Extract ``sdist`` safely into ``dest``; return its single top-level folder.

    Raises :class:`~relman.errors.CheckFailed` (writing nothing) for absolute
    paths, ``..``, links pointing outside, looping or dangling, special
    files, a member or a total past the size limits (the message names the
    limit), an archive that is not gzip (or zip), or more than one top-level
    folder. Only regular files and folders are written; links inside the
    archive become copies.
    """
    from relman.errors import CheckFailed

    extract_archive(sdist, dest)
    tops = [p for p in dest.iterdir()]
    if len(tops) != 1 or not tops[0].is_dir():
        raise CheckFailed(
            f"{sdist.name} should hold one top-level folder, found "
            f"{', '.join(sorted(p.name for p in tops)) or 'nothing'}"
        )
    return tops[0]


def _wheel_refused(path: Path) -> str:
    """Why a wheel must not be installed: it cannot be read whole, or a member
    appears twice (an installer would keep one copy, an index another).
    """
    try:
        archive = read_archive(path, keep=lambda _n: False)
    except ArchiveError as exc:
        return exc.message
    twice = [text for rule, text in archive.findings if rule == "archive-duplicate"]
    bad = [
        text
        for rule, text in archive.findings
        if rule in ("archive-encrypted", "archive-compression")
    ]
    return "; ".join([*twice, *bad][:5])


def _wheel_fits(path: Path) -> bool:
    from packaging.tags import sys_tags
    from packaging.utils import parse_wheel_filename

    tags = parse_wheel_filename(path.name)[3]
    supported = set(sys_tags())
    return any(t in supported for t in tags)


class _Run:
    """Steps of one artifact's verification, each logged."""

    def __init__(self, artifact: Path, logdir: Path) -> None:
        self.artifact = artifact
        self.logdir = logdir
        self.steps: list[StepResult] = []

    def log_path(self, step: str) -> Path:
        return self.logdir / f"{self.artifact.name}.{step}.log"

    def record(
        self, step: str, started: float, done: _proc.Completed | None, detail: str = ""
    ) -> StepResult:
        log: Path | None = None
        ok = done is not None and done.returncode == 0 and not detail
        if done is None and detail:
            log = self.log_path(step)
            _atomic.write_text(log, f"--- problem ---\n{detail}\n")
        if done is not None:
            log = self.log_path(step)
            _atomic.write_text(
                log,
                f"$ {shlex.join(done.args)}\nexit {done.returncode}\n\n"
                f"--- stdout ---\n{done.stdout}\n--- stderr ---\n{done.stderr}\n"
                + (f"--- problem ---\n{detail}\n" if detail else ""),
            )
            if done.returncode != 0 and not detail:
                text = (done.stderr.strip() or done.stdout.strip()).splitlines()
                detail = _last_meaningful(text) or f"exit {done.returncode}"
        result = StepResult(step, ok, round(time.monotonic() - started, 2), detail, log)
        self.steps.append(result)
        return result

    def failed(self, kind: str, step: StepResult, what: str) -> ArtifactResult:
        return ArtifactResult(
            self.artifact.name,
            kind,
            "fail",
            f"{what}: {step.detail}",
            tuple(self.steps),
            step.log,
        )


def _last_meaningful(lines: list[str]) -> str:
    """The line that explains a failure: an exception line if any, else the last line."""
    for line in reversed(lines):
        s = line.strip()
        if s.startswith(("E ", "ERROR", "error:")) or "Error:" in s or "Error" in s.split(":")[0]:
            return s
    for line in reversed(lines):
        if line.strip():
            return line.strip()
    return ""


def _test_command(config: Config, with_tests: Sequence[str]) -> list[str] | None:
    if config.build.test_command:
        return shlex.split(config.build.test_command)
    if with_tests:
        return ["python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "--pyargs", *with_tests]
    return None


def _copied_tests(config: Config, env: Env, workdir: Path) -> list[str] | None:
    """Copy the top-level tests/ folder into ``workdir`` and return the pytest command.

    The tests then import the installed package, not the source tree (SciPy and
    NumPy test their installed wheels this way); None when pytest is not installed.
    """
    import shutil

    probe = env.run("python", "-c", "import pytest", cwd=workdir, check=False, what="pytest")
    if probe.returncode != 0:
        return None
    shutil.copytree(
        config.project_dir / "tests",
        workdir / "tests",
        ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"),
    )
    return ["python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"]


def _check_and_test(
    config: Config, env: Env, run: _Run, kind: str, version: str, workdir: Path
) -> ArtifactResult:
    from packaging.utils import canonicalize_name

    started = time.monotonic()
    done = env.run(
        "python",
        "-I",
        "-c",
        _CHECK_SCRIPT,
        canonicalize_name(config.name),
        version,
        cwd=workdir,
        check=False,
        what="import check",
    )
    try:
        found = json.loads(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else None
    except (ValueError, IndexError):
        found = None
    if found is None:
        step = run.record("check", started, done, "" if done.returncode else "no result")
        return run.failed(kind, step, "the import check failed")
    errors = list(found["errors"])
    if not found["packages"] and not errors:
        errors.append("the distribution installs no importable package")
    step = run.record("check", started, done, "; ".join(errors))
    if not step.ok:
        return run.failed(kind, step, "the installed package is broken")
    command = _test_command(config, found["tests"])
    if command is None and (config.project_dir / "tests").is_dir():
        command = _copied_tests(config, env, workdir)
    if command is None:
        hint = (
            "; tests/ needs pytest: add it to build.test-requires, or set build.test-command"
            if (config.project_dir / "tests").is_dir()
            else ""
        )
        return ArtifactResult(
            run.artifact.name,
            kind,
            "pass",
            f"imports {', '.join(found['packages'])} {version} (no tests installed{hint})",
            tuple(run.steps),
            None,
        )
    started = time.monotonic()
    try:
        done = env.run(*command, cwd=workdir, check=False, what="test command")
    except RelmanError as exc:  # the program does not exist in the environment
        step = run.record("test", started, None, str(exc))
        return run.failed(kind, step, "the test command could not start")
    step = run.record("test", started, done)
    if not step.ok:
        return run.failed(kind, step, f"`{shlex.join(command)}` failed")
    return ArtifactResult(
        run.artifact.name,
        kind,
        "pass",
        f"{shlex.join(command)} passed",
        tuple(run.steps),
        None,
    )


def _verify_one(config: Config, path: Path, version: str, logdir: Path) -> ArtifactResult:
    try:
        return _verify_artifact(config, path, version, logdir)
    except RelmanError as exc:
        return ArtifactResult(path.name, artifact_kind(path) or "unknown", "fail", exc.message)


def _verify_artifact(config: Config, path: Path, version: str, logdir: Path) -> ArtifactResult:
    from relman.venv import create_env

    kind = artifact_kind(path) or "unknown"
    run = _Run(path, logdir)
    if kind == "wheel" and not _wheel_fits(path):
        return ArtifactResult(path.name, kind, "skipped", "does not fit this interpreter")
    if kind not in ("wheel", "sdist"):
        return ArtifactResult(path.name, kind, "skipped", "not an sdist or a wheel")
    with tempfile.TemporaryDirectory(prefix="relman-verify-") as tmp_name:
        tmp = Path(tmp_name)
        workdir = tmp / "work"
        workdir.mkdir()
        started = time.monotonic()
        if kind == "sdist":
            try:
                target = str(extract_sdist(path, tmp / "src"))
            except RelmanError as exc:
                step = run.record("extract", started, None, exc.message)
                return run.failed(kind, step, "the sdist cannot be extracted")
        else:
            refused = _wheel_refused(path)
            if refused:
                step = run.record("read", started, None, refused)
                return run.failed(kind, step, "the wheel is not installed")
            target = str(path.resolve())
        started = time.monotonic()
        try:
            env = create_env(tmp / "env", extra_index=config.build.extra_index)
        except CommandError as exc:
            done = _proc.Completed(exc.command, exc.returncode or 1, exc.stdout, exc.stderr)
            step = run.record("venv", started, done)
            return run.failed(kind, step, "creating the environment failed")
        started = time.monotonic()
        requirements = [target, *config.build.test_requires]
        done = env.install(*requirements, cwd=workdir, check=False)
        step = run.record("install", started, done)
        if not step.ok:
            what = (
                "building and installing the sdist failed"
                if kind == "sdist"
                else "installing the wheel failed"
            )
            return run.failed(kind, step, what)
        return _check_and_test(config, env, run, kind, version, workdir)


def verify_artifacts(
    config: Config,
    paths: Sequence[Path],
    *,
    version: str,
    logdir: Path,
    workers: int | None = None,
) -> VerifyReport:
    """Verify each sdist and fitting wheel in its own fresh environment.

    Never raises for a failing artifact: the report says what failed and
    where its log is. Raises :class:`~relman.errors.UsageError` when there is
    nothing to verify.
    """
    paths = [Path(p).resolve() for p in paths]
    if not paths:
        raise UsageError("no artifacts to verify", hint="build first: `relman build`")
    for p in paths:
        if not p.is_file():
            raise UsageError(f"{p} does not exist")
    logdir = Path(logdir).resolve()
    logdir.mkdir(parents=True, exist_ok=True)
    _report.info(f"verifying {len(paths)} file(s) in clean environments; logs in {logdir}")
    from relman.venv import find_uv

    find_uv()  # look uv up once, before the threads start
    n = workers or min(4, len(paths))
    with ThreadPoolExecutor(max_workers=max(1, n)) as pool:
        futures = [
            pool.submit(contextvars.copy_context().run, _verify_one, config, p, version, logdir)
            for p in paths
        ]
        results = tuple(f.result() for f in futures)
    for r in results:
        _report.info(f"{r.status}: {r.artifact}: {r.detail}")
    return VerifyReport(results=results, logdir=logdir)
