"""A real devpi-server on 127.0.0.1 for tests, with one user and one index.

devpi-server needs pyramid, which pins setuptools below the version this
machine's Python carries, so it lives in an environment of its own:
``tools/test`` makes it at ``build/devpi-env`` from
``tests/requirements-devpi.txt`` (``RELMAN_DEVPI_ENV`` names another one).
:func:`start_devpi` initialises a server folder in a temporary folder
(``devpi-init --no-root-pypi``: no mirror of any public index), starts
``devpi-server --offline-mode`` on a free loopback port, polls it until it
answers, then makes the user and its index through devpi's HTTP API, as
``devpi user -c`` and ``devpi index -c`` do. Uploads go to
:attr:`DevpiServer.index_url` (twine's way, HTTP Basic); devpi lists the
index at ``<index>/+simple/``.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.indexserver import wait_until_answering

ROOT = Path(__file__).resolve().parent.parent
DEVPI_ENV = Path(os.environ.get("RELMAN_DEVPI_ENV") or ROOT / "build" / "devpi-env")


@dataclass
class DevpiServer:
    url: str  # the server's root, http://127.0.0.1:PORT/
    user: str
    password: str
    index: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def index_url(self) -> str:
        """The index's own URL: where twine uploads."""
        return f"{self.url}{self.user}/{self.index}/"

    @property
    def simple_url(self) -> str:
        return self.index_url + "+simple/"

    def listed(self, project: str) -> list[str]:
        """File names the index lists for ``project``, read as pip reads them."""
        try:
            with urllib.request.urlopen(f"{self.simple_url}{project}/", timeout=30) as resp:
                body = resp.read().decode()
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return []
            raise
        names = []
        for part in body.split("<a ")[1:]:
            names.append(part.split(">", 1)[1].split("<", 1)[0].strip())
        return sorted(names)

    def new_index(self, name: str) -> str:
        """Make another index of the user (as ``devpi index -c``); its upload URL."""
        url = f"{self.url}{self.user}/{name}/"
        _call(
            "PUT",
            url,
            {"type": "stage", "bases": [], "volatile": False},
            auth=f"{self.user}:{self.password}",
        )
        return url

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _bin(name: str) -> Path:
    path = DEVPI_ENV / "bin" / name
    if not path.exists():
        raise RuntimeError(
            f"{path} is missing: tools/test installs devpi-server into {DEVPI_ENV} "
            "(python -m venv build/devpi-env && build/devpi-env/bin/pip install "
            "-r tests/requirements-devpi.txt), or set RELMAN_DEVPI_ENV"
        )
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _call(method: str, url: str, body: dict[str, object], auth: str | None = None) -> None:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(auth.encode()).decode()
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers=headers, method=method
    )
    with urllib.request.urlopen(request, timeout=60) as resp:
        resp.read()


def start_devpi(
    root: Path, *, user: str = "alice", password: str = "devpi-secret-pw", index: str = "dev"
) -> DevpiServer:
    serverdir = root / "devpi-server"
    log = root / "devpi-server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "DEVPI_"))}
    with log.open("ab") as out:
        subprocess.run(
            [str(_bin("devpi-init")), "--serverdir", str(serverdir), "--no-root-pypi"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            check=True,
            timeout=300,
        )
    port = _free_port()
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [
                str(_bin("devpi-server")),
                "--serverdir",
                str(serverdir),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--offline-mode",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    url = f"http://127.0.0.1:{port}/"
    # a loaded machine starts it slowly
    wait_until_answering(
        url + "+api", proc, log, name="devpi-server", seconds=300, timeout=5, interval=0.2
    )
    server = DevpiServer(url, user, password, index, proc, log)
    try:
        _call("PUT", f"{url}{user}", {"password": password, "email": f"{user}@127.0.0.1"})
        server.new_index(index)
    except BaseException:
        server.stop()
        raise
    return server
