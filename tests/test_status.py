from __future__ import annotations

import json

import pytest

from tests.helpers import GitRepo, run_relman


@pytest.mark.parametrize(
    ("example", "previous", "version"),
    [("purelib", "1.0.0", "1.1.0.dev0"), ("cext", "0.3.0", "0.4.0.dev0")],
)
def test_status_on_examples(example_repo, example: str, previous: str, version: str) -> None:
    demo = example_repo(example)
    out = run_relman("status", "--json", cwd=demo.path)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["version"] == version
    assert data["consistent"] is True
    assert len(data["version_sources"]) == 2
    assert data["last_release"]["tag"] == f"v{previous}"
    assert data["commits_since_release"] == demo.repo.count_commits(f"v{previous}..HEAD") > 0
    assert data["branch"] == "main"
    assert data["clean"] is True
    base = version.removesuffix(".dev0")
    assert data["next"]["final"] == base
    assert data["next"]["alpha"] == base + "a1"
    assert data["next"]["rc"] == base + "rc1"


def test_status_text_and_dirty_tree(example_repo) -> None:
    demo = example_repo("purelib")
    (demo.path / "scratch.txt").write_text("x")
    out = run_relman("status", cwd=demo.path)
    assert out.returncode == 0
    assert "uncommitted changes" in out.stdout
    assert "last release: v1.0.0" in out.stdout


def test_status_names_the_last_release_once_and_counts_in_words(git_repo: GitRepo) -> None:
    git_repo.commit("init", {"pyproject.toml": '[project]\nname = "plain"\nversion = "1.0.0"\n'})
    shown = run_relman("status", cwd=git_repo.path)
    assert shown.returncode == 0, shown.stderr
    assert "last release: none (1 commit)\n" in shown.stdout
    git_repo.tag("v1.0.0")
    git_repo.commit("work", {"pyproject.toml": '[project]\nname = "plain"\nversion = "1.0.1"\n'})
    git_repo.commit("more work", {"work.txt": "1\n"})
    for args in (("status",), ("--yes", "status")):  # without click, and through it
        shown = run_relman(*args, cwd=git_repo.path)
        assert shown.returncode == 0, shown.stderr
        lines = [line for line in shown.stdout.splitlines() if line.startswith("last release:")]
        assert lines == ["last release: v1.0.0 (2 commits since)"], shown.stdout


def test_status_without_table_or_tags(git_repo: GitRepo) -> None:
    git_repo.commit("init", {"pyproject.toml": '[project]\nname = "plain"\nversion = "0.9.1"\n'})
    out = run_relman("status", "--json", cwd=git_repo.path)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["last_release"] is None
    assert data["next"]["bug-fix"] == "0.9.2"
    assert data["next"]["minor"] == "0.10.0"


def test_status_reads_the_tags_once(git_repo: GitRepo, tmp_path) -> None:
    # astropy's shape: the version from git (setuptools-scm), releases tagged on
    # v{major}.{minor}.x maintenance branches; the tags are read in two threads at once
    git_repo.commit(
        "init",
        {
            "pyproject.toml": '[build-system]\nrequires = ["setuptools>=64", "setuptools_scm>=8"]\n'
            'build-backend = "setuptools.build_meta"\n\n[project]\nname = "lined"\n'
            'dynamic = ["version"]\n\n[tool.setuptools_scm]\n'
        },
    )
    for minor in (0, 1):
        git_repo.branch(f"v1.{minor}.x")
        git_repo.git("checkout", "-q", f"v1.{minor}.x")
        for micro in (0, 1):
            git_repo.commit(f"fix 1.{minor}.{micro}", {"fix.txt": f"{minor}.{micro}\n"})
            git_repo.tag(f"v1.{minor}.{micro}")
        git_repo.git("checkout", "-q", "main")
        git_repo.commit(f"work after 1.{minor}", {"work.txt": f"{minor}\n"})
    for run in ("cold", "warm"):
        trace = tmp_path / f"{run}.trace"
        out = run_relman("status", "--json", cwd=git_repo.path, env={"GIT_TRACE": str(trace)})
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["lines"][0]["last_release"]["tag"] == "v1.1.1"
        calls = [
            line.split("built-in: ", 1)[1]
            for line in trace.read_text().splitlines()
            if "built-in: git " in line
        ]
        assert sum("show-ref --tags" in c for c in calls) == 1, (run, calls)
        assert not any("for-each-ref" in c and "refs/tags" in c for c in calls), (run, calls)
