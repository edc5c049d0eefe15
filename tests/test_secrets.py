"""No form of a credential reaches any output, even when a server echoes it.

A GitHub API that answers 401 with the request's ``Authorization`` header in
its message (tests/github_server.py, ``echo_auth``), and a package index that
answers uploads 403 with the HTTP Basic credentials it got, decoded and
encoded, in its body. Every output channel of check, changelog, release,
release --status and publish is searched for every form of each secret: raw,
percent-encoded, base64 of ``user:password`` (padded or not), base64 of the
secret, and ``Bearer <token>``: stdout, stderr, ``--json``, the state files and
logs relman keeps in the git directory. A password in a target URL is
searched for the same way in config, plan, release --dry-run and release
--status. The repository is the purelib example (a small pure-Python package
released from main, the shape of attrs or packaging).
"""

from __future__ import annotations

import base64
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread

import pytest

from relman.demo import DemoRepo
from tests.github_server import FakeGitHub, fake_github
from tests.helpers import run_relman
from tests.indexserver import make_dists

GH_TOKEN = "ghp_echoedToken0123456789abcdef"
PASSWORD = "ech0-s3cr/t#?pw-4242"  # the characters that break URL parsing
USER = "__token__"


def forms(user: str, secret: str) -> list[str]:
    pair = f"{user}:{secret}".encode()
    out = [
        secret,
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret),
        base64.b64encode(secret.encode()).decode(),
        f"Bearer {secret}",
    ]
    for enc in (base64.b64encode(pair), base64.urlsafe_b64encode(pair)):
        out += [enc.decode(), enc.decode().rstrip("=")]
    return out


SECRET_FORMS = forms("", GH_TOKEN) + forms(USER, PASSWORD)


def channels(path: Path, *outs: object) -> dict[str, str]:
    """stdout and stderr of each run, and every file relman keeps in the git directory."""
    found: dict[str, str] = {}
    for i, out in enumerate(outs):
        found[f"run {i} stdout"] = out.stdout  # type: ignore[attr-defined]
        found[f"run {i} stderr"] = out.stderr  # type: ignore[attr-defined]
    for p in sorted((path / ".git" / "relman").rglob("*")):
        if p.is_file() and p.suffix not in (".whl", ".gz", ".zip") and p.stat().st_size < 10**7:
            found[str(p)] = p.read_bytes().decode("utf-8", "replace")
    return found


def assert_clean(found: dict[str, str]) -> None:
    for where, text in found.items():
        for form in SECRET_FORMS:
            assert form not in text, f"{form!r} in {where}:\n{text[-3000:]}"
        assert "htt***" not in text, f"damaged URL in {where}"


@pytest.fixture
def purelib(example_repo) -> DemoRepo:
    return example_repo("purelib")


@pytest.fixture
def echoing_github() -> Iterator[FakeGitHub]:
    with fake_github() as gh:
        gh.token = GH_TOKEN
        gh.echo_auth = True
        yield gh


class _EchoIndex(BaseHTTPRequestHandler):
    """An index that lists nothing and refuses uploads, echoing the credentials."""

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self, code: int, body: str) -> None:
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._answer(404, "not found")

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        auth = self.headers.get("Authorization", "")
        raw = base64.b64decode(auth.split(" ")[-1]).decode() if " " in auth else ""
        user, _, password = raw.partition(":")
        self._answer(
            403,
            f"Forbidden: Authorization: {auth}; user {user} password {password} "
            f"({urllib.parse.quote(password, safe='')}) may not upload",
        )


@pytest.fixture
def echoing_index() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoIndex)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _github_env(gh: FakeGitHub) -> dict[str, str]:
    return {
        "RELMAN_GITHUB_REPO": "relman-demo/purelib",
        "RELMAN_GITHUB_API_URL": gh.url,
        "GITHUB_TOKEN": GH_TOKEN,
        "RELMAN_RELEASE_SIGN": "none",
    }


def test_an_echoed_bearer_token_is_never_shown(
    purelib: DemoRepo, echoing_github: FakeGitHub
) -> None:
    path = purelib.path
    env = _github_env(echoing_github)
    runs = [
        run_relman("check", cwd=path, env=env),
        run_relman("check", "--json", cwd=path, env=env),
        run_relman("changelog", cwd=path, env=env),
        run_relman("changelog", "--json", cwd=path, env=env),
        run_relman("release", "1.1.0", "--yes", cwd=path, env=env),
        run_relman("release", "1.1.0", "--yes", "--json", cwd=path, env=env),
        run_relman("release", "--status", cwd=path, env=env),
        run_relman("release", "--status", "--json", cwd=path, env=env),
    ]
    # the server was asked with the token and echoed it: the test would catch a leak
    assert any(r["auth"] == f"Bearer {GH_TOKEN}" for r in echoing_github.requests)
    assert any(r.returncode != 0 for r in runs[:6])
    assert "401" in "".join(r.stderr + r.stdout for r in runs) or any(
        "credentials" in (r.stderr + r.stdout).lower() for r in runs
    )
    assert_clean(channels(path, *runs))


def test_echoed_basic_credentials_are_never_shown(
    purelib: DemoRepo, echoing_index: str, tmp_path: Path
) -> None:
    path = purelib.path
    dist = tmp_path / "dist"
    make_dists(dist, name="purelib-demo", wheels=2)
    env = {"TWINE_USERNAME": USER, "TWINE_PASSWORD": PASSWORD, "RELMAN_RELEASE_SIGN": "none"}
    runs = [
        run_relman("publish", str(dist), "--to", echoing_index, cwd=path, env=env),
        run_relman("publish", str(dist), "--to", echoing_index, "--json", cwd=path, env=env),
    ]
    for run in runs:
        assert run.returncode == 5, run.stderr
    assert "refused the credentials" in runs[0].stderr
    assert_clean(channels(path, *runs))


def test_echoed_credentials_from_a_target_url_never_shown_by_a_release(
    purelib: DemoRepo, echoing_index: str
) -> None:
    path = purelib.path
    quoted = urllib.parse.quote(PASSWORD, safe="")
    target = echoing_index.replace("http://", f"http://{USER}:{quoted}@")
    env = {"RELMAN_PUBLISH_TARGET": target, "RELMAN_RELEASE_SIGN": "none"}
    runs = [
        run_relman("config", cwd=path, env=env),
        run_relman("config", "--json", cwd=path, env=env),
        run_relman("plan", "1.1.0", cwd=path, env=env),
        run_relman("release", "1.1.0", "--dry-run", cwd=path, env=env),
        run_relman("release", "1.1.0", "--yes", cwd=path, env=env),
        run_relman("release", "--status", cwd=path, env=env),
        run_relman("release", "--status", "--json", cwd=path, env=env),
    ]
    release = runs[4]
    assert release.returncode == 5, release.stderr  # the index refused the upload
    assert "refused the credentials" in release.stderr
    assert echoing_index in runs[0].stdout  # the URL is shown, without its userinfo
    assert_clean(channels(path, *runs))
