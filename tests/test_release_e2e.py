"""Whole releases of the example projects, and releases killed at every step then resumed.

A release killed with SIGKILL anywhere (RELMAN_FAULT_INJECT names the point)
and resumed with `relman release --resume` must equal an uninterrupted
release: same release commit and tag target, same artifact hashes, every file
once on the index with the sdist last, the post-release commit present and
pushed. Commit dates are fixed so that the commits of two runs are identical.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from relman.demo import DemoRepo
from relman.git import Repo
from tests.github_server import FakeGitHub, fake_github
from tests.helpers import run_relman, shared_once

pytestmark = pytest.mark.slow

FIXED_DATES = {
    "GIT_AUTHOR_DATE": "@1790000000 +0000",
    "GIT_COMMITTER_DATE": "@1790000000 +0000",
}


def _git(path: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=path, capture_output=True, text=True, check=True
    ).stdout.strip()


def _release_env(demo: DemoRepo, **extra: str) -> dict[str, str]:
    return {
        **FIXED_DATES,
        "RELMAN_PUBLISH_LOCAL_DIR": str(demo.path.parent / "index"),
        "RELMAN_RELEASE_SIGN": "none",
        "RELMAN_RELEASE_GATES": "Windows binaries checked",
        **extra,
    }


def _github_env(gh: FakeGitHub) -> dict[str, str]:
    return {
        "RELMAN_GITHUB_REPO": "relman-demo/purelib",
        "RELMAN_GITHUB_API_URL": gh.url,
        "GITHUB_TOKEN": gh.token,
    }


def _github_outcome(gh: FakeGitHub) -> dict[str, Any]:
    """What the GitHub release looks like: one release, every file once."""
    return {
        "releases": [(r["tag_name"], r["prerelease"]) for r in gh.releases],
        "assets": sorted(a["name"] for r in gh.releases for a in r["assets"]),
    }


def _outcome(demo: DemoRepo, version: str) -> dict[str, Any]:
    """What a finished release left in the world."""
    path = demo.path
    state = json.loads((path / ".git" / "relman" / f"{version}.json").read_text())
    index_dir = demo.path.parent / "index"
    files = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in index_dir.rglob("*")
        if p.is_file() and p.suffix in (".whl", ".gz")
    }
    listing = next(index_dir.rglob("index.html"), None)
    project_pages = [p for p in index_dir.rglob("index.html") if p.parent.name != "simple"]
    listed: list[str] = []
    for page in project_pages:
        listed += re.findall(r'href="[^"#]*?([^/"#]+)#sha256=', page.read_text())
    sdist = next(n for n in files if n.endswith(".tar.gz"))
    mtimes = {p.name: p.stat().st_mtime_ns for p in index_dir.rglob("*") if p.name in files}
    head = _git(path, "rev-parse", "HEAD")
    return {
        "release_commit": _git(path, "rev-list", "-n1", f"v{version}"),
        "tag_message_has_version": version
        in _git(path, "tag", "-l", "--format=%(contents)", f"v{version}"),
        "artifacts": state["artifacts"],
        "index_files": files,
        "listed_once": sorted(listed) == sorted(set(listed)) and set(listed) == set(files),
        "sdist_last": all(mtimes[sdist] >= t for t in mtimes.values()),
        "head": head,
        "head_subject": _git(path, "log", "-1", "--format=%s"),
        "remote_main": _git(demo.remote, "rev-parse", "main"),
        "remote_tag_commit": _git(demo.remote, "rev-list", "-n1", f"v{version}"),
        "finished": bool(state.get("finished")),
        "clean": _git(path, "status", "--porcelain") == "",
        "listing_exists": listing is not None,
    }


def _plain(outcome: dict[str, Any]) -> Any:
    """The outcome as JSON has it (tuples as lists), to compare with the shared reference."""
    return json.loads(json.dumps(outcome))


_REFERENCE: dict[str, Any] = {}


def _reference(tmp_path_factory: pytest.TempPathFactory, demo_copy) -> Any:
    """The outcome of an uninterrupted release, made once for the run (every worker)."""

    def make(folder: Path) -> None:
        demo = demo_copy("purelib", folder)
        with fake_github() as gh:
            env = {**_release_env(demo), **_github_env(gh)}
            out = run_relman("release", "1.1.0", "--yes", cwd=demo.path, env=env)
            assert out.returncode == 0, out.stdout + out.stderr
            outcome = {**_outcome(demo, "1.1.0"), "github": _github_outcome(gh)}
        (folder / "outcome.json").write_text(json.dumps(outcome))

    if "purelib" not in _REFERENCE:
        folder = shared_once(tmp_path_factory, "e2e-reference", make)
        _REFERENCE["purelib"] = json.loads((folder / "outcome.json").read_text())
    return _REFERENCE["purelib"]


def test_full_signed_release_of_purelib(example_repo, gpg_key: str) -> None:
    demo = example_repo("purelib")
    demo.repo.git("config", "user.signingkey", gpg_key)
    with fake_github() as gh:
        env = {
            "RELMAN_PUBLISH_LOCAL_DIR": str(demo.path.parent / "index"),
            "RELMAN_GITHUB_REPO": "relman-demo/purelib",
            "RELMAN_GITHUB_API_URL": gh.url,
            "GITHUB_TOKEN": gh.token,
        }
        out = run_relman("release", "1.1.0", "--yes", cwd=demo.path, env=env)
        assert out.returncode == 0, out.stdout + out.stderr
        assert gh.token not in out.stdout + out.stderr
        # where the files went and how to install them
        assert f"files: {demo.path / '.git' / 'relman' / '1.1.0' / 'dist'}" in out.stderr
        assert re.search(
            r"^install with: pip install --index-url \S+ relman-demo-purelib==1\.1\.0$",
            out.stderr,
            re.M,
        ), out.stderr
        assert re.search(
            r"^time: checks [\d.]+ s, .* in all, of which external programs .* [\d.]+ s and "
            r"relman's own work [\d.]+ s \(\d+%\)$",
            out.stderr,
            re.M,
        ), out.stderr
        (release,) = gh.releases
    assert release["tag_name"] == "v1.1.0"
    assert release["prerelease"] is False
    # made as a draft, every file uploaded and checked, then published
    assert release["draft"] is False
    methods = [(r["method"], r.get("draft")) for r in gh.requests if "/releases" in r["path"]]
    assert ("POST", True) in methods and methods[-1] == ("PATCH", False)
    assert "wrap_words" in release["body"]
    assets = {a["name"] for a in release["assets"]}
    assert "SHA256SUMS" in assets
    assert {n for n in assets if n.endswith((".whl", ".tar.gz"))} == set(
        json.loads((demo.path / ".git" / "relman" / "1.1.0.json").read_text())["artifacts"]
    )
    path = demo.path
    # signed annotated tag naming the version, verified by git itself
    assert demo.repo.verify_tag("v1.1.0")
    assert "1.1.0" in demo.repo.tag_message("v1.1.0")
    # notes from fragments, fragments gone
    notes = (path / "doc" / "release" / "1.1.0-notes.rst").read_text()
    assert "wrap_words" in notes and "old_slugify" in notes
    assert not list((path / "doc" / "release" / "upcoming_changes").glob("1*.rst"))
    # changelog: first-time contributors marked, bots left out
    changelog = (path / "doc" / "changelog" / "1.1.0-changelog.rst").read_text()
    assert "* Carol Chen +" in changelog
    assert "* Dave Dev +" in changelog
    assert "* Bob Builder\n" in changelog
    assert "dependabot" not in changelog
    assert "#12" in changelog and "#15" in changelog
    # the released tree has the release version, the branch moved on
    assert 'version = "1.1.0"' in _git(path, "show", "v1.1.0:pyproject.toml")
    assert 'version = "1.2.0.dev0"' in (path / "pyproject.toml").read_text()
    assert '__version__ = "1.2.0.dev0"' in (path / "src" / "purelib" / "__init__.py").read_text()
    # main moved on to 1.2.0.dev0: the post-release commit names that series
    assert _git(path, "log", "-1", "--format=%s") == "REL: prepare 1.2.x for further development"
    subjects = _git(path, "log", "--format=%s", "v1.0.0..v1.1.0").splitlines()
    assert subjects[:3] == [
        "REL: set version to 1.1.0",
        "REL: changelog for 1.1.0",
        "DOC: release notes for 1.1.0",
    ]
    # pushed, published, installed back
    assert _git(demo.remote, "rev-parse", "main") == demo.repo.head()
    outcome = _outcome(demo, "1.1.0")
    assert (
        outcome["finished"]
        and outcome["clean"]
        and outcome["listed_once"]
        and outcome["sdist_last"]
    )
    state = json.loads((path / ".git" / "relman" / "1.1.0.json").read_text())
    assert state["steps"]["install-check"]["status"] == "done"
    assert state["steps"]["install-check"]["installed"] == "1.1.0"
    outbox = path / ".git" / "relman" / "outbox" / "relman-demo-purelib-1.1.0.eml"
    assert "wrap_words" in outbox.read_text()
    dist = path / ".git" / "relman" / "1.1.0" / "dist"
    assert (dist / "SHA256SUMS").is_file()
    # `relman inspect` without arguments finds the release's files in the git directory
    inspected = run_relman("inspect", cwd=path)
    assert inspected.returncode == 0, inspected.stdout + inspected.stderr
    assert f"inspecting the files of the last release, in {dist}" in inspected.stderr
    assert "relman_demo_purelib-1.1.0-py3-none-any.whl" in inspected.stdout
    # a second run finds everything done and changes nothing
    env = {"RELMAN_PUBLISH_LOCAL_DIR": str(demo.path.parent / "index")}
    again = run_relman("release", "1.1.0", "--yes", cwd=path, env=env)
    assert again.returncode == 0, again.stderr
    assert "already done" in again.stderr
    assert _outcome(demo, "1.1.0") == outcome
    # the finished release's status, without naming the version
    status = run_relman("release", "--status", "--json", cwd=path, env=env)
    assert status.returncode == 0, status.stderr
    data = json.loads(status.stdout)
    assert data["version"] == "1.1.0"
    assert {s["status"] for s in data["steps"]} <= {"done", "skipped"}


KILL_POINTS = [
    "checks:end",
    "notes:mid",
    "notes:end",
    "changelog:mid",
    "changelog:end",
    "version:mid",
    "version:end",
    "tag:mid",
    "tag:end",
    "build:mid",
    "build:end",
    "verify:mid",
    "verify:end",
    "checksums:mid",
    "checksums:end",
    "gate:end",
    "push:mid",
    "push:end",
    "publish:mid",
    "publish:end",
    "github-release:mid",
    "github-release:end",
    "announce:mid",
    "announce:end",
    "post-release:mid",
    "post-release:pushing",
    "post-release:end",
    "install-check:mid",
    "install-check:end",
]


# Kill points after STAGED_AFTER start from a copy of the world that a release killed
# at STAGE left behind (the commits are identical: their dates are fixed), instead of
# building and verifying again in every test. STAGE is the start of the step after
# verify, where the state file has recorded the build and the verification (a kill at
# verify:end, before the record, is a point under test of its own). The release is
# still killed at the point under test and resumed from there; it only reached that
# point through one more interruption, at STAGE.
STAGED_AFTER = "verify:end"
STAGE = "checksums:start"


def _staged_world(tmp_path_factory: pytest.TempPathFactory, demo_copy) -> Path:
    """A folder holding the project, its origin and the index of a release killed at
    STAGE, made once for the run (every worker)."""

    def make(folder: Path) -> None:
        demo = demo_copy("purelib", folder)
        with fake_github() as gh:
            env = {**_release_env(demo), **_github_env(gh), "RELMAN_FAULT_INJECT": STAGE}
            killed = run_relman("release", "1.1.0", "--yes", cwd=demo.path, env=env)
            assert killed.returncode == -9, killed.stdout + killed.stderr

    return shared_once(tmp_path_factory, f"e2e-staged-{STAGE}", make)


def _demo_from(world: Path, dest: Path) -> DemoRepo:
    shutil.copytree(world, dest, symlinks=True, ignore=shutil.ignore_patterns(".complete"))
    path, remote = dest / "purelib", dest / "purelib-origin.git"
    _git(path, "remote", "set-url", "origin", str(remote))
    return DemoRepo(path, remote, "1.0.0", "1.1.0", Repo(path))


@pytest.mark.parametrize("point", KILL_POINTS)
def test_killed_release_resumes_to_the_same_result(
    tmp_path_factory, tmp_path: Path, demo_copy, point: str
) -> None:
    reference = _reference(tmp_path_factory, demo_copy)
    if KILL_POINTS.index(point) > KILL_POINTS.index(STAGED_AFTER):
        demo = _demo_from(_staged_world(tmp_path_factory, demo_copy), tmp_path / "world")
        state = json.loads((demo.path / ".git" / "relman" / "1.1.0.json").read_text())
        assert state["artifacts"] and not state.get("finished")  # built, killed after verify
        assert state["steps"]["verify"]["status"] == "done"
    else:
        demo = demo_copy("purelib", tmp_path)
    with fake_github() as gh:
        env = {**_release_env(demo), **_github_env(gh)}
        killed = run_relman(
            "release", "1.1.0", "--yes", cwd=demo.path, env={**env, "RELMAN_FAULT_INJECT": point}
        )
        assert killed.returncode == -9, f"{point} was not reached:\n{killed.stdout}{killed.stderr}"
        state = json.loads((demo.path / ".git" / "relman" / "1.1.0.json").read_text())
        assert not state.get("finished")
        resumed = run_relman("release", "--resume", "--yes", cwd=demo.path, env=env)
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        assert _plain({**_outcome(demo, "1.1.0"), "github": _github_outcome(gh)}) == reference


def test_release_of_the_c_extension_from_a_maintenance_branch(example_repo) -> None:
    demo = example_repo("cext")
    path = demo.path
    demo.repo.git("checkout", "-q", "-b", "maintenance/0.4.x")
    demo.repo.git("push", "-q", "origin", "maintenance/0.4.x")
    demo.repo.git("branch", "-q", "--set-upstream-to=origin/maintenance/0.4.x")
    # the wheels a local build makes on this machine (CI would list manylinux ones)
    env = _release_env(demo, RELMAN_BUILD_WHEELS="cp3*-linux_*")
    out = run_relman("release", "0.4.0", "--yes", "--json", cwd=path, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    # where the time went: every step that ran, external programs apart from relman's own work
    timing = json.loads(out.stdout)["timing"]
    assert {"build", "verify", "publish", "install-check"} <= set(timing["steps"])
    assert timing["external_seconds"] > 0  # the builds and environments are external programs
    assert timing["own_seconds"] + timing["external_seconds"] == pytest.approx(
        timing["seconds"], abs=0.01
    )
    assert timing["seconds"] == pytest.approx(sum(timing["steps"].values()), abs=0.05)
    state = json.loads((path / ".git" / "relman" / "0.4.0.json").read_text())
    names = sorted(state["artifacts"])
    assert any(n.endswith(".tar.gz") for n in names)
    wheels = [n for n in names if n.endswith(".whl")]
    assert wheels and all(
        "cp3" in w and "linux" in w for w in wheels
    )  # a platform wheel, not py3-none-any
    assert state["steps"]["verify"]["status"] == "done"
    assert state["steps"]["install-check"]["installed"] == "0.4.0"
    # notes went into the single news file; the maintenance branch moved to the next micro
    assert "cext 0.4.0" in (path / "CHANGES.rst").read_text()
    assert 'version = "0.4.1.dev0"' in (path / "pyproject.toml").read_text()
    # the forward-port branch for main carries the notes, without touching the working tree
    files = _git(path, "diff", "--name-only", "main", "forward-port-0.4.0").split()
    assert "CHANGES.rst" in files
    assert _git(path, "rev-parse", "--abbrev-ref", "HEAD") == "maintenance/0.4.x"


def test_demo_releases_and_installs_the_example(tmp_path: Path) -> None:
    out = run_relman("demo", "--dest", str(tmp_path / "demo"), "--json", cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    summary = json.loads(out.stdout)
    assert summary["installed_version"] == summary["version"] == "1.1.0"
    assert summary["signing"].startswith(("gpg", "ssh"))
    project = Path(summary["project"])
    if summary["gnupg_home"]:
        # the throwaway GNUPGHOME is gone and no gpg-agent runs for it any more
        assert not Path(summary["gnupg_home"]).exists()
        agents = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
        assert summary["gnupg_home"] not in agents
        # the exported public key verifies the tag (in the test's own GNUPGHOME)
        subprocess.run(["gpg", "--batch", "--import", summary["signing_key"]], check=True)
    verify = subprocess.run(
        ["git", "tag", "-v", "v1.1.0"], cwd=project, capture_output=True, text=True, check=False
    )
    assert verify.returncode == 0, verify.stderr  # the tag's signature verifies
    assert any(Path(a).name.endswith(".whl") for a in summary["artifacts"])
    assert (Path(summary["index"]) / "simple" / "relman-demo-purelib").is_dir()
    assert Path(summary["changelog"]).is_file()
    again = run_relman("demo", "--dest", str(tmp_path / "demo"), cwd=tmp_path)
    assert again.returncode == 2
    assert "already exists" in again.stderr
