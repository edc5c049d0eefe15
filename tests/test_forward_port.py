"""The forward-port of a maintenance release to main, in real git repositories.

The shape is pytest's (and astropy's): towncrier fragments in ``changelog/``,
one ``CHANGELOG.rst`` with the start string, a ``.mailmap``; a bug fix is
released from ``1.0.x`` while main has moved on. Their real forward-ports add
the release's section to main's changelog, keep what only main has, and remove
from main the fragments the release consumed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from relman.errors import CheckFailed
from relman.git import find_repo
from relman.notes import build_notes
from relman.project import load_config
from relman.release.context import Context, ReleaseState
from relman.release.steps.after import ForwardPortStep
from tests.test_notes_oracle import git

PYPROJECT = """\
[project]
name = "demo"
version = "1.0.0"

[tool.towncrier]
directory = "changelog"
filename = "CHANGELOG.rst"
"""

CHANGELOG = """\
=========
Changelog
=========

.. towncrier release notes start

demo 1.0.0 (2026-01-01)
=======================

Features
--------

- First. (#1)
"""


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def commit(root: Path, message: str) -> None:
    git("add", "-A", cwd=root)
    git("commit", "-qm", message, cwd=root)


def released_maintenance_branch(tmp_path: Path, *, edit_old_section: bool = False) -> Path:
    root = tmp_path / "demo"
    root.mkdir()
    git("init", "-q", "-b", "main", cwd=root)
    write(root, "pyproject.toml", PYPROJECT)
    write(root, "CHANGELOG.rst", CHANGELOG)
    write(root, ".mailmap", "Ann <ann@example.org>\n")
    write(root, "changelog/5.bugfix.rst", "Fixed the crash.\n")  # merged to main, backported
    commit(root, "start")
    git("branch", "1.0.x", cwd=root)
    # main moves on: a new fragment, a new contributor, a file of its own
    write(root, "changelog/6.feature.rst", "A main-only feature.\n")
    write(root, ".mailmap", "Ann <ann@example.org>\nMia <mia@example.org>\n")
    write(root, "NEW_ON_MAIN.txt", "only here\n")
    if edit_old_section:
        write(root, "CHANGELOG.rst", CHANGELOG.replace("- First. (#1)", "- First, on main. (#1)"))
    commit(root, "main moves on")
    # the bug-fix release on the maintenance branch
    git("checkout", "-q", "1.0.x", cwd=root)
    write(root, ".mailmap", "Ann <ann@example.org>\nBob <bob@example.org>\n")
    if edit_old_section:
        write(root, "CHANGELOG.rst", CHANGELOG.replace("- First. (#1)", "- First, fixed. (#1)"))
    commit(root, "mailmap")
    build_notes(load_config(root), "1.0.1", commit=True, date="2026-02-01")
    git("tag", "v1.0.1", cwd=root)
    return root


def context(root: Path, version: str = "1.0.1") -> Context:
    repo = find_repo(root)
    state = ReleaseState(repo.git_dir / "relman" / f"{version}.json")
    state.data["branch"] = "1.0.x"
    return Context(
        config=load_config(root), repo=repo, version=version, kind="bug-fix", state=state
    )


def test_forward_port_merges_and_removes_consumed_fragments(tmp_path: Path) -> None:
    root = released_maintenance_branch(tmp_path)
    main_before = git("rev-parse", "main", cwd=root)
    ctx = context(root)
    step = ForwardPortStep()
    assert step.skip_reason(ctx) is None and not step.is_done(ctx)
    step.run(ctx)
    assert step.is_done(ctx)
    branch = "forward-port-1.0.1"
    assert git("rev-parse", f"{branch}^", cwd=root) == main_before  # a change on top of main
    changelog = git("show", f"{branch}:CHANGELOG.rst", cwd=root)
    # the release's section goes in after the start string, above 1.0.0
    assert changelog.index("demo 1.0.1 (2026-02-01)") < changelog.index("demo 1.0.0")
    assert "- Fixed the crash. (#5)" in changelog
    assert changelog.count(".. towncrier release notes start") == 1
    assert git("show", f"{branch}:.mailmap", cwd=root).splitlines() == [
        "Ann <ann@example.org>",
        "Mia <mia@example.org>",
        "Bob <bob@example.org>",
    ]
    files = git("ls-tree", "-r", "--name-only", branch, cwd=root).split()
    assert "changelog/5.bugfix.rst" not in files  # consumed by 1.0.1
    assert "changelog/6.feature.rst" in files and "NEW_ON_MAIN.txt" in files
    assert git("rev-parse", "--abbrev-ref", "HEAD", cwd=root).strip() == "1.0.x"
    assert git("status", "--porcelain", cwd=root) == ""


def test_forward_port_reports_a_conflict_and_writes_nothing(tmp_path: Path) -> None:
    root = released_maintenance_branch(tmp_path, edit_old_section=True)
    ctx = context(root)
    # the release began before the branch's edit of 1.0.0's section: it is the release's
    ctx.state.data["start_commit"] = git("rev-parse", "v1.0.1~2", cwd=root).strip()
    with pytest.raises(CheckFailed, match=r"CHANGELOG.rst changed on both branches"):
        ForwardPortStep().run(ctx)
    assert "forward-port-1.0.1" not in git("branch", "--list", cwd=root)


def _pytest_line(tmp_path: Path) -> Path:
    """pytest's line: 1.0.1 forward-ported by itself already; 1.0.2's fix is backported
    after the branch left main (its fragment added on both), and the release commit
    also adds an announcement and lists it in an index both branches keep."""
    root = released_maintenance_branch(tmp_path)
    git("checkout", "-q", "main", cwd=root)
    git("checkout", "-q", "v1.0.1", "--", "CHANGELOG.rst", cwd=root)
    git("rm", "-q", "changelog/5.bugfix.rst", cwd=root)
    write(root, "doc/announce/index.rst", "Announcements\n\n- release-1.0.1\n- release-1.0.0\n")
    commit(root, "Forward-port 1.0.1")
    write(root, "changelog/8.bugfix.rst", "Fixed the hang.\n")
    write(root, "changelog/9.bugfix.rst", "Fixed a leak, reverted on 1.0.x.\n")
    write(
        root,
        "doc/announce/index.rst",
        "Announcements\n\n- release-1.0.1\n- release-1.0.0\n\nOlder ones: see the archive.\n",
    )
    commit(root, "fixes on main")
    git("checkout", "-q", "1.0.x", cwd=root)
    write(root, "doc/announce/index.rst", "Announcements\n\n- release-1.0.1\n- release-1.0.0\n")
    write(root, "changelog/8.bugfix.rst", "Fixed the hang.\n")
    write(root, "changelog/9.bugfix.rst", "Fixed a leak, reverted on 1.0.x.\n")
    commit(root, "backports")
    git("rm", "-q", "changelog/9.bugfix.rst", cwd=root)
    commit(root, "Revert the leak fix")
    build_notes(load_config(root), "1.0.2", date="2026-03-01")
    write(root, "doc/announce/release-1.0.2.rst", "demo 1.0.2 is out.\n")
    write(
        root,
        "doc/announce/index.rst",
        "Announcements\n\n- release-1.0.2\n- release-1.0.1\n- release-1.0.0\n",
    )
    commit(root, "Prepare release version 1.0.2")
    git("tag", "v1.0.2", cwd=root)
    return root


def test_forward_port_of_a_release_as_pytest_cherry_picks_it(tmp_path: Path) -> None:
    root = _pytest_line(tmp_path)
    ctx = context(root, "1.0.2")
    ForwardPortStep().run(ctx)
    branch = ForwardPortStep()._branch(ctx)
    files = git("ls-tree", "-r", "--name-only", branch, cwd=root).split()
    # the fragment 1.0.2 consumed goes, also one a backport added after the branch left
    # main; one a revert took off the branch stays (main still has that change)
    assert "changelog/8.bugfix.rst" not in files
    assert "changelog/9.bugfix.rst" in files and "changelog/6.feature.rst" in files
    # the announcement main lacks is added; the index merges both sides' changes
    assert git("show", f"{branch}:doc/announce/release-1.0.2.rst", cwd=root) == (
        "demo 1.0.2 is out.\n"
    )
    assert git("show", f"{branch}:doc/announce/index.rst", cwd=root) == (
        "Announcements\n\n- release-1.0.2\n- release-1.0.1\n- release-1.0.0\n\n"
        "Older ones: see the archive.\n"
    )
    changelog = git("show", f"{branch}:CHANGELOG.rst", cwd=root)
    # 1.0.2's section goes in once, after the start string and its blank line; 1.0.1's,
    # forward-ported before, is not added a second time
    assert changelog.count("demo 1.0.1 (2026-02-01)") == 1
    assert ".. towncrier release notes start\n\ndemo 1.0.2 (2026-03-01)\n" in changelog
    assert changelog.index("demo 1.0.2") < changelog.index("demo 1.0.1")
    assert changelog == git("show", "v1.0.2:CHANGELOG.rst", cwd=root)


def test_forward_port_keeps_mains_copy_of_a_release_file_that_does_not_merge(
    tmp_path: Path,
) -> None:
    """astropy: the release's what's new page changed on both branches; the changelog
    and fragments go to main, main's page stays, with a warning."""
    root = released_maintenance_branch(tmp_path)
    git("checkout", "-q", "main", cwd=root)
    write(root, "docs/whatsnew/1.0.rst", "What's new in 1.0, edited on main.\n")
    commit(root, "whatsnew on main")
    git("checkout", "-q", "1.0.x", cwd=root)
    write(root, "docs/whatsnew/1.0.rst", "What's new in 1.0\n")
    commit(root, "whatsnew")
    write(root, "changelog/7.bugfix.rst", "Fixed the rounding.\n")
    commit(root, "backport")
    build_notes(load_config(root), "1.0.2", date="2026-03-01")
    write(root, "docs/whatsnew/1.0.rst", "What's new in 1.0, with 1.0.2's statistics.\n")
    commit(root, "Finalizing changelog for v1.0.2")
    git("tag", "v1.0.2", cwd=root)
    ctx = context(root, "1.0.2")
    ForwardPortStep().run(ctx)
    branch = ForwardPortStep()._branch(ctx)
    assert git("show", f"{branch}:docs/whatsnew/1.0.rst", cwd=root) == (
        "What's new in 1.0, edited on main.\n"
    )
    assert "demo 1.0.2 (2026-03-01)" in git("show", f"{branch}:CHANGELOG.rst", cwd=root)


def test_a_news_file_without_start_string_gets_the_section_where_the_line_is() -> None:
    """astropy's CHANGES.rst has no start string and lists releases newest first: main
    has 7.0.0 above 6.1.6, so 6.1.7's section goes between them, once, and 6.1.6's,
    forward-ported before, is not repeated."""
    from relman.notes.forwardport import insert_section

    def section(version: str, date: str, entry: str) -> str:
        title = f"Version {version} ({date})"
        return f"{title}\n{'=' * len(title)}\n\nBug Fixes\n---------\n\n- {entry}\n\n"

    older = section("6.1.5", "2024-10-29", "Five.")
    base = older
    release = (
        section("6.1.7", "2024-11-22", "Seven.") + section("6.1.6", "2024-11-11", "Six.") + older
    )
    main = section("7.0.0", "2024-11-21", "Big.") + section("6.1.6", "2024-11-11", "Six.") + older
    merged = insert_section(main, base, release, start_string=".. towncrier release notes start\n")
    assert merged == (
        section("7.0.0", "2024-11-21", "Big.")
        + section("6.1.7", "2024-11-22", "Seven.")
        + section("6.1.6", "2024-11-11", "Six.")
        + older
    )
    # the release changed more than one inserted block: a conflict, never a guess
    edited = release.replace("- Five.", "- Five, fixed.")
    assert insert_section(main, base, edited, start_string="") is None
