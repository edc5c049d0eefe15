"""The blockers check against a local server answering GitHub's documented REST shapes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from relman.checks import run_checks
from relman.forge import Forge, list_blockers
from relman.project import load_config
from tests.github_server import TOKEN, FakeGitHub, fake_github, make_issue
from tests.helpers import GitRepo, run_relman
from tests.test_checks import make_project

MILESTONE = {"number": 7, "title": "1.1.0", "state": "open", "open_issues": 2}
ISSUES = [
    make_issue(11, "Crash on import", milestone=MILESTONE),
    make_issue(12, "Fix the docs build", milestone=MILESTONE, pr=True),
    make_issue(13, "Segfault in frob", labels=("release blocker", "bug")),
    make_issue(14, "Nice to have", labels=("enhancement",)),
    make_issue(15, "Leak in the parser", labels=("deferred blocker",)),
]


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with fake_github() as gh:
        gh.issues = list(ISSUES)
        gh.milestones = [{"number": 3, "title": "1.0.1", "state": "open"}, MILESTONE]
        gh.page_size = 1  # one item a page: relman must follow the Link header
        yield gh


def gh_project(tmp_path: Path, api_url: str) -> GitRepo:
    return make_project(
        tmp_path,
        extra=f'[tool.relman.github]\nrepo = "octo/demo"\napi-url = "{api_url}"\n',
    )


def test_list_blockers_reads_milestone_and_label(github: FakeGitHub) -> None:
    with Forge("octo/demo", TOKEN, api_url=github.url) as forge:
        found = list_blockers(forge, milestone="1.1.0", labels=["release blocker"])
    assert [(b.number, b.is_pull_request, b.milestone) for b in found] == [
        (11, False, "1.1.0"),
        (12, True, "1.1.0"),
        (13, False, None),
    ]
    assert found[2].labels == ("release blocker", "bug")
    assert any("page=2" in p for p in github.seen)  # followed the Link header


def test_blockers_fail_the_check(tmp_path: Path, github: FakeGitHub) -> None:
    repo = gh_project(tmp_path, github.url)
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


def test_no_blockers_passes(tmp_path: Path, github: FakeGitHub) -> None:
    github.issues = [ISSUES[3]]
    repo = gh_project(tmp_path, github.url)
    report = run_checks(
        load_config(repo.path),
        version="1.1.0",
        kind=None,
        only=["blockers"],
        environ={"GITHUB_TOKEN": TOKEN},
    )
    assert report.results[0].status == "passed"


def test_offline_or_refused_is_skipped_never_passed(tmp_path: Path, github: FakeGitHub) -> None:
    repo = gh_project(tmp_path, github.url)
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


def test_cli_reads_the_token_from_the_environment(tmp_path: Path, github: FakeGitHub) -> None:
    repo = gh_project(tmp_path, github.url)
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
