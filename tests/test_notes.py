"""`relman notes`: build, start, new, check, and bad input that changes nothing."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from relman.demo import DemoRepo
from relman.notes import (
    build_notes,
    check_fragments,
    draft_notes,
    notes_file,
    pending_fragments,
    start_notes,
)
from relman.notes.fragments import add_toctree_entry
from relman.project import load_config
from tests.helpers import run_relman, snapshot
from tests.test_notes_oracle import BLURBS, cpython_tree, write_project

EPOCH = {"SOURCE_DATE_EPOCH": "1767225600"}
SIMPLE = '[tool.towncrier]\ndirectory = "changes"\n'


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout


def state(root: Path) -> tuple[dict[str, bytes], str, str]:
    """Files, index and HEAD: everything a failed command must leave alone."""
    return snapshot(root), git("ls-files", "-s", cwd=root), git("rev-parse", "HEAD", cwd=root)


# -- the example projects ---------------------------------------------------


@pytest.mark.parametrize(
    ("example", "notes", "version"),
    [
        ("purelib", "doc/release/1.1.0-notes.rst", "1.1.0"),
        ("cext", "CHANGES.rst", "0.4.0"),
    ],
)
def test_build_commit_on_examples(
    example_repo: Callable[[str], DemoRepo], example: str, notes: str, version: str
) -> None:
    demo = example_repo(example)
    root = demo.path
    fragments_before = git("ls-files", "doc/release/upcoming_changes", cwd=root).split()
    assert any(
        f.endswith(".rst") and f[0].isdigit() for f in (Path(p).name for p in fragments_before)
    )
    pending = pending_fragments(load_config(root))
    assert pending and all(p.exists() for p in pending)
    draft = run_relman("notes", "draft", "--version", version, cwd=root, env=EPOCH)
    assert draft.returncode == 0, draft.stderr
    out = run_relman("notes", "build", "--version", version, "--commit", cwd=root, env=EPOCH)
    assert out.returncode == 0, out.stderr
    text = (root / notes).read_text(encoding="utf-8")
    assert draft.stdout.strip() in text
    assert git("status", "--porcelain", cwd=root) == ""
    assert git("log", "-1", "--format=%s", cwd=root).strip() == f"DOC: release notes for {version}"
    left = [Path(p).name for p in git("ls-files", "doc/release/upcoming_changes", cwd=root).split()]
    assert not any(name[0].isdigit() for name in left)
    assert all(not p.exists() for p in pending)
    changed = git("show", "--name-status", "--format=", "HEAD", cwd=root)
    assert notes in changed and changed.count("\nD\t") + changed.startswith("D\t") == len(pending)


def test_build_api_returns_what_it_did(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", SIMPLE, {"changes/1.feature.rst": "New.\n"})
    (root / "changes" / "2.bugfix.rst").write_text("Untracked fix.\n", encoding="utf-8")
    config = load_config(root)
    assert notes_file(config, "1.0") == root / "NEWS.rst"
    result = build_notes(config, "1.0", date="2026-01-01")
    assert result.written == (root / "NEWS.rst",)
    assert sorted(p.name for p in result.removed) == ["1.feature.rst", "2.bugfix.rst"]
    assert not (root / "changes" / "2.bugfix.rst").exists()
    assert "New. (#1)" in (root / "NEWS.rst").read_text(encoding="utf-8")
    assert git("status", "--porcelain", cwd=root).split() == [
        "A",
        "NEWS.rst",
        "D",
        "changes/1.feature.rst",
    ]


def test_build_dry_run_changes_nothing(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", SIMPLE, {"changes/1.feature.rst": "New.\n"})
    before = state(root)
    out = run_relman("notes", "build", "--version", "1.0", "--dry-run", cwd=root)
    assert out.returncode == 0, out.stderr
    assert "write  NEWS.rst" in out.stdout and "git rm changes/1.feature.rst" in out.stdout
    assert state(root) == before


def test_build_is_all_or_nothing_when_git_rm_fails(tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "p", SIMPLE, {"changes/1.feature.rst": "New.\n", "NEWS.rst": "Old.\n"}
    )
    before = state(root)
    (root / ".git" / "index.lock").write_text("", encoding="utf-8")  # git rm will fail
    out = run_relman("notes", "build", "--version", "1.0", cwd=root)
    (root / ".git" / "index.lock").unlink()
    assert out.returncode == 4, out.stderr
    assert "error: git rm failed" in out.stderr
    assert state(root) == before


def test_draft_json_and_blurb_draft(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", SIMPLE, {"changes/1.feature.rst": "New.\n"})
    out = run_relman("notes", "draft", "--version", "1.0", "--json", cwd=root, env=EPOCH)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["version"] == "1.0" and "- New. (#1)" in data["notes"]
    cpy = cpython_tree(tmp_path / "cpython", BLURBS)
    text = draft_notes(load_config(cpy), "3.14.0a1", date="2026-01-01")
    # the first entry is the Security one, carrying the release date
    assert text.startswith(
        ".. cve: CVE-2025-1234\n.. date: 2025-01-05-00-00-00\n.. gh-issue: 130000\n"
        ".. nonce: SeC123\n.. release date: 2026-01-01\n.. section: Security\n\n"
        "Fix a vulnerability.\n\n..\n\n"
    )
    assert len(pending_fragments(load_config(cpy))) == 6


# -- bad input: one clear message, nothing changed ----------------------------


@pytest.mark.parametrize(
    ("case", "code", "needle"),
    [
        ("unknown-type-strict", 1, "changes/3.feture.rst"),
        ("bad-config", 2, "pyproject.toml"),
        ("bad-template", 2, "syntax error"),
        ("duplicate", 1, "same fragment"),
    ],
)
def test_bad_input_changes_nothing(tmp_path: Path, case: str, code: int, needle: str) -> None:
    config = SIMPLE
    fragments: dict[str, str | bytes] = {"changes/1.feature.rst": "Good.\n"}
    extra: dict[str, str] = {}
    if case == "unknown-type-strict":
        # towncrier's strict mode: with `ignore` set every other file must be a fragment
        config += "ignore = []\n"
        fragments["changes/3.feture.rst"] = "Typo in the type.\n"
    elif case == "bad-config":
        config += 'single_file = "no"\nunderlines = 3\n'
    elif case == "bad-template":
        config += 'template = "tpl.rst"\n'
        extra["tpl.rst"] = "{% for x in sections %}\nunclosed\n"
    elif case == "duplicate":
        fragments["changes/01.feature.rst"] = "Same key as 1.feature.\n"
    root = write_project(tmp_path / "p", config, fragments, extra=extra)
    before = state(root)
    for args in (
        ("build", "--version", "1.0"),
        ("build", "--version", "1.0", "--commit"),
        ("draft", "--version", "1.0"),
    ):
        out = run_relman("notes", *args, cwd=root)
        assert out.returncode == code, (args, out.stderr)
        assert needle in out.stderr, out.stderr
        assert out.stderr.startswith("error: ")
        assert state(root) == before


def test_lenient_like_towncrier_strict_in_notes_check(tmp_path: Path) -> None:
    """A file that is no fragment and a fragment that is not UTF-8: towncrier skips
    the one and reads the other with replacement characters; relman warns, builds
    the same, and `relman notes check` is where both are refused."""
    fragments: dict[str, str | bytes] = {
        "changes/1.feature.rst": "Good.\n",
        "changes/3.feture.rst": "Typo in the type.\n",
        "changes/4.bugfix.rst": b"caf\xe9\n",
    }
    root = write_project(tmp_path / "p", SIMPLE, fragments)
    check = run_relman("notes", "check", cwd=root)
    assert check.returncode == 1
    assert "3.feture.rst" in check.stdout and "not valid UTF-8" in check.stdout
    out = run_relman("notes", "build", "--version", "1.0", cwd=root)
    assert out.returncode == 0, out.stderr
    assert "warning: not a news fragment, skipped" in out.stderr and "3.feture.rst" in out.stderr
    assert "4.bugfix.rst: not valid UTF-8" in out.stderr
    news = (root / "NEWS.rst").read_text(encoding="utf-8")
    assert "- caf\ufffd (#4)" in news and "Typo" not in news
    assert (root / "changes/3.feture.rst").exists()


def test_build_refuses_existing_blurb_release_file(tmp_path: Path) -> None:
    root = cpython_tree(tmp_path / "c", BLURBS)
    (root / "Misc/NEWS.d/3.14.0a1.rst").write_text("exists\n", encoding="utf-8")
    git("add", "-A", cwd=root)
    git("commit", "-qm", "x", cwd=root)
    before = state(root)
    out = run_relman("notes", "build", "--version", "3.14.0a1", cwd=root)
    assert out.returncode == 2 and "already exists" in out.stderr
    assert state(root) == before


def test_build_refuses_second_build_of_same_version(tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "p",
        SIMPLE + 'title_format = "{name} {version}"\n',
        {"changes/1.feature.rst": "New.\n"},
    )
    assert run_relman("notes", "build", "--version", "1.0", "--commit", cwd=root).returncode == 0
    (root / "changes").mkdir(exist_ok=True)
    (root / "changes" / "2.feature.rst").write_text("More.\n", encoding="utf-8")
    before = state(root)
    out = run_relman("notes", "build", "--version", "1.0", cwd=root)
    assert out.returncode == 2 and "already has notes titled 'demo 1.0'" in out.stderr
    assert state(root) == before


# -- start and the release index ---------------------------------------------

NUMPY_LIKE = """\
[tool.towncrier]
single_file = false
filename = "doc/source/release/{version}-notes.rst"
directory = "doc/release/upcoming_changes/"
title_format = false

[tool.relman.notes]
release-index = "doc/source/release.rst"
template = "doc/source/release/template.rst"
highlights = true
"""

RELEASE_RST = """\
*************
Release notes
*************

.. toctree::
    :maxdepth: 2

    release/1.1.0-notes
    release/1.0.0-notes
"""


def test_start_then_build_numpy_style(tmp_path: Path) -> None:
    template = "=========================\nNumPy {version} Release Notes\n=========================\n\nHighlights\n==========\n\n"
    root = write_project(
        tmp_path / "np",
        NUMPY_LIKE,
        {"doc/release/upcoming_changes/10.feature.rst": "A feature.\n"},
        extra={"doc/source/release.rst": RELEASE_RST, "doc/source/release/template.rst": template},
    )
    out = run_relman("notes", "start", "1.2.0", cwd=root)
    assert out.returncode == 0, out.stderr
    notes = root / "doc/source/release/1.2.0-notes.rst"
    assert notes.read_text(encoding="utf-8").startswith(
        "=========================\nNumPy 1.2.0 Release Notes\n"
    )
    assert ".. towncrier release notes start" in notes.read_text(encoding="utf-8")
    index = (root / "doc/source/release.rst").read_text(encoding="utf-8")
    assert index == RELEASE_RST.replace(
        "    release/1.1.0-notes\n", "    release/1.2.0-notes\n    release/1.1.0-notes\n"
    )
    # starting again is a no-op
    assert start_notes(load_config(root), "1.2.0") == []
    git("add", "-A", cwd=root)
    git("commit", "-qm", "start", cwd=root)
    out = run_relman("notes", "build", "--version", "1.2.0", cwd=root, env=EPOCH)
    assert out.returncode == 0, out.stderr
    text = notes.read_text(encoding="utf-8")
    assert text.index("Highlights") < text.index("- A feature. (#10)")
    assert (root / "doc/source/release.rst").read_text(encoding="utf-8") == index


def test_start_without_template_has_highlights(tmp_path: Path) -> None:
    config = NUMPY_LIKE.replace('template = "doc/source/release/template.rst"\n', "")
    root = write_project(tmp_path / "np", config, {}, extra={"doc/source/release.rst": RELEASE_RST})
    written = start_notes(load_config(root), "2.0.0")
    assert [p.name for p in written] == ["2.0.0-notes.rst", "release.rst"]
    text = written[0].read_text(encoding="utf-8")
    assert "demo 2.0.0 Release Notes" in text and "Highlights\n==========" in text


def test_start_is_a_no_op_for_single_news_file(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", SIMPLE, {})
    before = state(root)
    assert start_notes(load_config(root), "1.0") == []
    assert state(root) == before


def test_add_toctree_entry_cases() -> None:
    assert add_toctree_entry(RELEASE_RST, "release/1.1.0-notes") == RELEASE_RST
    assert add_toctree_entry("", "release/1.0-notes") == (
        ".. toctree::\n   :maxdepth: 2\n\n   release/1.0-notes\n"
    )
    empty_tree = "Notes\n=====\n\n.. toctree::\n   :maxdepth: 1\n"
    assert add_toctree_entry(empty_tree, "r/1") == empty_tree + "\n   r/1\n"


# -- new ------------------------------------------------------------------------


def test_new_creates_named_fragments(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", SIMPLE, {})
    out = run_relman("notes", "new", "42", "bugfix", "-m", "Fixed it.", cwd=root)
    assert out.returncode == 0, out.stderr
    assert (root / "changes/42.bugfix.rst").read_text(encoding="utf-8") == "Fixed it.\n"
    out = run_relman("notes", "new", "42", "bugfix", "-m", "Again.", cwd=root)
    assert out.returncode == 0, out.stderr
    assert (root / "changes/42.bugfix.1.rst").read_text(encoding="utf-8") == "Again.\n"
    before = state(root)
    out = run_relman("notes", "new", "43", "bugfixx", "-m", "x", cwd=root)
    assert out.returncode == 2 and "unknown fragment type 'bugfixx'" in out.stderr
    assert state(root) == before


def test_new_blurb_entry_is_accepted_by_blurb_rules(tmp_path: Path) -> None:
    root = cpython_tree(tmp_path / "c", {})
    out = run_relman(
        "notes", "new", "gh-123456", "library", "-m", "Fix :mod:`os` things.", cwd=root
    )
    assert out.returncode == 0, out.stderr
    path = Path(out.stdout.strip())
    assert path.parent == root / "Misc/NEWS.d/next/Library"
    assert ".gh-issue-123456." in path.name
    assert path.read_text(encoding="utf-8") == "Fix :mod:`os` things.\n"
    assert check_fragments(load_config(root)) == []


# -- check ----------------------------------------------------------------------


def test_check_reports_every_problem(tmp_path: Path) -> None:
    config = SIMPLE + '\n[tool.relman.notes]\nissue-ranges = ["1-1000"]\n'
    root = write_project(
        tmp_path / "p",
        config,
        {
            "changes/1.feature.rst": "Good with :func:`sphinx.role`.\n",
            "changes/2.feture.rst": "Unknown type.\n",
            "changes/3.bugfix.rst": "  \n",
            "changes/4.bugfix.rst": "Bad *emphasis.\n",
            "changes/5000.bugfix.rst": "Out of range.\n",
            "changes/6.doc.rst": b"\xff\xfe",
            "changes/README.rst": "ignored\n",
        },
    )
    before = state(root)
    out = run_relman("notes", "check", cwd=root)
    assert out.returncode == 1
    lines = out.stdout.splitlines()
    assert len(lines) == 5, out.stdout
    joined = "\n".join(lines)
    assert "2.feture.rst: unknown fragment type 'feture'" in joined
    assert "3.bugfix.rst: empty fragment" in joined
    assert "4.bugfix.rst: invalid reStructuredText" in joined
    assert "5000.bugfix.rst: issue 5000 is outside the configured ranges" in joined
    assert "6.doc.rst: not valid UTF-8" in joined
    assert state(root) == before


def test_check_against_branch_needs_a_fragment(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", SIMPLE, {"changes/1.feature.rst": "Good.\n"})
    git("checkout", "-qb", "topic", cwd=root)
    (root / "code.py").write_text("x = 1\n", encoding="utf-8")
    git("add", "-A", cwd=root)
    git("commit", "-qm", "Change code", cwd=root)
    out = run_relman("notes", "check", "--against", "main", cwd=root)
    assert out.returncode == 1 and "adds no news fragment since main" in out.stdout
    git("commit", "-q", "--allow-empty", "-m", "MAINT: tidy\n\nskip-news", cwd=root)
    assert run_relman("notes", "check", "--against", "main", cwd=root).returncode == 0
    git("reset", "-q", "--hard", "HEAD~1", cwd=root)
    (root / "changes/7.bugfix.rst").write_text("Fix.\n", encoding="utf-8")
    git("add", "-A", cwd=root)
    git("commit", "-qm", "Add fragment", cwd=root)
    out = run_relman("notes", "check", "--against", "main", "--json", cwd=root)
    assert out.returncode == 0, out.stdout
    assert json.loads(out.stdout) == {"ok": True, "problems": []}
    out = run_relman("notes", "check", "--against", "nope", cwd=root)
    assert out.returncode == 2 and "'nope' is not a commit" in out.stderr


def test_check_blurb_entries(tmp_path: Path) -> None:
    entries = {
        **BLURBS,
        "Misc/NEWS.d/next/Library/2025-02-01-00-00-00.gh-issue-100.Small1.rst": "Too small.\n",
        "Misc/NEWS.d/next/Library/2025-02-02-00-00-00.gh-issue-130500.Prefix.rst": "gh-1: no.\n",
        "Misc/NEWS.d/next/Nope/2025-02-03-00-00-00.gh-issue-130501.Sectio.rst": "Wrong.\n",
    }
    root = cpython_tree(tmp_path / "c", entries)
    problems = check_fragments(load_config(root))
    reasons = sorted(p.reason for p in problems)
    assert len(problems) == 3, reasons
    assert any("must be >= 32426" in r for r in reasons)
    assert any("can't start with 'gh-'" in r for r in reasons)
    assert any("unknown blurb section folder" in r for r in reasons)


def test_new_without_text_opens_the_editor(tmp_path: Path) -> None:
    import sys

    root = write_project(tmp_path / "p", SIMPLE, {})
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import sys\nopen(sys.argv[1], 'w').write('Written in the editor.\\n')\n", encoding="utf-8"
    )
    out = run_relman(
        "notes", "new", "+", "feature", cwd=root, env={"EDITOR": f"{sys.executable} {editor}"}
    )
    assert out.returncode == 0, out.stderr
    (created,) = (root / "changes").glob("+*.feature.rst")
    assert created.read_text(encoding="utf-8") == "Written in the editor.\n"
    empty = tmp_path / "empty.py"
    empty.write_text("", encoding="utf-8")
    before = state(root)
    out = run_relman(
        "notes", "new", "5", "feature", cwd=root, env={"EDITOR": f"{sys.executable} {empty}"}
    )
    assert out.returncode == 2 and "no fragment text" in out.stderr
    assert state(root) == before


def test_build_commit_is_all_or_nothing_when_the_commit_fails(tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "p",
        SIMPLE + '\n[tool.relman.notes]\nrelease-index = "doc/release.rst"\n',
        {"changes/1.feature.rst": "New.\n", "NEWS.rst": "Old.\n"},
        extra={"doc/release.rst": RELEASE_RST},
    )
    (root / "changes/2.bugfix.rst").write_text("Untracked.\n", encoding="utf-8")
    hook = root / ".git/hooks/pre-commit"
    hook.write_text("#!/bin/sh\necho 'rejected by hook' >&2\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    before = state(root)
    status = git("status", "--porcelain", cwd=root)
    out = run_relman("notes", "build", "--version", "1.0", "--commit", cwd=root)
    assert out.returncode == 4, out.stderr
    assert "git commit failed" in out.stderr
    assert state(root) == before
    assert git("status", "--porcelain", cwd=root) == status


def test_version_defaults_to_the_release_the_project_heads_for(
    example_repo: Callable[[str], DemoRepo],
) -> None:
    demo = example_repo("purelib")  # at 1.1.0.dev0
    implicit = run_relman("notes", "draft", cwd=demo.path)
    explicit = run_relman("notes", "draft", "--version", "1.1.0", cwd=demo.path)
    assert implicit.returncode == 0, implicit.stderr
    assert implicit.stdout == explicit.stdout
    assert implicit.stdout.startswith("purelib 1.1.0 Release Notes")
    before = snapshot(demo.path)
    plan = run_relman("notes", "build", "--dry-run", "--json", cwd=demo.path)
    assert json.loads(plan.stdout)["version"] == "1.1.0"
    assert snapshot(demo.path) == before


def test_check_leaves_markdown_fragments_alone(tmp_path: Path) -> None:
    # attrs' layout: towncrier with a Markdown template whose last extension is
    # .jinja (changelog.d/towncrier_template.md.jinja), CHANGELOG.md, and fragments
    # like changelog.d/1417.change.md holding Markdown that docutils would reject
    config = (
        '[tool.towncrier]\ndirectory = "changelog.d"\nfilename = "CHANGELOG.md"\n'
        'template = "changelog.d/towncrier_template.md.jinja"\n'
        'start_string = "<!-- towncrier release notes start -->\\n"\n'
        '\n[[tool.towncrier.type]]\ndirectory = "change"\nname = "Changes"\nshowcontent = true\n'
    )
    markdown = "Fixed `attrs.evolve()` for *private* attributes ([#1417](https://x/1417)).\n"
    root = write_project(
        tmp_path / "attrs",
        config,
        {
            "changelog.d/towncrier_template.md.jinja": "{% for section in sections %}{% endfor %}\n",
            "changelog.d/1417.change.md": markdown + "\n- a list\n  * badly *nested\n",
            "changelog.d/1418.change.rst": "Bad *emphasis.\n",
        },
    )
    problems = [str(p) for p in check_fragments(load_config(root))]
    # the Markdown fragment is not read as reStructuredText; an .rst one still is
    assert len(problems) == 1, problems
    assert "1418.change.rst: invalid reStructuredText" in problems[0]
    (root / "changelog.d/1418.change.rst").unlink()
    assert check_fragments(load_config(root)) == []
