"""Clean-environment verification of artifacts, safe extraction, isolated venvs."""

from __future__ import annotations

import io
import json
import os
import shutil
import tarfile
from pathlib import Path

import pytest

from relman.errors import CheckFailed
from relman.project import load_config
from relman.venv import create_env, isolated_environ
from relman.verify import extract_sdist, verify_artifacts
from tests.conftest import BuiltExample
from tests.helpers import GitRepo, run_relman, snapshot
from tests.test_artifacts import rewrite_sdist

# -- malicious archives (fast) -------------------------------------------------------


def _tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w:gz") as tf:
        for info, data in members:
            if data is not None:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
            else:
                tf.addfile(info)
    return path


def _file(name: str) -> tarfile.TarInfo:
    return tarfile.TarInfo(name)


def _link(name: str, target: str, *, hard: bool = False) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.LNKTYPE if hard else tarfile.SYMTYPE
    info.linkname = target
    return info


def _malicious(tmp_path: Path, kind: str) -> Path:
    ok = (_file("p-1.0/pyproject.toml"), b"[project]\n")
    outside = str(tmp_path / "outside" / "evil.txt")
    members = {
        "traversal": [ok, (_file("p-1.0/../../outside/evil.txt"), b"x")],
        "absolute": [ok, (_file(outside), b"x")],
        "symlink-out": [ok, (_link("p-1.0/escape", "../../outside"), None)],
        "symlink-absolute": [ok, (_link("p-1.0/escape", str(tmp_path / "outside")), None)],
        "hardlink-out": [ok, (_link("p-1.0/hard", "../outside/evil.txt", hard=True), None)],
        "link-then-write": [
            ok,
            (_link("p-1.0/escape", "../../outside"), None),
            (_file("p-1.0/escape/evil.txt"), b"x"),
        ],
    }[kind]
    return _tar(tmp_path / "archives" / f"p-1.0-{kind}.tar.gz", members)


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("traversal", "path leaves the archive"),
        ("absolute", "absolute path"),
        ("symlink-out", "symbolic link pointing outside"),
        ("symlink-absolute", "symbolic link to an absolute path"),
        ("hardlink-out", "hard link pointing outside"),
        ("link-then-write", "symbolic link pointing outside"),
    ],
)
def test_malicious_archives_are_rejected_and_write_nothing(
    tmp_path: Path, kind: str, reason: str
) -> None:
    (tmp_path / "archives").mkdir()
    (tmp_path / "outside").mkdir()
    archive = _malicious(tmp_path, kind)
    before = snapshot(tmp_path)
    with pytest.raises(CheckFailed) as err:
        extract_sdist(archive, tmp_path / "dest")
    assert reason in err.value.message
    assert "unsafe to extract" in err.value.message
    assert snapshot(tmp_path) == before
    assert not (tmp_path / "dest").exists()
    assert list((tmp_path / "outside").iterdir()) == []


def test_a_malicious_sdist_fails_verify_without_installing(tmp_path: Path, git_repo) -> None:
    git_repo.commit("init", {"pyproject.toml": '[project]\nname = "p"\nversion = "1.0"\n'})
    config = load_config(git_repo.path)
    (tmp_path / "archives").mkdir()
    (tmp_path / "outside").mkdir()
    archive = _malicious(tmp_path, "traversal")
    sdist = archive.rename(tmp_path / "archives" / "p-1.0.tar.gz")
    report = verify_artifacts(config, [sdist], version="1.0", logdir=tmp_path / "logs")
    assert not report.ok
    (result,) = report.results
    assert result.status == "fail"
    assert result.detail.startswith("the sdist cannot be extracted: p-1.0.tar.gz is unsafe")
    assert [s.step for s in result.steps] == ["extract"]
    assert result.log == tmp_path / "logs" / "p-1.0.tar.gz.extract.log"
    assert "path leaves the archive" in result.log.read_text()
    assert list((tmp_path / "outside").iterdir()) == []


# -- isolation (fast) ------------------------------------------------------------------


def test_isolated_environ_drops_installer_configuration() -> None:
    env = isolated_environ(
        {
            "PATH": "/bin",
            "PIP_INDEX_URL": "http://127.0.0.1:9/simple",
            "PIP_FIND_LINKS": "/opt/wheels",
            "PIP_CACHE_DIR": "/cache/pip",
            "UV_INDEX_URL": "http://127.0.0.1:9/simple",
            "UV_CACHE_DIR": "/cache/uv",
            "PYTHONPATH": "/somewhere",
            "VIRTUAL_ENV": "/venv",
        },
        extra_index="http://127.0.0.1:8/simple",
    )
    assert env == {
        "PATH": "/bin",
        "PIP_CACHE_DIR": "/cache/pip",
        "UV_CACHE_DIR": "/cache/uv",
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_INPUT": "1",
        "UV_NO_CONFIG": "1",
        "PYTHONNOUSERSITE": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PIP_EXTRA_INDEX_URL": "http://127.0.0.1:8/simple",
        "UV_EXTRA_INDEX_URL": "http://127.0.0.1:8/simple",
    }


@pytest.mark.slow
def test_venv_fallback_without_uv_ignores_pip_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, built_purelib: BuiltExample
) -> None:
    conf = tmp_path / "pip.conf"
    conf.write_text("[global]\nindex-url = http://127.0.0.1:9/simple\nno-index = true\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("RELMAN_NO_UV", "1")
    env = create_env(tmp_path / "env")
    assert env.uv is None
    assert (env.bin_dir / "pip").exists()
    out = env.run("python", "-m", "pip", "config", "list", cwd=tmp_path)
    assert "127.0.0.1:9" not in out.stdout
    env.install(str(built_purelib.wheel), cwd=tmp_path)
    done = env.run("python", "-c", "import purelib; print(purelib.__version__)", cwd=tmp_path)
    assert done.stdout.strip() == "1.1.0.dev0"


# -- real verification (slow) ------------------------------------------------------------


@pytest.mark.slow
def test_purelib_sdist_and_wheel_verify(built_purelib: BuiltExample, tmp_path: Path) -> None:
    config = load_config(built_purelib.demo.path)
    report = verify_artifacts(
        config, built_purelib.files, version="1.1.0.dev0", logdir=tmp_path / "logs"
    )
    assert report.ok, [r.detail for r in report.results]
    by_kind = {r.kind: r for r in report.results}
    assert by_kind["sdist"].status == by_kind["wheel"].status == "pass"
    for r in report.results:
        assert [s.step for s in r.steps] == ["install", "check", "test"]
        test_log = next(s.log for s in r.steps if s.step == "test")
        assert test_log is not None and "passed" in test_log.read_text()


@pytest.mark.slow
def test_cext_sdist_and_wheel_verify(built_cext: BuiltExample, tmp_path: Path) -> None:
    config = load_config(built_cext.demo.path)
    report = verify_artifacts(config, built_cext.files, version="0.4.0.dev0", logdir=tmp_path / "l")
    assert report.ok, [r.detail for r in report.results]
    assert sorted(r.kind for r in report.results if r.status == "pass") == ["sdist", "wheel"]


@pytest.mark.slow
def test_verify_ignores_hostile_installer_settings(
    built_purelib: BuiltExample, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = tmp_path / "pip.conf"
    conf.write_text("[global]\nindex-url = http://127.0.0.1:9/simple\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("UV_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("UV_OFFLINE", "1")
    config = load_config(built_purelib.demo.path)
    report = verify_artifacts(
        config, [built_purelib.wheel], version="1.1.0.dev0", logdir=tmp_path / "logs"
    )
    assert report.ok, [r.detail for r in report.results]


@pytest.mark.slow
def test_broken_sdist_fails_with_a_clear_message(
    built_purelib: BuiltExample, tmp_path: Path
) -> None:
    config = load_config(built_purelib.demo.path)
    src = built_purelib.sdist
    (tmp_path / "dist").mkdir()
    broken = rewrite_sdist(src, tmp_path / "dist" / src.name, drop="src/purelib/_core.py")
    report = verify_artifacts(config, [broken], version="1.1.0.dev0", logdir=tmp_path / "logs")
    assert not report.ok
    (result,) = report.results
    assert result.status == "fail"
    assert result.detail == (
        "the installed package is broken: import purelib failed: "
        "ModuleNotFoundError: No module named 'purelib._core'"
    )
    assert result.log == tmp_path / "logs" / f"{src.name}.check.log"
    assert "No module named 'purelib._core'" in result.log.read_text()


@pytest.mark.slow
def test_cli_verify_exit_1_prints_the_log_path(built_purelib: BuiltExample, tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    shutil.copy2(built_purelib.wheel, dist)
    rewrite_sdist(built_purelib.sdist, dist / built_purelib.sdist.name, drop="_core.py")
    before = snapshot(dist)
    logs = tmp_path / "logs"
    out = run_relman("verify", str(dist), "--logdir", str(logs), cwd=built_purelib.demo.path)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "FAIL" in out.stdout and "PASS" in out.stdout
    log = logs / f"{built_purelib.sdist.name}.check.log"
    assert f"log of {built_purelib.sdist.name}: {log}" in out.stdout
    assert "error: 1 of 2 artifact(s) failed verification" in out.stderr
    assert f"hint: the failing command's output is in {log}" in out.stderr
    assert snapshot(dist) == before


@pytest.mark.slow
def test_cli_verify_json(built_purelib: BuiltExample, tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    shutil.copy2(built_purelib.wheel, dist)
    # a wheel for another platform is skipped, not installed
    other = dist / "relman_demo_purelib-1.1.0.dev0-cp27-cp27m-win32.whl"
    shutil.copy2(built_purelib.wheel, other)
    out = run_relman(
        "verify", str(dist), "--json", "--logdir", str(tmp_path / "l"), cwd=built_purelib.demo.path
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["ok"] is True
    status = {r["artifact"]: r["status"] for r in data["results"]}
    assert status == {built_purelib.wheel.name: "pass", other.name: "skipped"}


@pytest.mark.slow
def test_without_tests_the_import_and_version_are_checked(git_repo, tmp_path: Path) -> None:
    from relman.artifacts import build_artifacts
    from relman.git import Repo

    git_repo.commit(
        "tiny project",
        {
            "pyproject.toml": '[build-system]\nrequires = ["hatchling"]\n'
            'build-backend = "hatchling.build"\n\n'
            '[project]\nname = "tiny-thing"\nversion = "0.1"\n',
            "tiny_thing/__init__.py": '__version__ = "0.0"  # forgotten\n',
        },
    )
    config = load_config(git_repo.path)
    files = build_artifacts(config, Repo(git_repo.path), outdir=tmp_path / "dist", sdist=False)
    report = verify_artifacts(config, files, version="0.1", logdir=tmp_path / "logs")
    (result,) = report.results
    assert result.status == "fail"
    assert result.detail == (
        "the installed package is broken: tiny_thing.__version__ is 0.0, expected 0.1"
    )
    git_repo.commit("fix the version", {"tiny_thing/__init__.py": '__version__ = "0.1"\n'})
    files = build_artifacts(config, Repo(git_repo.path), outdir=tmp_path / "dist2", sdist=False)
    report = verify_artifacts(config, files, version="0.1", logdir=tmp_path / "logs")
    (result,) = report.results
    assert result.status == "pass"
    assert result.detail == "imports tiny_thing 0.1 (no tests installed)"
    assert [s.step for s in result.steps] == ["install", "check"]


def _plain_wheel(dest: Path, name: str, version: str) -> Path:
    """A pure-Python wheel of one module package, written as the wheel spec lays it out."""
    import base64
    import hashlib
    import zipfile

    files = {
        f"{name}/__init__.py": f'__version__ = "{version}"\n',
        f"{name}-{version}.dist-info/METADATA": (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        ),
        f"{name}-{version}.dist-info/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    record.append(f"{name}-{version}.dist-info/RECORD,,")
    files[f"{name}-{version}.dist-info/RECORD"] = "\n".join(record) + "\n"
    wheel = dest / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, text in files.items():
            zf.writestr(path, text)
    return wheel


@pytest.mark.slow
def test_top_level_tests_run_against_the_installed_wheel(tmp_path: Path) -> None:
    # a hatchling-style project keeping its tests in a top-level tests/ folder (not
    # installed), with no test-command: the tests are copied next to the environment
    # and run against the installed package, as SciPy and NumPy test their wheels
    repo = GitRepo(tmp_path / "proj")
    repo.commit(
        "init",
        {
            "pyproject.toml": '[project]\nname = "toppy"\nversion = "0.1.0"\n',
            "src/toppy/__init__.py": '__version__ = "0.1.0"\n',
            "tests/test_installed.py": (
                "import toppy\n\n\n"
                "def test_the_installed_package_is_tested():\n"
                f"    assert not toppy.__file__.startswith({str(repo.path)!r})\n"
                "    assert 'site-packages' in toppy.__file__\n"
            ),
        },
    )
    (tmp_path / "dist").mkdir()
    wheel = _plain_wheel(tmp_path / "dist", "toppy", "0.1.0")
    config = load_config(repo.path)
    report = verify_artifacts(config, [wheel], version="0.1.0", logdir=tmp_path / "logs")
    (result,) = report.results
    assert result.status == "pass", result.detail
    assert result.detail == "python -m pytest -q -p no:cacheprovider tests passed"
    test_log = next(s.log for s in result.steps if s.step == "test")
    assert test_log is not None and "1 passed" in test_log.read_text()
    # without pytest in the environment: the result says how to run them
    pyproject = repo.path / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n[tool.relman.build]\ntest-requires = []\n")
    report = verify_artifacts(
        load_config(repo.path), [wheel], version="0.1.0", logdir=tmp_path / "l2"
    )
    (result,) = report.results
    assert result.status == "pass"
    assert "tests/ needs pytest: add it to build.test-requires, or set build.test-command" in (
        result.detail
    )
