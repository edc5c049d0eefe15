"""`relman plan` and `relman release` on real repositories, end to end."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from relman.demo import DemoRepo
from tests.helpers import refs, run_relman, snapshot


def _world(demo: DemoRepo) -> tuple[dict[str, bytes], str, bool]:
    """Everything a release could change: the files, the refs, the state folder."""
    return snapshot(demo.path), refs(demo.path), (demo.path / ".git" / "relman").exists()


@pytest.fixture
def purelib(example_repo) -> DemoRepo:
    demo = example_repo("purelib")
    return demo


def test_plan_lists_every_step(purelib: DemoRepo) -> None:
    before = _world(purelib)
    out = run_relman("plan", "1.1.0", "--json", cwd=purelib.path)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["kind"] == "final"
    names = [s["name"] for s in data["steps"]]
    assert names[:5] == ["checks", "notes", "changelog", "version", "tag"]
    assert names.index("publish") < names.index("post-release") < names.index("install-check")
    by_name = {s["name"]: s for s in data["steps"]}
    assert by_name["announce"]["status"] == "pending"
    assert any("outbox" in a for a in by_name["announce"]["actions"])
    assert by_name["docs"]["status"] == "skipped"
    assert by_name["docs"]["reason"].startswith("not configured")
    assert by_name["github-release"]["status"] == "skipped"
    assert by_name["github-release"]["reason"].startswith("not configured")
    assert by_name["notes"]["status"] == "pending"
    assert any("fragment" in a for a in by_name["notes"]["actions"])
    assert by_name["forward-port"]["status"] == "skipped"  # released from main
    assert _world(purelib) == before


def test_dry_run_changes_nothing(purelib: DemoRepo) -> None:
    before = _world(purelib)
    out = run_relman("release", "1.1.0", "--dry-run", cwd=purelib.path)
    assert out.returncode == 0, out.stderr
    assert "dry run" in out.stdout
    assert "[ ] tag" in out.stdout
    assert _world(purelib) == before


@pytest.mark.parametrize(
    ("version", "code", "words"),
    [
        ("1.1.0-RC1", 2, "1.1.0rc1"),
        ("banana", 2, "not a valid PEP 440 version"),
        ("0.9.0", 2, "is not later than"),
        ("1.0.0", 2, "v1.0.0"),
    ],
)
def test_bad_versions_change_nothing(
    purelib: DemoRepo, version: str, code: int, words: str
) -> None:
    before = _world(purelib)
    out = run_relman("release", version, "--yes", cwd=purelib.path)
    assert out.returncode == code, out.stdout + out.stderr
    assert words in out.stderr
    assert "Traceback" not in out.stderr
    assert _world(purelib) == before


def test_dirty_tree_stops_before_anything(purelib: DemoRepo) -> None:
    (purelib.path / "src" / "purelib" / "_core.py").write_text("# edited\n", encoding="utf-8")
    before = _world(purelib)
    out = run_relman("release", "1.1.0", "--yes", cwd=purelib.path)
    assert out.returncode == 1, out.stderr
    assert "_core.py" in out.stderr
    assert _world(purelib) == before


def test_missing_signing_key_stops_before_anything(purelib: DemoRepo) -> None:
    before = _world(purelib)
    env = {"RELMAN_RELEASE_SIGN": "gpg"}
    plan = run_relman("plan", "1.1.0", cwd=purelib.path, env=env)
    assert plan.returncode == 1, plan.stdout + plan.stderr
    assert "[!] checks" in plan.stdout and "no gpg secret key" in plan.stderr
    out = run_relman("release", "1.1.0", "--yes", cwd=purelib.path, env=env)
    assert out.returncode == 2, out.stderr
    assert "no gpg secret key" in out.stderr
    assert "hint:" in out.stderr
    assert _world(purelib) == before


def test_no_signing_key_makes_an_unsigned_annotated_tag(purelib: DemoRepo) -> None:
    """sign = "auto" (the default) signs exactly when git would; here git has no key."""
    plan = run_relman("plan", "1.1.0", cwd=purelib.path)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "create unsigned (git has no signing key" in plan.stdout
    assert "signed (auto)" not in plan.stdout
    out = run_relman(
        "release",
        "1.1.0",
        "--yes",
        "--only",
        "checks,notes,changelog,version,tag",
        cwd=purelib.path,
    )
    assert out.returncode == 0, out.stderr
    assert "warning: v1.1.0 is an unsigned annotated tag" in out.stderr
    assert purelib.repo.git("cat-file", "-t", "refs/tags/v1.1.0") == "tag"
    assert "BEGIN PGP" not in purelib.repo.git("cat-file", "tag", "v1.1.0")


def test_plan_exits_1_exactly_when_a_check_would_stop(purelib: DemoRepo) -> None:
    (purelib.path / "scratch.py").write_text("x = 1\n")
    purelib.repo.git("add", "scratch.py")
    plan = run_relman("plan", "1.1.0", cwd=purelib.path)
    assert plan.returncode == 1
    assert "[!] checks" in plan.stdout
    assert "the release would stop" in plan.stderr
    dry = run_relman("release", "1.1.0", "--dry-run", cwd=purelib.path)
    assert dry.returncode == 1
    out = run_relman("release", "1.1.0", "--yes", cwd=purelib.path)
    assert out.returncode == 1  # the real release stops at the same check


def test_plan_stops_when_the_remote_cannot_be_reached(purelib: DemoRepo, tmp_path: Path) -> None:
    # the example's remote is a bare repository beside it: it answers
    plan = run_relman("plan", "1.1.0", "--json", cwd=purelib.path)
    assert plan.returncode == 0, plan.stderr
    push = {s["name"]: s for s in json.loads(plan.stdout)["steps"]}["push"]
    assert push["status"] == "pending"
    before = _world(purelib)
    gone = tmp_path / "no-such-remote.git"
    purelib.repo.git("remote", "set-url", "origin", str(gone))
    plan = run_relman("plan", "1.1.0", cwd=purelib.path)
    assert plan.returncode == 1, plan.stdout + plan.stderr
    assert "[!] push" in plan.stdout
    assert "push: the remote 'origin' cannot be reached" in plan.stderr
    assert str(gone) in plan.stderr  # git's own reason
    dry = run_relman("release", "1.1.0", "--dry-run", cwd=purelib.path)
    assert dry.returncode == 1 and "cannot be reached" in dry.stderr
    # a release that does not push does not need the remote
    local = run_relman("plan", "1.1.0", cwd=purelib.path, env={"RELMAN_RELEASE_PUSH": "false"})
    assert local.returncode == 0, local.stdout + local.stderr
    purelib.repo.git("remote", "set-url", "origin", str(purelib.remote))
    assert _world(purelib) == before


def test_gate_without_terminal_fails_unless_yes(purelib: DemoRepo, gpg_key: str) -> None:
    purelib.repo.git("config", "user.signingkey", gpg_key)
    env = {
        "RELMAN_RELEASE_GATES": "Windows binaries checked",
        "RELMAN_PUBLISH_LOCAL_DIR": str(purelib.path.parent / "index"),
    }
    out = run_relman("release", "1.1.0", "--only", "checks,gate", cwd=purelib.path, env=env)
    assert out.returncode == 1, out.stderr
    assert "gate not confirmed: Windows binaries checked" in out.stderr
    out = run_relman("release", "1.1.0", "--only", "gate", "--yes", cwd=purelib.path, env=env)
    assert out.returncode == 0, out.stderr
    state = json.loads((purelib.path / ".git" / "relman" / "1.1.0.json").read_text())
    assert state["gates"] == {"Windows binaries checked": True}


def test_second_run_is_refused_while_one_holds_the_lock(purelib: DemoRepo) -> None:
    import fcntl

    lock = purelib.path / ".git" / "relman.lock"
    with lock.open("w") as fh:
        fh.write("pid 4242: relman release 1.1.0rc1")
        fh.flush()
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        out = run_relman(
            "release", "1.1.0", "--yes", cwd=purelib.path, env={"RELMAN_RELEASE_SIGN": "none"}
        )
    assert out.returncode == 2
    assert (
        "another relman run is changing this repository (pid 4242: relman release 1.1.0rc1)"
        in out.stderr
    )


def _git(path: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=path, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_new_branch_then_end_of_life(purelib: DemoRepo) -> None:
    path = purelib.path
    out = run_relman("release", "1.1.0", "--kind", "new-branch", "--yes", cwd=path)
    assert out.returncode == 0, out.stderr
    # the maintenance branch starts where main was; main moves on to the next minor
    assert _git(path, "rev-parse", "maintenance/1.1.x") == _git(path, "rev-parse", "HEAD~1")
    assert 'version = "1.2.0.dev0"' in (path / "pyproject.toml").read_text()
    assert _git(path, "rev-list", "-n1", "v1.2.0.dev0") == _git(path, "rev-parse", "HEAD")
    remote = purelib.remote
    assert _git(remote, "rev-parse", "maintenance/1.1.x") == _git(
        path, "rev-parse", "maintenance/1.1.x"
    )
    assert _git(remote, "rev-parse", "main") == _git(path, "rev-parse", "main")
    # its own state file: a later 1.1.0 release is not confused with it
    assert (path / ".git" / "relman" / "1.1.0.new-branch.json").is_file()
    assert not (path / ".git" / "relman" / "1.1.0.json").exists()
    again = run_relman("release", "1.1.0", "--kind", "new-branch", "--yes", cwd=path)
    assert again.returncode == 0 and "already done" in again.stderr

    # end of life of the 1.1 line: its commits were never released, so only with --force;
    # confirmation needed before anything is pushed, then tag X.Y and delete the branch
    head = _git(path, "rev-parse", "maintenance/1.1.x")
    unsigned = {"RELMAN_RELEASE_SIGN": "none"}
    unreleased = run_relman(
        "release", "1.1.0", "--kind", "end-of-life", "--yes", cwd=path, env=unsigned
    )
    assert unreleased.returncode == 1
    assert "commit(s) after its last release v1.0.0 that were never released" in (unreleased.stderr)
    assert not _git(path, "tag", "-l", "1.1")
    refused = run_relman(
        "release", "1.1.0", "--kind", "end-of-life", "--force", cwd=path, env=unsigned
    )
    assert refused.returncode == 1
    assert "not confirmed: end maintenance/1.1.x: push tag 1.1" in refused.stderr
    assert _git(path, "rev-parse", "maintenance/1.1.x") == head
    assert not _git(remote, "tag", "-l", "1.1")  # nothing pushed before the confirmation
    out = run_relman("release", "1.1.0", "--kind", "end-of-life", "--yes", cwd=path, env=unsigned)
    assert out.returncode == 0, out.stderr
    assert _git(path, "rev-list", "-n1", "1.1") == head
    assert "maintenance/1.1.x" not in _git(path, "branch", "--list")
    assert "maintenance/1.1.x" not in _git(remote, "branch", "--list")
    assert _git(remote, "rev-list", "-n1", "1.1") == head


def test_resume_without_version_picks_the_unfinished_release(purelib: DemoRepo) -> None:
    out = run_relman("release", "--resume", "--yes", cwd=purelib.path)
    assert out.returncode == 2
    assert "no unfinished release" in out.stderr


def test_security_release_plans_the_sdist_only(purelib: DemoRepo) -> None:
    out = run_relman("plan", "1.1.0", "--kind", "security", "--json", cwd=purelib.path)
    assert out.returncode == 0, out.stderr
    steps = {s["name"]: s for s in json.loads(out.stdout)["steps"]}
    assert steps["build"]["actions"] == [
        f"build the sdist of v1.1.0 into {purelib.path / '.git' / 'relman' / '1.1.0' / 'dist'}"
    ]


def test_status_of_an_unfinished_release(purelib: DemoRepo, gpg_key: str) -> None:
    purelib.repo.git("config", "user.signingkey", gpg_key)
    env = {"RELMAN_RELEASE_GATES": "docs checked"}
    out = run_relman("release", "1.1.0", "--only", "checks,notes,gate", cwd=purelib.path, env=env)
    assert out.returncode == 1  # the gate has no terminal and no --yes
    status = run_relman("release", "--status", "--json", cwd=purelib.path, env=env)
    assert status.returncode == 0, status.stderr
    steps = {s["name"]: s["status"] for s in json.loads(status.stdout)["steps"]}
    assert steps["checks"] == "done"
    assert steps["notes"] == "done"
    assert steps["gate"] == "pending"
    assert steps["tag"] == "pending"


PATCHLEVEL = """\
#define PY_RELEASE_LEVEL_ALPHA  0xA
#define PY_RELEASE_LEVEL_BETA   0xB
#define PY_RELEASE_LEVEL_GAMMA  0xC
#define PY_RELEASE_LEVEL_FINAL  0xF

#define PY_MAJOR_VERSION        3
#define PY_MINOR_VERSION        15
#define PY_MICRO_VERSION        0
#define PY_RELEASE_LEVEL        PY_RELEASE_LEVEL_ALPHA
#define PY_RELEASE_SERIAL       2

/* Version as a string */
#define PY_VERSION              "3.15.0a2+"
"""


def test_cpython_shaped_alpha_release(git_repo) -> None:
    """blurb notes, patchlevel.h and README.rst's title, tag and the "+" development
    version; no package steps."""
    git_repo.commit(
        "init",
        {
            "Include/patchlevel.h": PATCHLEVEL,
            "README.rst": "This is Python version 3.15.0 alpha 2\n" + "=" * 37 + "\n\nText.\n",
            "Misc/NEWS.d/next/Library/2026-11-20-10-00-00.gh-issue-123456.AbCd12.rst": (
                "Fix a thing in :mod:`json`.\n"
            ),
        },
    )
    git_repo.tag("v3.15.0a2", "Python 3.15.0a2")
    git_repo.commit("more work", {"Lib/json.py": "# fixed\n"})
    out = run_relman(
        "release", "3.15.0a3", "--yes", cwd=git_repo.path, env={"RELMAN_RELEASE_SIGN": "none"}
    )
    assert out.returncode == 0, out.stderr
    assert "[-] build: not a Python package here" in out.stderr
    path = git_repo.path
    assert (
        _git(path, "show", "v3.15.0a3:Include/patchlevel.h").count("PY_RELEASE_SERIAL       3") == 1
    )
    assert '"3.15.0a3"' in _git(path, "show", "v3.15.0a3:Include/patchlevel.h")
    assert '"3.15.0a3+"' in (path / "Include" / "patchlevel.h").read_text()
    # the release commit has README.rst's title; the "+" development keeps it
    title = "This is Python version 3.15.0 alpha 3"
    assert _git(path, "show", "v3.15.0a3:README.rst") == f"{title}\n{'=' * 37}\n\nText."
    assert (path / "README.rst").read_text().startswith(f"{title}\n")
    notes = (path / "Misc" / "NEWS.d" / "3.15.0a3.rst").read_text()
    assert ".. gh-issue: 123456" in notes and "json" in notes
    assert not list((path / "Misc" / "NEWS.d" / "next" / "Library").glob("*.rst"))


def test_cpython_with_setup_py_is_not_a_package(git_repo) -> None:
    """CPython 3.11 and older keep a setup.py at the root; it is not a package to publish."""
    git_repo.commit(
        "init",
        {
            "Include/patchlevel.h": PATCHLEVEL,
            "setup.py": "# Autodetecting setup.py script for building the Python extensions\n",
            "Misc/NEWS.d/next/Library/2026-11-20-10-00-00.gh-issue-123456.AbCd12.rst": (
                "Fix a thing in :mod:`json`.\n"
            ),
        },
    )
    git_repo.tag("v3.15.0a2", "Python 3.15.0a2")
    git_repo.commit("more work", {"Lib/json.py": "# fixed\n"})
    out = run_relman(
        "plan", "3.15.0a3", "--json", cwd=git_repo.path, env={"RELMAN_RELEASE_SIGN": "none"}
    )
    steps = {s["name"]: s for s in json.loads(out.stdout)["steps"]}
    for name in ("build", "verify", "publish", "install-check"):
        assert steps[name]["status"] == "skipped", steps[name]
        assert "not a Python package" in steps[name]["reason"]
    assert steps["version"]["status"] == "pending"


def test_ctrl_c_during_a_release_says_how_to_resume(purelib: DemoRepo) -> None:
    import os
    import signal
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "relman", "release", "1.1.0", "--yes"],
        cwd=purelib.path,
        env={**os.environ, "RELMAN_RELEASE_SIGN": "none"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        # as at a terminal: a shell without job control starts background jobs with
        # SIGINT ignored, and Python keeps an ignored SIGINT ignored
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if "build:" in line:  # the build step is running: interrupt it, as Ctrl-C does
            proc.send_signal(signal.SIGINT)
            break
    rest = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=120) == 130, "".join(seen) + rest
    assert "error: interrupted" in rest
    assert "hint: `relman release --resume` continues where it stopped" in rest
