"""Release notes on real projects' layouts: where they are committed, and one
release's section of them for the announcement and the GitHub release.

- NumPy: the towncrier output ``doc/source/release/notes-towncrier.rst`` is
  ignored by git; the tracked ``doc/source/release/X.Y.Z-notes.rst`` includes
  it with ``.. include:: notes-towncrier.rst``.
- pip, attrs, pytest: one news file for every release (towncrier's default),
  a title, the start string, every earlier release below.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from relman.git import find_repo
from relman.notes import notes_done, release_notes, start_notes
from relman.notes.sections import Section, as_markdown, as_plain_text, release_section
from relman.project import load_config
from tests.helpers import GitRepo, run_relman
from tests.test_notes_oracle import NUMPY_TEMPLATE, git, write_project

NUMPY_CONFIG = """\
[tool.towncrier]
single_file = false
filename = "doc/source/release/notes-towncrier.rst"
directory = "doc/release/upcoming_changes/"
issue_format = "`gh-{issue} <https://github.com/numpy/numpy/pull/{issue}>`__"
underlines = "~="
all_bullets = false
template = "doc/release/upcoming_changes/template.rst"

[[tool.towncrier.type]]
directory = "deprecation"
name = "Deprecations"
showcontent = true

[[tool.towncrier.type]]
directory = "improvement"
name = "Improvements"
showcontent = true
"""

NUMPY_RELEASE_FILE = """\
:orphan:

.. currentmodule:: numpy

==========================
NumPy 2.5.0 Release Notes
==========================

Highlights
==========

* Written by the release manager.


.. include:: notes-towncrier.rst
"""


def numpy_tree(tmp_path: Path) -> Path:
    root = write_project(
        tmp_path / "numpy",
        NUMPY_CONFIG,
        {
            "doc/release/upcoming_changes/30605.deprecation.rst": "``chararray`` is deprecated.\n",
            "doc/release/upcoming_changes/31503.improvement.rst": "Faster sorting.\n",
        },
        extra={
            ".gitignore": "doc/source/release/notes-towncrier.rst\n",
            "doc/source/release/2.5.0-notes.rst": NUMPY_RELEASE_FILE,
            "doc/release/upcoming_changes/template.rst": NUMPY_TEMPLATE,
        },
        name="numpy",
    )
    return root


def test_numpy_layout_notes_go_into_the_tracked_release_file(tmp_path: Path) -> None:
    root = numpy_tree(tmp_path)
    config = load_config(root)
    repo = find_repo(root)
    assert not notes_done(config, repo, "2.5.0")
    out = run_relman("notes", "build", "--version", "2.5.0", "--commit", cwd=root)
    assert out.returncode == 0, out.stderr
    committed = git("show", "HEAD:doc/source/release/2.5.0-notes.rst", cwd=root)
    # the release manager's text stays, the include is replaced by the notes
    assert committed.startswith(NUMPY_RELEASE_FILE.split(".. include::")[0].rstrip() + "\n\n")
    assert ".. include::" not in committed
    assert "Deprecations\n============\n\n``chararray`` is deprecated." in committed
    assert "`gh-30605 <https://github.com/numpy/numpy/pull/30605>`__" in committed
    changed = git("show", "--name-status", "--format=", "HEAD", cwd=root).split("\n")
    assert "M\tdoc/source/release/2.5.0-notes.rst" in changed
    assert "D\tdoc/release/upcoming_changes/30605.deprecation.rst" in changed
    assert not (root / "doc/source/release/notes-towncrier.rst").exists()
    assert git("status", "--porcelain", cwd=root) == ""
    assert notes_done(config, repo, "2.5.0")
    # rc and final share the release file; the next release is not done
    assert notes_done(config, repo, "2.5.0rc1")
    assert not notes_done(config, repo, "2.6.0")


def test_numpy_layout_done_check_looks_at_the_committed_file(tmp_path: Path) -> None:
    root = numpy_tree(tmp_path)
    for frag in (root / "doc/release/upcoming_changes").glob("3*.rst"):
        git("rm", "-q", str(frag), cwd=root)
    git("commit", "-qm", "no fragments", cwd=root)
    (root / "doc/source/release/notes-towncrier.rst").write_text("Anything\n", encoding="utf-8")
    # no fragment pending, but the committed release file still only includes the notes
    assert not notes_done(load_config(root), find_repo(root), "2.5.0")


def test_numpy_layout_notes_check_finds_the_tracked_release_file(tmp_path: Path) -> None:
    """NumPy 2.4.0 final (and bug-fixes like 2.4.6): the notes went into
    doc/source/release/2.4.0-notes.rst at the release candidate, no fragment is
    pending, the ignored notes-towncrier.rst does not exist: the check passes."""
    root = numpy_tree(tmp_path)
    out = run_relman("notes", "build", "--version", "2.5.0", "--commit", cwd=root)
    assert out.returncode == 0, out.stderr
    check = run_relman("check", "--only", "notes", "--version", "2.5.0", cwd=root)
    assert check.returncode == 0, check.stdout + check.stderr
    # the next release has no notes file yet: the check says so
    later = run_relman("check", "--only", "notes", "--version", "2.5.1", cwd=root)
    assert later.returncode == 1
    assert "no release notes for 2.5.1" in later.stdout + later.stderr


def test_single_file_not_done_for_the_next_release(tmp_path: Path) -> None:
    """pip/attrs shape: after 0.2.0 the news file has no 0.3.0 section."""
    root = write_project(
        tmp_path / "p",
        '[tool.towncrier]\ndirectory = "changes"\n',
        {"changes/1.feature.rst": "X.\n"},
    )
    assert run_relman("notes", "build", "--version", "0.2.0", "--commit", cwd=root).returncode == 0
    config, repo = load_config(root), find_repo(root)
    assert notes_done(config, repo, "0.2.0")
    assert not notes_done(config, repo, "0.3.0")
    check = run_relman("check", "--version", "0.3.0", "--only", "notes", cwd=root)
    assert "no release notes for 0.3.0" in check.stdout + check.stderr


NEWS = """\
=========
Changelog
=========

Versions follow `CalVer <https://calver.org>`_.

.. towncrier release notes start

demo 0.3.0 (2026-02-01)
=======================

Features
--------

- Use ``--fast`` now, see :func:`demo.run` and `the docs <https://example.org/docs>`__. (#7)

Bugfixes
--------

- Fixed::

      code here

  after. (#8)


demo 0.2.0 (2026-01-01)
=======================

Features
--------

- Older. (#1)
"""


def test_release_section_only(tmp_path: Path) -> None:
    section = release_section(NEWS, "0.3.0", start_string=".. towncrier release notes start\n")
    assert section is not None and section.title == "demo 0.3.0 (2026-02-01)"
    assert section.body.startswith("Features\n--------\n\n- Use ``--fast``")
    assert "Older" not in section.body and "Changelog" not in section.body
    assert "towncrier release notes start" not in section.body
    older = release_section(NEWS, "0.2.0")
    assert older is not None and older.body == "Features\n--------\n\n- Older. (#1)"
    assert release_section(NEWS, "0.4.0") is None
    assert release_section(NEWS, "0.3") is None  # 0.3 is not 0.3.0


def test_section_for_mail_and_for_github() -> None:
    section = release_section(NEWS, "0.3.0")
    assert section is not None
    text = as_plain_text(section)
    assert "- Use --fast now, see demo.run and the docs (https://example.org/docs). (#7)" in text
    assert "Features\n--------\n\n" in text
    md = as_markdown(section)
    assert md.startswith("## Features\n\n- Use `--fast` now, see `demo.run` and ")
    assert "[the docs](https://example.org/docs). (#7)" in md
    assert "- Fixed:\n```\ncode here\n```\n  after. (#8)" in md
    markdown = Section(title="", body="### Features\n\n- [a](https://x.org) (#1)", markdown=True)
    assert as_markdown(markdown) == markdown.body
    assert as_plain_text(markdown) == "Features\n--------\n\n- a (https://x.org) (#1)"


def test_release_notes_from_the_commit(tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "p",
        '[tool.towncrier]\ndirectory = "changes"\n',
        {"changes/9.feature.rst": "Brand new.\n"},
        extra={"NEWS.rst": NEWS},
    )
    out = run_relman(
        "notes", "build", "--version", "0.4.0", "--date", "2026-03-01", "--commit", cwd=root
    )
    assert out.returncode == 0, out.stderr
    config, repo = load_config(root), find_repo(root)
    head = repo.head()
    text = release_notes(config, repo, "0.4.0", rev=head, medium="text")
    assert text == "Features\n--------\n\n- Brand new. (#9)"
    md = release_notes(config, repo, "0.4.0", rev=head, medium="markdown")
    assert md == "## Features\n\n- Brand new. (#9)"
    assert "Older" not in release_notes(config, repo, "0.3.0", rev=head)


def test_news_file_modes_as_a_plain_write(tmp_path: Path) -> None:
    """towncrier writes with write_text: a new file gets the umask's mode, an existing
    one keeps its own (relman writes atomically, through a temporary file)."""
    old = os.umask(0o027)
    try:
        root = write_project(
            tmp_path / "p",
            '[tool.towncrier]\ndirectory = "changes"\n',
            {"changes/1.feature": "A.\n"},
        )
        assert run_relman("notes", "build", "--version", "1.0", cwd=root).returncode == 0
        assert stat.S_IMODE((root / "NEWS.rst").stat().st_mode) == 0o640
        (root / "NEWS.rst").chmod(0o604)
        (root / "changes").mkdir(exist_ok=True)
        (root / "changes/2.feature").write_text("B.\n", encoding="utf-8")
        assert run_relman("notes", "build", "--version", "1.1", cwd=root).returncode == 0
        assert stat.S_IMODE((root / "NEWS.rst").stat().st_mode) == 0o604
    finally:
        os.umask(old)


SCIPY_INDEX = """\
*************
Release Notes
*************

.. toctree::
   :maxdepth: 1

   release/1.18.1-notes
   release/1.18.0-notes
"""

SCIPY_NOTES = """\
==========================
SciPy 1.18.1 Release Notes
==========================

.. contents::

SciPy 1.18.1 is a bug-fix release with no new features
compared to 1.18.0.
"""


def test_next_notes_started_scipy_layout(tmp_path: Path) -> None:
    """SciPy: no fragments, one notes file per release in doc/source/release.rst's toctree;
    the next file starts from the previous release's title."""
    root = write_project(
        tmp_path / "scipy",
        "",
        {},
        extra={
            "doc/source/release.rst": SCIPY_INDEX,
            "doc/source/release/1.18.1-notes.rst": SCIPY_NOTES,
        },
        name="scipy",
    )
    config = load_config(root)
    assert config.notes.release_index == "doc/source/release.rst"  # detected
    assert config.notes.template is None
    written = start_notes(config, "1.18.2")
    new = root / "doc/source/release/1.18.2-notes.rst"
    assert set(written) == {new, root / "doc/source/release.rst"}
    assert new.read_text(encoding="utf-8") == (
        "==========================\nSciPy 1.18.2 Release Notes\n==========================\n"
    )
    index = (root / "doc/source/release.rst").read_text(encoding="utf-8")
    assert "   :maxdepth: 1\n\n   release/1.18.2-notes\n   release/1.18.1-notes\n" in index
    assert start_notes(load_config(root), "1.18.2") == []  # exists already


def test_next_notes_started_numpy_layout(tmp_path: Path) -> None:
    """NumPy: the next X.Y.Z-notes.rst from doc/source/release/template.rst (its 2.xx.x
    placeholder), with the include of the towncrier output kept for the next build."""
    template = NUMPY_RELEASE_FILE.replace("2.5.0", "2.xx.x").replace("=" * 26, "=" * 27)
    root = numpy_tree(tmp_path)
    (root / "doc/source/release/template.rst").write_text(template, encoding="utf-8")
    (root / "doc/source/release.rst").write_text(
        "Release notes\n=============\n\n.. toctree::\n    :maxdepth: 2\n\n    2.5.0 <release/2.5.0-notes>\n",
        encoding="utf-8",
    )
    config = load_config(root)
    assert config.notes.release_index == "doc/source/release.rst"
    assert config.notes.template == "doc/source/release/template.rst"
    start_notes(config, "2.6.0")
    new = (root / "doc/source/release/2.6.0-notes.rst").read_text(encoding="utf-8")
    assert (
        "=========================\nNumPy 2.6.0 Release Notes\n=========================\n" in new
    )
    assert new.rstrip().endswith(".. include:: notes-towncrier.rst")
    assert "towncrier release notes start" not in new


def test_the_post_release_step_starts_scipys_next_notes(git_repo: GitRepo) -> None:
    """SciPy's bug-fix line: after 1.18.2 on maintenance/1.18.x the post-release commit
    starts 1.18.3's notes file (from 1.18.2's title) and its entry in release.rst, as
    SciPy's release manager does; the plan names both files."""
    scipy_index = SCIPY_INDEX.replace(
        "   release/1.18.1-notes\n", "   release/1.18.2-notes\n   release/1.18.1-notes\n"
    )
    notes_1182 = SCIPY_NOTES.replace("1.18.1", "1.18.2").replace("to 1.18.0", "to 1.18.1")
    pyproject = '[project]\nname = "scipy"\nversion = "{}"\n'
    git_repo.commit(
        "REL: 1.18.1",
        {
            "pyproject.toml": pyproject.format("1.18.1"),
            "doc/source/release.rst": SCIPY_INDEX,
            "doc/source/release/1.18.1-notes.rst": SCIPY_NOTES,
        },
    )
    git_repo.tag("v1.18.1", "SciPy 1.18.1")
    git_repo.checkout("maintenance/1.18.x", create=True)
    git_repo.commit(
        "MAINT: set version to 1.18.2.dev0",
        {
            "pyproject.toml": pyproject.format("1.18.2.dev0"),
            "doc/source/release.rst": scipy_index,
            "doc/source/release/1.18.2-notes.rst": SCIPY_NOTES.replace("1.18.1", "1.18.2"),
        },
    )
    git_repo.commit("REL: 1.18.2 notes", {"doc/source/release/1.18.2-notes.rst": notes_1182})
    root = git_repo.path
    env = {"RELMAN_RELEASE_SIGN": "none"}
    plan = run_relman("plan", "1.18.2", "--json", cwd=root, env=env)
    assert plan.returncode == 0, plan.stderr
    post = next(s for s in json.loads(plan.stdout)["steps"] if s["name"] == "post-release")
    assert (
        "start doc/source/release/1.18.3-notes.rst and its entry in doc/source/release.rst"
        in post["actions"]
    )
    assert "set version 1.18.3.dev0" in post["actions"]
    out = run_relman("release", "1.18.2", "--only", "version,tag,post-release", cwd=root, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert git_repo.git("rev-parse", "HEAD~1") == git_repo.git("rev-parse", "v1.18.2^{commit}")
    _assert_started_scipy_notes(git_repo, "HEAD", "1.18.3")
    index = git_repo.git("show", "HEAD:doc/source/release.rst")
    assert "   :maxdepth: 1\n\n   release/1.18.3-notes\n   release/1.18.2-notes\n" in index
    assert git_repo.git("status", "--porcelain") == ""
    # the release commit itself kept 1.18.2's notes as they were
    assert git_repo.git("show", "v1.18.2:doc/source/release/1.18.2-notes.rst") == (
        notes_1182.rstrip("\n")
    )


def _assert_started_scipy_notes(git_repo: GitRepo, rev: str, version: str) -> None:
    """``rev`` (a commit that also moves the version) started ``version``'s notes file,
    titled from the previous one's, and its entry in release.rst."""
    changed = git_repo.git("show", "--name-only", "--format=", rev).split()
    assert changed == [
        "doc/source/release.rst",
        f"doc/source/release/{version}-notes.rst",
        "pyproject.toml",
    ]
    rule = "=" * len(f"SciPy {version} Release Notes")
    assert git_repo.git("show", f"{rev}:doc/source/release/{version}-notes.rst") == (
        f"{rule}\nSciPy {version} Release Notes\n{rule}"
    )


def test_a_new_branch_starts_scipys_next_minor_notes_on_main(git_repo: GitRepo) -> None:
    """SciPy branches maintenance/1.19.x from main: main moves to 1.20.0.dev0 and starts
    1.20.0's notes file (from 1.19.0's title) with its entry in release.rst, in the same
    commit; the branch keeps 1.19.0's notes as they were."""
    notes_1190 = SCIPY_NOTES.replace("1.18.1", "1.19.0").replace(
        "is a bug-fix release with no new features\ncompared to 1.18.0.",
        "is the culmination of 6 months of hard work.",
    )
    index = SCIPY_INDEX.replace("   release/1.18.1-notes\n", "   release/1.19.0-notes\n")
    git_repo.commit(
        "MAINT: version bump to 1.19.0.dev0",
        {
            "pyproject.toml": '[project]\nname = "scipy"\nversion = "1.19.0.dev0"\n',
            "doc/source/release.rst": index,
            "doc/source/release/1.19.0-notes.rst": notes_1190,
        },
    )
    root = git_repo.path
    env = {"RELMAN_RELEASE_SIGN": "none"}
    plan = run_relman("plan", "1.19.0", "--kind", "new-branch", "--json", cwd=root, env=env)
    assert plan.returncode in (0, 1), plan.stderr
    main_dev = next(s for s in json.loads(plan.stdout)["steps"] if s["name"] == "main-dev-version")
    assert (
        "on main: start doc/source/release/1.20.0-notes.rst "
        "and its entry in doc/source/release.rst" in main_dev["actions"]
    )
    out = run_relman(
        "release", "1.19.0", "--kind", "new-branch", "--only", "branch,main-dev-version",
        "--yes", cwd=root, env=env,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    _assert_started_scipy_notes(git_repo, "main", "1.20.0")
    assert "   release/1.20.0-notes\n   release/1.19.0-notes\n" in git_repo.git(
        "show", "main:doc/source/release.rst"
    )
    assert git_repo.git("show", "maintenance/1.19.x:doc/source/release/1.19.0-notes.rst") == (
        notes_1190.rstrip("\n")
    )
    assert git_repo.git("status", "--porcelain") == ""
