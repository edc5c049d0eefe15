"""GitHub Actions: dispatch the release workflow, follow its run, fetch what it built.

Documented REST endpoints only, through :class:`relman.forge.Forge`:

- ``POST /repos/{repo}/actions/workflows/{workflow}/dispatches`` with the ref
  and the inputs (``ref``, ``environment``); ``return_run_details`` asks for
  the run id, and where the server answers 204 the run is found by
  :func:`find_run` (``GET .../workflows/{workflow}/runs?head_sha=&event=``);
- ``GET /repos/{repo}/actions/runs/{id}``, ``.../runs/{id}/jobs`` and
  ``POST .../runs/{id}/rerun-failed-jobs``;
- ``GET .../runs/{id}/artifacts`` (paginated) and
  ``GET .../actions/artifacts/{id}/zip``, which answers with a redirect to
  storage: relman follows it with a separate client that sends no token.

:func:`fetch_artifacts` downloads the artifacts in parallel into a cache
folder (a file already there with the artifact's size is not fetched again,
so a killed fetch resumes), unpacks each zip safely (no absolute paths, no
``..``, no links: the whole zip is refused before anything is written),
checks every wheel's name, version and tags and that the set covers the
expected matrix, and records each file's sha256.

Errors: GitHub failures are :class:`~relman.errors.RemoteError` (exit 5); a
failed run, an unsafe zip, a wrong or missing wheel are
:class:`~relman.errors.CheckFailed` (exit 1).
"""

from __future__ import annotations

import os
import stat
import time
import zipfile
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from relman import _atomic, _report
from relman.errors import CheckFailed, RemoteError, UsageError

if TYPE_CHECKING:
    import httpx

    from relman.config import Config
    from relman.forge import Forge

__all__ = [
    "FetchReport",
    "FetchedFile",
    "Job",
    "Run",
    "ci_forge",
    "dispatch_workflow",
    "fetch_artifacts",
    "find_run",
    "get_run",
    "list_artifacts",
    "list_jobs",
    "rerun_failed",
    "safe_unzip",
    "separate_repo",
    "start_run",
    "wait_for_run",
    "workflow_id",
]


# -- runs and jobs -----------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    name: str
    status: str  # queued, in_progress, completed (and waiting, pending, requested)
    conclusion: str | None
    started_at: str | None
    completed_at: str | None

    @property
    def state(self) -> str:
        """``queued``, ``in progress``, ``passed``, ``failed`` or ``skipped``."""
        if self.status != "completed":
            return "in progress" if self.status == "in_progress" else "queued"
        if self.conclusion in ("success", "neutral"):
            return "passed"
        if self.conclusion == "skipped":
            return "skipped"
        return "failed"

    @property
    def duration(self) -> float | None:
        """Seconds from start to end (to now while it runs)."""
        start = _parse_time(self.started_at)
        if start is None:
            return None
        end = _parse_time(self.completed_at) if self.completed_at else time.time()
        return None if end is None else max(0.0, end - start)


@dataclass(frozen=True)
class Run:
    id: int
    status: str
    conclusion: str | None
    head_sha: str
    event: str
    html_url: str
    jobs: tuple[Job, ...] = ()

    @property
    def done(self) -> bool:
        return self.status == "completed"

    @property
    def ok(self) -> bool:
        return self.done and self.conclusion == "success"


def _parse_time(text: str | None) -> float | None:
    if not text:
        return None
    from datetime import datetime

    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _run(data: Mapping[str, Any], jobs: Sequence[Job] = ()) -> Run:
    return Run(
        id=int(data["id"]),
        status=str(data.get("status", "")),
        conclusion=data.get("conclusion"),
        head_sha=str(data.get("head_sha", "")),
        event=str(data.get("event", "")),
        html_url=str(data.get("html_url", "")),
        jobs=tuple(jobs),
    )


def ci_forge(config: Config, *, environ: Mapping[str, str] | None = None) -> Forge | None:
    """A client for the repository whose Actions build the release (``ci.repo``)."""
    from relman.forge import DEFAULT_API_URL, Forge

    env = os.environ if environ is None else environ
    token = env.get(config.github.token_env) or env.get("GITHUB_TOKEN") or env.get("GH_TOKEN")
    repo = config.ci.repo or config.github.repo
    if not repo or not token:
        return None
    return Forge(repo, token, api_url=config.github.api_url or DEFAULT_API_URL)


def workflow_id(config: Config) -> str:
    """The workflow as the API names it: its file name (``release.yml``)."""
    return PurePosixPath(config.ci.workflow).name


def dispatch_workflow(
    forge: Forge, workflow: str, *, ref: str, inputs: Mapping[str, str]
) -> int | None:
    """Start the workflow; the run id when GitHub returns it (``return_run_details``)."""
    data = forge.request(
        "POST",
        f"/repos/{forge.repo}/actions/workflows/{workflow}/dispatches",
        json={"ref": ref, "inputs": dict(inputs), "return_run_details": True},
    )
    if isinstance(data, dict) and data.get("workflow_run_id"):
        return int(data["workflow_run_id"])
    return None


def find_run(
    forge: Forge,
    workflow: str,
    *,
    head_sha: str | None,
    event: str | None = None,
    created_after: float | None = None,
) -> Run | None:
    """The newest run of ``workflow`` for ``head_sha`` (any commit: None) and ``event``."""
    params: dict[str, Any] = {}
    if head_sha:
        params["head_sha"] = head_sha
    if event:
        params["event"] = event
    best: Mapping[str, Any] | None = None
    for item in forge.paginate(
        f"/repos/{forge.repo}/actions/workflows/{workflow}/runs",
        params=params,
        key="workflow_runs",
    ):
        if (head_sha and item.get("head_sha") != head_sha) or (
            event and item.get("event") != event
        ):
            continue
        created = _parse_time(item.get("created_at"))
        if created_after is not None and created is not None and created < created_after:
            continue
        if best is None or int(item["id"]) > int(best["id"]):
            best = item
    return None if best is None else _run(best)


def separate_repo(config: Config) -> bool:
    """True when the workflow lives in another repository (NumPy's numpy-release)."""
    return bool(config.ci.repo) and config.ci.repo != config.github.repo


def start_run(
    forge: Forge,
    config: Config,
    *,
    ref: str,
    head_sha: str | None,
    environment: str,
    poll: float = 2.0,
    wait: float = 120.0,
) -> int:
    """Dispatch the release workflow for ``ref`` and return the id of the run it started.

    In the project's own repository the workflow runs at ``ref`` itself; in a
    separate one (``ci.repo``) it runs at ``ci.branch`` and gets ``ref`` as
    its input. When GitHub does not return the run id, the run is found by
    its commit (own repository) or as the newest dispatched run since.
    """
    workflow = workflow_id(config)
    other = separate_repo(config)
    started = time.time() - 5
    run_id = dispatch_workflow(
        forge,
        workflow,
        ref=config.ci.branch if other else ref,
        inputs={"ref": ref, "environment": environment},
    )
    deadline = time.monotonic() + wait
    while run_id is None:
        found = find_run(
            forge,
            workflow,
            head_sha=None if other else head_sha,
            event="workflow_dispatch",
            created_after=started,
        )
        if found is not None:
            return found.id
        if time.monotonic() > deadline:
            raise RemoteError(
                f"the run of {workflow} dispatched for {ref} did not appear on {forge.repo}",
                hint="look at the repository's Actions page; `relman ci status` lists runs",
            )
        time.sleep(poll)
    return run_id


def list_jobs(forge: Forge, run_id: int) -> list[Job]:
    """The jobs of the run's latest attempt."""
    return [
        Job(
            name=str(j.get("name", "")),
            status=str(j.get("status", "")),
            conclusion=j.get("conclusion"),
            started_at=j.get("started_at"),
            completed_at=j.get("completed_at"),
        )
        for j in forge.paginate(f"/repos/{forge.repo}/actions/runs/{run_id}/jobs", key="jobs")
    ]


def get_run(forge: Forge, run_id: int, *, jobs: bool = True) -> Run:
    data = forge.request("GET", f"/repos/{forge.repo}/actions/runs/{run_id}")
    if not isinstance(data, dict):
        raise RemoteError(f"GitHub gave no run {run_id}")
    return _run(data, list_jobs(forge, run_id) if jobs else ())


def rerun_failed(forge: Forge, run_id: int) -> None:
    """Re-run the failed jobs of a run (and the jobs that depend on them)."""
    forge.request("POST", f"/repos/{forge.repo}/actions/runs/{run_id}/rerun-failed-jobs")


def wait_for_run(
    forge: Forge,
    run_id: int,
    *,
    poll: float = 15.0,
    timeout: float = 10800.0,
    on_update: Callable[[Run], None] | None = None,
) -> Run:
    """Follow a run until it completes; ``on_update`` sees every look at it."""
    deadline = time.monotonic() + timeout
    while True:
        run = get_run(forge, run_id)
        if on_update is not None:
            on_update(run)
        if run.done:
            return run
        if time.monotonic() >= deadline:
            raise RemoteError(
                f"run {run_id} did not finish within {timeout:.0f} s ({run.html_url})",
                hint="follow it with `relman ci status RUN`; `relman release` resumes with the run",
            )
        time.sleep(poll)


# -- artifacts ------------------------------------------------------------------------


@dataclass(frozen=True)
class Artifact:
    id: int
    name: str
    size: int
    expired: bool
    digest: str | None


def list_artifacts(forge: Forge, run_id: int) -> list[Artifact]:
    """Every artifact of a run (paginated)."""
    return [
        Artifact(
            id=int(a["id"]),
            name=str(a.get("name", "")),
            size=int(a.get("size_in_bytes", 0)),
            expired=bool(a.get("expired", False)),
            digest=a.get("digest"),
        )
        for a in forge.paginate(
            f"/repos/{forge.repo}/actions/runs/{run_id}/artifacts", key="artifacts"
        )
    ]


def _unsafe_member(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return f"{name} (a link)"
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or (path.parts and ":" in path.parts[0]):
        return f"{name} (an absolute path)"
    if ".." in path.parts:
        return f"{name} (leaves the destination)"
    return None


def safe_unzip(archive: Path, dest: Path) -> list[Path]:
    """Unpack ``archive`` into ``dest``; refuse the whole zip if one member is unsafe."""
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            bad = [b for b in (_unsafe_member(i) for i in infos) if b]
            if bad:
                raise CheckFailed(
                    f"artifact {archive.name} is not a safe zip: " + ", ".join(bad),
                    hint="nothing was unpacked; check the workflow that made the artifact",
                )
            out: list[Path] = []
            for info in infos:
                if info.is_dir():
                    continue
                target = dest / PurePosixPath(info.filename.replace("\\", "/")).name
                _atomic.write_bytes(target, zf.read(info))
                out.append(target)
            return out
    except zipfile.BadZipFile:
        raise CheckFailed(
            f"artifact {archive.name} is not a zip file",
            hint="delete it and fetch again",
        ) from None


@dataclass(frozen=True)
class FetchedFile:
    filename: str
    artifact: str
    sha256: str
    size: int


@dataclass(frozen=True)
class FetchReport:
    run_id: int
    files: tuple[FetchedFile, ...]
    downloaded: tuple[str, ...]
    reused: tuple[str, ...]
    missing: tuple[str, ...] = ()
    problems: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        import dataclasses

        return dataclasses.asdict(self)


def _download(
    forge: Forge, storage: httpx.Client, artifact: Artifact, target: Path, progress: Any
) -> bool:
    """Fetch one artifact's zip into ``target`` unless it is there with its size."""
    import hashlib

    import httpx

    if target.is_file() and target.stat().st_size == artifact.size:
        progress.advance(artifact.size)
        return False
    try:
        location = forge.redirect_location(
            f"/repos/{forge.repo}/actions/artifacts/{artifact.id}/zip"
        )
    except RemoteError as exc:
        if "HTTP 410" in exc.message:
            raise RemoteError(
                f"artifact {artifact.name} of the run has expired (HTTP 410)",
                hint="re-run the workflow (`relman ci run`) to build it again",
            ) from None
        raise
    part = target.with_name(target.name + ".part")
    digest = hashlib.sha256()
    try:
        with storage.stream("GET", location) as response:
            if response.status_code >= 400:
                raise RemoteError(
                    f"downloading artifact {artifact.name} failed: HTTP {response.status_code}"
                )
            with open(part, "wb") as fh:
                for chunk in response.iter_bytes(1 << 16):
                    fh.write(chunk)
                    digest.update(chunk)
                    progress.advance(len(chunk))
    except httpx.HTTPError as exc:
        raise RemoteError(
            f"downloading artifact {artifact.name} failed: {type(exc).__name__}: {exc}",
            hint="run the fetch again; what is complete is kept",
        ) from None
    listed = artifact.digest or ""
    if listed.startswith("sha256:") and digest.hexdigest() != listed.split(":", 1)[1]:
        part.unlink()
        raise CheckFailed(
            f"artifact {artifact.name} does not have the digest GitHub lists",
            hint="run the fetch again",
        )
    os.replace(part, target)
    return True


def check_wheel_names(paths: Sequence[Path], *, name: str, version: str) -> list[str]:
    """Problems with the wheels' and sdists' names, versions and tags."""
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        canonicalize_name,
        parse_sdist_filename,
        parse_wheel_filename,
    )
    from packaging.version import Version

    problems: list[str] = []
    want_name = canonicalize_name(name)
    want = Version(version)
    for p in paths:
        try:
            if p.name.endswith(".whl"):
                got_name, got_version, _, tags = parse_wheel_filename(p.name)
                if not tags:
                    problems.append(f"{p.name}: no tags")
            elif p.name.endswith(".tar.gz"):
                got_name, got_version = parse_sdist_filename(p.name)
            else:
                problems.append(f"{p.name}: neither a wheel nor an sdist")
                continue
        except (InvalidWheelFilename, InvalidSdistFilename) as exc:
            problems.append(f"{p.name}: {exc}")
            continue
        if got_name != want_name:
            problems.append(f"{p.name}: project {got_name}, expected {want_name}")
        if got_version != want:
            problems.append(f"{p.name}: version {got_version}, expected {want}")
    return problems


def fetch_artifacts(
    forge: Forge,
    run_id: int,
    *,
    dest: Path,
    cache: Path,
    name: str,
    version: str,
    expected: Sequence[str] = (),
    workers: int = 8,
    storage_transport: Any = None,
) -> FetchReport:
    """Download, unpack and check the artifacts of run ``run_id`` into ``dest``.

    ``expected`` are the expected build identifiers (:mod:`relman.matrix`);
    a wheel set that does not cover them, or a wheel with the wrong name,
    version or tags, is a :class:`CheckFailed` after the download (the files
    stay in ``dest`` for inspection; nothing else is touched).
    """
    import httpx

    from relman._atomic import sha256_file
    from relman.artifacts import match_wheels, wheel_identifiers

    artifacts = list_artifacts(forge, run_id)
    if not artifacts:
        raise CheckFailed(
            f"run {run_id} has no artifacts",
            hint="check that the run built the release (`relman ci status RUN`)",
        )
    expired = [a.name for a in artifacts if a.expired]
    if expired:
        raise RemoteError(
            f"artifacts of run {run_id} have expired: {', '.join(expired)}",
            hint="re-run the workflow (`relman ci run`) to build them again",
        )
    cache.mkdir(parents=True, exist_ok=True)
    dest.mkdir(parents=True, exist_ok=True)
    total = sum(a.size for a in artifacts)
    downloaded: list[str] = []
    reused: list[str] = []
    with (
        httpx.Client(timeout=60.0, follow_redirects=True, transport=storage_transport) as storage,
        _report.progress(f"artifacts of run {run_id}", total) as bar,
        ThreadPoolExecutor(max_workers=max(1, workers)) as pool,
    ):
        futures = {
            a.name: pool.submit(_download, forge, storage, a, cache / f"{a.id}-{a.name}.zip", bar)
            for a in artifacts
        }
        for a in artifacts:
            (downloaded if futures[a.name].result() else reused).append(a.name)
    files: list[FetchedFile] = []
    for a in artifacts:
        for path in safe_unzip(cache / f"{a.id}-{a.name}.zip", dest):
            files.append(FetchedFile(path.name, a.name, sha256_file(path), path.stat().st_size))
    paths = [dest / f.filename for f in files]
    problems = check_wheel_names(paths, name=name, version=version)
    wheels = {p.name: wheel_identifiers(p.name) for p in paths if p.name.endswith(".whl")}
    missing, unexpected = match_wheels(list(expected), wheels) if expected else ([], [])
    problems += [f"{u}: not in the expected matrix" for u in unexpected]
    report = FetchReport(
        run_id=run_id,
        files=tuple(sorted(files, key=lambda f: f.filename)),
        downloaded=tuple(downloaded),
        reused=tuple(reused),
        missing=tuple(missing),
        problems=tuple(problems),
    )
    if problems or missing:
        lines = [*problems, *(f"missing: {m}" for m in missing)]
        raise CheckFailed(
            f"the artifacts of run {run_id} are not the release's wheels:\n  " + "\n  ".join(lines),
            hint="fix the workflow or the configuration, then run it again (`relman ci run`)",
        )
    return report


def parse_source(source: str) -> int | None:
    """``github-actions`` -> None (find the run), ``github-actions:123`` -> 123."""
    head, _, run = source.partition(":")
    if head != "github-actions":
        raise UsageError(f"{source!r} is not github-actions[:RUN]")
    if not run:
        return None
    if not run.isdigit():
        raise UsageError(f"run id {run!r} is not a number", hint="pass --from github-actions:RUN")
    return int(run)
