"""Each release kind's steps on a copy of examples/purelib (NumPy's layout: one
towncrier notes file per release, maintenance/X.Y.x branches, a bare origin).

These run the steps that change git (notes, changelog, version, tag, branches)
without building; the whole cycle with builds, index, docs archive and mail is
``test_whole_release_cycle`` in tests/test_release_cycle.py.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from relman.demo import DemoRepo
from tests.helpers import run_relman

UNSIGNED = {"RELMAN_RELEASE_SIGN": "none"}
PREPARE = "checks,notes,changelog,version,tag"


def _git(path: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=path, capture_output=True, text=True, check=True
    ).stdout.strip()


def _entries(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("- ")]


def _ok(out: subprocess.CompletedProcess[str]) -> None:
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.fixture
def purelib(example_repo) -> DemoRepo:
    demo = example_repo("purelib")
    return demo


def _fragment(demo: DemoRepo, name: str, text: str) -> None:
    path = demo.path / "doc" / "release" / "upcoming_changes" / name
    path.write_text(text + "\n", encoding="utf-8")
    _git(demo.path, "add", str(path))
    _git(demo.path, "commit", "-q", "-m", f"ENH: {name}")


def test_new_branch_cleans_main_and_sets_the_upstream(purelib: DemoRepo) -> None:
    path = purelib.path
    fragments = sorted(p.name for p in (path / "doc/release/upcoming_changes").glob("*.*.rst"))
    assert len(fragments) == 3
    plan = json.loads(
        run_relman("plan", "1.1.0", "--kind", "new-branch", "--json", cwd=path).stdout
    )
    steps = {s["name"]: s for s in plan["steps"]}
    assert (
        "on main: git rm the 3 news fragment(s) maintenance/1.1.x releases"
        in (steps["main-dev-version"]["actions"])
    )
    assert "on main: start doc/release/1.2.0-notes.rst" in steps["main-dev-version"]["actions"]
    assert any("refs/tags/v1.2.0.dev0" in a for a in steps["push-branches"]["actions"])
    _ok(run_relman("release", "1.1.0", "--kind", "new-branch", "--yes", cwd=path, env=UNSIGNED))
    # main: the next minor's .dev0, the fragments gone, the next notes file (no template)
    assert not list((path / "doc/release/upcoming_changes").glob("*.*.rst"))
    assert 'version = "1.2.0.dev0"' in (path / "pyproject.toml").read_text()
    started = (path / "doc/release/1.2.0-notes.rst").read_text()
    assert "purelib 1.2.0 Release Notes" in started and not _entries(started)
    # the branch keeps them, and tracks its remote branch
    tree = _git(
        path, "ls-tree", "--name-only", "maintenance/1.1.x", "doc/release/upcoming_changes/"
    )
    assert sorted(Path(p).name for p in tree.splitlines() if p.endswith(".rst")) == sorted(
        [*fragments, "README.rst"]
    )
    assert _git(path, "rev-parse", "--abbrev-ref", "maintenance/1.1.x@{upstream}") == (
        "origin/maintenance/1.1.x"
    )
    assert _git(purelib.remote, "rev-list", "-n1", "v1.2.0.dev0") == _git(path, "rev-parse", "main")
    # every step of the plan is done now
    again = json.loads(
        run_relman("plan", "1.1.0", "--kind", "new-branch", "--json", cwd=path).stdout
    )
    assert {s["status"] for s in again["steps"]} == {"done"}


def test_new_branch_refuses_a_version_main_is_not_heading_for(purelib: DemoRepo) -> None:
    path = purelib.path
    before = _git(path, "for-each-ref")
    out = run_relman("release", "1.5.0", "--kind", "new-branch", "--yes", cwd=path)
    assert out.returncode == 2
    assert "main is at 1.1.0.dev0, not on the way to 1.5.0" in out.stderr
    assert _git(path, "for-each-ref") == before
    assert not (path / ".git" / "relman").exists()


def test_notes_accumulate_from_the_first_rc_to_the_final(purelib: DemoRepo) -> None:
    """NumPy keeps one 1.19.0-notes.rst for 1.19.0rc1, rc2 and 1.19.0."""
    path = purelib.path
    _ok(run_relman("release", "1.1.0", "--kind", "new-branch", "--yes", cwd=path, env=UNSIGNED))
    _git(path, "checkout", "-q", "maintenance/1.1.x")
    notes = path / "doc/release/1.1.0-notes.rst"
    _ok(run_relman("release", "1.1.0rc1", "--only", PREPARE, cwd=path, env=UNSIGNED))
    assert not (path / "doc/release/1.1.0rc1-notes.rst").exists()
    rc1 = _entries(_git(path, "show", "v1.1.0rc1:doc/release/1.1.0-notes.rst"))
    assert len(rc1) == 3
    # a backport after rc1 adds its fragment; rc2 has every entry of the cycle, once
    _fragment(purelib, "21.improvement.rst", "``purelib.slugify`` accepts a separator.")
    plan = json.loads(run_relman("plan", "1.1.0rc2", "--json", cwd=path).stdout)
    notes_plan = next(s for s in plan["steps"] if s["name"] == "notes")
    assert notes_plan["actions"][0].startswith("write doc/release/1.1.0-notes.rst")
    _ok(run_relman("release", "1.1.0rc2", "--only", PREPARE, cwd=path, env=UNSIGNED))
    rc2 = _entries(notes.read_text())
    assert len(rc2) == 4 and set(rc1) < set(rc2)
    # the final: the whole cycle once, the fragments removed only now
    _fragment(purelib, "22.bugfix.rst", "``purelib.wrap_words`` keeps long words whole.")
    _ok(run_relman("release", "1.1.0", "--only", PREPARE, cwd=path, env=UNSIGNED))
    final = _entries(_git(path, "show", "v1.1.0:doc/release/1.1.0-notes.rst"))
    assert len(final) == 5 and len(set(final)) == 5 and set(rc2) < set(final)
    assert _git(path, "show", "v1.1.0:doc/release/1.1.0-notes.rst").count("Release Notes") == 1
    assert not list((path / "doc/release/upcoming_changes").glob("*.*.rst"))
    plan = json.loads(run_relman("plan", "1.1.0", "--json", cwd=path).stdout)
    assert next(s for s in plan["steps"] if s["name"] == "notes")["status"] == "done"


def test_a_final_with_only_the_template_notes_is_blocked(purelib: DemoRepo) -> None:
    path = purelib.path
    _ok(run_relman("release", "1.1.0", "--kind", "new-branch", "--yes", cwd=path, env=UNSIGNED))
    # main now has the started 1.2.0 notes and no fragment: nothing to release notes from
    before = _git(path, "for-each-ref")
    plan = json.loads(run_relman("plan", "1.2.0", "--json", cwd=path).stdout)
    step = next(s for s in plan["steps"] if s["name"] == "notes")
    assert step["status"] == "blocked"
    assert "holds only its template" in step["reason"]
    out = run_relman("release", "1.2.0", "--only", "notes", cwd=path, env=UNSIGNED)
    assert out.returncode == 1
    assert "holds only its template" in out.stderr
    assert _git(path, "for-each-ref") == before


def _backport_elsewhere(demo: DemoRepo, tmp: Path) -> str:
    """Someone else pushes a backport to the maintenance branch."""
    other = tmp / "other"
    _git(tmp, "clone", "-q", "-b", "maintenance/1.1.x", str(demo.remote), str(other))
    (other / "BACKPORT.txt").write_text("fix\n", encoding="utf-8")
    _git(other, "add", "BACKPORT.txt")
    _git(other, "commit", "-q", "-m", "BUG: backport of #30 to 1.1.x")
    _git(other, "push", "-q", "origin", "maintenance/1.1.x")
    return _git(other, "rev-parse", "HEAD")


def test_end_of_life_refuses_a_remote_only_backport_and_works_in_a_fresh_clone(
    purelib: DemoRepo, tmp_path: Path, gpg_key: str
) -> None:
    path = purelib.path
    _ok(run_relman("release", "1.1.0", "--kind", "new-branch", "--yes", cwd=path, env=UNSIGNED))
    backport = _backport_elsewhere(purelib, tmp_path)
    before = _git(purelib.remote, "for-each-ref")
    out = run_relman("release", "1.1.0", "--kind", "end-of-life", "--yes", "--force", cwd=path)
    assert out.returncode == 1
    assert "origin/maintenance/1.1.x has 1 commit(s) that maintenance/1.1.x lacks" in out.stderr
    assert "BUG: backport of #30" in out.stderr and "no branch and no tag" in out.stderr
    assert not _git(path, "tag", "-l", "1.1")
    assert _git(purelib.remote, "for-each-ref") == before

    # a fresh clone has only origin/maintenance/1.1.x: the line ends from there, signed
    fresh = tmp_path / "fresh"
    _git(tmp_path, "clone", "-q", "-b", "main", str(purelib.remote), str(fresh))
    _git(fresh, "config", "user.signingkey", gpg_key)
    plan = json.loads(
        run_relman("plan", "1.1.0", "--kind", "end-of-life", "--json", cwd=fresh).stdout
    )
    steps = {s["name"]: s for s in plan["steps"]}
    assert steps["eol-tag"]["actions"] == [
        "create signed (gpg) annotated tag 1.1 at the head of maintenance/1.1.x (not pushed)"
    ]
    refused = run_relman("release", "1.1.0", "--kind", "end-of-life", "--force", cwd=fresh)
    assert refused.returncode == 1 and "not confirmed: end maintenance/1.1.x" in refused.stderr
    assert _git(purelib.remote, "for-each-ref") == before  # nothing pushed unconfirmed
    out = run_relman("release", "1.1.0", "--kind", "end-of-life", "--yes", cwd=fresh)
    _ok(out)
    assert _git(fresh, "rev-list", "-n1", "1.1") == backport
    assert _git(fresh, "tag", "-v", "1.1") is not None  # a good signature, or git fails
    assert _git(purelib.remote, "rev-list", "-n1", "1.1") == backport
    assert "maintenance/1.1.x" not in _git(purelib.remote, "branch", "--list")
    again = json.loads(
        run_relman("plan", "1.1.0", "--kind", "end-of-life", "--json", cwd=fresh).stdout
    )
    assert {s["status"] for s in again["steps"]} == {"done"}


def test_status_shows_each_line_and_the_unfinished_release(purelib: DemoRepo) -> None:
    path = purelib.path
    _ok(run_relman("release", "1.1.0", "--kind", "new-branch", "--yes", cwd=path, env=UNSIGNED))
    _git(path, "checkout", "-q", "maintenance/1.1.x")
    _ok(run_relman("release", "1.1.0", "--only", PREPARE + ",push", cwd=path, env=UNSIGNED))
    _fragment(purelib, "40.bugfix.rst", "Fix a crash on crafted input.")
    _git(path, "push", "-q", "origin", "maintenance/1.1.x")
    # a security release that stops at its gate, after tagging: tagged, not released
    gated = {**UNSIGNED, "RELMAN_RELEASE_GATES": "advisory published"}
    out = run_relman(
        "release",
        "1.1.1",
        "--kind",
        "security",
        "--skip",
        "build,verify,checksums",
        cwd=path,
        env=gated,
    )
    assert out.returncode == 1 and "gate not confirmed" in out.stderr
    assert _git(path, "tag", "-l", "v1.1.1") == "v1.1.1"
    data = json.loads(run_relman("status", "--json", cwd=path).stdout)
    assert data["last_release"]["tag"] == "v1.1.0"
    (unfinished,) = data["unfinished"]
    assert (unfinished["version"], unfinished["kind"], unfinished["failed"]) == (
        "1.1.1",
        "security",
        "gate",
    )
    assert "tag" in unfinished["done"]
    text = run_relman("status", cwd=path).stdout
    assert "unfinished: 1.1.1 (security) on maintenance/1.1.x" in text
    assert "failed at gate" in text
    # on main: the newest release of every line, and the line's branch
    _git(path, "checkout", "-q", "main")
    data = json.loads(run_relman("status", "--json", cwd=path).stdout)
    assert data["last_release"]["tag"] == "v1.1.0"
    by_line = {e["line"]: e for e in data["lines"]}
    assert by_line["1.1"]["last_release"]["tag"] == "v1.1.0"
    assert by_line["1.1"]["branch"] == "maintenance/1.1.x" and not by_line["1.1"]["ended"]
    assert by_line["1.0"]["last_release"]["tag"] == "v1.0.0"
    assert "last release: v1.1.0" in run_relman("status", cwd=path).stdout


TEMPLATE = """\
{name} {version} Release Notes
==============================

Highlights
----------

*We hope to have these highlights.*

.. towncrier release notes start
"""


def test_rc_then_final_with_a_notes_template(purelib: DemoRepo) -> None:
    """NumPy's template-made X.Y.0-notes.rst: the rcs and the final fill the same file."""
    path = purelib.path
    (path / "doc" / "release" / "template.rst").write_text(TEMPLATE)
    pyproject = path / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text() + '\n[tool.relman.notes]\ntemplate = "doc/release/template.rst"\n'
    )
    _ok(run_relman("notes", "start", "1.1.0", cwd=path))
    _git(path, "add", "-A")
    _git(path, "commit", "-q", "-m", "DOC: start the 1.1.0 notes")
    _git(path, "push", "-q", "origin", "main")
    steps = PREPARE + ",push,post-release"
    _ok(run_relman("release", "1.1.0rc1", "--only", steps, cwd=path, env=UNSIGNED))
    notes = path / "doc" / "release" / "1.1.0-notes.rst"
    assert notes.read_text().count("*We hope to have these highlights.*") == 1
    assert len(_entries(notes.read_text())) == 3
    # after rc1 the final is not done: its notes are still to be written
    plan = json.loads(run_relman("plan", "1.1.0", "--json", cwd=path).stdout)
    step = next(s for s in plan["steps"] if s["name"] == "notes")
    assert step["status"] == "pending"
    # rc1's post-release left the cycle's notes alone; the final's starts the next minor's
    assert _git(path, "show", "--name-only", "--format=", "HEAD").split() == [
        "pyproject.toml",
        "src/purelib/__init__.py",
    ]
    post = next(s for s in plan["steps"] if s["name"] == "post-release")
    assert "start doc/release/1.2.0-notes.rst" in post["actions"]
    _fragment(purelib, "21.improvement.rst", "``purelib.slugify`` accepts a separator.")
    _git(path, "push", "-q", "origin", "main")
    _ok(run_relman("release", "1.1.0", "--only", steps, cwd=path, env=UNSIGNED))
    text = _git(path, "show", "v1.1.0:doc/release/1.1.0-notes.rst")
    assert text.count("purelib 1.1.0 Release Notes") >= 1
    assert text.count("*We hope to have these highlights.*") == 1
    assert text.count(".. towncrier release notes start") == 1
    entries = _entries(text)
    assert len(entries) == 4 == len(set(entries))
    # the final's post-release (main: the next minor) starts 1.2.0's notes from the template
    assert (
        "*We hope to have these highlights.*"
        in (path / "doc" / "release" / "1.2.0-notes.rst").read_text()
    )


def test_an_announcement_without_recipients_stops_before_anything(purelib: DemoRepo) -> None:
    path = purelib.path
    pyproject = path / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text()
        + "\n[tool.relman.announce]\nsmtp-host = '127.0.0.1'\n"
        + "to-by-kind = { rc = ['discuss@example.org'] }\n"
    )
    _git(path, "commit", "-q", "-am", "MAINT: announce release candidates")
    before = _git(path, "for-each-ref")
    out = run_relman("release", "1.1.0", "--yes", cwd=path, env=UNSIGNED)
    assert out.returncode == 2
    assert "an announcement of a final release has no recipients" in out.stderr
    assert _git(path, "for-each-ref") == before and not (path / ".git" / "relman").exists()
    rc = run_relman("plan", "1.1.0rc1", "--json", cwd=path)
    assert rc.returncode == 0, rc.stderr
    steps = {s["name"]: s for s in json.loads(rc.stdout)["steps"]}
    assert "send to discuss@example.org via 127.0.0.1" in steps["announce"]["actions"]


def test_a_refused_recipient_is_not_recorded_as_sent(purelib: DemoRepo) -> None:
    from aiosmtpd.controller import Controller

    from tests.test_announce import _Collect, _free_port

    handler = _Collect()
    handler.refuse = ("gone@example.org",)
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        path = purelib.path
        pyproject = path / "pyproject.toml"
        pyproject.write_text(
            pyproject.read_text()
            + f"\n[tool.relman.announce]\nsmtp-host = '127.0.0.1'\nsmtp-port = {port}\n"
            + "starttls = false\nto = ['list@example.org', 'gone@example.org']\n"
        )
        _git(path, "commit", "-q", "-am", "MAINT: announcement lists")
        out = run_relman("release", "1.1.0", "--only", "announce", cwd=path, env=UNSIGNED)
        assert out.returncode == 5
        assert "refused 1 recipient(s): gone@example.org (550" in out.stderr
        assert "sent to list@example.org" in out.stderr
        state = json.loads((path / ".git" / "relman" / "1.1.0.json").read_text())
        assert state["steps"]["announce"]["sent_to"] == ["list@example.org"]
        # the address works again: the resume sends to it alone
        handler.refuse = ()
        again = run_relman("release", "1.1.0", "--only", "announce", cwd=path, env=UNSIGNED)
        _ok(again)
        assert [rcpt for _, rcpt, _ in handler.messages] == [
            ["list@example.org"],
            ["gone@example.org"],
        ]
    finally:
        controller.stop()
