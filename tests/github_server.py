"""A local HTTP server answering like GitHub's REST API for releases.

It serves the documented response shapes of the endpoints relman's forge
client uses for releases (GET /repos/{o}/{r}/releases/tags/{tag}, POST
/repos/{o}/{r}/releases, POST {upload_url}?name=...) on 127.0.0.1, and
records every request so that tests can assert on them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


@dataclass
class FakeGitHub:
    url: str = ""
    token: str = "ghp_test_token_0123456789"
    releases: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    uploads: dict[str, bytes] = field(default_factory=dict)


def _handler(state: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, code: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _authorised(self) -> bool:
            if self.headers.get("Authorization") != f"Bearer {state.token}":
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
            state.requests.append(("GET", self.path))
            if not self._authorised():
                return
            parts = urlparse(self.path).path.strip("/").split("/")
            if len(parts) == 6 and parts[0] == "repos" and parts[3:5] == ["releases", "tags"]:
                for rel in state.releases:
                    if rel["tag_name"] == parts[5]:
                        self._send(200, rel)
                        return
            self._send(
                404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}
            )

        def do_POST(self) -> None:
            state.requests.append(("POST", self.path))
            if not self._authorised():
                return
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            url = urlparse(self.path)
            parts = url.path.strip("/").split("/")
            if len(parts) == 4 and parts[0] == "repos" and parts[3] == "releases":
                data = json.loads(body)
                rid = len(state.releases) + 1
                release = {
                    "id": rid,
                    "tag_name": data["tag_name"],
                    "name": data.get("name"),
                    "body": data.get("body"),
                    "draft": data.get("draft", False),
                    "prerelease": data.get("prerelease", False),
                    "html_url": f"{state.url}/{parts[1]}/{parts[2]}/releases/tag/{data['tag_name']}",
                    "upload_url": f"{state.url}/uploads/repos/{parts[1]}/{parts[2]}/releases/{rid}/assets{{?name,label}}",
                    "assets": [],
                }
                state.releases.append(release)
                self._send(201, release)
                return
            if parts[:1] == ["uploads"] and parts[-1] == "assets":
                name = parse_qs(url.query)["name"][0]
                rid = int(parts[-2])
                release = state.releases[rid - 1]
                asset = {
                    "id": len(state.uploads) + 1,
                    "name": name,
                    "size": len(body),
                    "state": "uploaded",
                    "content_type": self.headers.get("Content-Type"),
                }
                release["assets"].append(asset)
                state.uploads[name] = body
                self._send(201, asset)
                return
            self._send(404, {"message": "Not Found"})

    return Handler


@contextmanager
def fake_github() -> Iterator[FakeGitHub]:
    state = FakeGitHub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
