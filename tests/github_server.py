"""One local HTTP server that answers like GitHub, for every endpoint relman's forge uses.

It serves GitHub's documented response shapes on 127.0.0.1:

- ``GET  /repos/{o}/{r}/milestones`` and ``GET /repos/{o}/{r}/issues`` (filters
  ``state``, ``milestone``, ``labels``; ``page_size`` items a page with a
  ``Link: rel="next"`` header, to exercise pagination);
- ``GET  /repos/{o}/{r}/releases/tags/{tag}``, ``POST /repos/{o}/{r}/releases``
  and ``POST {upload_url}?name=...`` for release assets;
- ``POST /graphql`` with ``pullRequest(number: N)`` aliases (``NOT_FOUND``
  errors for unknown numbers, as GitHub answers);
- releases as drafts: ``GET /repos/{o}/{r}/releases`` (drafts included, not by
  tag), ``PATCH /repos/{o}/{r}/releases/{id}``, ``GET .../releases/{id}/assets``;
- Actions: ``POST .../actions/workflows/{file}/dispatches`` (200 with
  ``workflow_run_id`` when ``return_run_details``, else 204), ``GET
  .../actions/workflows/{file}/runs`` (``head_sha``, ``event``, paginated),
  ``GET .../actions/runs/{id}``, ``.../jobs``, ``POST .../rerun-failed-jobs``,
  ``GET .../runs/{id}/artifacts`` (paginated) and ``GET
  .../actions/artifacts/{id}/zip``: a 302 to a second local storage server
  that refuses any ``Authorization`` header, as GitHub's storage does, or 410
  for an expired artifact;
- ``GET .../commits/{sha}/check-runs`` and ``.../commits/{sha}/status``.

Runs are scripted (:class:`ScriptedRun`): queued, then in progress, then
completed over ``duration`` seconds, with failing jobs if asked; a run with a
``build`` stays queued while it makes its artifacts in the background, so a
dispatch is answered at once however long the build takes;
``rate_limits`` queues 403/429 answers with reset headers. Every request is
recorded; ``fail = True`` makes every answer a 502; ``echo_auth = True`` answers
every request 401 with its ``Authorization`` header in the message.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

TOKEN = "ghp_test_token_0123456789"


@dataclass
class FakeGitHub:
    url: str = ""
    token: str = TOKEN
    fail: bool = False
    page_size: int = 100
    issues: list[dict[str, Any]] = field(default_factory=list)
    milestones: list[dict[str, Any]] = field(default_factory=list)
    releases: list[dict[str, Any]] = field(default_factory=list)
    uploads: dict[str, bytes] = field(default_factory=dict)
    titles: dict[int, str] = field(default_factory=dict)
    labels: dict[int, list[str]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    # answer every request 401 with the Authorization header echoed in the message
    # (as some proxies and misconfigured gateways do)
    echo_auth: bool = False
    # Actions
    runs: list[ScriptedRun] = field(default_factory=list)
    artifacts: dict[int, Blob] = field(default_factory=dict)
    #: called with (dispatch body) to make the run a dispatch starts
    on_dispatch: Callable[[dict[str, Any]], ScriptedRun] | None = None
    return_run_details: bool = True
    #: answers served before the next API request: (status, seconds until reset)
    rate_limits: list[tuple[int, float]] = field(default_factory=list)
    check_runs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    statuses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    storage_url: str = ""
    storage_requests: list[dict[str, Any]] = field(default_factory=list)
    latency: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_run(self, run: ScriptedRun) -> ScriptedRun:
        run.id = 1000 + len(self.runs)
        self.runs.append(run)
        if run.build is None:
            self._add_blobs(run.blobs)
        else:  # the dispatch is answered at once; the run builds meanwhile, as on GitHub
            threading.Thread(target=self._build, args=(run,), daemon=True).start()
        return run

    def _add_blobs(self, blobs: list[Blob]) -> None:
        with self._lock:
            for blob in blobs:
                blob.id = 5000 + len(self.artifacts)
                self.artifacts[blob.id] = blob

    def _build(self, run: ScriptedRun) -> None:
        assert run.build is not None
        try:
            blobs = run.build()
        except Exception:
            blobs, run.failing = [], {*run.failing, run.jobs[0]}
        self._add_blobs(blobs)
        run.blobs = blobs
        run.started = time.time()
        run.built.set()

    @property
    def seen(self) -> list[str]:
        return [r["path"] for r in self.requests]


@dataclass
class Blob:
    """An artifact: its name and zip bytes; ``expired`` answers 410."""

    name: str
    data: bytes
    expired: bool = False
    id: int = 0


@dataclass
class ScriptedRun:
    """A workflow run that moves from queued to completed over ``duration`` seconds."""

    head_sha: str
    event: str = "workflow_dispatch"
    workflow: str = "release.yml"
    jobs: list[str] = field(default_factory=lambda: ["sdist", "wheels", "check"])
    failing: set[str] = field(default_factory=set)
    duration: float = 1.0
    blobs: list[Blob] = field(default_factory=list)
    inputs: dict[str, Any] = field(default_factory=dict)
    started: float = field(default_factory=time.time)
    id: int = 0
    attempt: int = 1
    #: what the run's jobs upload, made in the background after the dispatch is answered
    build: Callable[[], list[Blob]] | None = None
    built: threading.Event = field(default_factory=threading.Event)

    def phase(self) -> str:
        if self.build is not None and not self.built.is_set():
            return "queued"
        elapsed = time.time() - self.started
        if elapsed < self.duration * 0.3:
            return "queued"
        if elapsed < self.duration:
            return "in_progress"
        return "completed"

    def conclusion(self) -> str | None:
        if self.phase() != "completed":
            return None
        return "failure" if self.failing else "success"


def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def make_zip(files: dict[str, bytes]) -> bytes:
    """Zip bytes with ``files`` (names may be hostile, like ``../x``)."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def make_issue(
    number: int,
    title: str,
    *,
    repo: str = "octo/demo",
    labels: tuple[str, ...] = (),
    milestone: dict[str, Any] | None = None,
    pr: bool = False,
) -> dict[str, Any]:
    """An issue (or pull request) as GitHub's REST API lists it."""
    item: dict[str, Any] = {
        "number": number,
        "title": title,
        "state": "open",
        "html_url": f"https://github.com/{repo}/issues/{number}",
        "labels": [{"id": n, "name": name, "color": "ededed"} for n, name in enumerate(labels)],
        "milestone": milestone,
        "user": {"login": "ada"},
    }
    if pr:
        item["pull_request"] = {"url": f"https://api.github.com/repos/{repo}/pulls/{number}"}
    return item


def _handler(gh: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, code: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _start(self, method: str, body: bytes = b"") -> bool:
            record: dict[str, Any] = {
                "method": method,
                "path": self.path,
                "auth": self.headers.get("Authorization"),
            }
            if body and self.headers.get("Content-Type", "").startswith("application/json"):
                record.update(json.loads(body))
            gh.requests.append(record)
            if gh.latency:
                time.sleep(gh.latency)
            if gh.rate_limits:
                code, reset_in = gh.rate_limits.pop(0)
                headers = {
                    "x-ratelimit-limit": "5000",
                    "x-ratelimit-remaining": "0",
                    "x-ratelimit-reset": str(int(time.time() + reset_in + 0.999)),
                }
                if code == 429:
                    headers = {"retry-after": str(int(reset_in + 0.999))}
                self._send(code, {"message": "API rate limit exceeded"}, headers)
                return False
            if gh.fail:
                self._send(502, {"message": "Bad Gateway"})
                return False
            if gh.echo_auth:
                auth = self.headers.get("Authorization")
                self._send(
                    401,
                    {
                        "message": f"Bad credentials: Authorization: {auth} was refused",
                        "token": (auth or "").split(" ")[-1],
                        "documentation_url": "https://docs.github.com/rest",
                    },
                )
                return False
            if self.headers.get("Authorization") != f"Bearer {gh.token}":
                self._send(
                    401,
                    {
                        "message": "Bad credentials",
                        "documentation_url": "https://docs.github.com/rest",
                    },
                )
                return False
            return True

        def do_GET(self) -> None:
            if not self._start("GET"):
                return
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            parts = url.path.strip("/").split("/")
            if len(parts) == 4 and parts[0] == "repos" and parts[3] == "milestones":
                self._send(200, gh.milestones)
                return
            if len(parts) == 4 and parts[0] == "repos" and parts[3] == "issues":
                self._issues(url.path, query)
                return
            if len(parts) == 6 and parts[0] == "repos" and parts[3:5] == ["releases", "tags"]:
                for release in gh.releases:
                    if release["tag_name"] == parts[5] and not release["draft"]:
                        self._send(200, release)
                        return
            if parts[:1] == ["repos"] and parts[3:4] == ["releases"] and len(parts) == 4:
                self._page(url.path, query, gh.releases, None)
                return
            if parts[:1] == ["repos"] and parts[3:4] == ["releases"] and parts[5:] == ["assets"]:
                self._send(200, gh.releases[int(parts[4]) - 1]["assets"])
                return
            if (
                parts[:1] == ["repos"]
                and parts[3:4] == ["actions"]
                and self._actions_get(url.path, parts[4:], query)
            ):
                return
            if parts[:1] == ["repos"] and parts[3:4] == ["commits"] and len(parts) == 6:
                sha = parts[4]
                if parts[5] == "check-runs":
                    self._page(url.path, query, gh.check_runs.get(sha, []), "check_runs")
                    return
                if parts[5] == "status":
                    statuses = gh.statuses.get(sha, [])
                    states = {st["state"] for st in statuses}
                    combined = (
                        "failure"
                        if states & {"failure", "error"}
                        else "pending"
                        if "pending" in states or not statuses
                        else "success"
                    )
                    self._send(
                        200,
                        {
                            "state": combined,
                            "sha": sha,
                            "total_count": len(statuses),
                            "statuses": statuses,
                        },
                    )
                    return
            self._send(
                404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}
            )

        def _page(
            self, path: str, query: dict[str, str], items: list[Any], key: str | None
        ) -> None:
            page = int(query.get("page", "1"))
            size = min(gh.page_size, int(query.get("per_page", "30")))
            chunk = items[(page - 1) * size : page * size]
            headers = {}
            if page * size < len(items):
                link = urlencode({**query, "page": str(page + 1)})
                headers["Link"] = f'<http://{self.headers["Host"]}{path}?{link}>; rel="next"'
            body: Any = chunk if key is None else {"total_count": len(items), key: chunk}
            self._send(200, body, headers)

        def _run_json(self, run: ScriptedRun) -> dict[str, Any]:
            return {
                "id": run.id,
                "name": "release",
                "head_branch": "main",
                "head_sha": run.head_sha,
                "path": f".github/workflows/{run.workflow}",
                "run_attempt": run.attempt,
                "event": run.event,
                "status": run.phase(),
                "conclusion": run.conclusion(),
                "workflow_id": 161335,
                "html_url": f"https://github.com/octo/demo/actions/runs/{run.id}",
                "created_at": _iso(run.started),
                "updated_at": _iso(time.time()),
            }

        def _jobs_json(self, run: ScriptedRun) -> list[dict[str, Any]]:
            phase = run.phase()
            out = []
            for n, name in enumerate(run.jobs):
                done = phase == "completed"
                out.append(
                    {
                        "id": run.id * 100 + n,
                        "run_id": run.id,
                        "run_attempt": run.attempt,
                        "name": name,
                        "status": phase,
                        "conclusion": (
                            ("failure" if name in run.failing else "success") if done else None
                        ),
                        "started_at": None if phase == "queued" else _iso(run.started),
                        "completed_at": _iso(run.started + run.duration) if done else None,
                        "html_url": f"https://github.com/octo/demo/actions/runs/{run.id}/job/{n}",
                    }
                )
            return out

        def _find_run(self, rid: int) -> ScriptedRun | None:
            return next((r for r in gh.runs if r.id == rid), None)

        def _actions_get(self, path: str, rest: list[str], query: dict[str, str]) -> bool:
            if len(rest) == 3 and rest[0] == "workflows" and rest[2] == "runs":
                runs = [
                    r
                    for r in reversed(gh.runs)
                    if r.workflow == rest[1]
                    and r.head_sha == query.get("head_sha", r.head_sha)
                    and r.event == query.get("event", r.event)
                ]
                self._page(path, query, [self._run_json(r) for r in runs], "workflow_runs")
                return True
            if len(rest) >= 2 and rest[0] == "runs":
                run = self._find_run(int(rest[1]))
                if run is None:
                    return False
                if len(rest) == 2:
                    self._send(200, self._run_json(run))
                elif rest[2:] == ["jobs"]:
                    self._page(path, query, self._jobs_json(run), "jobs")
                elif rest[2:] == ["artifacts"]:
                    items = [
                        {
                            "id": b.id,
                            "node_id": f"MDg6QXJ0aWZhY3Qx{b.id}",
                            "name": b.name,
                            "size_in_bytes": len(b.data),
                            "url": f"{gh.url}/repos/octo/demo/actions/artifacts/{b.id}",
                            "archive_download_url": (
                                f"{gh.url}/repos/octo/demo/actions/artifacts/{b.id}/zip"
                            ),
                            "expired": b.expired,
                            "digest": "sha256:" + hashlib.sha256(b.data).hexdigest(),
                            "created_at": _iso(run.started),
                            "workflow_run": {"id": run.id, "head_sha": run.head_sha},
                        }
                        for b in run.blobs
                    ]
                    self._page(path, query, items, "artifacts")
                else:
                    return False
                return True
            if len(rest) == 3 and rest[0] == "artifacts" and rest[2] == "zip":
                blob = gh.artifacts.get(int(rest[1]))
                if blob is None:
                    return False
                if blob.expired:
                    self._send(410, {"message": "Artifact has expired"})
                    return True
                self.send_response(302)
                self.send_header("Location", f"{gh.storage_url}/blobs/{blob.id}?sig=abc")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return True
            return False

        def _issues(self, path: str, query: dict[str, str]) -> None:
            items = [i for i in gh.issues if i["state"] == query.get("state", "open")]
            if "milestone" in query:
                items = [
                    i
                    for i in items
                    if i["milestone"] and str(i["milestone"]["number"]) == query["milestone"]
                ]
            if "labels" in query:
                wanted = set(query["labels"].split(","))
                items = [i for i in items if wanted <= {label["name"] for label in i["labels"]}]
            page = int(query.get("page", "1"))
            size = min(gh.page_size, int(query.get("per_page", "30")))
            chunk = items[(page - 1) * size : page * size]
            headers = {}
            if page * size < len(items):
                link = urlencode({**query, "page": str(page + 1)})
                headers["Link"] = f'<http://{self.headers["Host"]}{path}?{link}>; rel="next"'
            self._send(200, chunk, headers)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if not self._start("POST", body):
                return
            url = urlsplit(self.path)
            parts = url.path.strip("/").split("/")
            if url.path == "/graphql":
                self._graphql(json.loads(body))
            elif len(parts) == 4 and parts[0] == "repos" and parts[3] == "releases":
                self._create_release(parts[1], parts[2], json.loads(body))
            elif parts[:1] == ["uploads"] and parts[-1] == "assets":
                self._upload(int(parts[-2]), parse_qs(url.query)["name"][0], body)
            elif parts[3:5] == ["actions", "workflows"] and parts[6:] == ["dispatches"]:
                data = json.loads(body)
                if gh.on_dispatch is None:
                    self._send(404, {"message": "Not Found"})
                    return
                run = gh.add_run(gh.on_dispatch(data))
                run.workflow = parts[5]
                run.inputs = data.get("inputs", {})
                if data.get("return_run_details") and gh.return_run_details:
                    self._send(
                        200,
                        {
                            "workflow_run_id": run.id,
                            "run_url": f"{gh.url}/repos/{parts[1]}/{parts[2]}/actions/runs/{run.id}",
                            "html_url": f"https://github.com/{parts[1]}/{parts[2]}/actions/runs/{run.id}",
                        },
                    )
                else:
                    self.send_response(204)
                    self.end_headers()
            elif parts[3:5] == ["actions", "runs"] and parts[6:] == ["rerun-failed-jobs"]:
                run = self._find_run(int(parts[5]))
                if run is None:
                    self._send(404, {"message": "Not Found"})
                    return
                run.failing = set()
                run.attempt += 1
                run.started = time.time()
                self._send(201, {})
            else:
                self._send(404, {"message": "Not Found"})

        def do_PATCH(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if not self._start("PATCH", body):
                return
            parts = urlsplit(self.path).path.strip("/").split("/")
            if parts[:1] == ["repos"] and parts[3:4] == ["releases"] and len(parts) == 5:
                release = gh.releases[int(parts[4]) - 1]
                release.update(json.loads(body))
                self._send(200, release)
            else:
                self._send(404, {"message": "Not Found"})

        def _graphql(self, body: dict[str, Any]) -> None:
            repo: dict[str, Any] = {}
            errors = []
            for alias, number in re.findall(r"(\w+): pullRequest\(number: (\d+)\)", body["query"]):
                n = int(number)
                if n in gh.titles:
                    repo[alias] = {
                        "number": n,
                        "title": gh.titles[n],
                        "url": f"https://github.com/o/r/pull/{n}",
                        "labels": {"nodes": [{"name": x} for x in gh.labels.get(n, [])]},
                    }
                else:
                    repo[alias] = None
                    errors.append(
                        {
                            "type": "NOT_FOUND",
                            "path": ["repository", alias],
                            "locations": [{"line": 3, "column": 5}],
                            "message": f"Could not resolve to a PullRequest with the number of {n}.",
                        }
                    )
            answer: dict[str, Any] = {"data": {"repository": repo}}
            if errors:
                answer["errors"] = errors
            self._send(200, answer)

        def _create_release(self, owner: str, name: str, data: dict[str, Any]) -> None:
            rid = len(gh.releases) + 1
            release = {
                "id": rid,
                "tag_name": data["tag_name"],
                "name": data.get("name"),
                "body": data.get("body"),
                "draft": data.get("draft", False),
                "prerelease": data.get("prerelease", False),
                "html_url": f"{gh.url}/{owner}/{name}/releases/tag/{data['tag_name']}",
                "upload_url": f"{gh.url}/uploads/repos/{owner}/{name}/releases/{rid}/assets{{?name,label}}",
                "assets": [],
            }
            gh.releases.append(release)
            self._send(201, release)

        def _upload(self, rid: int, name: str, body: bytes) -> None:
            asset = {
                "id": len(gh.uploads) + 1,
                "name": name,
                "size": len(body),
                "state": "uploaded",
                "content_type": self.headers.get("Content-Type"),
            }
            gh.releases[rid - 1]["assets"].append(asset)
            gh.uploads[name] = body
            self._send(201, asset)

    return Handler


def _storage_handler(gh: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Storage(BaseHTTPRequestHandler):
        """Signed-URL blob storage: refuses a request that carries a token."""

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            auth = self.headers.get("Authorization")
            gh.storage_requests.append({"path": self.path, "auth": auth})
            if gh.latency:
                time.sleep(gh.latency)
            parts = urlsplit(self.path).path.strip("/").split("/")
            blob = gh.artifacts.get(int(parts[1])) if parts[:1] == ["blobs"] else None
            if auth is not None:
                data = b"<Error><Code>InvalidAuthenticationInfo</Code></Error>"
                self.send_response(400)
            elif blob is None:
                data = b"<Error><Code>BlobNotFound</Code></Error>"
                self.send_response(404)
            else:
                data = blob.data
                self.send_response(200)
                self.send_header("Content-Type", "application/zip")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Storage


@contextmanager
def fake_github() -> Iterator[FakeGitHub]:
    state = FakeGitHub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    storage = ThreadingHTTPServer(("127.0.0.1", 0), _storage_handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    state.storage_url = f"http://127.0.0.1:{storage.server_address[1]}"
    threads = [
        threading.Thread(target=srv.serve_forever, args=(0.05,), daemon=True)
        for srv in (server, storage)
    ]
    for thread in threads:
        thread.start()
    try:
        yield state
    finally:
        for srv in (server, storage):
            srv.shutdown()
            srv.server_close()
