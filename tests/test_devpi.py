"""`relman publish` against a real devpi-server on 127.0.0.1, and an index whose
listing lags behind its uploads (a proxy in front of pypiserver that keeps
answering the listing from before the upload for a few seconds, as a CDN does).

devpi-server lists an index at ``<index>/+simple/``, not at ``<index>/simple/``
where relman looks by default; relman must find it with the defaults, or it
would upload everything on every run. A release to devpi whose dependency only
the user's own index (a pypiserver) has installs back in the install check.
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import INDEX_TOKEN
from tests.devpiserver import DevpiServer, start_devpi
from tests.helpers import GitRepo, run_relman
from tests.indexserver import FaultProxy, IndexServer, make_dists

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def devpi(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevpiServer]:
    server = start_devpi(tmp_path_factory.mktemp("devpi"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def project(git_repo: GitRepo) -> Path:
    git_repo.commit(
        "project", {"pyproject.toml": '[project]\nname = "many-wheels"\nversion = "1.0.0"\n'}
    )
    return git_repo.path


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    make_dists(tmp_path / "dist", wheels=3)
    return tmp_path / "dist"


def test_publish_to_devpi_with_defaults_and_rerun_uploads_nothing(
    project: Path, dist: Path, devpi: DevpiServer, fault_proxy: Callable[..., FaultProxy]
) -> None:
    proxy = fault_proxy(devpi.url)  # counts what relman sends
    to = f"{proxy.url}{devpi.user}/{devpi.index}/"
    env = {"TWINE_USERNAME": devpi.user, "TWINE_PASSWORD": devpi.password}
    out = run_relman("publish", str(dist), "--to", to, "--json", cwd=project, env=env)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    names = sorted(p.name for p in dist.iterdir())
    assert data["ok"] is True and all(f["verified"] for f in data["files"])
    assert data["install_url"] == f"{to}+simple/"
    assert devpi.listed("many-wheels") == names
    uploads = proxy.uploads()
    assert sorted(uploads) == names and uploads[-1].endswith(".tar.gz")

    again = run_relman("publish", str(dist), "--to", to, cwd=project, env=env)
    assert again.returncode == 0, again.stderr
    assert f"0 uploaded, {len(names)} skipped, 0 failed" in again.stderr
    assert proxy.uploads() == uploads  # nothing sent again
    assert devpi.password not in again.stdout + again.stderr + out.stdout + out.stderr


# -- a lagging listing ---------------------------------------------------------------


def _lagging(lag: float) -> Callable[[str, str, str | None, int], str]:
    """A rule: the project's listing answers as before the upload (404) until ``lag``
    seconds after the first upload, as a CDN holding the negative answer does."""
    first_upload: list[float] = []
    lock = threading.Lock()

    def rule(method: str, path: str, filename: str | None, n: int) -> str:
        with lock:
            if method == "POST" and not first_upload:
                first_upload.append(time.monotonic())
            stale = method == "GET" and "/simple/" in path and path.rstrip("/") != "/simple"
            if stale and (not first_upload or time.monotonic() - first_upload[0] < lag):
                return "status:404"
        return "ok"

    return rule


def test_a_lagging_listing_is_waited_for_and_the_wait_is_said(
    project: Path, dist: Path, pypiserver: IndexServer, fault_proxy: Callable[..., FaultProxy]
) -> None:
    proxy = fault_proxy(pypiserver.url, _lagging(4.0))
    env = {"RELMAN_INDEX_TOKEN": INDEX_TOKEN, "RELMAN_PUBLISH_VISIBILITY_TIMEOUT": "60"}
    out = run_relman("publish", str(dist), "--to", proxy.url, cwd=project, env=env)
    assert out.returncode == 0, out.stderr
    assert "(publish.visibility-timeout) for 4 uploaded file(s) to show in" in out.stderr
    assert "all uploaded files listed after" in out.stderr
    assert "4 uploaded, 0 skipped, 0 failed" in out.stderr
    assert sorted(proxy.uploads()) == sorted(p.name for p in dist.iterdir())


def test_a_listing_lagging_past_the_timeout_says_which_key_to_raise(
    project: Path, dist: Path, pypiserver: IndexServer, fault_proxy: Callable[..., FaultProxy]
) -> None:
    proxy = fault_proxy(pypiserver.url, _lagging(3600.0))
    env = {"RELMAN_INDEX_TOKEN": INDEX_TOKEN, "RELMAN_PUBLISH_VISIBILITY_TIMEOUT": "2"}
    out = run_relman("publish", str(dist), "--to", proxy.url, cwd=project, env=env)
    assert out.returncode == 5, out.stderr
    assert "4 uploaded file(s) are not listed by" in out.stderr
    assert "raise publish.visibility-timeout" in out.stderr
    assert len(pypiserver.files()) == 4  # stored: nothing to undo, a rerun resumes


# -- the release's install check -------------------------------------------------------


def test_release_to_devpi_installs_back_with_dependencies_from_the_users_index(
    example_repo, devpi: DevpiServer, pypiserver: IndexServer, tmp_path: Path
) -> None:
    # the purelib example (a small pure-Python package, the shape of attrs) now needs
    # a package that only the user's own index has, not the release's target
    from tests.indexserver import make_wheel

    demo = example_repo("purelib")
    path = demo.path
    make_wheel(pypiserver.packages, "dep-only-there", "2.0", "py3-none-any")
    text = (path / "pyproject.toml").read_text()
    (path / "pyproject.toml").write_text(
        text.replace("dependencies = []", 'dependencies = ["dep-only-there>=2"]', 1)
    )
    demo.repo.git("commit", "-qam", "MAINT: depend on dep-only-there")
    demo.repo.git("push", "-q", "origin", "main")
    env = {
        "TWINE_USERNAME": devpi.user,
        "TWINE_PASSWORD": devpi.password,
        "RELMAN_RELEASE_SIGN": "none",
    }
    # a fresh index of devpi's for this release
    env["RELMAN_PUBLISH_TARGET"] = devpi.new_index("release-check")
    # the user's pip looks only at the target: the dependency cannot be found, and
    # the resolver's own explanation is shown
    first = run_relman(
        "release",
        "1.1.0",
        "--yes",
        "--skip",
        "verify",
        cwd=path,
        env={**env, "PIP_INDEX_URL": f"{devpi.url}{devpi.user}/release-check/+simple/"},
    )
    assert first.returncode == 1, first.stderr[-3000:]
    assert "install-check" in first.stderr + first.stdout
    assert "dep-only-there" in first.stderr
    assert "release-check/+simple/" in first.stderr  # where the dependencies were looked for
    assert "No solution found" in first.stderr or "No matching distribution" in first.stderr
    # the user's pip is configured with their own index: the release installs back
    # (verify's clean environments are isolated from pip's configuration on purpose,
    # so they are skipped here, as a project with private dependencies must)
    again = run_relman(
        "release",
        "--resume",
        "--yes",
        "--skip",
        "verify",
        cwd=path,
        env={**env, "PIP_INDEX_URL": pypiserver.simple_url},
    )
    assert again.returncode == 0, again.stderr[-3000:]
    state = json.loads((path / ".git" / "relman" / "1.1.0.json").read_text())
    assert state["steps"]["install-check"]["installed"] == "1.1.0"
    names = {f for f in os.listdir(path / ".git" / "relman" / "1.1.0" / "dist")}
    assert {n for n in names if n.endswith((".whl", ".tar.gz"))} <= set(
        urllib.request.urlopen(
            f"{devpi.url}{devpi.user}/release-check/+simple/relman-demo-purelib/"
        )
        .read()
        .decode()
        .replace("<", " ")
        .replace(">", " ")
        .split()
    )
