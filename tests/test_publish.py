"""`relman publish` against a real pypiserver on 127.0.0.1, with and without faults, and
an https index whose certificate no CA signed."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import INDEX_TOKEN
from tests.helpers import ROOT, GitRepo, run_relman, snapshot
from tests.indexserver import FaultProxy, IndexServer, make_dists, make_wheel

pytestmark = pytest.mark.slow

TOKEN_ENV = {"RELMAN_INDEX_TOKEN": INDEX_TOKEN}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def project(git_repo: GitRepo) -> Path:
    git_repo.commit(
        "project",
        {"pyproject.toml": '[project]\nname = "many-wheels"\nversion = "1.0.0"\n'},
    )
    return git_repo.path


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    make_dists(tmp_path / "dist", wheels=6)
    return tmp_path / "dist"


def expected(folder: Path) -> dict[str, str]:
    return {p.name: sha(p) for p in sorted(folder.iterdir())}


def publish(
    project: Path, dist: Path, to: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_relman("publish", str(dist), "--to", to, *args, cwd=project, env=env)


def test_publish_verifies_and_rerun_skips(
    project: Path, dist: Path, pypiserver: IndexServer, fault_proxy: Callable[..., FaultProxy]
) -> None:
    proxy = fault_proxy(pypiserver.url)
    out = publish(project, dist, proxy.url, "--json", env=TOKEN_ENV)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["ok"] is True
    assert {f["status"] for f in data["files"]} == {"uploaded"}
    assert all(f["verified"] for f in data["files"])
    assert pypiserver.files() == expected(dist)
    uploads = proxy.uploads()
    assert sorted(uploads) == sorted(expected(dist))
    assert uploads[-1] == "many_wheels-1.0.0.tar.gz"  # the sdist strictly last

    again = publish(project, dist, proxy.url, env=TOKEN_ENV)
    assert again.returncode == 0, again.stderr
    assert "0 uploaded, 7 skipped, 0 failed" in again.stderr
    assert proxy.uploads() == uploads  # nothing sent again
    assert "skipped" in again.stdout


def test_a_different_file_under_the_same_name_stops_everything(
    project: Path,
    dist: Path,
    tmp_path: Path,
    pypiserver: IndexServer,
    fault_proxy: Callable[..., FaultProxy],
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    clash = make_wheel(
        other,
        "many-wheels",
        "1.0.0",
        "cp39-cp39-manylinux_2_17_x86_64.manylinux2014_x86_64",
        size=100,
    )
    assert (dist / clash.name).exists() and sha(dist / clash.name) != sha(clash)
    (pypiserver.packages / clash.name).write_bytes(clash.read_bytes())
    before = snapshot(pypiserver.packages)
    local_before = snapshot(dist)
    proxy = fault_proxy(pypiserver.url)

    out = publish(project, dist, proxy.url, env=TOKEN_ENV)
    assert out.returncode == 1, out.stderr
    assert "nothing was uploaded" in out.stderr
    assert clash.name in out.stderr
    assert "hint:" in out.stderr
    assert proxy.uploads(200) == [] and not [s for s in proxy.seen if s.method == "POST"]
    assert snapshot(pypiserver.packages) == before
    assert snapshot(dist) == local_before

    dry = publish(project, dist, proxy.url, "--dry-run", env=TOKEN_ENV)
    assert dry.returncode == 1
    assert "conflict" in dry.stdout


def test_dry_run_prints_the_plan_and_uploads_nothing(
    project: Path, dist: Path, pypiserver: IndexServer, fault_proxy: Callable[..., FaultProxy]
) -> None:
    first = sorted(dist.glob("*.whl"))[0]
    (pypiserver.packages / first.name).write_bytes(first.read_bytes())
    proxy = fault_proxy(pypiserver.url)
    out = publish(project, dist, proxy.url, "--dry-run", "--json", env=TOKEN_ENV)
    assert out.returncode == 0, out.stderr
    plan = json.loads(out.stdout)
    assert plan["dry_run"] is True
    assert plan["skip"] == [first.name]
    assert len(plan["upload"]) == 6 and plan["upload"][-1].endswith(".tar.gz")
    assert not [s for s in proxy.seen if s.method == "POST"]
    assert list(pypiserver.files()) == [first.name]


def test_faults_every_file_exactly_once(
    project: Path, tmp_path: Path, pypiserver: IndexServer, fault_proxy: Callable[..., FaultProxy]
) -> None:
    """500s, resets, slow answers and lost responses: each file lands once, right hash."""
    dist = tmp_path / "many"
    make_dists(dist, wheels=10)
    names = sorted(p.name for p in dist.iterdir())
    faults = ["500", "reset", "lost", "slow:0.2", "slow:3", "status:503", "status:429", "ok"]

    def rule(method: str, path: str, filename: str | None, n: int) -> str:
        if method == "GET" and n == 0:
            return "500"  # the first read of every page fails too
        if method == "POST" and filename and n == 0:
            return faults[names.index(filename) % len(faults)]
        return "ok"

    proxy = fault_proxy(pypiserver.url, rule)
    env = {
        **TOKEN_ENV,
        "RELMAN_PUBLISH_TIMEOUT": "1.5",
        "RELMAN_PUBLISH_BACKOFF": "0.05",
    }
    out = publish(project, dist, proxy.url, "--json", env=env)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["ok"] is True
    assert pypiserver.files() == expected(dist)
    accepted = proxy.uploads(200)
    assert sorted(accepted) == names  # each file stored exactly once
    assert accepted[-1] == "many_wheels-1.0.0.tar.gz"
    status = {f["filename"]: f for f in data["files"]}
    for name in names:
        fault = faults[names.index(name) % len(faults)]
        if fault in ("lost", "slow:3"):
            # the server stored it, the answer never came: "already exists" + same hash
            assert status[name]["status"] == "exists", name
            assert name in proxy.uploads(409)
        elif fault in ("slow:0.2", "ok"):
            assert status[name]["attempts"] == 1, name
        else:
            assert status[name]["attempts"] == 2, name


def test_a_failed_wheel_holds_the_sdist_and_a_rerun_finishes(
    project: Path, dist: Path, pypiserver: IndexServer, fault_proxy: Callable[..., FaultProxy]
) -> None:
    bad = sorted(dist.glob("*.whl"))[2].name
    proxy = fault_proxy(
        pypiserver.url,
        lambda method, path, filename, n: "status:400" if filename == bad else "ok",
    )
    out = publish(project, dist, proxy.url, "--json", env=TOKEN_ENV)
    assert out.returncode == 5, out.stderr
    files = {f["filename"]: f for f in json.loads(out.stdout)["files"]}
    assert files[bad]["status"] == "failed" and "HTTP 400" in files[bad]["error"]
    assert files[bad]["attempts"] == 1  # a 4xx is final, no retries
    assert files["many_wheels-1.0.0.tar.gz"]["status"] == "held"
    assert "many_wheels-1.0.0.tar.gz" not in pypiserver.files()
    assert "run the same command again" in out.stderr
    assert "1 held back: the sdist goes last" in out.stderr

    proxy.rule = lambda method, path, filename, n: "ok"
    again = publish(project, dist, proxy.url, env=TOKEN_ENV)
    assert again.returncode == 0, again.stderr
    assert pypiserver.files() == expected(dist)
    assert proxy.uploads(200)[-1] == "many_wheels-1.0.0.tar.gz"
    assert sorted(proxy.uploads(200)) == sorted(expected(dist))


def test_credentials_never_appear(
    project: Path, dist: Path, pypiserver: IndexServer, fault_proxy: Callable[..., FaultProxy]
) -> None:
    proxy = fault_proxy(pypiserver.url)
    wrong = {"TWINE_USERNAME": "__token__", "TWINE_PASSWORD": INDEX_TOKEN + "-wrong"}
    refused = publish(project, dist, proxy.url, "-v", "--json", env=wrong)
    assert refused.returncode == 5
    assert "credentials" in refused.stdout + refused.stderr
    url_with_token = proxy.url.replace("http://", f"http://__token__:{INDEX_TOKEN}@")
    ok = publish(project, dist, url_with_token, "-v", env={"RELMAN_DEBUG": "1"})
    assert ok.returncode == 0, ok.stderr.replace(INDEX_TOKEN, "<TOKEN>")
    ok_json = publish(project, dist, proxy.url, "-v", "--json", env=TOKEN_ENV)
    assert ok_json.returncode == 0
    for out in (refused, ok, ok_json):
        assert INDEX_TOKEN not in out.stdout
        assert INDEX_TOKEN not in out.stderr
    for path in (project / ".git").rglob("*"):
        if path.is_file():
            assert INDEX_TOKEN.encode() not in path.read_bytes(), path


def test_no_credentials_is_refused_with_a_hint(
    project: Path, dist: Path, pypiserver: IndexServer
) -> None:
    out = publish(project, dist, pypiserver.url)
    assert out.returncode == 5
    assert "HTTP 401" in out.stderr + out.stdout or "HTTP 403" in out.stderr + out.stdout
    assert "RELMAN_INDEX_TOKEN" in out.stdout + out.stderr
    assert "refused the credentials" in out.stderr  # not "not on the index"
    assert pypiserver.files() == {}


def test_bad_input_changes_nothing(project: Path, dist: Path, pypiserver: IndexServer) -> None:
    before = snapshot(project)
    missing = publish(project, project / "nope", pypiserver.url, env=TOKEN_ENV)
    assert missing.returncode == 2 and "is not a folder" in missing.stderr
    empty = project / "empty"
    empty.mkdir()
    nothing = publish(project, empty, pypiserver.url, env=TOKEN_ENV)
    assert nothing.returncode == 2 and "no distribution files" in nothing.stderr
    empty.rmdir()
    unknown = publish(project, dist, "nowhere-index", env=TOKEN_ENV)
    assert unknown.returncode == 2
    assert "unknown publish target 'nowhere-index'" in unknown.stderr
    assert "hint:" in unknown.stderr
    assert snapshot(project) == before
    assert pypiserver.files() == {}


def test_sigkill_then_rerun_completes_exactly_once(
    project: Path, tmp_path: Path, pypiserver: IndexServer, fault_proxy: Callable[..., FaultProxy]
) -> None:
    dist = tmp_path / "many"
    make_dists(dist, wheels=30)
    proxy = fault_proxy(pypiserver.url, latency=0.15)
    env = {**os.environ, **TOKEN_ENV}
    proc = subprocess.Popen(
        [sys.executable, "-m", "relman", "publish", str(dist), "--to", proxy.url, "--workers", "2"],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while len(pypiserver.files()) < 5:
        assert proc.poll() is None, "publish finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    half = pypiserver.files()
    assert 5 <= len(half) < 31
    assert "many_wheels-1.0.0.tar.gz" not in half

    out = publish(project, dist, proxy.url, "--json", env=TOKEN_ENV)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["skipped"] >= len(half) - 2  # in-flight files at the kill may answer "exists"
    assert pypiserver.files() == expected(dist)
    accepted = proxy.uploads(200)
    assert sorted(accepted) == sorted(expected(dist))  # nothing twice, nothing missing
    assert accepted[-1] == "many_wheels-1.0.0.tar.gz"


# -- real artifacts, installed back with pip ---------------------------------------


@pytest.fixture(scope="session")
def purelib_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/purelib built once (sdist and wheel)."""
    out = tmp_path_factory.mktemp("purelib-dist")
    src = tmp_path_factory.mktemp("purelib-src") / "purelib"
    subprocess.run(["cp", "-r", str(ROOT / "examples" / "purelib"), str(src)], check=True)
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(src)],
        check=True,
        capture_output=True,
    )
    assert len(list(out.iterdir())) == 2
    return out


def pip_install(index_url: str, target: Path) -> str:
    """pip install relman-demo-purelib from ``index_url`` only, isolated from pip config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--isolated",
            "--no-cache-dir",
            "--disable-pip-version-check",
            "--quiet",
            "--target",
            str(target),
            "--index-url",
            index_url,
            "relman-demo-purelib==1.1.0.dev0",
        ],
        check=True,
        env=env,
        capture_output=True,
    )
    return subprocess.run(
        [sys.executable, "-c", "import purelib; print(purelib.__version__, purelib.__file__)"],
        check=True,
        env={**env, "PYTHONPATH": str(target)},
        capture_output=True,
        text=True,
    ).stdout


def test_install_back_from_pypiserver(
    project: Path, purelib_dist: Path, pypiserver: IndexServer, tmp_path: Path
) -> None:
    out = publish(project, purelib_dist, pypiserver.url, env=TOKEN_ENV)
    assert out.returncode == 0, out.stderr
    assert f"--index-url {pypiserver.simple_url}" in out.stderr
    shown = pip_install(pypiserver.simple_url, tmp_path / "site")
    assert shown.startswith("1.1.0.dev0 " + str(tmp_path / "site"))


def test_local_index_installs_with_pip(project: Path, purelib_dist: Path, tmp_path: Path) -> None:
    out = publish(project, purelib_dist, "local", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    folder = project / ".git" / "relman" / "index" / "simple" / "relman-demo-purelib"
    assert data["install_url"] == (folder.parent.as_uri() + "/")
    page = (folder / "index.html").read_text(encoding="utf-8")
    for path in purelib_dist.iterdir():
        assert f"{path.name}#sha256={sha(path)}" in page
        assert (folder / path.name).read_bytes() == path.read_bytes()
    shown = pip_install(data["install_url"], tmp_path / "site")
    assert shown.startswith("1.1.0.dev0 ")
    again = publish(project, purelib_dist, "local", "--json")
    assert {f["status"] for f in json.loads(again.stdout)["files"]} == {"skipped"}
    assert project.joinpath(".git").exists() and GitRepo(project).status() == ""


def test_retries_are_bounded(
    project: Path, dist: Path, pypiserver: IndexServer, fault_proxy: Callable[..., FaultProxy]
) -> None:
    bad = sorted(dist.glob("*.whl"))[0].name
    proxy = fault_proxy(
        pypiserver.url, lambda method, path, filename, n: "500" if filename == bad else "ok"
    )
    env = {**TOKEN_ENV, "RELMAN_PUBLISH_RETRIES": "3", "RELMAN_PUBLISH_BACKOFF": "0.01"}
    out = publish(project, dist, proxy.url, "--json", env=env)
    assert out.returncode == 5
    files = {f["filename"]: f for f in json.loads(out.stdout)["files"]}
    assert files[bad]["status"] == "failed" and files[bad]["attempts"] == 3
    assert "HTTP 500" in files[bad]["error"]
    assert len([s for s in proxy.seen if s.filename == bad]) == 3
    assert files["many_wheels-1.0.0.tar.gz"]["status"] == "held"


def test_invalid_metadata_is_refused_before_any_upload(
    project: Path, dist: Path, pypiserver: IndexServer, fault_proxy: Callable[..., FaultProxy]
) -> None:
    import zipfile

    victim = sorted(dist.glob("*.whl"))[-1]
    with zipfile.ZipFile(victim) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    meta = next(n for n in entries if n.endswith("METADATA"))
    entries[meta] = entries[meta].replace(b"Summary:", b"Sumary: typo\nSummary:")
    with zipfile.ZipFile(victim, "w") as zf:
        for n, d in entries.items():
            zf.writestr(n, d)
    proxy = fault_proxy(pypiserver.url)
    out = publish(project, dist, proxy.url, env=TOKEN_ENV)
    assert out.returncode == 2, out.stderr
    assert f"{victim.name} has invalid metadata" in out.stderr
    assert "'sumary'" in out.stderr
    assert not [s for s in proxy.seen if s.method == "POST"]
    assert pypiserver.files() == {}


def test_already_exists_as_400_counts_only_with_the_same_hash(
    project: Path,
    dist: Path,
    tmp_path: Path,
    pypiserver: IndexServer,
    fault_proxy: Callable[..., FaultProxy],
) -> None:
    """The answer PyPI gives (400 "File already exists") after a lost response."""
    names = sorted(p.name for p in dist.iterdir())
    proxy = fault_proxy(
        pypiserver.url,
        lambda method, path, filename, n: ("lost" if n == 0 else "as-twine") if filename else "ok",
    )
    env = {**TOKEN_ENV, "RELMAN_PUBLISH_BACKOFF": "0.01"}
    out = publish(project, dist, proxy.url, "--json", env=env)
    assert out.returncode == 0, out.stderr
    assert {f["status"] for f in json.loads(out.stdout)["files"]} == {"exists"}
    assert sorted(proxy.uploads(400)) == names
    assert pypiserver.files() == expected(dist)


def test_uploads_share_a_few_kept_alive_connections_and_carry_their_own_digests(
    project: Path, dist: Path, pypiserver: IndexServer, fault_proxy: Callable[..., FaultProxy]
) -> None:
    """Two workers: the listing, seven uploads and the verification on at most three
    connections; each upload's sha256_digest is the digest of the very bytes it sent;
    the report names every file's sha256, also of the files skipped and uploaded."""
    wheels = sorted(dist.glob("*.whl"))
    (pypiserver.packages / wheels[0].name).write_bytes(wheels[0].read_bytes())
    proxy = fault_proxy(pypiserver.url)
    out = publish(project, dist, proxy.url, "--workers", "2", "--json", env=TOKEN_ENV)
    assert out.returncode == 0, out.stderr
    files = {f["filename"]: f for f in json.loads(out.stdout)["files"]}
    assert {n: f["sha256"] for n, f in files.items()} == expected(dist)
    assert files[wheels[0].name]["status"] == "skipped"
    assert [f["status"] for n, f in files.items() if n != wheels[0].name] == ["uploaded"] * 6
    posts = [s for s in proxy.seen if s.method == "POST"]
    assert len(posts) == 6 and len(proxy.seen) == 8  # the listing, 6 uploads, the verification
    for seen in posts:
        assert seen.filename is not None
        assert seen.upload_digests() == (sha(dist / seen.filename),) * 2
    assert len({s.peer for s in proxy.seen}) <= 3  # not one connection per request


def test_a_gzip_compressed_listing_is_read(
    project: Path, dist: Path, pypiserver: IndexServer, fault_proxy: Callable[..., FaultProxy]
) -> None:
    """An index (or the CDN in front of it) that compresses its pages: the rerun reads
    the compressed listing and skips every file."""
    proxy = fault_proxy(pypiserver.url, lambda method, path, filename, n: "gzip")
    first = publish(project, dist, proxy.url, env=TOKEN_ENV)
    assert first.returncode == 0, first.stderr
    assert pypiserver.files() == expected(dist)
    again = publish(project, dist, proxy.url, env=TOKEN_ENV)
    assert again.returncode == 0, again.stderr
    assert "0 uploaded, 7 skipped, 0 failed" in again.stderr
    assert len(proxy.uploads()) == 7
    assert {s.action for s in proxy.seen if s.method == "GET"} == {"gzip"}


@pytest.fixture
def untrusted_tls_index(tmp_path: Path) -> Iterator[tuple[str, list[object]]]:
    """An https:// index on 127.0.0.1 whose certificate (made here) no CA signed:
    its URL and the connections it accepted."""
    import socket
    import ssl
    import threading

    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-nodes", "-days", "2"),
            *("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
            *("-keyout", str(key), "-out", str(cert)),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[object] = []

    def serve() -> None:
        while True:
            try:
                conn, peer = listener.accept()
            except OSError:
                return
            accepted.append(peer)
            with conn, contextlib.suppress(OSError):
                context.wrap_socket(conn, server_side=True).close()

    threading.Thread(target=serve, daemon=True).start()
    yield f"https://127.0.0.1:{listener.getsockname()[1]}/", accepted
    listener.close()


def test_an_untrusted_certificate_is_refused_once_before_anything_is_sent(
    project: Path, dist: Path, untrusted_tls_index: tuple[str, list[object]]
) -> None:
    url, accepted = untrusted_tls_index
    out = publish(project, dist, url, env=TOKEN_ENV)
    assert out.returncode == 5, out.stderr
    assert "TLS certificate is not trusted" in out.stderr
    assert "hint:" in out.stderr and "certifi" in out.stderr
    assert INDEX_TOKEN not in out.stderr + out.stdout
    assert len(accepted) == 1  # a certificate that fails is not retried


def test_files_larger_than_one_write_arrive_whole(
    project: Path, tmp_path: Path, pypiserver: IndexServer, fault_proxy: Callable[..., FaultProxy]
) -> None:
    """Wheels of 600 KiB (the form, then the file in pieces, then the closing boundary):
    the index stores the very bytes, and the form's digest is theirs."""
    big = tmp_path / "big"
    make_dists(big, wheels=2, size=600 * 1024)
    proxy = fault_proxy(pypiserver.url)
    out = publish(project, big, proxy.url, env=TOKEN_ENV)
    assert out.returncode == 0, out.stderr
    assert pypiserver.files() == expected(big)
    for seen in (s for s in proxy.seen if s.method == "POST"):
        assert seen.filename is not None
        assert seen.upload_digests() == (sha(big / seen.filename),) * 2


def test_a_connection_the_index_closed_is_not_used_again(
    project: Path, dist: Path, pypiserver: IndexServer, fault_proxy: Callable[..., FaultProxy]
) -> None:
    """The index answers the listing, then closes that connection without a
    ``Connection: close``: the uploads open another, and none needs a second attempt."""
    proxy = fault_proxy(
        pypiserver.url, lambda method, path, filename, n: "close" if method == "GET" else "ok"
    )
    out = publish(project, dist, proxy.url, "--json", env=TOKEN_ENV)
    assert out.returncode == 0, out.stderr
    assert [f["attempts"] for f in json.loads(out.stdout)["files"]] == [1] * 7
    assert len(proxy.uploads()) == 7 == len([s for s in proxy.seen if s.method == "POST"])


_EARLY = """
import json, sys
from relman.cli import _early_publish
early = _early_publish(sys.argv[1:])
loaded = [m for m in ("click", "relman.commands", "packaging", "relman.artifacts") if m in sys.modules]
print(json.dumps({"loaded": loaded, "present": None if early is None else early[-1].result()}))
"""


def test_the_listing_is_asked_for_before_the_commands_and_the_rule_book_load(
    project: Path, dist: Path, pypiserver: IndexServer, fault_proxy: Callable[..., FaultProxy]
) -> None:
    """``relman publish DIR --to URL`` asks for the listing (here of a project with one of
    the files already there) with neither click, the commands, packaging nor the rule book
    loaded; a dry run, --help, an option the CLI does not know and the embedded index leave
    it to the command."""
    wheel = sorted(dist.glob("*.whl"))[0]
    (pypiserver.packages / wheel.name).write_bytes(wheel.read_bytes())
    proxy = fault_proxy(pypiserver.url)

    def early(*args: str) -> dict[str, object]:
        out = subprocess.run(
            [sys.executable, "-c", _EARLY, *args],
            cwd=project,
            env={**os.environ, **TOKEN_ENV},
            capture_output=True,
            text=True,
            check=False,
        )
        assert out.returncode == 0, out.stderr
        result: dict[str, object] = json.loads(out.stdout)
        return result

    started = early("-v", "publish", str(dist), "--to", proxy.url, "--workers=2")
    assert started == {"loaded": [], "present": {wheel.name: sha(wheel)}}
    assert [(s.method, s.path) for s in proxy.seen] == [("GET", "/simple/many-wheels/")]
    for args in (
        ["--dry-run"],
        ["--help"],
        ["--workers", "0"],
        ["--yes", "--unknown"],
        ["--to", "local"],  # the embedded index: nothing to ask for
    ):
        assert early("publish", str(dist), "--to", proxy.url, *args)["present"] is None, args
    assert len(proxy.seen) == 1


def test_a_retried_listing_is_reported_in_order_and_its_connection_carries_the_uploads(
    project: Path, dist: Path, pypiserver: IndexServer, fault_proxy: Callable[..., FaultProxy]
) -> None:
    """The listing the CLI starts early fails once: with -v its retry is said before the
    uploads start, once; with one worker the listing, the uploads and the verification
    all go over one kept-alive connection."""

    def rule(method: str, path: str, filename: str | None, n: int) -> str:
        return "status:503" if method == "GET" and n == 0 else "ok"

    proxy = fault_proxy(pypiserver.url, rule)
    env = {**TOKEN_ENV, "RELMAN_PUBLISH_BACKOFF": "0.01"}
    out = publish(project, dist, proxy.url, "-v", "--workers", "1", env=env)
    assert out.returncode == 0, out.stderr
    lines = out.stderr.splitlines()
    retries = [i for i, line in enumerate(lines) if "HTTP 503" in line and "retry 1" in line]
    assert len(retries) == 1 and "/simple/many-wheels/" in lines[retries[0]]
    assert retries[0] < lines.index("uploading 7 files to " + proxy.url)
    assert pypiserver.files() == expected(dist)
    assert len({s.peer for s in proxy.seen if s.action == "ok"}) == 1
