"""A whole release of examples/cext whose wheels come from GitHub Actions.

``build.wheels-from = "github-actions"``: relman builds the sdist itself,
pushes the tag, dispatches the release workflow on the local GitHub-shaped
server, follows the run, fetches its artifacts (through the storage redirect,
without the token), checks them against the expected matrix, verifies them,
publishes to the local index and makes the GitHub release as a draft, then
publishes it. The server's scripted run stands for the workflow `relman ci
init` writes: its wheel job is a real build of the tag's commit (one for each tree the
run's releases tag), retagged
manylinux as auditwheel does for an extension with no external libraries.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.github_server import Blob, FakeGitHub, ScriptedRun, fake_github, make_zip
from tests.helpers import run_relman, shared_once

pytestmark = pytest.mark.slow

MANYLINUX = "manylinux_2_17_x86_64.manylinux2014_x86_64"


def _commit(repo: Path, ref: str) -> str:
    return subprocess.run(
        ["git", "rev-parse", f"{ref}^{{commit}}"],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def _ci_build(
    repo: Path, ref: str, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, list[Blob]]:
    """What the workflow's jobs would upload for ``ref``: a real wheel of that commit.

    The build is of the commit's tree, made once for each tree in the run (the
    releases of these tests tag the same tree, so one build serves them all).
    """
    sha = _commit(repo, ref)
    tree = subprocess.run(
        ["git", "rev-parse", f"{ref}^{{tree}}"],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    out = shared_once(tmp_path_factory, f"ci-wheelhouse-{tree}", lambda f: _build(repo, sha, f))
    (tagged,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return sha, [
        Blob("sdist", make_zip({sdist.name: sdist.read_bytes()})),
        Blob("wheels-linux-x86_64", make_zip({tagged.name: tagged.read_bytes()})),
    ]


def _build(repo: Path, sha: str, out: Path) -> None:
    """Build the sdist and wheel of commit ``sha`` into ``out``, the wheel retagged manylinux."""
    src = out.parent / f"{out.name}-src"
    subprocess.run(["git", "clone", "-q", str(repo), str(src)], check=True)
    subprocess.run(["git", "checkout", "-q", sha], cwd=src, check=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--sdist",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(out),
            ".",
        ],
        cwd=src,
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("*.whl")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "wheel",
            "tags",
            "--platform-tag",
            MANYLINUX,
            "--remove",
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    shutil.rmtree(src)


def _cext_on_its_maintenance_branch(example_repo: Any) -> Path:
    """The cext example on maintenance/0.4.x, pushed and tracking its remote branch."""
    demo = example_repo("cext")
    demo.repo.git("checkout", "-q", "-b", "maintenance/0.4.x")
    demo.repo.git("push", "-q", "origin", "maintenance/0.4.x")
    demo.repo.git("branch", "-q", "--set-upstream-to=origin/maintenance/0.4.x")
    return Path(demo.path)


def _building_run(
    path: Path,
    factory: pytest.TempPathFactory,
    dispatched: list[dict[str, Any]],
    *,
    duration: float,
) -> Callable[[dict[str, Any]], ScriptedRun]:
    """A dispatch handler: records the body; the run builds the ref's real wheels."""

    def on_dispatch(body: dict[str, Any]) -> ScriptedRun:
        dispatched.append(body)
        return ScriptedRun(
            head_sha=_commit(path, body["ref"]),
            duration=duration,
            build=lambda: _ci_build(path, body["ref"], factory)[1],
        )

    return on_dispatch


def _ci_env(gh: FakeGitHub, **more: str) -> dict[str, str]:
    """A cext release whose wheels CI builds, its GitHub the local server, unsigned."""
    return {
        "RELMAN_RELEASE_SIGN": "none",
        "RELMAN_BUILD_WHEELS_FROM": "github-actions",
        "RELMAN_CI_POLL": "0.2",
        "RELMAN_GITHUB_REPO": "relman-demo/cext",
        "RELMAN_GITHUB_API_URL": gh.url,
        "GITHUB_TOKEN": gh.token,
        **more,
    }


def test_release_of_cext_with_wheels_from_github_actions(
    example_repo, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = _cext_on_its_maintenance_branch(example_repo)
    built: list[dict[str, Any]] = []

    with fake_github() as gh:
        gh.on_dispatch = _building_run(path, tmp_path_factory, built, duration=2.0)
        env = _ci_env(gh, RELMAN_PUBLISH_LOCAL_DIR=str(path.parent / "index"))
        plan = run_relman("plan", "0.4.0", cwd=path, env=env)
        assert plan.returncode == 0, plan.stdout + plan.stderr
        assert "find or start the run of release.yml for v0.4.0" in plan.stdout
        out = run_relman("release", "0.4.0", "--yes", cwd=path, env=env)
        assert out.returncode == 0, out.stdout + out.stderr
        assert gh.token not in out.stdout + out.stderr
        (release,) = gh.releases
        requests = list(gh.requests)
        storage = list(gh.storage_requests)
        run_id = gh.runs[0].id

    # dispatched once, for the tag, building only
    assert [(b["ref"], b["inputs"]) for b in built] == [
        ("v0.4.0", {"ref": "v0.4.0", "environment": "none"})
    ]
    assert any(f"/actions/runs/{run_id}/jobs" in r["path"] for r in requests)  # followed
    assert storage and all(r["auth"] is None for r in storage)  # storage never saw the token
    state = json.loads((path / ".git" / "relman" / "0.4.0.json").read_text())
    assert state["ci_run"] == run_id
    names = sorted(state["artifacts"])
    wheel, sdist = names
    assert sdist == "relman_demo_cext-0.4.0.tar.gz"  # built here, not taken from CI
    assert wheel.startswith("relman_demo_cext-0.4.0-cp311-cp311-") and "manylinux" in wheel
    assert state["steps"]["verify"]["status"] == "done"
    # published to the local index, both files
    index = path.parent / "index"
    assert {p.name for p in index.rglob("*") if p.name in names} == set(names)
    # the GitHub release: a draft with every file, checked, then published
    assert release["draft"] is False and release["tag_name"] == "v0.4.0"
    assert {a["name"] for a in release["assets"]} >= set(names)
    methods = [(r["method"], r.get("draft")) for r in requests if "/releases" in r["path"]]
    assert ("POST", True) in methods and methods[-1] == ("PATCH", False)


def test_release_of_cext_published_by_github_actions(
    example_repo, tmp_path_factory: pytest.TempPathFactory, pypiserver
) -> None:
    """publish.via = github-actions: CI's upload job publishes, relman checks the index."""
    import hashlib
    import io
    import zipfile

    path = _cext_on_its_maintenance_branch(example_repo)
    dispatched: list[dict[str, Any]] = []
    ci_files: dict[str, bytes] = {}

    with fake_github() as gh:

        def on_dispatch(body: dict[str, Any]) -> ScriptedRun:
            dispatched.append(body)
            env = body["inputs"]["environment"]
            if env == "none":

                def build() -> list[Blob]:
                    _, blobs = _ci_build(path, body["ref"], tmp_path_factory)
                    for blob in blobs:
                        with zipfile.ZipFile(io.BytesIO(blob.data)) as zf:
                            ci_files.update({n: zf.read(n) for n in zf.namelist()})
                    return blobs

                return ScriptedRun(head_sha=_commit(path, body["ref"]), duration=1.0, build=build)
            # the publish job: trusted publishing uploads what the run built
            for name, data in ci_files.items():
                (pypiserver.packages / name).write_bytes(data)
            return ScriptedRun(
                head_sha=_commit(path, body["ref"]),
                duration=1.0,
                jobs=["sdist", "wheels", "check", "publish"],
            )

        gh.on_dispatch = on_dispatch
        env = _ci_env(
            gh,
            RELMAN_PUBLISH_TARGET=pypiserver.url,
            RELMAN_PUBLISH_VIA="github-actions",
            PIP_CONFIG_FILE="/dev/null",
        )
        out = run_relman("release", "0.4.0", "--yes", cwd=path, env=env)
        assert out.returncode == 0, out.stdout + out.stderr
        (release,) = gh.releases

    assert [b["inputs"]["environment"] for b in dispatched] == ["none", "pypi"]
    want = {n: hashlib.sha256(d).hexdigest() for n, d in ci_files.items()}
    assert pypiserver.files() == want  # relman uploaded nothing itself
    state = json.loads((path / ".git" / "relman" / "0.4.0.json").read_text())
    assert state["artifacts"] == want  # the release's files are CI's, sdist included
    assert state["ci_publish_run"] != state["ci_run"]
    assert {a["name"] for a in release["assets"]} >= set(want)


def test_killed_during_the_wait_finds_its_run_again(
    example_repo, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """SIGKILL while the run is followed; the resumed release follows the same run."""
    path = _cext_on_its_maintenance_branch(example_repo)
    dispatched: list[dict[str, Any]] = []
    with fake_github() as gh:
        gh.on_dispatch = _building_run(path, tmp_path_factory, dispatched, duration=1.0)
        gh.return_run_details = False  # the run is found by the tag's commit
        env = _ci_env(gh, RELMAN_PUBLISH_LOCAL_DIR=str(path.parent / "index"))
        killed = run_relman(
            "release",
            "0.4.0",
            "--yes",
            cwd=path,
            env={**env, "RELMAN_FAULT_INJECT": "build:ci-wait"},
        )
        assert killed.returncode == -9, killed.stdout + killed.stderr
        state = json.loads((path / ".git" / "relman" / "0.4.0.json").read_text())
        run_id = state["ci_run"]
        assert run_id == gh.runs[0].id
        # the state is lost too: the run is found again by the tag's commit
        (path / ".git" / "relman" / "0.4.0.json").write_text(
            json.dumps({k: v for k, v in state.items() if k != "ci_run"})
        )
        resumed = run_relman("release", "0.4.0", "--yes", "--resume", cwd=path, env=env)
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert len(dispatched) == 1  # no second run was started
    state = json.loads((path / ".git" / "relman" / "0.4.0.json").read_text())
    assert state["ci_run"] == run_id
