"""Real package index servers for tests and benchmarks, all on 127.0.0.1.

- :func:`start_pypiserver`: a real pypiserver (htpasswd authentication for
  uploads, no fallback to a public index) in a subprocess, served by a
  threaded WSGI server on a free port, polled until it answers.
- :class:`FaultProxy`: an HTTP proxy on loopback in front of a server that
  injects faults chosen per request (500s, connection resets, slow answers,
  a response lost after the server stored the upload, a fixed added latency).
- :func:`make_dists`: valid wheels and an sdist made without a build, for tests
  that need many files quickly.

Runs as a script too: ``python tests/indexserver.py serve ROOT [HTPASSWD]``
(what :func:`start_pypiserver` starts).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.client
import io
import json
import os
import re
import socket
import struct
import subprocess
import sys
import tarfile
import threading
import time
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve()


# -- pypiserver -----------------------------------------------------------------


@dataclass
class IndexServer:
    """A running pypiserver: upload to :attr:`url`, read :attr:`simple_url`."""

    url: str
    packages: Path
    username: str | None
    password: str | None
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def simple_url(self) -> str:
        return self.url + "simple/"

    def files(self) -> dict[str, str]:
        """Filename -> sha256 of every file stored on the server."""
        return {
            p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(self.packages.iterdir())
            if p.is_file()
        }

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


def write_htpasswd(path: Path, username: str, password: str) -> Path:
    import warnings

    with warnings.catch_warnings():  # passlib imports the deprecated crypt module
        warnings.simplefilter("ignore", DeprecationWarning)
        from passlib.apache import HtpasswdFile

    ht = HtpasswdFile(str(path), new=True)
    ht.set_password(username, password)
    ht.save()
    return path


def start_pypiserver(
    root: Path, *, username: str | None = None, password: str | None = None
) -> IndexServer:
    """Start pypiserver serving ``root/packages``; uploads need the credentials when given."""
    packages = root / "packages"
    packages.mkdir(parents=True, exist_ok=True)
    args = [sys.executable, str(HERE), "serve", str(packages)]
    if username is not None and password is not None:
        args.append(str(write_htpasswd(root / "htpasswd", username, password)))
    log = root / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    with log.open("wb") as err:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err, env=env)
    assert proc.stdout is not None
    line = proc.stdout.readline().decode().strip()
    if not line.startswith("port "):
        proc.kill()
        proc.wait()
        proc.stdout.close()
        raise RuntimeError(f"pypiserver did not start: {line!r}\n{log.read_text()}")
    url = f"http://127.0.0.1:{int(line.split()[1])}/"
    wait_until_answering(url + "simple/", proc, log, name="pypiserver", seconds=30, timeout=2)
    return IndexServer(url, packages, username, password, proc, log)


def wait_until_answering(
    url: str,
    proc: subprocess.Popen[bytes],
    log: Path,
    *,
    name: str,
    seconds: float,
    timeout: float,
    interval: float = 0.05,
) -> None:
    """Wait for ``url`` to answer 200; a server that exits or stays silent is stopped
    and its log raised."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as resp:
                if resp.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                proc.wait()
                if proc.stdout is not None:
                    proc.stdout.close()
                raise RuntimeError(f"{name} did not start:\n{log.read_text()}") from None
            time.sleep(interval)


def _serve(root: str, htpasswd: str | None) -> None:
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    import pypiserver
    from pypiserver.config import Config

    args = ["run", "-p", "0", "--disable-fallback", "--hash-algo", "sha256"]
    args += ["-a", "update", "-P", htpasswd] if htpasswd else ["-a", ".", "-P", "."]
    config = Config.from_args([*args, root])
    app = pypiserver.setup_routes_from_config(pypiserver.app_from_config(config), config)

    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True
        request_queue_size = 128

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    server = make_server("127.0.0.1", 0, app, server_class=Server, handler_class=Quiet)
    print(f"port {server.server_port}", flush=True)
    server.serve_forever()


# -- fault-injecting proxy --------------------------------------------------------

_FILENAME = re.compile(rb'name="content"; filename="([^"]+)"')


@dataclass
class Seen:
    """One request the proxy handled."""

    method: str
    path: str
    filename: str | None
    action: str
    status: int | None  # what the upstream server answered (None: not forwarded)
    when: float = field(default_factory=time.monotonic)
    peer: tuple[str, int] | None = None  # the client's end of the connection it came on
    content_type: str = ""
    body: bytes = field(default=b"", repr=False)

    def upload_digests(self) -> tuple[str | None, str | None]:
        """An upload's sha256_digest field and the sha256 of the file content it carried."""
        import email.parser
        import email.policy

        head = f"Content-Type: {self.content_type}\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + self.body)
        form = content = None
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name == "sha256_digest":
                form = part.get_content().strip()
            elif name == "content":
                content = hashlib.sha256(part.get_payload(decode=True)).hexdigest()
        return form, content


# A fault rule gets (method, path, filename, n) where n counts earlier requests
# with the same method and filename (or path) and returns an action:
#   "ok"         forward and answer
#   "500"        answer 500 without forwarding
#   "status:N"   answer status N without forwarding
#   "reset"      reset the connection without forwarding
#   "lost"       forward (the server stores the upload), then reset instead of answering
#   "slow:S"     forward, wait S seconds, then answer
#   "as-twine"   forward with twine's User-Agent (pypiserver then says 400 for "exists")
#   "gzip"       forward, then answer with the body gzip-compressed (Content-Encoding)
#   "close"      forward and answer, then close the connection without saying so first
Rule = Callable[[str, str, "str | None", int], str]


class FaultProxy:
    """An HTTP proxy on 127.0.0.1 in front of ``upstream`` that injects faults."""

    def __init__(self, upstream: str, rule: Rule | None = None, *, latency: float = 0.0) -> None:
        parts = urllib.request.urlparse(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.rule: Rule = rule or (lambda method, path, filename, n: "ok")
        self.latency = latency
        self.seen: list[Seen] = []
        self._counts: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                proxy._handle(self)

            def do_POST(self) -> None:
                proxy._handle(self)

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 128

        self._server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}/"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def simple_url(self) -> str:
        return self.url + "simple/"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def uploads(self, status: int = 200) -> list[str]:
        """Filenames whose upload the server accepted with ``status``, in order."""
        with self._lock:
            return [
                s.filename
                for s in self.seen
                if s.method == "POST" and s.filename and s.status == status
            ]

    @staticmethod
    def _reset(handler: BaseHTTPRequestHandler) -> None:
        with contextlib.suppress(OSError):
            handler.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            handler.connection.close()
        handler.wfile = io.BytesIO()  # finish() flushes into nothing
        handler.close_connection = True

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        m = _FILENAME.search(body[:65536]) if h.command == "POST" else None
        filename = m.group(1).decode() if m else None
        key = (h.command, filename or h.path)
        with self._lock:
            n = self._counts.get(key, 0)
            self._counts[key] = n + 1
        action = self.rule(h.command, h.path, filename, n)
        record = Seen(
            h.command,
            h.path,
            filename,
            action,
            None,
            peer=h.client_address[:2],
            content_type=h.headers.get("Content-Type", ""),
            body=body,
        )
        with self._lock:
            self.seen.append(record)
        if action == "500":
            if self.latency:
                time.sleep(self.latency)
            self._answer(h, 500, "Internal Server Error", {}, b"injected failure\n")
            return
        if action.startswith("status:"):
            code = int(action.split(":", 1)[1])
            self._answer(h, code, "Injected", {}, b"injected answer\n")
            return
        if action == "reset":
            self._reset(h)
            return
        headers = {k: v for k, v in h.headers.items() if k.lower() not in ("host", "connection")}
        headers["Connection"] = "close"
        if action == "as-twine":  # pypiserver answers 400, not 409, to twine for existing files
            headers["User-Agent"] = "twine/6.0"
        conn = http.client.HTTPConnection(*self.upstream, timeout=60)
        try:
            conn.request(h.command, h.path, body=body or None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            status, reason, rheaders = resp.status, resp.reason, dict(resp.getheaders())
        finally:
            conn.close()
        record.status = status
        if action == "lost":
            self._reset(h)
            return
        if action.startswith("slow:"):
            time.sleep(float(action.split(":", 1)[1]))
        if action == "gzip":
            import gzip

            data = gzip.compress(data)
            rheaders = {k: v for k, v in rheaders.items() if k.lower() != "content-encoding"}
            rheaders["Content-Encoding"] = "gzip"
        if self.latency:
            time.sleep(self.latency)
        self._answer(h, status, reason, rheaders, data)
        if action == "close":  # as a server closes a kept-alive connection it wants no more of
            h.close_connection = True

    @staticmethod
    def _answer(
        h: BaseHTTPRequestHandler, status: int, reason: str, headers: dict[str, str], data: bytes
    ) -> None:
        try:
            h.send_response(status, reason)
            for k, v in headers.items():
                if k.lower() not in (
                    "content-length",
                    "connection",
                    "transfer-encoding",
                    "server",
                    "date",
                ):
                    h.send_header(k, v)
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
        except OSError:
            pass


# -- a PEP 691 index ------------------------------------------------------------------


class StaticIndex:
    """A simple index over a folder of files on 127.0.0.1, as a staging index serves it.

    ``/simple/<project>/`` answers PEP 691 JSON when the client accepts it and
    PEP 503 HTML otherwise; files are under ``/files/``. ``hashes`` overrides
    the sha256 the index announces for a file (to model a corrupt index).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.hashes: dict[str, str] = {}
        self.requests: list[tuple[str, str]] = []
        index = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                index.requests.append((self.path, self.headers.get("Accept", "")))
                parts = [p for p in self.path.split("/") if p]
                if len(parts) == 2 and parts[0] == "files":
                    path = index.folder / parts[1]
                    if path.is_file():
                        return self._send(200, "application/octet-stream", path.read_bytes())
                if len(parts) == 2 and parts[0] == "simple":
                    files = [
                        p
                        for p in sorted(index.folder.iterdir())
                        if p.name.startswith(parts[1].replace("-", "_"))
                    ]
                    if files:
                        return self._project(parts[1], files)
                return self._send(404, "text/plain", b"not found")

            def _project(self, project: str, files: list[Path]) -> None:
                digests = {
                    p.name: index.hashes.get(p.name, hashlib.sha256(p.read_bytes()).hexdigest())
                    for p in files
                }
                if "application/vnd.pypi.simple.v1+json" in self.headers.get("Accept", ""):
                    body = {
                        "meta": {"api-version": "1.1"},
                        "name": project,
                        "files": [
                            {"filename": n, "url": f"/files/{n}", "hashes": {"sha256": d}}
                            for n, d in digests.items()
                        ],
                    }
                    data = json.dumps(body).encode()
                    return self._send(200, "application/vnd.pypi.simple.v1+json", data)
                links = "".join(
                    f'<a href="../../files/{n}#sha256={d}">{n}</a><br>' for n, d in digests.items()
                )
                self._send(200, "text/html", f"<html><body>{links}</body></html>".encode())

            def _send(self, status: int, ctype: str, data: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}/simple/"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


# -- distribution files without a build ---------------------------------------------

PYTHONS = ("cp39", "cp310", "cp311", "cp312", "cp313", "cp314")
PLATFORM_TAGS = (
    "manylinux_2_17_x86_64.manylinux2014_x86_64",
    "manylinux_2_17_aarch64.manylinux2014_aarch64",
    "musllinux_1_2_x86_64",
    "musllinux_1_2_aarch64",
    "macosx_10_9_x86_64",
    "macosx_11_0_arm64",
    "win_amd64",
    "win32",
    "win_arm64",
    "manylinux_2_17_ppc64le.manylinux2014_ppc64le",
)


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _metadata(name: str, version: str) -> str:
    return (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        f"Summary: {name} made for relman's tests\nRequires-Python: >=3.9\n"
        "Classifier: Programming Language :: Python :: 3\n"
        "Project-URL: Source, http://127.0.0.1/src\n"
        "Description-Content-Type: text/plain\n\nA test package.\n"
    )


def make_wheel(dest: Path, name: str, version: str, tag: str, *, size: int = 0) -> Path:
    """A valid wheel ``name-version-tag.whl`` with METADATA, WHEEL and RECORD."""
    module = name.replace("-", "_")
    dist_info = f"{module}-{version}.dist-info"
    files = {
        f"{module}/__init__.py": f'__version__ = "{version}"\nTAG = "{tag}"\n'.encode(),
        f"{module}/blob.bin": hashlib.shake_256(tag.encode()).digest(size) if size else b"",
        f"{dist_info}/METADATA": _metadata(name, version).encode(),
        f"{dist_info}/WHEEL": (
            f"Wheel-Version: 1.0\nGenerator: relman-tests\nRoot-Is-Purelib: false\nTag: {tag}\n"
        ).encode(),
    }
    record = "".join(f"{n},{_record_hash(d)},{len(d)}\n" for n, d in files.items())
    record += f"{dist_info}/RECORD,,\n"
    path = dest / f"{module}-{version}-{tag}.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, d in files.items():
            zf.writestr(zipfile.ZipInfo(n, (2020, 1, 1, 0, 0, 0)), d)
        zf.writestr(zipfile.ZipInfo(f"{dist_info}/RECORD", (2020, 1, 1, 0, 0, 0)), record)
    return path


def make_sdist(dest: Path, name: str, version: str) -> Path:
    module = name.replace("-", "_")
    base = f"{module}-{version}"
    files = {
        f"{base}/PKG-INFO": _metadata(name, version).encode(),
        f"{base}/pyproject.toml": (f'[project]\nname = "{name}"\nversion = "{version}"\n').encode(),
        f"{base}/{module}/__init__.py": f'__version__ = "{version}"\n'.encode(),
    }
    path = dest / f"{base}.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        for n, d in files.items():
            info = tarfile.TarInfo(n)
            info.size = len(d)
            info.mtime = 1577836800
            tf.addfile(info, io.BytesIO(d))
    return path


def make_dists(
    dest: Path,
    name: str = "many-wheels",
    version: str = "1.0.0",
    *,
    wheels: int = 60,
    size: int = 0,
) -> list[Path]:
    """``wheels`` distinct platform wheels and one sdist of ``name`` ``version``."""
    dest.mkdir(parents=True, exist_ok=True)
    tags = [f"{py}-{py}-{plat}" for plat in PLATFORM_TAGS for py in PYTHONS]
    if wheels > len(tags):
        raise ValueError(f"at most {len(tags)} wheels")
    out = [make_wheel(dest, name, version, tag, size=size) for tag in tags[:wheels]]
    out.append(make_sdist(dest, name, version))
    return out


@contextlib.contextmanager
def running_pypiserver(root: Path, **kw: str) -> Iterator[IndexServer]:
    server = start_pypiserver(root, **kw)
    try:
        yield server
    finally:
        server.stop()


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "serve":
        _serve(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
    else:
        print(__doc__)
        sys.exit(2)
