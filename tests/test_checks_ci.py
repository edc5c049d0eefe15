"""The ci check: check runs and commit statuses of the release commit, from the local server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from relman.checks import run_checks
from relman.project import load_config
from tests.github_server import TOKEN, FakeGitHub, fake_github
from tests.test_checks_blockers import gh_project


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with fake_github() as gh:
        gh.page_size = 1
        yield gh


def _run(repo_path: Path, environ: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return run_checks(
        load_config(repo_path),
        version="1.1.0",
        kind=None,
        only=["ci"],
        environ={"GITHUB_TOKEN": TOKEN} if environ is None else environ,
    )


def _check_run(name: str, status: str, conclusion: str | None) -> dict[str, object]:
    return {
        "id": abs(hash(name)) % 10_000,
        "name": name,
        "status": status,
        "conclusion": conclusion,
        "html_url": f"https://github.com/octo/demo/runs/{name}",
    }


def test_failure_is_an_error_pending_a_warning(tmp_path: Path, github: FakeGitHub) -> None:
    repo = gh_project(tmp_path, github.url)
    sha = repo.git("rev-parse", "HEAD").strip()
    github.check_runs[sha] = [
        _check_run("tests (3.12)", "completed", "success"),
        _check_run("docs", "completed", "failure"),
        _check_run("wheels", "in_progress", None),
    ]
    github.statuses[sha] = [
        {"state": "pending", "context": "ci/circleci", "target_url": "https://circleci.com/x"}
    ]
    report = _run(repo.path)
    assert [f.message for f in report.errors] == [f"docs failed on {sha[:12]}"]
    assert [f.message for f in report.warnings] == [
        f"still running on {sha[:12]}: ci/circleci, wheels"
    ]
    assert any("page=2" in p for p in github.seen)  # check runs are paginated


def test_green_passes(tmp_path: Path, github: FakeGitHub) -> None:
    repo = gh_project(tmp_path, github.url)
    sha = repo.git("rev-parse", "HEAD").strip()
    github.check_runs[sha] = [_check_run("tests", "completed", "success")]
    github.statuses[sha] = [{"state": "success", "context": "ci/circleci", "target_url": ""}]
    assert _run(repo.path).results[0].status == "passed"


def test_offline_is_skipped_with_a_reason(tmp_path: Path, github: FakeGitHub) -> None:
    repo = gh_project(tmp_path, github.url)
    (res,) = _run(repo.path, environ={}).results
    assert res.status == "skipped" and "offline" in (res.reason or "")
