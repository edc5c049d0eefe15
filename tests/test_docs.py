"""The docs archive: versioned folders, the `stable` link, the version switcher."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from relman.docs import archive_docs, docs_done, plan_docs
from relman.errors import UsageError
from relman.project import load_config
from tests.helpers import GitRepo, run_relman, snapshot

BUILD = """\
import pathlib, sys
out = pathlib.Path("doc/build/html")
out.mkdir(parents=True, exist_ok=True)
version = pathlib.Path("VERSION").read_text().strip()
(out / "index.html").write_text(f"<h1>plain {version}</h1>")
(out / "_static").mkdir(exist_ok=True)
(out / "_static" / "style.css").write_text("body {}")
"""


def _project(tmp_path: Path, *, switcher: bool = True) -> tuple[GitRepo, GitRepo]:
    archive = GitRepo(tmp_path / "site")
    archive.commit("start", {"index.html": "<a href='stable/'>docs</a>"})
    project = GitRepo(tmp_path / "plain")
    table = (
        "\n[tool.relman.docs]\narchive-dir = '../site'\nhtml-dir = 'doc/build/html'\n"
        "build-command = 'python build_docs.py'\nbase-url = 'https://docs.example.org/plain'\n"
        + ("switcher = 'versions.json'\n" if switcher else "")
    )
    project.commit(
        "init",
        {
            "pyproject.toml": '[project]\nname = "plain"\nversion = "1.2.0"\n' + table,
            "build_docs.py": BUILD,
            "VERSION": "1.2.0\n",
            ".gitignore": "doc/build/\n",
        },
    )
    return project, archive


def test_archive_final_then_bugfix_then_prerelease(tmp_path: Path) -> None:
    project, archive = _project(tmp_path)
    config = load_config(project.path, environ={})
    assert not docs_done(config, "1.2.0")
    archive_docs(config, "1.2.0")
    site = archive.path
    assert (site / "1.2" / "index.html").read_text() == "<h1>plain 1.2.0</h1>"
    assert (site / "1.2" / "_static" / "style.css").is_file()
    assert (site / "stable").is_symlink() and (site / "stable").resolve() == (
        site / "1.2"
    ).resolve()
    entries = json.loads((site / "versions.json").read_text())
    assert entries == [
        {
            "name": "1.2 (stable)",
            "version": "1.2",
            "url": "https://docs.example.org/plain/1.2/",
            "preferred": True,
        }
    ]
    assert archive.status() == ""  # committed
    assert "plain 1.2.0" in archive.git("log", "-1", "--format=%s")
    assert docs_done(config, "1.2.0")

    # a bug-fix release replaces the 1.2 folder
    (project.path / "VERSION").write_text("1.2.1\n")
    archive_docs(config, "1.2.1")
    assert (site / "1.2" / "index.html").read_text() == "<h1>plain 1.2.1</h1>"
    assert not list(site.glob(".1.2.relman-*"))

    # a release candidate of 1.3 gets its folder but does not move `stable`
    (project.path / "VERSION").write_text("1.3.0rc1\n")
    plan = plan_docs(config, "1.3.0rc1")
    assert not plan.move_stable
    archive_docs(config, "1.3.0rc1")
    assert (site / "stable").resolve() == (site / "1.2").resolve()
    versions = [e["version"] for e in json.loads((site / "versions.json").read_text())]
    assert versions == ["1.3", "1.2"]

    # the final 1.3.0 moves `stable` and the preferred entry
    (project.path / "VERSION").write_text("1.3.0\n")
    archive_docs(config, "1.3.0")
    assert (site / "stable").resolve() == (site / "1.3").resolve()
    entries = json.loads((site / "versions.json").read_text())
    assert [(e["name"], e.get("preferred")) for e in entries] == [
        ("1.3 (stable)", True),
        ("1.2", None),
    ]


def test_missing_build_output_changes_nothing(tmp_path: Path) -> None:
    project, archive = _project(tmp_path)
    (project.path / "pyproject.toml").write_text(
        (project.path / "pyproject.toml")
        .read_text()
        .replace("build-command = 'python build_docs.py'\n", "")
    )
    project.commit("no build command")
    before = snapshot(archive.path)
    with pytest.raises(UsageError) as info:
        archive_docs(load_config(project.path, environ={}), "1.2.0")
    assert "index.html is missing" in str(info.value)
    assert snapshot(archive.path) == before


def test_docs_step_in_the_pipeline(tmp_path: Path) -> None:
    project, archive = _project(tmp_path, switcher=False)
    project.tag("v1.1.0")
    project.commit("DOC: work after 1.1.0", {"CHANGES.txt": "1.2.0: more\n"})
    plan = run_relman(
        "plan", "1.2.0", "--json", cwd=project.path, env={"RELMAN_RELEASE_SIGN": "none"}
    )
    assert plan.returncode == 0, plan.stderr
    docs = next(s for s in json.loads(plan.stdout)["steps"] if s["name"] == "docs")
    assert docs["status"] == "pending"
    assert docs["actions"][0] == "build the docs: python build_docs.py"
    out = run_relman(
        "release",
        "1.2.0",
        "--only",
        "docs",
        "--yes",
        cwd=project.path,
        env={"RELMAN_RELEASE_SIGN": "none"},
    )
    assert out.returncode == 0, out.stderr
    assert (archive.path / "1.2" / "index.html").is_file()
    again = run_relman(
        "release",
        "1.2.0",
        "--only",
        "docs",
        "--yes",
        cwd=project.path,
        env={"RELMAN_RELEASE_SIGN": "none"},
    )
    assert "docs: already done" in again.stderr
    log = subprocess.run(
        ["git", "log", "--format=%s"], cwd=archive.path, capture_output=True, text=True
    )
    assert log.stdout.count("Add the documentation") == 1


def test_a_release_candidate_never_takes_the_stable_folder(tmp_path: Path) -> None:
    project, archive = _project(tmp_path)
    config = load_config(project.path, environ={})
    site = archive.path
    archive_docs(config, "1.2.0")
    (project.path / "VERSION").write_text("1.2.1rc1\n")
    plan = plan_docs(config, "1.2.1rc1")
    assert plan.target == site / "1.2.1rc1"
    assert any("1.2/ holds the docs of 1.2.0" in a for a in plan.actions())
    archive_docs(config, "1.2.1rc1")
    assert (site / "1.2" / "index.html").read_text() == "<h1>plain 1.2.0</h1>"
    assert (site / "stable").resolve() == (site / "1.2").resolve()
    entries = {e["version"]: e for e in json.loads((site / "versions.json").read_text())}
    assert entries["1.2"].get("preferred") is True and "preferred" not in entries["1.2.1rc1"]


def test_an_archive_without_markers_keeps_stable_on_the_newest_line(tmp_path: Path) -> None:
    """An archive made by hand (NumPy's doc site): folders, a link, a switcher, no markers."""
    project, archive = _project(tmp_path)
    site = archive.path
    for line in ("1.1", "1.2"):
        (site / line).mkdir()
        (site / line / "index.html").write_text(f"<h1>{line}</h1>")
    (site / "stable").symlink_to("1.2", target_is_directory=True)
    switcher = [
        {"name": "1.2 (stable)", "version": "1.2", "url": "/1.2/", "preferred": True},
        {"name": "1.1", "version": "1.1", "url": "/1.1/"},
    ]
    (site / "versions.json").write_text(json.dumps(switcher))
    archive.commit("hand-made archive")
    config = load_config(project.path, environ={})
    (project.path / "VERSION").write_text("1.1.3\n")
    assert not plan_docs(config, "1.1.3").move_stable
    archive_docs(config, "1.1.3")
    assert (site / "stable").resolve() == (site / "1.2").resolve()
    entries = {e["version"]: e for e in json.loads((site / "versions.json").read_text())}
    assert entries["1.2"]["preferred"] is True and "preferred" not in entries["1.1"]
    # a bug-fix of the line `stable` shows moves it (onto the same folder)
    (project.path / "VERSION").write_text("1.2.1\n")
    assert plan_docs(config, "1.2.1").move_stable


def test_the_archive_commit_holds_only_its_files_and_is_pushed(tmp_path: Path) -> None:
    project, archive = _project(tmp_path)
    origin = tmp_path / "site-origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True)
    archive.git("remote", "add", "origin", str(origin))
    archive.git("push", "-q", "-u", "origin", "main")
    (archive.path / "index.html").write_text("an edit in progress")
    config = load_config(project.path, environ={})
    plan = plan_docs(config, "1.2.0")
    assert plan.actions()[-2:] == [
        f"commit 1.2, stable, versions.json in {archive.path}",
        "push the archive to origin/main",
    ]
    archive_docs(config, "1.2.0")
    changed = archive.git("show", "--name-only", "--format=", "HEAD").split()
    assert "index.html" not in changed and "versions.json" in changed and "stable" in changed
    assert archive.git("status", "--porcelain") == "M index.html"
    assert (
        archive.git("rev-parse", "HEAD")
        == subprocess.run(
            ["git", "rev-parse", "main"], cwd=origin, capture_output=True, text=True, check=True
        ).stdout.strip()
    )
    assert docs_done(config, "1.2.0")
