"""Publishing: the resumable upload of a release's files.

:func:`publish_files` reads what the index has, skips files present with the
same sha256, refuses (before uploading anything) files present with a
different sha256, uploads wheels in parallel and the sdist strictly last,
retries transient failures with exponential backoff and jitter, treats "file
already exists" as success only when the index shows the same sha256, and
re-reads the index to verify every file at the end.

Before the first upload only the listing (one request, read while every
file's metadata is judged) and the digests of the files the index already
lists are needed; every other file is read once, just before its upload,
and hashed from the bytes that are sent, in the upload's own thread (unless
this process hashed the unchanged file before: a release's checksums).

The listing needs only the files' names: :func:`start_listing` asks for it
(and so opens the first connection, which the uploads then reuse) before
anything else is loaded, and ``relman publish`` calls it before the CLI
loads its commands; :func:`publish_files` takes the started listing when it
was started for the same target, files and connections.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from relman import _redact, _report
from relman._atomic import sha256_file
from relman._fault import fault_point
from relman._record import record
from relman.errors import CheckFailed, RemoteError, UsageError

if TYPE_CHECKING:
    from relman.config import Config

from relman.index.client import IndexClient
from relman.index.dists import (
    DistFile,
    describe_file,
    digest_fields,
    metadata_fields,
    project_of,
    read_for_upload,
    with_digests,
)
from relman.index.listing import _hashes
from relman.index.local import LocalIndex
from relman.index.targets import Target

_T = TypeVar("_T")

__all__ = [
    "FileResult",
    "PublishPlan",
    "PublishReport",
    "StartedListing",
    "conflict_error",
    "failure_error",
    "plan_publish",
    "publish_files",
    "start_listing",
]


@record
class FileResult:
    """What happened (or would happen) to one file.

    ``action``: ``upload``, ``skip`` (on the index with the same sha256) or
    ``conflict`` (on the index with a different sha256).
    ``status``: ``planned``, ``uploaded``, ``exists`` (the index answered
    "already exists" and shows the same sha256), ``skipped``, ``failed`` or
    ``held`` (an sdist not sent because a wheel failed).
    """

    filename: str
    path: Path
    kind: str
    size: int
    sha256: str
    action: str
    status: str = "planned"
    attempts: int = 0
    verified: bool = False
    index_sha256: str | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "filename": self.filename,
            "path": str(self.path),
            "kind": self.kind,
            "size": self.size,
            "sha256": self.sha256,
            "action": self.action,
            "status": self.status,
            "attempts": self.attempts,
            "verified": self.verified,
            "index_sha256": self.index_sha256,
            "error": self.error,
        }


@record
class PublishPlan:
    target: Target
    files: tuple[FileResult, ...]

    @property
    def conflicts(self) -> list[FileResult]:
        return [f for f in self.files if f.action == "conflict"]

    @property
    def uploads(self) -> list[FileResult]:
        return [f for f in self.files if f.action == "upload"]

    @property
    def skips(self) -> list[FileResult]:
        return [f for f in self.files if f.action == "skip"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target.describe(),
            "upload": [f.filename for f in self.uploads],
            "skip": [f.filename for f in self.skips],
            "conflict": [f.filename for f in self.conflicts],
            "files": [f.as_dict() for f in self.files],
        }


@record
class PublishReport:
    target: Target
    files: tuple[FileResult, ...]
    seconds: float

    @property
    def ok(self) -> bool:
        """True when every file is on the index with the right sha256."""
        return all(f.verified for f in self.files)

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "target": self.target.describe(),
            "seconds": round(self.seconds, 3),
            "uploaded": self.count("uploaded") + self.count("exists"),
            "skipped": self.count("skipped"),
            "failed": sum(1 for f in self.files if not f.verified),
            "files": [f.as_dict() for f in self.files],
        }


def _order(dists: Sequence[DistFile]) -> list[DistFile]:
    return sorted(dists, key=lambda d: (d.kind == "sdist", d.filename))


def _describe_all(files: Sequence[Path], *, digests: bool = True) -> list[DistFile]:
    if not files:
        raise UsageError("no distribution files to publish", hint="build them first: relman build")
    dists = [describe_file(Path(p), digests=digests) for p in files]
    names = [d.filename for d in dists]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise UsageError(f"the same file name is given twice: {', '.join(dupes)}")
    return _order(dists)


def _index_state(
    target: Target, client: IndexClient | None, dists: Sequence[DistFile]
) -> dict[str, str]:
    """Filename -> sha256 on the index, for the files of ``dists``' projects."""
    wanted = {d.filename for d in dists}
    projects = {d.project for d in dists}
    if target.kind != "local":
        assert client is not None
        return _remote_state(client, projects, wanted)
    assert target.directory is not None
    out: dict[str, str] = {}
    for project in sorted(projects):
        for f in LocalIndex(target.directory).project_files(project):
            if f.filename in wanted:
                path = target.directory / "simple" / project / f.filename
                out[f.filename] = sha256_file(path) if path.is_file() else ""
    return out


def _remote_state(
    client: IndexClient, projects: Collection[str], wanted: Collection[str]
) -> dict[str, str]:
    out: dict[str, str] = {}
    for project in sorted(projects):
        out.update(_hashes(client, client.project_files(project), wanted))
    return out


def _plan(target: Target, dists: Sequence[DistFile], present: Mapping[str, str]) -> PublishPlan:
    rows = []
    for d in dists:
        there = present.get(d.filename)
        action = "upload" if there is None else ("skip" if there == d.sha256 else "conflict")
        rows.append(
            FileResult(
                filename=d.filename,
                path=d.path,
                kind=d.kind,
                size=d.size,
                sha256=d.sha256,
                action=action,
                index_sha256=there,
            )
        )
    return PublishPlan(target=target, files=tuple(rows))


def conflict_error(plan: PublishPlan) -> CheckFailed:
    lines = [
        f"{f.filename}: index has sha256 {f.index_sha256}, local file {f.sha256}"
        for f in plan.conflicts
    ]
    return CheckFailed(
        "the index already has different files under these names; nothing was uploaded:\n  "
        + "\n  ".join(lines),
        hint="a published file can never be replaced: publish exactly the files that were "
        "released, or release a new version",
    )


def plan_publish(config: Config, files: Sequence[Path], target: Target) -> PublishPlan:
    """What :func:`publish_files` would do: upload, skip or conflict for each file. Changes nothing."""
    dists = _describe_all(files)
    if target.kind == "local":
        return _plan(target, dists, _index_state(target, None, dists))
    with IndexClient.for_config(config, target) as client:
        return _plan(target, dists, _index_state(target, client, dists))


def _started(work: Callable[[], _T]) -> Callable[[], _T]:
    """``work`` started now in a thread of its own (in a copy of this context); the
    function returned waits for it and returns its result or raises its error."""
    done: list[tuple[bool, Any]] = []

    def run() -> None:
        try:
            done.append((True, work()))
        except BaseException as exc:
            done.append((False, exc))

    thread = threading.Thread(
        target=contextvars.copy_context().run, args=(run,), name="relman-listing", daemon=True
    )
    thread.start()

    def result() -> _T:
        thread.join()
        ok, value = done[0]
        if not ok:
            raise value
        return cast(_T, value)

    return result


class StartedListing:
    """The listing of a publish's files on a remote index, asked for by
    :func:`start_listing` before the files are described.

    What it reports while it reads (retries, where devpi-server keeps its
    listing) is kept and passed on, in order, by the thread that takes its
    result: it may start before a reporter is installed.
    """

    def __init__(
        self, config: Config, target: Target, files: Sequence[Path], connections: int
    ) -> None:
        self.config = config
        self.target = target
        self.names = frozenset(Path(p).name for p in files)
        self.projects = frozenset(filter(None, (project_of(n) for n in self.names)))
        self.connections = connections
        self.client = IndexClient.for_config(config, target, connections=connections)
        self._recorder = _report.Recorder()
        with _report.use_reporter(self._recorder):
            self._result = _started(
                functools.partial(_remote_state, self.client, self.projects, self.names)
            )

    def serves(
        self, config: Config, target: Target, dists: Sequence[DistFile], connections: int
    ) -> bool:
        """Whether this is the listing :func:`publish_files` would ask for."""
        return (
            config is self.config
            and target is self.target
            and connections == self.connections
            and {d.filename for d in dists} == self.names
            and {d.project for d in dists} == self.projects
        )

    def result(self) -> dict[str, str]:
        """Filename -> sha256 on the index (waited for); raises what reading it raised."""
        try:
            return self._result()
        finally:
            self._recorder.replay()

    def close(self) -> None:
        self.client.close()


def start_listing(
    config: Config, target: Target, files: Sequence[Path], *, workers: int | None = None
) -> StartedListing | None:
    """Ask ``target`` now what it lists of ``files`` (their names are enough), on the
    connections ``publish_files(config, files, target, workers=workers)`` then uses.

    None for a local target (there is nothing to wait for) and for file names
    that name no project (``publish_files`` refuses them).
    """
    if target.kind == "local" or not files or any(project_of(Path(p).name) is None for p in files):
        return None
    return StartedListing(config, target, files, _workers(config, workers))


def _workers(config: Config, workers: int | None) -> int:
    return max(1, workers if workers is not None else config.publish.workers)


def publish_files(
    config: Config,
    files: Sequence[Path],
    target: Target,
    *,
    workers: int | None = None,
    listing: StartedListing | None = None,
) -> PublishReport:
    """Publish ``files`` to ``target``: wheels in parallel, the sdist last, then verify.

    Raises :class:`CheckFailed` before uploading anything when the index has a
    different file under one of the names. Upload failures do not raise: the
    report says which files failed (``report.ok`` is False) and a new run
    resumes where this one stopped. ``listing``: the listing
    :func:`start_listing` started for these arguments (closed here, used when
    it was started for them).
    """
    started = time.monotonic()
    n_workers = _workers(config, workers)
    try:
        dists = _describe_all(files, digests=False)
    except BaseException:
        if listing is not None:
            listing.close()
        raise
    if listing is not None and not listing.serves(config, target, dists, n_workers):
        listing.close()
        listing = None
    client = (
        None
        if target.kind == "local"
        else listing.client
        if listing is not None
        else IndexClient.for_config(config, target, connections=n_workers)
    )
    try:
        # read the index while the metadata of every file is judged and its form made
        read_listing = (
            listing.result
            if listing is not None
            else _started(functools.partial(_index_state, target, client, dists))
        )
        import concurrent.futures  # (imported while the listing is asked for)

        forms: dict[str, list[tuple[str, str]] | UsageError] = {}
        if client is not None:
            for d in dists:
                try:
                    forms[d.filename] = metadata_fields(d, public=target.public)
                except UsageError as exc:
                    forms[d.filename] = exc
        present = read_listing()
        # only the files the index lists are hashed now (to skip or to refuse them)
        dists = [with_digests(d) if d.filename in present else d for d in dists]
        by_name = {d.filename: d for d in dists}
        plan = _plan(target, dists, present)
        if plan.conflicts:
            raise conflict_error(plan)
        for row in plan.uploads:
            form = forms.get(row.filename)
            if isinstance(form, UsageError):
                raise form  # invalid metadata: refused before anything is uploaded
        results: dict[str, FileResult] = {
            f.filename: replace(f, status="skipped") if f.action == "skip" else f
            for f in plan.files
        }
        todo = [by_name[f.filename] for f in plan.uploads]
        wheels = [d for d in todo if d.kind != "sdist"]
        sdists = [d for d in todo if d.kind == "sdist"]
        total = sum(d.size for d in todo)
        if todo:
            _report.info(
                f"uploading {len(todo)} file{'s' if len(todo) != 1 else ''} to {target.name}"
                + (f", skipping {len(plan.skips)} already there" if plan.skips else "")
            )
        with _report.progress(f"upload {len(todo)} files", total=total or None) as bar:
            lock = threading.Lock()

            def advance(n: int) -> None:
                with lock:
                    bar.advance(n)

            refused = threading.Event()

            def send(d: DistFile) -> FileResult:
                if refused.is_set():
                    return replace(
                        results[d.filename],
                        status="failed",
                        error="not attempted: the index refused the credentials",
                    )
                form = forms.get(d.filename)
                return _send_one(
                    target,
                    client,
                    d,
                    results[d.filename],
                    advance,
                    form if isinstance(form, list) else None,
                    refused,
                )

            if wheels:
                with concurrent.futures.ThreadPoolExecutor(
                    max_workers=min(n_workers, len(wheels)), thread_name_prefix="relman-upload"
                ) as pool:
                    contexts = [contextvars.copy_context() for _ in wheels]
                    for res in pool.map(lambda c, d: c.run(send, d), contexts, wheels):
                        results[res.filename] = res
            wheels_ok = all(results[d.filename].status in ("uploaded", "exists") for d in wheels)
            fault_point("publish:mid")  # wheels on the index, sdist not yet
            for d in sdists:
                if wheels_ok:
                    results[d.filename] = send(d)
                else:
                    results[d.filename] = replace(
                        results[d.filename],
                        status="held",
                        error="not uploaded: the sdist goes last, after every wheel is on the index",
                    )
        # a file never read for its upload (held back, not attempted) is hashed for the
        # report; one that cannot be read is reported without its sha256
        for name, row in results.items():
            if not row.sha256:
                with contextlib.suppress(OSError):
                    results[name] = replace(row, sha256=with_digests(by_name[name]).sha256)
        final = _verify(config, target, client, dists, results)
    finally:
        if client is not None:
            client.close()
    return PublishReport(
        target=target,
        files=tuple(final[d.filename] for d in dists),
        seconds=time.monotonic() - started,
    )


def _send_one(
    target: Target,
    client: IndexClient | None,
    dist: DistFile,
    row: FileResult,
    advance: Callable[[int], None],
    fields: Sequence[tuple[str, str]] | None = None,
    refused: threading.Event | None = None,
) -> FileResult:
    """Upload one file; the row returned carries the digests of the bytes sent."""
    try:
        dist, data = read_for_upload(dist)
    except OSError as exc:
        return replace(row, status="failed", error=f"{type(exc).__name__}: {exc}")
    row = replace(row, sha256=dist.sha256)
    if target.kind == "local":
        assert target.directory is not None
        try:
            status = LocalIndex(target.directory).add(dist, data)
        except (OSError, CheckFailed) as exc:
            return replace(row, status="failed", attempts=1, error=str(exc))
        advance(dist.size)
        return replace(row, status=status, attempts=1)
    assert client is not None
    try:
        code, attempts, text = client.upload(
            dist, advance, None if fields is None else [*fields, *digest_fields(dist)], data
        )
    except RemoteError as exc:
        return replace(row, status="failed", error=exc.message)
    except OSError as exc:
        return replace(row, status="failed", error=f"{type(exc).__name__}: {exc}")
    if 200 <= code < 300:
        _report.debug(f"uploaded {dist.filename}")
        return replace(row, status="uploaded", attempts=attempts)
    if code == 409 or (code == 400 and "exist" in text.lower()):
        # "already exists": a success only if the index shows the very same bytes
        return _check_existing(client, dist, replace(row, attempts=attempts))
    reason = text
    hint = ""
    if 300 <= code < 400:
        hint = " (the index redirects uploads: publish to the upload URL itself)"
    if code in (401, 403):
        if refused is not None:
            refused.set()  # the other files would be refused too: do not send them
        hint = (
            " (credentials missing or refused: set RELMAN_INDEX_TOKEN or "
            "TWINE_USERNAME/TWINE_PASSWORD, or add them to ~/.pypirc)"
        )
    return replace(
        row,
        status="failed",
        attempts=attempts,
        error=client.redact(f"HTTP {code}: {reason}{hint}".strip()),
    )


def _check_existing(client: IndexClient, dist: DistFile, row: FileResult) -> FileResult:
    for attempt in range(3):
        try:
            files = {
                f.filename: f
                for f in client.project_files(dist.project)
                if f.filename == dist.filename
            }
            found = _hashes(client, list(files.values()))
        except RemoteError as exc:
            return replace(row, status="failed", error=exc.message)
        there = found.get(dist.filename)
        if there == dist.sha256:
            return replace(row, status="exists", index_sha256=there)
        if there is not None:
            return replace(
                row,
                status="failed",
                index_sha256=there,
                error=f"the index already has a different {dist.filename} (sha256 {there})",
            )
        time.sleep(client.backoff * (attempt + 1))
    return replace(
        row,
        status="failed",
        error="the index answered 'already exists' but does not list the file",
    )


def _verify(
    config: Config,
    target: Target,
    client: IndexClient | None,
    dists: Sequence[DistFile],
    results: Mapping[str, FileResult],
) -> dict[str, FileResult]:
    """Re-read the index; mark each file verified when it is there with the right sha256.

    An index's listing can lag behind its uploads (a CDN in front of it): files
    sent but not listed yet are waited for, re-reading with a doubling delay
    (from ``publish.backoff``, at most 10 s) for at most
    ``publish.visibility-timeout`` seconds, and the wait is said.
    """
    expected = {name: row.sha256 for name, row in results.items()}
    present: dict[str, str] = {}
    error: str | None = None
    limit = config.publish.visibility_timeout
    start = time.monotonic()
    delay = max(client.backoff if client else 0.05, 0.05)
    waited_for: list[str] = []
    while True:
        try:
            present = _index_state(target, client, dists)
            error = None
        except RemoteError as exc:
            error = exc.message
        sent = [n for n, r in results.items() if r.status in ("uploaded", "exists", "skipped")]
        # only files that were sent are waited for; a file never sent cannot appear
        missing = [n for n in sent if present.get(n) != expected[n]]
        wrong = [n for n in missing if present.get(n) not in (None, expected[n])]
        elapsed = time.monotonic() - start
        if not missing or wrong or elapsed >= limit:
            break
        if not waited_for:
            where = client.simple_url if client else target.simple_url
            _report.info(
                f"waiting up to {limit:g}s (publish.visibility-timeout) for "
                f"{len(missing)} uploaded file(s) to show in {_redact.url(where)}: "
                + ", ".join(missing[:3])
                + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
            )
        waited_for = missing
        time.sleep(min(delay, max(limit - elapsed, 0.0)))
        delay = min(delay * 2, 10.0)
    if waited_for:
        seconds = time.monotonic() - start
        if missing:
            _report.info(
                f"after {seconds:.1f}s, {len(missing)} uploaded file(s) are still not listed"
            )
            error = error or (
                f"not listed by the index {seconds:.0f}s after upload "
                "(raise publish.visibility-timeout if its listing lags longer)"
            )
        else:
            _report.info(f"all uploaded files listed after {seconds:.1f}s")
    out = {}
    for name, row in results.items():
        there = present.get(name)
        ok = there == expected[name]
        new = replace(row, verified=ok, index_sha256=there)
        if not ok and new.status not in ("failed", "held"):
            new = replace(
                new,
                status="failed",
                error=error
                or (
                    "not on the index after upload"
                    if there is None
                    else f"the index shows sha256 {there}"
                ),
            )
        out[name] = new
    return out


# -- fetching wheels built elsewhere ---------------------------------------------


def failure_error(report: Any, target_name: str) -> Exception:
    """The one error a publish that did not get every file there ends with.

    It says what really failed: credentials refused (401/403), a file on the
    index with another sha256 (a check failure, exit 1), the sdist held back
    because a wheel failed, or files not there (exit 5 for the remote failures).
    """
    from relman.errors import CheckFailed, RemoteError

    failed = [f for f in report.files if not f.verified]
    names = ", ".join(f.filename for f in failed[:3])
    if len(failed) > 3:
        names += f" and {len(failed) - 3} more"
    resume = "run the same command again to resume; files already there are skipped"
    if any(f.index_sha256 and f.index_sha256 != f.sha256 for f in failed):
        return CheckFailed(
            f"{len(failed)} file(s) are on {target_name} with another sha256: {names}",
            hint="a file on an index cannot be replaced: release a new version",
        )
    refused = [f for f in failed if (f.error or "").startswith(("HTTP 401", "HTTP 403"))]
    if refused:
        return RemoteError(
            f"{target_name} refused the credentials ({(refused[0].error or '')[:9]}) "
            f"for {len(refused)} file(s): {names}",
            hint="check the token or password for this index, then " + resume,
        )
    unlisted = [f for f in failed if (f.error or "").startswith("not listed by the index")]
    if unlisted and len(unlisted) == len(failed):
        return RemoteError(
            f"{len(failed)} uploaded file(s) are not listed by {target_name} yet: {names}",
            hint="its listing lags behind its uploads: raise publish.visibility-timeout "
            "(seconds), or " + resume,
        )
    held = [f for f in failed if f.status == "held"]
    detail = f" ({len(held)} held back: the sdist goes last, after every wheel)" if held else ""
    return RemoteError(
        f"{len(failed)} file(s) are not on {target_name} with the right sha256{detail}: {names}",
        hint=resume,
    )
