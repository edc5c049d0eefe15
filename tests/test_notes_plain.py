"""`relman notes draft` run without click gives what the click command gives.

A draft with no option beyond ``--version``, ``--name``, ``--date`` and
``--json`` is run by the CLI before click is imported; any other option (here
``--yes``, which the command accepts and ignores) goes through the click
command. Both must print the same bytes, exit the same and fail the same way,
for towncrier's notes (which end with a newline) and blurb's (which do not).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.helpers import GitRepo, run_relman
from tests.test_notes_oracle import BLURBS, cpython_tree, write_project
from tests.test_status_plain import _click_loaded

EPOCH = {"SOURCE_DATE_EPOCH": "1767225600"}
FRAGMENTS = {
    "changes/1.feature.rst": "New thing.\n",
    "changes/2.bugfix.rst": "Fixed ``a``\n\nover two paragraphs.\n",
    "changes/+orphan.misc.rst": "Tidied.\n",
    "docs/shared.rst": "Shared text.\n",
}
TOWNCRIER = '[tool.towncrier]\ndirectory = "changes"\n'


def _same(cwd: Path, *args: str) -> tuple[int, str, str]:
    plain = run_relman("notes", "draft", *args, cwd=cwd, env=EPOCH)
    clicked = run_relman("notes", "draft", *args, "--yes", cwd=cwd, env=EPOCH)
    assert plain.returncode == clicked.returncode, (plain.stderr, clicked.stderr)
    assert plain.stdout == clicked.stdout
    assert plain.stderr == clicked.stderr
    return plain.returncode, plain.stdout, plain.stderr


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--version", "2.0"],
        ["--version=2.0", "--name", "Demo Project", "--date", "2026-03-04"],
        ["--json", "--version", "2.0", "--date=2026-03-04"],
        ["--name", "--json"],  # a value, not the flag: text, titled "--json"
    ],
)
def test_plain_draft_matches_the_click_command(tmp_path: Path, args: list[str]) -> None:
    root = write_project(tmp_path / "p", TOWNCRIER, FRAGMENTS)
    # a link to a file of the project is read through, as towncrier does
    os.symlink(root / "docs" / "shared.rst", root / "changes" / "3.feature.rst")
    code, out, err = _same(root, *args)
    assert code == 0, err
    if "--json" in args and "--name" not in args:
        data = json.loads(out)
        assert data["version"] == "2.0"
        assert "- Shared text. (#3)" in data["notes"]
    else:
        # the notes as --json gives them, and the newline towncrier's command adds
        as_json = run_relman("notes", "draft", *args, "--json", cwd=root, env=EPOCH)
        assert out == json.loads(as_json.stdout)["notes"] + "\n"
        assert "- New thing. (#1)" in out and "- Shared text. (#3)" in out
        assert ("2.0" if "2.0" in args or "--version=2.0" in args else "1.0") in out
        assert "--json" not in args or out.startswith("--json 1.0")
    assert not _click_loaded(root, "notes", "draft", *args)
    assert _click_loaded(root, "notes", "draft", *args, "--yes")


def test_plain_blurb_draft_keeps_its_own_ending(tmp_path: Path) -> None:
    root = cpython_tree(tmp_path / "cpython", BLURBS)
    for args in (["--version", "3.14.0a1", "--date", "2026-01-01"], ["--json"]):
        code, out, err = _same(root, *args)
        assert code == 0, err
        text = json.loads(out)["notes"] if "--json" in args else out
        assert ".. section: Security" in text
        if "--json" not in args:
            assert out == text and not out.endswith("\n\n")


def test_plain_draft_fails_as_the_click_command(tmp_path: Path) -> None:
    # two files for one fragment: the check's error, hint and exit code either way
    root = write_project(tmp_path / "p", TOWNCRIER, FRAGMENTS)
    (root / "changes" / "01.feature.rst").write_text("Again.\n", encoding="utf-8")
    code, _, err = _same(root, "--version", "2.0")
    assert code == 1
    assert "same fragment as" in err and err.startswith("error: ") and "hint: " in err

    # a version nothing gives: a usage error with its hint
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "pyproject.toml").write_text(
        '[project]\nname = "bare"\ndynamic = ["version"]\n\n' + TOWNCRIER, encoding="utf-8"
    )
    code, out, err = _same(bare)
    assert code == 2 and out == ""
    assert err.startswith("error: no --version given") and "hint: pass --version X" in err

    # an option without its value, or an unknown one: click's own usage error
    for args, said in (
        (["--version"], "Error: Option '--version' requires an argument."),
        (["--versoin", "2.0"], "Error: No such option '--versoin'"),
    ):
        plain = run_relman("notes", "draft", *args, cwd=root)
        assert plain.returncode == 2
        assert said in plain.stderr


@pytest.mark.parametrize("name", ["click", "demo-unknown"])
def test_draft_without_version_reads_a_version_from_git(git_repo: GitRepo, name: str) -> None:
    # the version setuptools-scm computes for the checkout (1.0.1.dev1+g...), never
    # the version of a package of the same name installed beside relman (click is)
    git_repo.commit(
        "start",
        {
            "pyproject.toml": f'[project]\nname = "{name}"\ndynamic = ["version"]\n\n'
            "[tool.setuptools_scm]\n\n"
            '[tool.towncrier]\ndirectory = "changelog"\nfilename = "CHANGELOG.rst"\n',
            "CHANGELOG.rst": "Changelog\n=========\n",
        },
    )
    git_repo.git("tag", "1.0.0")
    git_repo.commit("a fix", {"changelog/1.bugfix.rst": "Fixed a thing.\n"})
    code, out, err = _same(git_repo.path)
    assert code == 0, err
    assert out.splitlines()[0].startswith(f"{name} 1.0.1 ("), out
    assert "- Fixed a thing. (#1)" in out
