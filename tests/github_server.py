"""One local HTTP server that answers like GitHub, for every endpoint relman's forge uses.

It serves GitHub's documented response shapes on 127.0.0.1:

- ``GET  /repos/{o}/{r}/milestones`` and ``GET /repos/{o}/{r}/issues`` (filters
  ``state``, ``milestone``, ``labels``; ``page_size`` items a page with a
  ``Link: rel="next"`` header, to exercise pagination);
- ``GET  /repos/{o}/{r}/releases/tags/{tag}``, ``POST /repos/{o}/{r}/releases``
  and ``POST {upload_url}?name=...`` for release assets;
- ``POST /graphql`` with ``pullRequest(number: N)`` aliases (``NOT_FOUND``
  errors for unknown numbers, as GitHub answers).

Every request is recorded; ``fail = True`` makes every answer a 502.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
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

    @property
    def seen(self) -> list[str]:
        return [r["path"] for r in self.requests]


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
            if gh.fail:
                self._send(502, {"message": "Bad Gateway"})
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
                    if release["tag_name"] == parts[5]:
                        self._send(200, release)
                        return
            self._send(
                404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}
            )

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


@contextmanager
def fake_github() -> Iterator[FakeGitHub]:
    state = FakeGitHub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
