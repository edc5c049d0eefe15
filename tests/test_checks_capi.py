"""The capi check on NumPy-style C-API tracking files."""

from __future__ import annotations

from pathlib import Path

from relman.checks import run_checks
from relman.checks.capi import api_hash
from relman.project import load_config
from tests.helpers import GitRepo
from tests.test_checks import make_project

API = "/* the API */\nint frob(int x);\nint twiddle(double y);\n"
CONFIG = """[tool.relman.checks]
capi-files = ["src/api/funcs.txt"]
capi-versions-file = "src/api/cversions.txt"
capi-version-file = "meson.build"
capi-macro-file = "src/include/numpyconfig.h"
capi-macro = "NPY_{major}_{minor}_API_VERSION"
"""


def capi_repo(tmp_path: Path) -> GitRepo:
    h = api_hash([API])
    return make_project(
        tmp_path,
        {
            "src/api/funcs.txt": API,
            "src/api/cversions.txt": f"# API versions\n0x00000010 = 0123456789abcdef\n0x00000011 = {h}\n",
            "meson.build": "project('demo')\nC_API_VERSION = '0x00000011'\n",
            "src/include/numpyconfig.h": "#define NPY_1_0_API_VERSION 0x00000010\n"
            "#define NPY_1_1_API_VERSION 0x00000011\n",
        },
        extra=CONFIG,
    )


def capi(repo: GitRepo, version: str = "1.1.0") -> list[tuple[str | None, int | None, str]]:
    report = run_checks(load_config(repo.path), version=version, kind=None, only=["capi"])
    return [(f.file, f.line, f.message) for f in report.findings]


def test_capi_passes_when_everything_agrees(tmp_path: Path) -> None:
    assert capi(capi_repo(tmp_path)) == []


def test_changed_hash_without_new_entry(tmp_path: Path) -> None:
    repo = capi_repo(tmp_path)
    repo.commit("new API", {"src/api/funcs.txt": API + "int added(void);\n"})
    (finding,) = capi(repo)
    assert finding[0] == "src/api/cversions.txt" and finding[1] == 3
    assert "C-API hash changed" in finding[2]
    # whitespace-only edits keep the hash
    repo.commit("spaces", {"src/api/funcs.txt": API.replace("x);", "x);   ")})
    assert capi(repo) == []


def test_new_entry_without_version_bump(tmp_path: Path) -> None:
    repo = capi_repo(tmp_path)
    new = API + "int added(void);\n"
    versions = (repo.path / "src/api/cversions.txt").read_text(encoding="utf-8")
    repo.commit(
        "entry",
        {
            "src/api/funcs.txt": new,
            "src/api/cversions.txt": versions + f"0x00000012 = {api_hash([new])}\n",
        },
    )
    (finding,) = capi(repo)
    assert finding == (
        "meson.build",
        2,
        "new C-API entry 0x00000012 without a version bump: C_API_VERSION is 0x00000011",
    )
    # reusing the version number in a new entry is also caught
    repo.commit("reuse", {"src/api/cversions.txt": versions + f"0x00000011 = {api_hash([new])}\n"})
    assert any("reuses C-API version 0x00000011" in m for _, _, m in capi(repo))


def test_missing_api_version_macro_for_the_release(tmp_path: Path) -> None:
    repo = capi_repo(tmp_path)
    assert capi(repo, "1.2.0") == [
        ("src/include/numpyconfig.h", None, "NPY_1_2_API_VERSION is not defined for 1.2.0")
    ]


def test_capi_is_skipped_when_not_declared(tmp_path: Path) -> None:
    repo = make_project(tmp_path)
    (result,) = run_checks(
        load_config(repo.path), version="1.1.0", kind=None, only=["capi"]
    ).results
    assert result.status == "skipped"
