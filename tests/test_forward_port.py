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


def context(root: Path) -> Context:
    repo = find_repo(root)
    state = ReleaseState(repo.git_dir / "relman" / "1.0.1.json")
    state.data["branch"] = "1.0.x"
    return Context(
        config=load_config(root), repo=repo, version="1.0.1", kind="bug-fix", state=state
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
    with pytest.raises(CheckFailed, match=r"CHANGELOG.rst changed on both branches"):
        ForwardPortStep().run(ctx)
    assert "forward-port-1.0.1" not in git("branch", "--list", cwd=root)
