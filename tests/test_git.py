"""The git layer against real repositories."""

from __future__ import annotations

from pathlib import Path

import pytest

from relman.errors import CommandError, NotARepository
from relman.git import Repo, find_repo
from tests.helpers import GitRepo


def test_find_repo_errors(tmp_path: Path) -> None:
    with pytest.raises(NotARepository):
        find_repo(tmp_path)


def test_verbs(git_repo: GitRepo) -> None:
    first = git_repo.commit("first", {"a.txt": "a\n"})
    git_repo.tag("v1.0.0", "release 1.0.0")
    git_repo.tag("light")
    second = git_repo.commit("second\n\nbody line", {"b.txt": "b\n"}, author="bob")
    repo = Repo(git_repo.path)
    assert repo.head() == second
    assert repo.current_branch() == "main"
    assert repo.tags() == {"v1.0.0": first, "light": first}
    assert repo.tag_message("v1.0.0").strip() == "release 1.0.0"
    assert repo.tag_message("light") is None
    assert repo.describe(match="v*").startswith("v1.0.0-1-g")
    assert repo.count_commits("v1.0.0..HEAD") == 1
    commits = list(repo.log("HEAD"))
    assert [c.subject for c in commits] == ["second", "first"]
    assert commits[0].author_name == "Bob Builder"
    assert commits[0].body == "body line"
    assert not repo.is_dirty()
    (git_repo.path / "new.txt").write_text("x")
    assert [e.path for e in repo.status()] == ["new.txt"]
    assert not repo.is_dirty(untracked=False)
    sha = repo.create_commit("add new", paths=["new.txt"])
    assert repo.head() == sha
    repo.create_tag("v1.1.0", "release 1.1.0", sign=False)
    assert repo.tags()["v1.1.0"] == sha
    assert repo.show_file("v1.0.0", "b.txt") is None
    assert repo.show_file("HEAD", "b.txt") == "b\n"
    assert repo.rev_parse("nope") is None
    assert repo.is_ancestor(first, sha)


def test_failed_command_carries_stderr(git_repo: GitRepo) -> None:
    git_repo.commit("first")
    repo = Repo(git_repo.path)
    with pytest.raises(CommandError) as info:
        repo.create_tag("bad..name", "x", sign=False)
    assert info.value.returncode != 0
    assert "not a valid tag name" in info.value.stderr
    assert info.value.exit_code == 4


def test_upstream_and_remote(example_repo) -> None:
    demo = example_repo("purelib")
    repo = demo.repo
    assert repo.upstream() == "origin/main"
    assert repo.ahead_behind("HEAD", "origin/main") == (0, 0)
    assert repo.remote_url("origin") == str(demo.remote)
    assert repo.remote_head_branch("origin") == "main"


def test_a_read_only_command_asks_git_each_question_once(git_repo: GitRepo) -> None:
    from relman.config import Config
    from relman.git import reading
    from relman.line import release_tags

    first = git_repo.commit("first", {"a.txt": "a\n"})
    git_repo.tag("v1.0.0", "release 1.0.0")
    repo = Repo(git_repo.path)
    config = Config(name="demo", project_dir=git_repo.path)
    with reading():
        assert repo.tags() == {"v1.0.0": first}
        assert [t.name for t in release_tags(config, repo)] == ["v1.0.0"]
        # a change made behind relman's back is not seen inside the block: the answer
        # was given once (the block is for commands that change nothing)
        second = git_repo.commit("second", {"b.txt": "b\n"})
        git_repo.tag("v1.1.0", "release 1.1.0")
        assert repo.head() == second  # a question not asked before is asked
        assert repo.tags() == {"v1.0.0": first}
        assert [t.name for t in release_tags(config, repo)] == ["v1.0.0"]
        # what a caller gets is its own copy
        repo.tags()["planted"] = first
        assert "planted" not in repo.tags()
        # a call that fails is an error every time, not remembered as an answer
        for _ in range(2):
            with pytest.raises(CommandError):
                repo.git("rev-parse", "--verify", "nope")
    # outside the block every call asks git
    assert repo.tags() == {"v1.0.0": first, "v1.1.0": second}
    assert [t.name for t in release_tags(config, repo)] == ["v1.0.0", "v1.1.0"]
