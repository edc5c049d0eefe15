"""Pull-request titles and backport labels from a local server speaking GitHub's GraphQL."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from relman.forge import Forge, fetch_pull_requests
from relman.git import Repo
from relman.history import collect_changelog, enrich_titles
from relman.project import load_config
from tests.github_server import TOKEN, FakeGitHub, fake_github
from tests.helpers import GitRepo, run_relman


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with fake_github() as gh:
        yield gh


def _project(repo: GitRepo, api_url: str, prs: int) -> None:
    repo.write(
        {
            "pyproject.toml": '[project]\nname = "p"\nversion = "1.1.0.dev0"\n\n'
            '[tool.relman.github]\nrepo = "o/r"\n'
            f'api-url = "{api_url}"\n\n'
            '[tool.relman.changelog]\npr-url = "https://github.com/o/r/pull/{number}"\n'
        }
    )
    repo.commit("Initial import")
    repo.tag("v1.0.0", "release")
    for n in range(1, prs + 1):
        repo.commit(f"MAINT: change {n} (#{n})", author="carol")


def test_titles_from_github_in_batches_cached(git_repo, github):
    _project(git_repo, github.url, 150)
    github.titles = {n: f"MAINT: change {n} as titled on `GitHub`" for n in range(1, 150)}
    env = {"GITHUB_TOKEN": TOKEN}
    out = run_relman("changelog", "--format", "json", cwd=git_repo.path, env=env)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    # 150 pull requests: two GraphQL requests, not 150
    assert len(github.requests) == 2, out.stderr
    assert all(r["path"] == "/graphql" for r in github.requests)
    assert github.requests[0]["variables"] == {"owner": "o", "name": "r"}
    assert github.requests[0]["query"].count("pullRequest(") == 100
    titles = {p["number"]: p["title"] for p in data["pull_requests"]}
    assert titles[7] == "MAINT: change 7 as titled on `GitHub`"
    assert titles[150] == "MAINT: change 150"  # unknown on GitHub: the title from git
    sources = {p["number"]: p["title_source"] for p in data["pull_requests"]}
    assert sources[7] == "github" and sources[150] == "git"
    assert "titles: 149 from GitHub, 1 from git" in out.stderr
    rst = run_relman("changelog", cwd=git_repo.path, env=env)
    assert "`__: MAINT: change 7 as titled on ``GitHub``\n" in rst.stdout
    assert len(github.requests) == 3  # only #150 is asked again; the rest is cached
    assert github.requests[2]["query"].count("pullRequest(") == 1
    # offline output does not depend on GitHub or its cache
    offline = run_relman("changelog", "--format", "json", "--offline", cwd=git_repo.path, env=env)
    no_token = run_relman("changelog", "--format", "json", cwd=git_repo.path)
    assert json.loads(offline.stdout) == json.loads(no_token.stdout)
    assert json.loads(offline.stdout)["pull_requests"][6]["title"] == "MAINT: change 7"
    assert len(github.requests) == 3


def test_github_failure_falls_back_to_git_titles(git_repo, github):
    _project(git_repo, github.url, 3)
    github.fail = True
    out = run_relman(
        "changelog", "--format", "json", cwd=git_repo.path, env={"GITHUB_TOKEN": TOKEN}
    )
    assert out.returncode == 0, out.stderr
    assert "warning: pull-request titles from git only: GitHub POST /graphql failed" in out.stderr
    assert TOKEN not in out.stderr
    assert [p["title"] for p in json.loads(out.stdout)["pull_requests"]] == [
        "MAINT: change 1",
        "MAINT: change 2",
        "MAINT: change 3",
    ]


def test_fetch_pull_requests_library(git_repo, github):
    github.titles = {5: "Five", 6: "Six"}
    github.labels = {6: ["backport-candidate", "bug"]}
    with Forge("o/r", TOKEN, api_url=github.url) as forge:
        found = fetch_pull_requests(forge, [6, 5, 7, 5])
    assert sorted(found) == [5, 6]
    assert found[6].labels == ("backport-candidate", "bug")
    assert found[5].url == "https://github.com/o/r/pull/5"
    assert len(github.requests) == 1


def test_enrich_titles_writes_cache_in_git_dir(git_repo, github):
    _project(git_repo, github.url, 2)
    github.titles = {1: "One from GitHub", 2: "Two from GitHub"}
    config, repo = load_config(git_repo.path), Repo(git_repo.path)
    log = collect_changelog(config, repo, "v1.0.0..HEAD")
    with Forge("o/r", TOKEN, api_url=github.url) as forge:
        rich = enrich_titles(log, repo, forge)
    assert [p.title for p in rich.pull_requests] == ["One from GitHub", "Two from GitHub"]
    cache = repo.git_dir / "relman" / "pr-titles.json"
    assert json.loads(cache.read_text())["o/r"]["1"]["title"] == "One from GitHub"
    assert git_repo.status() == ""  # the cache never dirties the tree


def test_backport_label_from_github(git_repo, github):
    git_repo.write(
        {
            "pyproject.toml": '[project]\nname = "p"\nversion = "1.1.0.dev0"\n\n'
            f'[tool.relman.github]\nrepo = "o/r"\napi-url = "{github.url}"\n'
        }
    )
    git_repo.commit("Initial import")
    git_repo.branch("maintenance/1.0.x")
    git_repo.commit("BUG: labelled (#21)", {"x.txt": "x\n"})
    git_repo.commit("BUG: not labelled (#22)", {"y.txt": "y\n"})
    git_repo.checkout("maintenance/1.0.x")
    git_repo.commit("MAINT: branch work", {"z.txt": "z\n"})
    github.titles = {21: "BUG: labelled", 22: "BUG: not labelled"}
    github.labels = {21: ["backport-candidate"]}
    out = run_relman("backports", "--json", cwd=git_repo.path, env={"GITHUB_TOKEN": TOKEN})
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)["backports"]
    assert [(b["number"], b["marked_by"], b["backported"]) for b in data] == [(21, "label", False)]
    offline = run_relman("backports", "--json", "--offline", cwd=git_repo.path)
    assert json.loads(offline.stdout)["backports"] == []
