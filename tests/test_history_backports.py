"""`relman backports` on real main and maintenance branches."""

from __future__ import annotations

import json

import pytest

from relman.errors import UsageError
from relman.git import Repo
from relman.history import find_backports
from relman.project import load_config
from tests.helpers import GitRepo, run_relman, snapshot

PYPROJECT = """\
[project]
name = "proj"
version = "1.3.0.dev0"

[tool.relman]
main-branch = "main"

[tool.relman.changelog]
backport-file = "backports.txt"
"""


@pytest.fixture
def branches(git_repo: GitRepo) -> tuple[GitRepo, dict[str, str]]:
    repo = git_repo
    repo.write({"pyproject.toml": PYPROJECT, "backports.txt": "# to backport\n13\n"})
    repo.commit("Initial import")
    repo.tag("v1.2.0", "release")
    repo.branch("maintenance/1.2.x")
    shas: dict[str, str] = {}
    shas["10"] = repo.commit(
        "BUG: fix a (#10)\n\nBackport-Candidate: yes\n", {"a.txt": "a fixed\n"}
    )
    shas["11"] = repo.commit(
        "BUG: fix b (#11)\n\nBackport-Candidate: yes\n", {"b.txt": "b fixed\n"}
    )
    repo.checkout("fix-c", create=True)
    shas["12-inner"] = repo.commit("BUG: fix c", {"c.txt": "c fixed\n"}, author="carol")
    repo.checkout("main")
    shas["12"] = repo.merge(
        "fix-c",
        "Merge pull request #12 from carol/fix-c\n\nBUG: fix c\n\nBackport-Candidate: yes\n",
    )
    shas["13"] = repo.commit("BUG: fix d (#13)", {"d.txt": "d fixed\n"})
    shas["14"] = repo.commit("ENH: a feature (#14)", {"e.txt": "feature\n"})
    shas["15"] = repo.commit(
        "BUG: fix f (#15)\n\nBackport-Candidate: yes\n", {"f.txt": "f fixed\n"}
    )
    shas["16"] = repo.commit("BUG: not wanted (#16)\n\nBackport-Candidate: no\n", {"g.txt": "g\n"})

    repo.checkout("maintenance/1.2.x")
    # 10: a plain cherry-pick keeps "(#10)" in the message
    repo.git("cherry-pick", shas["10"])
    # 12: cherry-pick -x of the PR's commit (its message has no number)
    repo.git("cherry-pick", "-x", shas["12-inner"])
    # 11: the same change made again by hand, another message: only the patch-id matches
    repo.commit("Backport the b fix to 1.2", {"b.txt": "b fixed\n"})
    # 13: a backport pull request that names the original one
    repo.commit("BUG: fix d on 1.2\n\nBackport of gh-13.\n", {"d.txt": "d fixed differently\n"})
    return repo, shas


def test_backports_statuses(branches):
    repo, shas = branches
    config = load_config(repo.path)
    report = find_backports(config, Repo(repo.path))
    assert report.branch == "maintenance/1.2.x"
    got = {b.number: (b.marked_by, b.backported, b.evidence, b.commit) for b in report.backports}
    assert got == {
        10: ("trailer", True, "pr-number", shas["10"]),
        11: ("trailer", True, "patch-id", shas["11"]),
        12: ("trailer", True, "cherry-pick", shas["12"]),
        13: ("file", True, "pr-number", shas["13"]),
        15: ("trailer", False, None, shas["15"]),
    }
    assert [b.number for b in report.missing] == [15]
    assert report.backports[2].title == "BUG: fix c"


def test_backports_cli_json_text_and_check(branches):
    repo, _ = branches
    out = run_relman("backports", "--json", cwd=repo.path)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["branch"] == "maintenance/1.2.x"
    assert data["main"] == "main"
    assert [(b["number"], b["backported"]) for b in data["backports"]] == [
        (10, True),
        (11, True),
        (12, True),
        (13, True),
        (15, False),
    ]
    text = run_relman("backports", "--missing", cwd=repo.path)
    assert text.returncode == 0, text.stderr
    assert "#15" in text.stdout and "missing" in text.stdout
    assert "#10" not in text.stdout
    check = run_relman("backports", "--check", cwd=repo.path)
    assert check.returncode == 1
    assert "1 pull request(s) marked for backport are not on maintenance/1.2.x" in check.stderr
    # from main, naming the branch
    repo.checkout("main")
    named = run_relman("backports", "--branch", "maintenance/1.2.x", "--json", cwd=repo.path)
    assert json.loads(named.stdout) == data


def test_backports_on_main_is_a_usage_error(branches):
    repo, _ = branches
    repo.checkout("main")
    before = snapshot(repo.path)
    out = run_relman("backports", cwd=repo.path)
    assert out.returncode == 2
    assert "main is the main branch" in out.stderr
    out = run_relman("backports", "--branch", "maintenance/9.9.x", cwd=repo.path)
    assert out.returncode == 2
    assert "maintenance branch 'maintenance/9.9.x' does not exist" in out.stderr
    assert snapshot(repo.path) == before


def test_missing_backport_file_is_reported(branches):
    repo, _ = branches
    (repo.path / "backports.txt").unlink()
    with pytest.raises(UsageError, match=r"backport file .* does not exist"):
        find_backports(load_config(repo.path), Repo(repo.path))
