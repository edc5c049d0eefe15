"""Changelog, authors and mailmap check from real git histories."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relman.git import Repo
from relman.history import (
    collect_changelog,
    default_range,
    find_duplicate_identities,
    render_changelog,
    sanitize_title,
    write_changelog,
)
from relman.project import load_config
from tests.helpers import GitRepo, run_relman, snapshot

PYPROJECT = """\
[project]
name = "proj"
version = "{version}"

[tool.relman]
main-branch = "main"

[tool.relman.changelog]
pr-url = "https://example.org/proj/pull/{{number}}"
path = "doc/changelog/{{version}}-changelog.rst"
"""

ANN = ("Ann Author", "ann@example.org")
BEN = ("Ben Builder", "ben@example.org")
BEN_ALIAS = ("benb", "999+benb@users.noreply.github.com")
CAT = ("Cat Coder", "cat@example.org")
DAN = ("Dan Doe", "dan@example.org")
BOT = ("pre-commit-ci[bot]", "66853113+pre-commit-ci[bot]@users.noreply.github.com")


def make_project(repo: GitRepo, version: str = "1.3.0.dev0") -> GitRepo:
    repo.write({"pyproject.toml": PYPROJECT.format(version=version)})
    repo.commit("Initial import", author=ANN)
    return repo


@pytest.fixture
def project(git_repo: GitRepo) -> GitRepo:
    return make_project(git_repo)


def _config_repo(repo: GitRepo) -> tuple[object, Repo]:
    return load_config(repo.path), Repo(repo.path)


# -- the demo history: NumPy's shape, peer comparison ---------------------------


EXPECTED_DEMO_RST = """
Contributors
============

A total of 4 people contributed to this release.  People with a "+" by their
names contributed a patch for the first time.

* Ada Lovelace
* Bob Builder
* Carol Chen +
* Dave Dev +

Pull requests merged
====================

A total of 4 pull requests were merged for this release.

* `#12 <https://github.com/relman-demo/purelib/pull/12>`__: ENH: the change described in 12.new_feature.rst
* `#15 <https://github.com/relman-demo/purelib/pull/15>`__: BUG: fix the behaviour described in 15.bugfix.rst
* `#16 <https://github.com/relman-demo/purelib/pull/16>`__: MAINT: Bump actions/checkout from 4 to 5
* `#18 <https://github.com/relman-demo/purelib/pull/18>`__: MAINT: change described in 18.deprecation.rst
"""


def test_demo_changelog_rst_in_numpy_shape(example_repo):
    demo = example_repo("purelib")
    out = run_relman("changelog", cwd=demo.path)
    assert out.returncode == 0, out.stderr
    assert out.stdout == EXPECTED_DEMO_RST
    assert "range: v1.1.0.dev0..HEAD" in out.stderr


def _shortlog_names(path: Path, rev: str) -> set[str]:
    out = subprocess.run(
        ["git", "shortlog", "-s", "--group=author", "--group=trailer:co-authored-by", rev],
        cwd=path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {line.split("\t", 1)[1] for line in out.splitlines() if "\t" in line}


def test_authors_match_git_shortlog_like_numpy(example_repo):
    """NumPy's tools/changelog.py reads authors with git shortlog: same names, same '+'."""
    demo = example_repo("purelib")
    config, repo = load_config(demo.path), Repo(demo.path)
    log = collect_changelog(config, repo, "v1.1.0.dev0..HEAD")
    current = _shortlog_names(demo.path, "v1.1.0.dev0..HEAD") - {"dependabot[bot]"}
    previous = _shortlog_names(demo.path, "v1.1.0.dev0")
    expected = sorted([f"{n} +" for n in current - previous] + list(current & previous))
    assert [a.display for a in log.authors] == expected


def test_json_shape(example_repo):
    demo = example_repo("purelib")
    out = run_relman("changelog", "--format", "json", cwd=demo.path)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) == {"range", "style", "first_timers_known", "authors", "pull_requests"}
    assert data["style"] == "default" and data["first_timers_known"] is True
    assert data["range"] == "v1.1.0.dev0..HEAD"
    assert data["authors"][2] == {"name": "Carol Chen", "new": True, "commits": 1}
    assert data["pull_requests"][0] == {
        "number": 12,
        "title": "ENH: the change described in 12.new_feature.rst",
        "url": "https://github.com/relman-demo/purelib/pull/12",
        "title_source": "git",
    }
    # --json means the same
    again = run_relman("changelog", "--json", cwd=demo.path)
    assert json.loads(again.stdout) == data


def test_markdown(example_repo):
    demo = example_repo("purelib")
    out = run_relman("changelog", "--format", "md", "--release", "1.1.0", cwd=demo.path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("# Changelog for 1.1.0\n\n## Contributors\n")
    assert "* Carol Chen +\n" in out.stdout
    assert "* [#15](https://github.com/relman-demo/purelib/pull/15): BUG: fix" in out.stdout


# -- authors ------------------------------------------------------------------


def test_mailmap_coauthors_bots_and_first_timers(project):
    project.write(
        {".mailmap": "Ben Builder <ben@example.org> <999+benb@users.noreply.github.com>\n"}
    )
    project.commit("MAINT: add a mailmap", author=BEN)
    project.tag("v1.2.0", "release")
    project.commit("ENH: first feature (#20)", author=BEN_ALIAS)
    project.commit(
        "BUG: fix it (#21)\n\nCo-authored-by: benb <999+benb@users.noreply.github.com>\n"
        "Co-authored-by: Dan Doe <dan@example.org>\n",
        author=CAT,
    )
    project.commit("MAINT: autoupdate (#22)", author=BOT)
    project.commit("DOC: typo (#24)", author=("Tom Abbot", "tom@example.org"))  # not "*[bot]"
    project.commit(
        "MAINT: bump (#23)\n\nCo-authored-by: dependabot[bot] <support@github.com>\n",
        author=("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com"),
    )
    config, repo = _config_repo(project)
    log = collect_changelog(config, repo, "v1.2.0..HEAD")
    assert [(a.name, a.new, a.commits) for a in log.authors] == [
        ("Ben Builder", False, 2),  # author of #20 and co-author of #21, one name
        ("Cat Coder", True, 1),
        ("Dan Doe", True, 1),
        ("Tom Abbot", True, 1),
    ]
    assert [a.display for a in log.authors][:3] == ["Ben Builder", "Cat Coder +", "Dan Doe +"]


def test_a_folded_coauthor_trailer_is_read_whole(project):
    """A Co-authored-by value folded onto a second line (git keeps the line break in
    it) names its person; git check-mailmap, which reads a contact a line, never sees it."""
    project.tag("v1.2.0", "release")
    project.commit(
        "ENH: x (#3)\n\nCo-authored-by: Fold Ed\n <fold@example.org>\n"
        "Co-authored-by: benb <999+benb@users.noreply.github.com>\n",
        author=CAT,
    )
    project.write(
        {".mailmap": "Ben Builder <ben@example.org> <999+benb@users.noreply.github.com>\n"}
    )
    out = run_relman("changelog", "v1.2.0..HEAD", "--offline", cwd=project.path)
    assert out.returncode == 0, out.stderr
    assert "* Fold Ed +\n" in out.stdout and "* Ben Builder +\n" in out.stdout


def test_coauthors_before_the_range_go_through_the_mailmap_too(project):
    """A co-author credited under an old address before the range is no first-timer
    once .mailmap names that address (git maps the trailers of both passes)."""
    project.commit(
        "ENH: old work (#5)\n\nCo-authored-by: danny <dan@old.example.org>\n", author=BEN
    )
    project.write({".mailmap": "Dan Doe <dan@example.org> <dan@old.example.org>\n"})
    project.commit("MAINT: add a mailmap", author=BEN)
    project.tag("v1.2.0", "release")
    project.commit(
        "BUG: fix it (#21)\n\nCo-authored-by: Dan Doe <dan@example.org>\n"
        "Co-authored-by: Eve Early <eve@example.org>\n",
        author=CAT,
    )
    config, repo = _config_repo(project)
    for style in ("numpy", "default"):
        log = collect_changelog(config, repo, "v1.2.0..HEAD", style=style)
        assert [(a.name, a.new) for a in log.authors] == [
            ("Cat Coder", True),
            ("Dan Doe", False),  # "danny <dan@old.example.org>" before the range
            ("Eve Early", True),
        ], style
    out = run_relman("changelog", "v1.2.0..HEAD", "--offline", "-v", cwd=project.path)
    assert out.returncode == 0, out.stderr
    assert "* Dan Doe\n" in out.stdout and "* Eve Early +\n" in out.stdout
    assert out.stderr.count("check-mailmap") == 1  # one git for both passes' co-authors


def test_git_example_identity_is_nobody_until_the_mailmap_names_it(project):
    """NumPy 2.2.3: a commit by "Your Name <you@example.com>"; NumPy's list names its
    author (a .mailmap line added later), never "Your Name"."""
    project.tag("v1.2.0", "release")
    project.commit("BUG: fix it (#30)", author=("Your Name", "you@example.com"))
    project.commit("DOC: and this (#31)", author=("Your Name", "you@example.com"))
    project.commit("ENH: more (#32)", author=CAT)
    for style in ("numpy", "scipy"):
        out = run_relman(
            "changelog", "v1.2.0..HEAD", "--offline", "--style", style, cwd=project.path
        )
        assert out.returncode == 0, out.stderr
        assert "Your Name" not in out.stdout and "Cat Coder" in out.stdout, style
        assert "git's example identity, left out of the author list" in out.stderr, style
        assert "A total of 1 person contributed" in out.stdout, style
    out = run_relman("changelog", "v1.2.0..HEAD", "--offline", "--style", "numpy", cwd=project.path)
    assert "2 commits by 'Your Name <you@example.com>'" in out.stderr
    project.write({".mailmap": "Amy Amotz <amy@example.org> Your Name <you@example.com>\n"})
    project.commit("MAINT: map the example identity", author=CAT)
    out = run_relman("changelog", "v1.2.0..HEAD", "--offline", cwd=project.path)
    assert out.returncode == 0, out.stderr
    assert "* Amy Amotz +" in out.stdout and "example identity" not in out.stderr
    assert "A total of 2 people contributed" in out.stdout


def test_sorted_like_numpy_plus_before_longer_names(project):
    project.tag("v1.2.0", "release")
    project.commit("one", author=("Bo", "bo@example.org"))
    project.commit("two", author=("Bo Zed", "bz@example.org"))
    project.commit("three", author=("al lower", "al@example.org"))
    config, repo = _config_repo(project)
    names = [a.display for a in collect_changelog(config, repo, "v1.2.0..HEAD").authors]
    # Python's sort of the printed strings: "Bo +" < "Bo Zed +", upper case before lower
    assert names == ["Ann Author", "Bo +", "Bo Zed +", "al lower +"][1:]


def test_merge_commit_author_counts(project):
    project.tag("v1.2.0", "release")
    project.checkout("feature", create=True)
    project.commit("ENH: a branch commit", author=CAT)
    project.checkout("main")
    project.merge(
        "feature", "Merge pull request #30 from cat/feature\n\nENH: the feature", author=DAN
    )
    config, repo = _config_repo(project)
    log = collect_changelog(config, repo, "v1.2.0..HEAD")
    assert [a.name for a in log.authors] == ["Cat Coder", "Dan Doe"]


def test_uncommitted_mailmap_edit_is_used_and_mailmap_rev_uses_old_blob(project):
    project.write(
        {".mailmap": "Ben Old <ben@example.org> benb <999+benb@users.noreply.github.com>\n"}
    )
    project.commit("MAINT: mailmap", author=ANN)
    project.tag("v1.2.0", "release")
    project.commit("ENH: thing (#40)", author=BEN_ALIAS)
    project.commit("ENH: other (#41)", author=("cc", "cat@example.org"))
    # the release manager fixes names without committing
    project.write(
        {
            ".mailmap": "Ben Builder <ben@example.org> benb <999+benb@users.noreply.github.com>\n"
            "Cat Coder <cat@example.org>\n"
        }
    )
    out = run_relman("authors", "v1.2.0..HEAD", "--json", cwd=project.path)
    assert out.returncode == 0, out.stderr
    assert [a["name"] for a in json.loads(out.stdout)["authors"]] == ["Ben Builder", "Cat Coder"]
    old = run_relman(
        "authors", "v1.2.0..HEAD", "--json", "--mailmap-rev", "v1.2.0", cwd=project.path
    )
    assert old.returncode == 0, old.stderr
    # only the committed .mailmap of v1.2.0: Cat's fix in the working tree is not used
    assert [a["name"] for a in json.loads(old.stdout)["authors"]] == ["Ben Old", "cc"]
    log = run_relman(
        "changelog",
        "v1.2.0..HEAD",
        "--format",
        "json",
        "--mailmap-rev",
        "v1.2.0",
        cwd=project.path,
    )
    assert [a["name"] for a in json.loads(log.stdout)["authors"]] == ["Ben Old", "cc"]
    assert project.status() == "M .mailmap"  # nothing else touched


def test_mailmap_rev_from_linked_worktree(project, tmp_path):
    project.write(
        {".mailmap": "Ben Old <ben@example.org> benb <999+benb@users.noreply.github.com>\n"}
    )
    project.commit("MAINT: mailmap", author=ANN)
    project.tag("v1.2.0", "release")
    project.commit("ENH: thing (#40)", author=BEN_ALIAS)
    wt = tmp_path / "wt"
    project.git("worktree", "add", "-q", str(wt), "HEAD")
    out = run_relman("authors", "v1.2.0..HEAD", "--json", "--mailmap-rev", "v1.2.0", cwd=wt)
    assert out.returncode == 0, out.stderr
    assert [a["name"] for a in json.loads(out.stdout)["authors"]] == ["Ben Old"]


# -- pull requests --------------------------------------------------------------


def test_merge_squash_and_backport_pull_requests(project):
    project.tag("v1.2.0", "release")
    project.checkout("feature", create=True)
    project.commit("WIP: part of the work (#99)", author=CAT)  # not on first parent: ignored
    project.checkout("main")
    project.merge(
        "feature",
        "Merge pull request #31 from cat/feature\n\nENH: add   the *feature*\n",
        author=ANN,
    )
    project.commit("BUG: squash merged (#33)", author=DAN)
    project.commit("[backport] BUG: fix on the branch (gh-35)", author=DAN)
    project.commit("DOC: mention (#31) again (#31)", author=DAN)  # duplicate number
    project.commit("MAINT: no pull request here", author=DAN)
    config, repo = _config_repo(project)
    log = collect_changelog(config, repo, "v1.2.0..HEAD")
    assert [(p.number, p.title) for p in log.pull_requests] == [
        (31, "ENH: add the *feature*"),
        (33, "BUG: squash merged"),
        (35, "[backport] BUG: fix on the branch"),
    ]
    rst = render_changelog(log, "rst", version=None)
    assert "* `#31 <https://example.org/proj/pull/31>`__: ENH: add the \\*feature\\*\n" in rst
    assert "A total of 3 pull requests were merged for this release." in rst


def test_without_pr_url_lists_plain_numbers(git_repo):
    git_repo.write({"pyproject.toml": '[project]\nname = "p"\nversion = "1.0.0"\n'})
    git_repo.commit("Init (#1)", author=ANN)
    config, repo = _config_repo(git_repo)
    rst = render_changelog(collect_changelog(config, repo, "HEAD"), "rst")
    assert "* #1: Init\n" in rst
    # one author and one pull request: singular, in both formats
    assert "A total of 1 person contributed to this release." in rst
    assert "A total of 1 pull request was merged for this release." in rst
    md = render_changelog(collect_changelog(config, repo, "HEAD"), "md")
    assert "A total of 1 person contributed" in md and "1 pull request was merged" in md


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("BUG: fix `np.sum` for ints", "BUG: fix ``np.sum`` for ints"),
        ("ENH: `x`s are plural", "ENH: ``x``\\ s are plural"),
        ("MAINT:   spaces\n and\tlines", "MAINT: spaces and lines"),
        ("a*b", "a\\*b"),
        ("x" * 70, "x" * 70),  # one long word: kept whole (NumPy's rule)
        ("word " * 14 + "end", ("word " * 14)[:60] + "word..."),
        ("a " * 30 + "b" * 30 + " tail", ("a " * 30 + "b" * 30)[:80] + "..."),
    ],
)
def test_titles_sanitized_like_numpy(title, expected):
    assert sanitize_title(title) == expected


def test_sanitized_title_never_leaves_literal_open():
    title = "ENH: " + "a " * 26 + "`some_very_long_code_literal_name_here` more words after"
    out = sanitize_title(title)
    assert out.count("`") % 4 == 0
    assert out.endswith("...")


# -- ranges -------------------------------------------------------------------


def test_default_range_bugfix_release(project):
    project.tag("v1.2.0", "release")
    project.commit("fix one (#1)")
    project.tag("v1.2.1", "release")
    project.commit("fix two (#2)")
    project.tag("v1.2.2rc1", "rc")
    config, repo = _config_repo(project)
    assert default_range(config, repo, "1.2.2") == "v1.2.1..HEAD"
    assert default_range(config, repo, "1.2.1") == "v1.2.0..v1.2.1"  # regenerating: ends at tag


def test_default_range_new_minor_with_dev0_tag(project):
    project.tag("v1.2.0", "release")
    project.commit("REL: start 1.3.0")
    project.tag("v1.3.0.dev0", "start of development")
    project.commit("ENH: feature (#3)")
    config, repo = _config_repo(project)
    assert default_range(config, repo, "1.3.0") == "v1.3.0.dev0..HEAD"
    assert default_range(config, repo, "1.3.0rc1") == "v1.3.0.dev0..HEAD"
    # the version in the project files (1.3.0.dev0) means the 1.3.0 release
    assert default_range(config, repo) == "v1.3.0.dev0..HEAD"


def test_default_range_new_minor_without_dev0_uses_merge_base(project):
    base = project.commit("MAINT: branch point")
    project.checkout("maintenance/1.2.x", create=True)
    project.commit("REL: 1.2.0")
    project.tag("v1.2.0", "release")
    project.checkout("main")
    project.commit("ENH: feature (#5)")
    config, repo = _config_repo(project)
    assert default_range(config, repo, "1.3.0") == f"{base}..HEAD"
    log = collect_changelog(config, repo, default_range(config, repo, "1.3.0"))
    assert [p.number for p in log.pull_requests] == [5]


def test_whole_history_when_nothing_was_released(project):
    config, repo = _config_repo(project)
    assert default_range(config, repo, "1.0.0") == "HEAD"
    log = collect_changelog(config, repo, "HEAD")
    assert [(a.name, a.new) for a in log.authors] == [("Ann Author", True)]


def test_bad_range_is_a_usage_error_and_changes_nothing(project):
    before = snapshot(project.path)
    out = run_relman("changelog", "v9.9.9..HEAD", cwd=project.path)
    assert out.returncode == 2
    assert "error: revision 'v9.9.9' of range 'v9.9.9..HEAD' does not exist" in out.stderr
    assert "hint:" in out.stderr
    out = run_relman("changelog", "a...b", cwd=project.path)
    assert out.returncode == 2
    assert "unsupported revision range" in out.stderr
    out = run_relman("authors", "--mailmap-rev", "nope", "HEAD", cwd=project.path)
    assert out.returncode == 2
    assert "--mailmap-rev nope" in out.stderr
    assert snapshot(project.path) == before


# -- writing ------------------------------------------------------------------


def test_write_changelog_file_and_dry_run(project):
    project.tag("v1.2.0", "release")
    project.commit("REL: start")
    project.tag("v1.3.0.dev0", "dev")
    project.commit("ENH: feature (#7)", author=CAT)
    before = snapshot(project.path)
    dry = run_relman("changelog", "--write", "--dry-run", cwd=project.path)
    assert dry.returncode == 0, dry.stderr
    assert "would write" in dry.stderr
    assert snapshot(project.path) == before
    out = run_relman("changelog", "--write", cwd=project.path)
    assert out.returncode == 0, out.stderr
    written = project.path / "doc" / "changelog" / "1.3.0-changelog.rst"
    text = written.read_text(encoding="utf-8")
    assert "* Cat Coder +\n" in text
    assert "* `#7 <https://example.org/proj/pull/7>`__: ENH: feature\n" in text
    config, repo = _config_repo(project)
    path = write_changelog(config, repo, "1.3.0")
    assert path == written
    assert written.read_text(encoding="utf-8") == text


def test_write_changelog_without_path_returns_none(git_repo):
    git_repo.write({"pyproject.toml": '[project]\nname = "p"\nversion = "1.0.0"\n'})
    git_repo.commit("Init", author=ANN)
    config, repo = _config_repo(git_repo)
    assert write_changelog(config, repo, "1.0.0") is None
    out = run_relman("changelog", "--write", cwd=git_repo.path)
    assert out.returncode == 2
    assert "no changelog path" in out.stderr


# -- mailmap check --------------------------------------------------------------


def test_mailmap_check_finds_duplicates_then_passes_after_fix(project):
    project.commit("old work", author=BEN)
    project.tag("v1.2.0", "release")
    project.commit("new work (#1)", author=("ben builder", "ben@example.org"))
    project.commit("more (#2)", author=("Dan Doe", "dan@work.example.org"))
    project.commit("more (#3)", author=DAN)
    project.commit("more (#4)", author=("zed", "zed@example.org"))
    out = run_relman("mailmap", "check", "v1.2.0..HEAD", "--json", cwd=project.path)
    assert out.returncode == 1
    problems = json.loads(out.stdout)["problems"]
    kinds = {(p["kind"], tuple(p["names"])) for p in problems}
    assert ("same-email", ("Ben Builder", "ben builder")) in kinds
    assert ("same-name", ("Dan Doe",)) in kinds
    assert ("single-word", ("zed",)) in kinds
    suggestion = next(p["suggestion"] for p in problems if p["kind"] == "same-email")
    assert suggestion == "Ben Builder <ben@example.org> ben builder <ben@example.org>"
    text = run_relman("mailmap", "check", "v1.2.0..HEAD", cwd=project.path)
    assert ".mailmap: Ben Builder <ben@example.org> ben builder <ben@example.org>" in text.stdout
    assert "error: 3 identities to review" in text.stderr
    # fix in the working tree, uncommitted, and check again
    project.write(
        {
            ".mailmap": suggestion
            + "\nDan Doe <dan@example.org> <dan@work.example.org>\nZed Zimmer <zed@example.org>\n"
        }
    )
    again = run_relman("mailmap", "check", "v1.2.0..HEAD", cwd=project.path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "no likely duplicate identities" in again.stdout
    config, repo = _config_repo(project)
    assert find_duplicate_identities(config, repo, "v1.2.0..HEAD") == []


def test_mailmap_check_ignores_problems_outside_the_range(project):
    project.commit("old", author=("olduser", "old@example.org"))
    project.tag("v1.2.0", "release")
    project.commit("new (#1)", author=CAT)
    config, repo = _config_repo(project)
    assert find_duplicate_identities(config, repo, "v1.2.0..HEAD") == []
    assert [p.kind for p in find_duplicate_identities(config, repo, "HEAD")] == ["single-word"]


def test_log_is_one_git_log_pass(project):
    """The whole changelog reads history with one `git log` (and at most one check-mailmap)."""
    for i in range(20):
        project.commit(f"change {i} (#{i + 1})\n\nCo-authored-by: Dan Doe <dan@example.org>")
    out = run_relman("-v", "changelog", "HEAD", cwd=project.path)
    assert out.returncode == 0, out.stderr
    commands = [line for line in out.stderr.splitlines() if line.startswith("debug: $ ")]
    logs = [c for c in commands if re.search(r"\bgit (?:-C \S+ )?log\b", c)]
    assert len(logs) == 1, commands
    assert len([c for c in commands if "check-mailmap" in c]) == 1
    assert len(commands) < 15  # configuration detection included; none per commit


def test_changelog_pass_starts_before_the_configuration_loads(project):
    """`relman changelog RANGE` starts git before click and the configuration load."""
    project.commit("ENH: thing (#9)", author=CAT)
    out = run_relman("-v", "changelog", "HEAD~1..HEAD", "--offline", cwd=project.path)
    assert out.returncode == 0, out.stderr
    commands = [line for line in out.stderr.splitlines() if line.startswith("debug: $ ")]
    log_at = next(i for i, c in enumerate(commands) if " log " in c)
    remotes_at = next(i for i, c in enumerate(commands) if "--get-regexp" in c)
    assert log_at < remotes_at, commands  # the remotes are read by the configuration
    # git is the first program: given the range as written, which is checked while it reads
    first = out.stderr.split("debug: $ ")[1].split("\n")[0]  # (the format holds \x1e)
    assert log_at == 0 and first.endswith(" HEAD~1..HEAD --"), first
    assert "#9" in out.stdout
    config, repo = _config_repo(project)
    assert out.stdout == render_changelog(collect_changelog(config, repo, "HEAD~1..HEAD"), "rst")
    # a bad range: the early start gives way and the command says what is wrong
    bad = run_relman("changelog", "no-such-tag..HEAD", cwd=project.path)
    assert bad.returncode == 2
    assert "'no-such-tag'" in bad.stderr and "Traceback" not in bad.stderr


def test_output_file_and_stream_errors(project, tmp_path):
    project.commit("ENH: thing (#9)", author=CAT)
    target = tmp_path / "out.rst"
    out = run_relman("changelog", "HEAD", "-o", str(target), cwd=project.path)
    assert out.returncode == 0, out.stderr
    assert "* `#9 <https://example.org/proj/pull/9>`__: ENH: thing\n" in target.read_text()
    assert out.stdout == ""


def test_stream_reports_failures_and_stops_early(project):
    from relman import _proc
    from relman.errors import CommandError

    with pytest.raises(CommandError, match=r"git log failed \(exit 128\)"):
        list(_proc.stream(["git", "log", "no-such-rev"], cwd=project.path, what="git log"))
    chunks = _proc.stream(["git", "log", "--format=%H"], cwd=project.path, chunk_size=8)
    first = next(chunks)
    assert first  # the program runs; closing the generator ends it without an error
    chunks.close()


def test_stream_reads_ahead_so_the_program_never_waits(tmp_path):
    # more than a pipe holds, then a marker once everything is written: the program
    # finishes while the caller, holding its first chunk, reads nothing more
    from relman import _proc

    marker = tmp_path / "done"
    script = f"head -c 3000000 /dev/zero | tr '\\0' a; touch '{marker}'"
    chunks = _proc.stream(["sh", "-c", script], cwd=tmp_path)
    first = next(chunks)
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert marker.exists()
    assert len(first) + sum(len(c) for c in chunks) == 3_000_000


def test_mailmap_suggestion_matches_the_identity_as_written(project):
    # an older, half-right entry maps the GitHub address to a user name
    project.write({".mailmap": "bob <ben@example.org> <999+benb@users.noreply.github.com>\n"})
    project.commit("old work", author=BEN)
    project.tag("v1.2.0", "release")
    project.commit("new work (#1)", author=BEN_ALIAS)
    config, repo = _config_repo(project)
    problems = find_duplicate_identities(config, repo, "v1.2.0..HEAD")
    assert [(p.kind, p.names) for p in problems] == [("same-email", ("Ben Builder", "bob"))]
    line = "Ben Builder <ben@example.org> benb <999+benb@users.noreply.github.com>"
    assert problems[0].suggestion == line
    mailmap = project.path / ".mailmap"
    mailmap.write_text(mailmap.read_text() + line + "\n")
    assert find_duplicate_identities(config, repo, "v1.2.0..HEAD") == []


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200))
def test_sanitized_titles_are_one_line_with_escaped_stars(title):
    out = sanitize_title(title)
    assert "\n" not in out and "\t" not in out
    assert re.search(r"(?<!\\)\*", out) is None
    plain = " ".join(title.split())
    if len(plain) <= 60 and "`" not in plain and "*" not in plain:
        assert out == plain


def test_first_parent_line_with_skewed_commit_dates(project):
    """git shows a commit before its first-parent child when dates are skewed."""

    def commit(message: str, when: int, parents: list[str]) -> str:
        env = {"GIT_COMMITTER_DATE": f"@{when} +0000", "GIT_AUTHOR_DATE": f"@{when} +0000"}
        tree = project.git("write-tree")
        args = ["commit-tree", tree]
        for p in parents:
            args += ["-p", p]
        return project.git(*args, "-m", message, env=env)

    base = project.head()
    c3 = commit("BUG: three (#3)", 1_800_000_000, [base])
    x = commit("BUG: four (#4)", 1_800_000_500, [c3])
    side = commit("WIP: side work", 1_800_000_550, [x])
    p1 = commit("BUG: five (#5)", 1_800_000_100, [x])  # older than its parent x
    merge = commit("Merge pull request #6 from cat/side\n\nENH: side", 1_800_000_600, [p1, side])
    project.git("update-ref", "refs/heads/main", merge)
    order = project.git("log", "--format=%s", "HEAD").splitlines()
    assert order.index("BUG: four (#4)") < order.index("BUG: five (#5)")  # the skew is real
    config, repo = _config_repo(project)
    log = collect_changelog(config, repo, f"{base}..HEAD")
    assert [p.number for p in log.pull_requests] == [3, 4, 5, 6]


def test_a_long_changelog_arrives_whole_on_a_pipe_and_in_a_file(project):
    """The command ends without the interpreter's teardown (relman.cli.run): what it
    printed to a pipe (far more than a pipe holds) and what it wrote are all there."""
    stream = []
    for i in range(1500):
        stream.append(
            f"commit refs/heads/main\n"
            f"author Person {i % 300} <p{i % 300}@example.org> {1700000000 + i} +0000\n"
            f"committer Cat Coder <cat@example.org> {1700000000 + i} +0000\n"
        )
        message = f"ENH: change number {i} of a long history, with a long title (#{1000 + i})"
        stream.append(f"data {len(message)}\n{message}\n")
        stream.append("from refs/heads/main^0\n\n" if i == 0 else "\n")
    project.git("fast-import", "--quiet", input="".join(stream))
    project.git("reset", "-q", "--hard", "main")
    config, repo = _config_repo(project)
    expected = render_changelog(collect_changelog(config, repo, "HEAD~1500..HEAD"), "rst")
    assert len(expected.encode()) > 2 * 65536  # a pipe holds 64 KiB
    out = run_relman("changelog", "HEAD~1500..HEAD", "--offline", cwd=project.path)
    assert out.returncode == 0, out.stderr
    assert out.stdout == expected
    target = project.path / "out.rst"
    out = run_relman("changelog", "HEAD~1500..HEAD", "-o", str(target), cwd=project.path)
    assert out.returncode == 0, out.stderr
    assert target.read_text(encoding="utf-8") == expected
