"""`relman wheels fetch`: wheels built elsewhere, from a staging index, hashes verified."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import INDEX_TOKEN
from tests.helpers import GitRepo, run_relman, snapshot
from tests.indexserver import IndexServer, StaticIndex, make_dists

pytestmark = pytest.mark.slow


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def built(tmp_path: Path) -> Path:
    """50 platform wheels and an sdist of many-wheels 1.0.0, plus a 0.9 wheel."""
    folder = tmp_path / "built"
    make_dists(folder, wheels=50)
    make_dists(tmp_path / "old", version="0.9", wheels=1)
    for p in (tmp_path / "old").iterdir():
        p.rename(folder / p.name)
    return folder


@pytest.fixture
def staging(built: Path) -> Iterator[StaticIndex]:
    server = StaticIndex(built)
    yield server
    server.close()


def fetch(cwd: Path, *args: str) -> object:
    return run_relman("wheels", "fetch", *args, cwd=cwd)


def test_fetch_platform_from_pep691_index(
    tmp_path: Path, built: Path, staging: StaticIndex
) -> None:
    dest = tmp_path / "dest"
    out = run_relman(
        "wheels",
        "fetch",
        "many-wheels",
        "1.0.0",
        "--from",
        staging.url,
        "--platform",
        "macosx",
        "--dest",
        str(dest),
        "--json",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    want = sorted(p.name for p in built.glob("*1.0.0*macosx*.whl"))
    assert len(want) == 12
    assert sorted(p.name for p in dest.iterdir()) == want
    assert {f["status"] for f in data["files"]} == {"downloaded"}
    assert all(f["verified"] for f in data["files"])
    for name in want:
        assert sha(dest / name) == sha(built / name)
    # the index was asked for PEP 691 JSON
    assert any("vnd.pypi.simple.v1+json" in accept for _, accept in staging.requests)

    again = run_relman(
        "wheels", "fetch", "many-wheels", "1.0.0", "--from", staging.url,
        "--platform", "macosx", "--dest", str(dest), "--json", cwd=tmp_path,
    )  # fmt: skip
    assert again.returncode == 0
    assert {f["status"] for f in json.loads(again.stdout)["files"]} == {"skipped"}


def test_fetch_everything_of_a_version(tmp_path: Path, built: Path, staging: StaticIndex) -> None:
    dest = tmp_path / "dest"
    out = run_relman(
        "wheels", "fetch", "Many_Wheels", "1.0.0", "--from", staging.url, "--dest", str(dest),
        cwd=tmp_path,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert sorted(p.name for p in dest.iterdir()) == sorted(
        p.name for p in built.iterdir() if "-1.0.0" in p.name
    )
    assert "51 downloaded" in out.stderr


def test_a_bad_hash_writes_nothing(tmp_path: Path, built: Path, staging: StaticIndex) -> None:
    victim = sorted(built.glob("*win_amd64.whl"))[0].name
    staging.hashes[victim] = "0" * 64
    dest = tmp_path / "dest"
    out = run_relman(
        "wheels", "fetch", "many-wheels", "1.0.0", "--from", staging.url,
        "--platform", "win", "--dest", str(dest), cwd=tmp_path,
    )  # fmt: skip
    assert out.returncode == 5
    assert f"{victim}: downloaded sha256" in out.stderr
    assert not (dest / victim).exists()
    assert not [p for p in dest.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_a_local_file_with_another_hash_is_refused(
    tmp_path: Path, built: Path, staging: StaticIndex
) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    victim = sorted(built.glob("*win32.whl"))[0].name
    (dest / victim).write_bytes(b"not the wheel")
    before = snapshot(dest)
    out = run_relman(
        "wheels", "fetch", "many-wheels", "1.0.0", "--from", staging.url,
        "--platform", "win", "--dest", str(dest), cwd=tmp_path,
    )  # fmt: skip
    assert out.returncode == 1
    assert "exists with sha256" in out.stderr and "hint:" in out.stderr
    assert snapshot(dest) == before  # nothing downloaded


def test_nothing_matches_and_bad_input(tmp_path: Path, staging: StaticIndex) -> None:
    dest = tmp_path / "dest"
    none = run_relman(
        "wheels", "fetch", "many-wheels", "7.0", "--from", staging.url, "--dest", str(dest),
        cwd=tmp_path,
    )  # fmt: skip
    assert none.returncode == 1 and "has no files of many-wheels 7.0" in none.stderr
    bad = run_relman(
        "wheels", "fetch", "many-wheels", "not a version", "--from", staging.url,
        "--dest", str(dest), cwd=tmp_path,
    )  # fmt: skip
    assert bad.returncode == 2 and "not a valid version" in bad.stderr
    plat = run_relman(
        "wheels", "fetch", "many-wheels", "1.0.0", "--from", staging.url, "--platform", "amiga",
        "--dest", str(dest), cwd=tmp_path,
    )  # fmt: skip
    assert plat.returncode == 2
    assert not dest.exists()


def test_fetch_from_pypiserver_html_and_default_dest(
    git_repo: GitRepo, built: Path, pypiserver: IndexServer
) -> None:
    """pypiserver answers HTML whatever is asked; dest defaults to build.outdir."""
    for p in built.glob("*musllinux*"):
        (pypiserver.packages / p.name).write_bytes(p.read_bytes())
    git_repo.commit(
        "project",
        {
            "pyproject.toml": '[project]\nname = "many-wheels"\nversion = "1.0.0"\n'
            f'[tool.relman.build]\nwheels-from = "{pypiserver.simple_url}"\n'
        },
    )
    out = run_relman(
        "wheels", "fetch", "many-wheels", "1.0.0", "--platform", "musllinux", cwd=git_repo.path
    )
    assert out.returncode == 0, out.stderr
    got = sorted((git_repo.path / "dist").iterdir())
    assert [p.name for p in got] == sorted(p.name for p in built.glob("*1.0.0*musllinux*"))
    assert all(sha(p) == sha(built / p.name) for p in got)
    assert INDEX_TOKEN not in out.stderr


def test_fetch_from_a_local_directory_index(git_repo: GitRepo, built: Path, tmp_path: Path) -> None:
    """What `relman publish --to local` wrote is a staging index too (file:// URL)."""
    git_repo.commit("project", {"pyproject.toml": '[project]\nname = "many-wheels"\n'})
    pub = run_relman("publish", str(built), "--to", "local", "--json", cwd=git_repo.path)
    assert pub.returncode == 0, pub.stderr
    url = json.loads(pub.stdout)["install_url"]
    dest = tmp_path / "dest"
    out = run_relman(
        "wheels", "fetch", "many-wheels", "0.9", "--from", url, "--dest", str(dest), "--json",
        cwd=tmp_path,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert [f["filename"] for f in json.loads(out.stdout)["files"]] == [
        p.name for p in sorted(built.glob("*-0.9*"))
    ]
