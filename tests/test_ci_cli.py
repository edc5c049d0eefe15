"""`relman ci run / status / rerun-failed` and `relman wheels fetch --from github-actions`.

The real command line against the local GitHub-shaped server; the project is
examples/cext (its wheels list is one cp311 manylinux x86_64 wheel).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.github_server import TOKEN, Blob, FakeGitHub, ScriptedRun, fake_github, make_zip
from tests.helpers import EXAMPLES, GitRepo, run_relman

WHEEL = "relman_demo_cext-0.4.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    with fake_github() as server:
        yield server


def _project(tmp_path: Path, gh: FakeGitHub) -> GitRepo:
    dest = tmp_path / "cext"
    shutil.copytree(EXAMPLES / "cext", dest)
    py = dest / "pyproject.toml"
    py.write_text(
        py.read_text()
        + f'\n[tool.relman.github]\nrepo = "octo/demo"\napi-url = "{gh.url}"\n'
        + "\n[tool.relman.ci]\npoll = 0.1\n"
    )
    repo = GitRepo(dest)
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "initial")
    repo.git("tag", "v0.4.0")
    return repo


ENV = {"GITHUB_TOKEN": TOKEN, "NO_COLOR": "1"}


def _blobs() -> list[Blob]:
    return [
        Blob("sdist", make_zip({"relman_demo_cext-0.4.0.tar.gz": b"sdist"})),
        Blob("wheels-linux-x86_64", make_zip({WHEEL: b"wheel" * 100})),
    ]


def test_run_dispatches_follows_and_reports(tmp_path: Path, gh: FakeGitHub) -> None:
    repo = _project(tmp_path, gh)
    sha = repo.git("rev-parse", "HEAD").strip()
    gh.on_dispatch = lambda body: ScriptedRun(head_sha=sha, duration=1.0, blobs=_blobs())
    out = run_relman("--json", "ci", "run", cwd=repo.path, env=ENV)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["conclusion"] == "success" and data["head_sha"] == sha
    assert [j["state"] for j in data["jobs"]] == ["passed"] * 3
    (run,) = gh.runs
    assert run.inputs == {"ref": "v0.4.0", "environment": "none"}
    # the changes went to stderr as they happened
    assert "sdist: queued" in out.stderr and "sdist: passed" in out.stderr
    assert TOKEN not in out.stdout + out.stderr
    # status shows the same table once
    out = run_relman("ci", "status", cwd=repo.path, env=ENV)
    assert out.returncode == 0 and "passed" in out.stdout and str(run.id) in out.stdout


def test_no_wait_returns_the_run_id(tmp_path: Path, gh: FakeGitHub) -> None:
    repo = _project(tmp_path, gh)
    gh.return_run_details = False  # found by commit and event instead
    gh.on_dispatch = lambda body: ScriptedRun(head_sha=repo.git("rev-parse", "HEAD").strip())
    out = run_relman("ci", "run", "--no-wait", "--environment", "testpypi", cwd=repo.path, env=ENV)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(gh.runs[0].id)
    assert gh.runs[0].inputs["environment"] == "testpypi"


def test_failed_run_is_exit_1_then_rerun_failed(tmp_path: Path, gh: FakeGitHub) -> None:
    repo = _project(tmp_path, gh)
    sha = repo.git("rev-parse", "HEAD").strip()
    gh.on_dispatch = lambda body: ScriptedRun(head_sha=sha, duration=0.5, failing={"wheels"})
    out = run_relman("ci", "run", cwd=repo.path, env=ENV)
    assert out.returncode == 1
    run_id = gh.runs[0].id
    assert "wheels failed" in out.stderr and f"rerun-failed {run_id}" in out.stderr
    out = run_relman("ci", "rerun-failed", str(run_id), cwd=repo.path, env=ENV)
    assert out.returncode == 0, out.stderr
    assert gh.runs[0].attempt == 2


def test_api_failure_is_exit_5(tmp_path: Path, gh: FakeGitHub) -> None:
    repo = _project(tmp_path, gh)
    gh.fail = True
    out = run_relman("ci", "status", "7", cwd=repo.path, env=ENV)
    assert out.returncode == 5 and "HTTP 502" in out.stderr


def test_offline_ci_run_is_a_usage_error(tmp_path: Path, gh: FakeGitHub) -> None:
    repo = _project(tmp_path, gh)
    out = run_relman("ci", "run", cwd=repo.path, env={"GITHUB_TOKEN": "", "NO_COLOR": "1"})
    assert out.returncode == 2 and "no token" in out.stderr


def test_wheels_fetch_from_the_tags_run(tmp_path: Path, gh: FakeGitHub) -> None:
    repo = _project(tmp_path, gh)
    sha = repo.git("rev-parse", "v0.4.0^{commit}").strip()
    run = gh.add_run(ScriptedRun(head_sha=sha, duration=0, blobs=_blobs()))
    dest = tmp_path / "dist"
    args = ["wheels", "fetch", "relman-demo-cext", "0.4.0", "--dest", str(dest)]
    out = run_relman(*args, "--from", "github-actions", "--json", cwd=repo.path, env=ENV)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["run_id"] == run.id and data["missing"] == []
    assert sorted(p.name for p in dest.iterdir()) == sorted(
        ["relman_demo_cext-0.4.0.tar.gz", WHEEL]
    )
    assert all(r["auth"] is None for r in gh.storage_requests)
    # again, with the run given: nothing is downloaded twice
    before = len(gh.storage_requests)
    out = run_relman(*args, "--from", f"github-actions:{run.id}", cwd=repo.path, env=ENV)
    assert out.returncode == 0, out.stderr
    assert len(gh.storage_requests) == before
    assert "0 artifacts downloaded, 2 already present" in out.stderr


def test_wheels_fetch_incomplete_matrix_is_exit_1(tmp_path: Path, gh: FakeGitHub) -> None:
    repo = _project(tmp_path, gh)
    sha = repo.git("rev-parse", "v0.4.0^{commit}").strip()
    gh.add_run(ScriptedRun(head_sha=sha, duration=0, blobs=_blobs()[:1]))
    out = run_relman(
        "wheels",
        "fetch",
        "relman-demo-cext",
        "0.4.0",
        "--from",
        "github-actions",
        "--dest",
        str(tmp_path / "d"),
        cwd=repo.path,
        env=ENV,
    )
    assert out.returncode == 1 and "missing: cp311-manylinux_x86_64" in out.stderr


def test_run_in_a_separate_release_repository(tmp_path: Path, gh: FakeGitHub) -> None:
    """NumPy's shape: the workflow lives in numpy-release, runs at its main, builds our tag."""
    repo = _project(tmp_path, gh)
    py = repo.path / "pyproject.toml"
    py.write_text(py.read_text().replace("poll = 0.1", 'poll = 0.1\nrepo = "octo/demo-release"'))
    repo.git("commit", "-q", "-am", "ci in a separate repository")
    gh.return_run_details = False
    gh.on_dispatch = lambda body: ScriptedRun(head_sha="f" * 40)  # the release repo's commit
    out = run_relman("ci", "run", "--no-wait", "--ref", "v0.4.0", cwd=repo.path, env=ENV)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(gh.runs[0].id)
    dispatch = next(r for r in gh.requests if r["path"].endswith("/dispatches"))
    assert dispatch["path"].startswith("/repos/octo/demo-release/")
    assert dispatch["ref"] == "main" and dispatch["inputs"]["ref"] == "v0.4.0"
