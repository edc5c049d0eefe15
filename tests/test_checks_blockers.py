"""The blockers check against a local server answering GitHub's documented REST shapes."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest

from relman.checks import run_checks
from relman.config import load_config
from relman.forge import Forge, list_blockers
from tests.helpers import GitRepo, run_relman
from tests.test_checks import make_project

TOKEN = "ghs_test_token"


def issue(
    number: int,
    title: str,
    *,
    labels: tuple[str, ...] = (),
    milestone: dict[str, Any] | None = None,
    pr: bool = False,
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "number": number,
        "title": title,
        "state": "open",
        "html_url": f"https://github.com/octo/demo/issues/{number}",
        "labels": [{"id": n, "name": name, "color": "ededed"} for n, name in enumerate(labels)],
        "milestone": milestone,
        "user": {"login": "ada"},
    }
    if pr:
        item["pull_request"] = {"url": f"https://api.github.com/repos/octo/demo/pulls/{number}"}
    return item


MILESTONE = {"number": 7, "title": "1.1.0", "state": "open", "open_issues": 2}
ISSUES = [
    issue(11, "Crash on import", milestone=MILESTONE),
    issue(12, "Fix the docs build", milestone=MILESTONE, pr=True),
    issue(13, "Segfault in frob", labels=("release blocker", "bug")),
    issue(14, "Nice to have", labels=("enhancement",)),
    issue(15, "Leak in the parser", labels=("deferred blocker",)),
]


class GitHub(BaseHTTPRequestHandler):
    issues: ClassVar[list[dict[str, Any]]] = []
    seen: ClassVar[list[str]] = []

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.seen.append(self.path)
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._send(401, {"message": "Bad credentials", "documentation_url": "https://docs"})
            return
        if url.path == "/repos/octo/demo/milestones":
            self._send(200, [{"number": 3, "title": "1.0.1", "state": "open"}, MILESTONE])
            return
        if url.path == "/repos/octo/demo/issues":
            items = [i for i in self.issues if i["state"] == query.get("state", "open")]
            if "milestone" in query:
                items = [
                    i
                    for i in items
                    if i["milestone"] and str(i["milestone"]["number"]) == query["milestone"]
                ]
            if "labels" in query:
                wanted = set(query["labels"].split(","))
                items = [i for i in items if wanted <= {lb["name"] for lb in i["labels"]}]
            # one item per page, to exercise Link pagination
            page = int(query.get("page", "1"))
            chunk = items[page - 1 : page]
            headers = {}
            if page < len(items):
                nxt = dict(query, page=str(page + 1))
                link = "&".join(f"{k}={v}" for k, v in nxt.items()).replace(" ", "%20")
                headers["Link"] = f'<http://{self.headers["Host"]}{url.path}?{link}>; rel="next"'
            self._send(200, chunk, headers)
            return
        self._send(404, {"message": "Not Found"})

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def github() -> Iterator[str]:
    GitHub.issues = list(ISSUES)
    GitHub.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), GitHub)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def gh_project(tmp_path: Path, api_url: str) -> GitRepo:
    return make_project(
        tmp_path,
        extra=f'[tool.relman.github]\nrepo = "octo/demo"\napi-url = "{api_url}"\n',
    )


def test_list_blockers_reads_milestone_and_label(github: str) -> None:
    with Forge("octo/demo", TOKEN, api_url=github) as forge:
        found = list_blockers(forge, milestone="1.1.0", labels=["release blocker"])
    assert [(b.number, b.is_pull_request, b.milestone) for b in found] == [
        (11, False, "1.1.0"),
        (12, True, "1.1.0"),
        (13, False, None),
    ]
    assert found[2].labels == ("release blocker", "bug")
    assert any("page=2" in p for p in GitHub.seen)  # followed the Link header


def test_blockers_fail_the_check(tmp_path: Path, github: str) -> None:
    repo = gh_project(tmp_path, github)
    report = run_checks(
        load_config(repo.path),
        version="1.1.0",
        kind=None,
        only=["blockers"],
        environ={"GITHUB_TOKEN": TOKEN},
    )
    assert [f.message for f in report.errors] == [
        "open issue #11: Crash on import (milestone 1.1.0)",
        "open pull request #12: Fix the docs build (milestone 1.1.0)",
        "open issue #13: Segfault in frob (label 'release blocker')",
        "open issue #15: Leak in the parser (label 'deferred blocker')",
    ]
    # a deferred blocker does not block an alpha (PEP 101)
    alpha = run_checks(
        load_config(repo.path),
        version="1.1.0a1",
        kind=None,
        only=["blockers"],
        environ={"GITHUB_TOKEN": TOKEN},
    )
    assert [f.message.split(":")[0] for f in alpha.errors] == ["open issue #13"]
    assert report.errors[0].hint.endswith("https://github.com/octo/demo/issues/11")
    assert not report.ok


def test_no_blockers_passes(tmp_path: Path, github: str) -> None:
    GitHub.issues = [ISSUES[3]]
    repo = gh_project(tmp_path, github)
    report = run_checks(
        load_config(repo.path),
        version="1.1.0",
        kind=None,
        only=["blockers"],
        environ={"GITHUB_TOKEN": TOKEN},
    )
    assert report.results[0].status == "passed"


def test_offline_or_refused_is_skipped_never_passed(tmp_path: Path, github: str) -> None:
    repo = gh_project(tmp_path, github)
    config = load_config(repo.path)
    (no_token,) = run_checks(
        config, version="1.1.0", kind=None, only=["blockers"], environ={}
    ).results
    assert no_token.status == "skipped"
    assert "offline" in (no_token.reason or "")
    (bad,) = run_checks(
        config, version="1.1.0", kind=None, only=["blockers"], environ={"GITHUB_TOKEN": "wrong"}
    ).results
    assert bad.status == "skipped"
    assert "HTTP 401" in (bad.reason or "")
    assert "wrong" not in (bad.reason or "")
    down = gh_project(tmp_path / "down", "http://127.0.0.1:9")
    (unreachable,) = run_checks(
        load_config(down.path),
        version="1.1.0",
        kind=None,
        only=["blockers"],
        environ={"GITHUB_TOKEN": TOKEN},
    ).results
    assert unreachable.status == "skipped"


def test_cli_reads_the_token_from_the_environment(tmp_path: Path, github: str) -> None:
    repo = gh_project(tmp_path, github)
    out = run_relman(
        "check",
        "--only",
        "blockers",
        "--version",
        "1.1.0",
        cwd=repo.path,
        env={"GITHUB_TOKEN": TOKEN},
    )
    assert out.returncode == 1
    assert "open issue #13: Segfault in frob" in out.stdout
    out = run_relman("check", "--only", "blockers", "--version", "1.1.0", cwd=repo.path)
    assert out.returncode == 0
    assert "[skip] blockers" in out.stdout
