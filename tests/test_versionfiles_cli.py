"""`relman version show/check/next/bump/set` on real repositories."""

from __future__ import annotations

import json

import pytest

from tests.helpers import GitRepo, run_relman, snapshot

INIT = "src/purelib/__init__.py"


def test_show_lists_every_source(example_repo) -> None:
    demo = example_repo("purelib")
    out = run_relman("version", "show", "--json", cwd=demo.path)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["version"] == "1.1.0.dev0"
    assert data["dynamic"] is None
    assert [(s["path"], s["kind"], s["version"]) for s in data["sources"]] == [
        ("pyproject.toml", "pyproject", "1.1.0.dev0"),
        (INIT, "python", "1.1.0.dev0"),
    ]
    text = run_relman("version", "show", cwd=demo.path)
    assert "version: 1.1.0.dev0" in text.stdout
    assert INIT in text.stdout and "python" in text.stdout


def test_check_agreement_and_tag_at_head(example_repo) -> None:
    demo = example_repo("purelib")
    ok = run_relman("version", "check", cwd=demo.path)
    assert ok.returncode == 0, ok.stderr
    assert "1.1.0.dev0: consistent" in ok.stdout
    init = demo.path / INIT
    init.write_text(init.read_text().replace("1.1.0.dev0", "1.0.9"))
    bad = run_relman("version", "check", cwd=demo.path)
    assert bad.returncode == 1
    assert "pyproject.toml has 1.1.0.dev0" in bad.stderr
    assert f"{INIT} has 1.0.9" in bad.stderr
    data = json.loads(run_relman("version", "check", "--json", cwd=demo.path).stdout)
    assert data["ok"] is False and len(data["problems"]) == 1
    demo.repo.git("checkout", "-q", "--", INIT)
    # HEAD tagged with a release tag that names another version
    demo.repo.git("tag", "v1.1.0")
    tagged = run_relman("version", "check", cwd=demo.path)
    assert tagged.returncode == 1
    assert "pyproject.toml has 1.1.0.dev0 but HEAD is tagged v1.1.0 (1.1.0)" in tagged.stderr
    # the release commit itself agrees with its tag
    demo.repo.git("tag", "-d", "v1.1.0")
    demo.repo.git("checkout", "-q", "v1.0.0")
    at_release = run_relman("version", "check", cwd=demo.path)
    assert at_release.returncode == 0, at_release.stderr


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("alpha", "1.1.0a1"),
        ("rc", "1.1.0rc1"),
        ("final", "1.1.0"),
        ("minor", "1.1.0"),
        ("major", "2.0.0"),
        ("dev", "1.1.0.dev1"),
    ],
)
def test_next(example_repo, kind: str, expected: str) -> None:
    demo = example_repo("purelib")
    out = run_relman("version", "next", kind, cwd=demo.path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == expected


def test_next_from_and_bad_kind(example_repo) -> None:
    demo = example_repo("purelib")
    out = run_relman("version", "next", "rc", "--from", "2.0.0rc1", cwd=demo.path)
    assert out.stdout.strip() == "2.0.0rc2"
    bad = run_relman("version", "next", "gamma", cwd=demo.path)
    assert bad.returncode == 2
    back = run_relman("version", "next", "alpha", "--from", "2.0.0rc1", cwd=demo.path)
    assert back.returncode == 2
    assert "back to an alpha" in back.stderr


def test_bump_dry_run_prints_diff_and_changes_nothing(example_repo) -> None:
    demo = example_repo("purelib")
    before = snapshot(demo.path)
    out = run_relman("version", "bump", "alpha", "--dry-run", cwd=demo.path)
    assert out.returncode == 0, out.stderr
    assert "--- a/pyproject.toml\n+++ b/pyproject.toml\n" in out.stdout
    assert '-version = "1.1.0.dev0"\n+version = "1.1.0a1"\n' in out.stdout
    assert f"--- a/{INIT}\n+++ b/{INIT}\n" in out.stdout
    assert '-__version__ = "1.1.0.dev0"\n+__version__ = "1.1.0a1"\n' in out.stdout
    assert snapshot(demo.path) == before


def test_bump_commit_makes_one_commit(example_repo) -> None:
    demo = example_repo("purelib")
    head = demo.repo.head()
    (demo.path / "notes.txt").write_text("unrelated, staged\n")
    demo.repo.git("add", "notes.txt")
    out = run_relman("version", "bump", "rc", "--commit", cwd=demo.path)
    assert out.returncode == 0, out.stderr
    assert demo.repo.git("rev-parse", "HEAD~1") == head
    assert demo.repo.git("log", "-1", "--format=%s") == "REL: set version to 1.1.0rc1"
    changed = demo.repo.git("show", "--name-only", "--format=", "HEAD").split()
    assert sorted(changed) == ["pyproject.toml", INIT]
    # the unrelated staged file stays staged, out of the version commit
    assert demo.repo.git("status", "--porcelain") == "A  notes.txt"
    data = json.loads(run_relman("version", "show", "--json", cwd=demo.path).stdout)
    assert data["version"] == "1.1.0rc1"
    status = json.loads(run_relman("status", "--json", cwd=demo.path).stdout)
    assert status["version"] == "1.1.0rc1"
    # 1.1.0rc1 is set and not tagged yet: it is the rc to release next (as an
    # untagged 1.0.1 is the next bug-fix); a second bump moves on to rc2
    assert status["pending_release"] is True
    assert status["next"]["rc"] == "1.1.0rc1"
    assert status["next"]["final"] == "1.1.0"
    assert status["next"]["alpha"] is None  # no going back from a release candidate
    again = run_relman("version", "bump", "rc", "--dry-run", cwd=demo.path)
    assert again.returncode == 0, again.stderr
    assert "1.1.0rc2" in again.stdout


def test_set_with_configured_commit_message(git_repo: GitRepo) -> None:
    git_repo.commit(
        "start",
        {
            "pyproject.toml": '[project]\nname = "p"\nversion = "0.1.0"\n\n'
            '[tool.relman.version]\ncommit-message = "MAINT: version {version}"\n'
        },
    )
    out = run_relman("version", "set", "0.2.0.dev0", "--commit", "--json", cwd=git_repo.path)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["files"] == ["pyproject.toml"]
    assert data["commit"] == git_repo.head()
    assert git_repo.git("log", "-1", "--format=%s") == "MAINT: version 0.2.0.dev0"
    assert git_repo.status() == ""


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("1.0.0",), "tag v1.0.0 already exists"),
        (("1.0.0", "--force"), "tag v1.0.0 already exists"),
        (("0.9.0",), "0.9.0 is not later than 1.1.0.dev0 (tag v1.1.0.dev0 on this branch)"),
        (("1.0.0rc1",), "1.0.0rc1 is not later than 1.1.0.dev0"),
        (("1.0.1",), "1.0.1 is not later than 1.1.0.dev0"),
        (("1.1.0-RC1",), "hint: write it as 1.1.0rc1"),
        (("1.1.0-RC1", "--force"), "hint: write it as 1.1.0rc1"),
        (("banana",), "not a valid PEP 440 version"),
    ],
)
def test_set_refusals_change_nothing(example_repo, args: tuple[str, ...], needle: str) -> None:
    demo = example_repo("purelib")
    before = snapshot(demo.path)
    head = demo.repo.head()
    out = run_relman("version", "set", *args, "--commit", cwd=demo.path)
    assert out.returncode == 2, out.stderr
    assert needle in out.stderr
    assert snapshot(demo.path) == before
    assert demo.repo.head() == head


def test_force_overrides_only_ordering(example_repo) -> None:
    demo = example_repo("purelib")
    out = run_relman("version", "set", "0.9.0", "--force", cwd=demo.path)
    assert out.returncode == 0, out.stderr
    assert "version set to 0.9.0 in 2 files" in out.stderr


def test_failed_multi_file_bump_is_byte_identical(example_repo) -> None:
    demo = example_repo("purelib")
    init = demo.path / INIT
    init.write_bytes(init.read_bytes() + b'\n__version__ = "1.1.0.dev0"  # again\n')
    before = snapshot(demo.path)
    out = run_relman("version", "set", "1.1.0b1", cwd=demo.path)
    assert out.returncode == 2
    assert "found 2 times (lines 7, 9)" in out.stderr and "no file was changed" in out.stderr
    assert snapshot(demo.path) == before
    bump = run_relman("version", "bump", "beta", cwd=demo.path)  # no single current version
    assert bump.returncode == 2
    assert "there is no single current version" in bump.stderr
    assert snapshot(demo.path) == before


def test_commit_refused_when_version_file_is_dirty(example_repo) -> None:
    demo = example_repo("purelib")
    pyproject = demo.path / "pyproject.toml"
    pyproject.write_bytes(pyproject.read_bytes() + b"# local edit\n")
    before = snapshot(demo.path)
    out = run_relman("version", "bump", "alpha", "--commit", cwd=demo.path)
    assert out.returncode == 2
    assert "pyproject.toml already has uncommitted changes" in out.stderr
    assert snapshot(demo.path) == before


def test_dynamic_version_project(git_repo: GitRepo) -> None:
    git_repo.commit(
        "start",
        {
            "pyproject.toml": '[build-system]\nrequires = ["hatchling", "hatch-vcs"]\n'
            'build-backend = "hatchling.build"\n\n'
            '[project]\nname = "dyn"\ndynamic = ["version"]\n\n'
            '[tool.hatch.version]\nsource = "vcs"\n',
            "src/dyn/__init__.py": "",
        },
    )
    git_repo.tag("v2.1.0", "dyn 2.1.0")
    show = run_relman("version", "show", cwd=git_repo.path)
    assert show.returncode == 0, show.stderr
    assert "dynamic: hatch-vcs" in show.stdout
    assert "the tag is the version" in show.stdout
    assert "version: 2.1.0" in show.stdout
    before = snapshot(git_repo.path)
    out = run_relman("version", "set", "2.2.0", cwd=git_repo.path)
    assert out.returncode == 2  # a version from git cannot be set in a file
    assert "comes from git (hatch-vcs)" in out.stderr
    assert "tag the release as v2.2.0" in out.stderr
    assert snapshot(git_repo.path) == before
    assert run_relman("version", "check", cwd=git_repo.path).returncode == 0


def test_dev_after_a_final_follows_the_branch(example_repo) -> None:
    demo = example_repo("purelib")
    assert run_relman("version", "set", "1.1.0", "--commit", cwd=demo.path).returncode == 0
    on_main = run_relman("version", "next", "dev", cwd=demo.path)
    assert on_main.stdout.strip() == "1.2.0.dev0"
    demo.repo.git("checkout", "-q", "-b", "maintenance/1.1.x")
    on_branch = run_relman("version", "bump", "dev", "--json", cwd=demo.path)
    assert on_branch.returncode == 0, on_branch.stderr
    assert json.loads(on_branch.stdout)["version"] == "1.1.1.dev0"


def test_generated_module_ignored_by_git_stays_out_of_the_commit(git_repo: GitRepo) -> None:
    git_repo.commit(
        "start",
        {
            "pyproject.toml": '[project]\nname = "gen"\nversion = "0.1.0"\n\n'
            '[tool.relman.version]\nmodule = "gen/version.py"\n',
            ".gitignore": "gen/version.py\n",
        },
    )
    head = git_repo.head()
    out = run_relman("version", "set", "0.2.0.dev0", "--commit", cwd=git_repo.path)
    assert out.returncode == 0, out.stderr
    assert git_repo.git("show", "--name-only", "--format=", "HEAD").split() == ["pyproject.toml"]
    module = (git_repo.path / "gen/version.py").read_text()
    assert f"full_version = '0.2.0.dev0+{head[:7]}'" in module
    assert "release = False" in module
    # the module records the revision it was written at: after the commit, HEAD moved
    again = run_relman("version", "set", "0.2.0.dev0", "--json", cwd=git_repo.path)
    assert json.loads(again.stdout)["files"] == ["gen/version.py"]
    assert f"git_revision = '{git_repo.head()}'" in (git_repo.path / "gen/version.py").read_text()
    same = run_relman("version", "set", "0.2.0.dev0", cwd=git_repo.path)
    assert same.returncode == 3
    assert "every source already holds 0.2.0.dev0" in same.stderr
    data = json.loads(run_relman("version", "show", "--json", cwd=git_repo.path).stdout)
    assert [(s["path"], s["kind"], s["version"], s["note"]) for s in data["sources"]] == [
        ("pyproject.toml", "pyproject", "0.2.0.dev0", None),
        ("gen/version.py", "version-module", "0.2.0.dev0", "generated"),
    ]
