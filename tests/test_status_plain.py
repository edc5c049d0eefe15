"""`relman status` run without click gives what the click command gives.

A plain ``relman status`` (or ``--json``) is run by the CLI before click is
imported; any other option (here ``--yes``, which status accepts and ignores)
goes through the click command. Both must print the same, exit the same and
fail the same way. The fixture stands for astropy's shape: the version from
git (setuptools-scm), releases tagged on ``v{major}.{minor}.x`` branches.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.helpers import GitRepo, run_relman

_CLICK_LOADED = """
import atexit, sys
atexit.register(lambda: print("click:" + str("click" in sys.modules), file=sys.stderr))
sys.argv = ["relman", *sys.argv[1:]]
from relman.cli import run
run()
"""


def _lined(git_repo: GitRepo) -> None:
    git_repo.commit(
        "init",
        {
            "pyproject.toml": '[build-system]\nrequires = ["setuptools>=64", "setuptools_scm>=8"]\n'
            'build-backend = "setuptools.build_meta"\n\n[project]\nname = "lined"\n'
            'dynamic = ["version"]\n\n[tool.setuptools_scm]\n'
        },
    )
    git_repo.branch("v1.0.x")
    git_repo.git("checkout", "-q", "v1.0.x")
    git_repo.commit("fix 1.0.0", {"fix.txt": "0\n"})
    git_repo.tag("v1.0.0")
    git_repo.git("checkout", "-q", "main")
    git_repo.commit("work after 1.0", {"work.txt": "1\n"})


def _click_loaded(cwd: Path, *args: str) -> bool:
    out = subprocess.run(
        [sys.executable, "-c", _CLICK_LOADED, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return out.stderr.splitlines()[-1] == "click:True"


def test_plain_status_matches_the_click_command(git_repo: GitRepo) -> None:
    _lined(git_repo)
    (git_repo.path / "scratch.txt").write_text("x")  # untracked: "uncommitted changes"
    shown = {}
    for extra in ([], ["--json"]):
        plain = run_relman("status", *extra, cwd=git_repo.path)
        clicked = run_relman("status", *extra, "--yes", cwd=git_repo.path)
        assert plain.returncode == clicked.returncode == 0, (plain.stderr, clicked.stderr)
        assert plain.stdout == clicked.stdout
        assert plain.stderr == clicked.stderr
        shown[bool(extra)] = plain.stdout
    assert "uncommitted changes" in shown[False]
    assert "release lines:\n  1.0      v1.0.0" in shown[False]
    assert json.loads(shown[True])["lines"][0]["last_release"]["tag"] == "v1.0.0"
    assert not _click_loaded(git_repo.path, "status")
    assert _click_loaded(git_repo.path, "status", "--yes")


def test_plain_status_fails_as_the_click_command(tmp_path: Path) -> None:
    # no project at all: the same error, hint and exit code either way
    plain = run_relman("status", cwd=tmp_path)
    clicked = run_relman("status", "--yes", cwd=tmp_path)
    assert plain.returncode == clicked.returncode == 2
    assert plain.stderr == clicked.stderr
    assert plain.stderr.startswith("error: no pyproject.toml")
