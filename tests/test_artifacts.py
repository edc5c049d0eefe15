"""Build, name checks, inspection, checksums and release README of artifacts."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import subprocess
import sys
import tarfile
import warnings
import zipfile
from pathlib import Path

import pytest

from relman.artifacts import (
    build_artifacts,
    check_artifact_names,
    compare_sdist_with_git,
    derive_wheel_matrix,
    inspect_artifacts,
    match_wheels,
    wheel_identifiers,
    write_checksums,
    write_release_readme,
)
from relman.errors import CheckFailed, UsageError
from relman.project import load_config
from tests.conftest import BuiltExample
from tests.helpers import GitRepo, run_relman, snapshot

# -- names (fast) ---------------------------------------------------------------


def test_good_names_pass() -> None:
    files = [Path("my_proj-1.2.0.tar.gz"), Path("my_proj-1.2.0-py3-none-any.whl")]
    assert check_artifact_names(files, name="My.Proj", version="1.2.0") == []


@pytest.mark.parametrize(
    ("fname", "expected"),
    [
        ("My.Proj-1.2.0.tar.gz", "the PEP 625 name is my_proj-1.2.0.tar.gz"),
        ("my_proj-1.2.0.zip", "sdists must be .tar.gz"),
        ("my_proj-1.2.1.tar.gz", "version 1.2.1 is not the release version 1.2.0"),
        ("other-1.2.0.tar.gz", "project name 'other' is not 'my-proj'"),
        ("my_proj-1.2.0-py3.whl", "not a valid wheel file name"),
        ("my_proj-1.2.0.exe", "neither an sdist"),
    ],
)
def test_bad_names_are_reported(fname: str, expected: str) -> None:
    problems = check_artifact_names([Path(fname)], name="my-proj", version="1.2.0")
    assert any(expected in p for p in problems), problems


def test_names_must_agree_without_a_version() -> None:
    files = [Path("p-1.0.tar.gz"), Path("p-1.1-py3-none-any.whl")]
    assert check_artifact_names(files, name="p", version=None) == [
        "the files carry different versions: 1.0, 1.1"
    ]


# -- wheel matrix (fast) ----------------------------------------------------------


def test_wheel_identifiers_follow_cibuildwheel() -> None:
    assert wheel_identifiers(
        "p-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    ) == ("cp311-manylinux_x86_64",)
    assert wheel_identifiers("p-1.0-cp312-cp312-macosx_11_0_arm64.whl") == ("cp312-macosx_arm64",)
    assert wheel_identifiers("p-1.0-py3-none-any.whl") == ("py3-none-any",)
    assert wheel_identifiers("p-1.0-cp311-cp311-linux_x86_64.whl") == ("cp311-linux_x86_64",)


def test_match_wheels_with_globs() -> None:
    ids = {
        "a.whl": ("cp311-manylinux_x86_64",),
        "b.whl": ("cp312-manylinux_x86_64",),
        "c.whl": ("cp311-win32",),
    }
    missing, unexpected = match_wheels(["cp31?-manylinux_*", "cp313-*", "cp311-win_amd64"], ids)
    assert missing == ["cp313-*", "cp311-win_amd64"]
    assert unexpected == ["c.whl"]


def test_derived_matrix_uses_classifiers_and_requires_python() -> None:
    from packaging.metadata import Metadata

    meta = Metadata.from_raw(
        {
            "metadata_version": "2.4",
            "name": "p",
            "version": "1.0",
            "requires_python": ">=3.11",
            "classifiers": [
                "Programming Language :: Python :: 3.10",
                "Programming Language :: Python :: 3.11",
                "Programming Language :: Python :: 3.12",
                "Operating System :: POSIX :: Linux",
                "Operating System :: Microsoft :: Windows",
            ],
        }
    )
    assert derive_wheel_matrix(meta, pure=False) == [
        "cp311-manylinux_x86_64",
        "cp311-win_amd64",
        "cp312-manylinux_x86_64",
        "cp312-win_amd64",
    ]
    assert derive_wheel_matrix(meta, pure=True) == ["py3-none-any"]


def test_sdist_compared_with_git_files() -> None:
    missing, untracked = compare_sdist_with_git(
        ["PKG-INFO", "pyproject.toml", "src/p/__init__.py", "src/p/_gen.py"],
        ["pyproject.toml", "src/p/__init__.py", "src/p/core.py", "docs/index.rst", "setup.py"],
        ["p"],
    )
    assert missing == ["setup.py", "src/p/core.py"]
    assert untracked == ["src/p/_gen.py"]


# -- helpers to make broken artifacts from real ones ------------------------------


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def rewrite_wheel(
    src: Path,
    dest: Path,
    *,
    add: dict[str, bytes] | None = None,
    record_add: bool = True,
    replace: dict[str, bytes] | None = None,
    duplicate: str | None = None,
) -> Path:
    """Copy a real wheel with changes; RECORD lists added files when ``record_add``."""
    add = add or {}
    replace = replace or {}
    with zipfile.ZipFile(src) as zin:
        entries = [(i.filename, zin.read(i.filename)) for i in zin.infolist()]
    record_name = next(n for n, _ in entries if n.endswith(".dist-info/RECORD"))
    out = []
    for name, data in entries:
        if name == record_name:
            lines = data.decode().splitlines()
            if record_add:
                lines += [_record_line(n, d) for n, d in add.items()]
            data = ("\n".join(lines) + "\n").encode()
        out.append((name, replace.get(name, data)))
    out[-1:-1] = list(add.items())
    if duplicate:
        out.append((duplicate, dict(out)[duplicate]))
    with zipfile.ZipFile(dest, "w") as zout, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate we want
        for name, data in out:
            zout.writestr(name, data)
    return dest


def rewrite_sdist(src: Path, dest: Path, *, drop: str) -> Path:
    """Copy a real sdist without the members whose name ends with ``drop``."""
    with tarfile.open(src) as tin, tarfile.open(dest, "w:gz") as tout:
        for m in tin.getmembers():
            if m.name.endswith(drop):
                continue
            tout.addfile(m, tin.extractfile(m) if m.isfile() else None)
    return dest


# -- real builds (slow) -------------------------------------------------------------


@pytest.mark.slow
def test_purelib_builds_and_inspects_clean(built_purelib: BuiltExample) -> None:
    names = sorted(f.name for f in built_purelib.files)
    assert names == [
        "relman_demo_purelib-1.1.0.dev0-py3-none-any.whl",
        "relman_demo_purelib-1.1.0.dev0.tar.gz",
    ]
    config = load_config(built_purelib.demo.path)
    report = inspect_artifacts(config, built_purelib.files, version="1.1.0.dev0", matrix=True)
    assert report.ok, report.problems
    assert report.expected_wheels == ("py3-none-any",)
    assert report.matrix_source == "cibuildwheel"
    wheel = next(a for a in report.artifacts if a.kind == "wheel")
    assert wheel.name == "relman-demo-purelib"
    assert wheel.requires_python == ">=3.10"
    assert wheel.license_expression == "BSD-3-Clause"
    assert "Programming Language :: Python :: 3.12" in wheel.classifiers
    sdist_check = report.sdist_vs_git[built_purelib.sdist.name]
    assert sdist_check["missing"] == [] and sdist_check["untracked"] == []


@pytest.mark.slow
def test_inspect_reports_a_wrong_release_version(built_purelib: BuiltExample) -> None:
    config = load_config(built_purelib.demo.path)
    report = inspect_artifacts(config, built_purelib.files, version="1.1.0")
    assert not report.ok
    assert any(
        "metadata Version 1.1.0.dev0 is not the release version 1.1.0 [relman:release]" in p
        for p in report.problems
    )


@pytest.mark.slow
def test_cext_builds_and_inspects_with_its_wheel_matrix(built_cext: BuiltExample) -> None:
    config = load_config(built_cext.demo.path)
    wheel = built_cext.wheel
    assert wheel.name.startswith("relman_demo_cext-0.4.0.dev0-cp3")
    assert "-none-any" not in wheel.name
    report = inspect_artifacts(config, built_cext.files, version="0.4.0.dev0", matrix=True)
    # the project expects a manylinux wheel; a local build is a plain linux one,
    # which the public index refuses
    assert report.matrix_source == "cibuildwheel"
    assert report.missing_wheels == ("cp311-manylinux_x86_64",)
    plat = wheel.name[:-4].split("-")[-1]
    assert report.problems == (
        f"{wheel.name}: platform tag {plat!r} is not one the index accepts (repair the wheel "
        "with auditwheel to a manylinux tag) [index:platform-tag]",
        "no wheel for cp311-manylinux_x86_64 (expected by the cibuildwheel wheel matrix) "
        "[relman:matrix]",
    )
    # for a private index, the public index's rules only warn
    allowed = inspect_artifacts(
        config,
        built_cext.files,
        version="0.4.0.dev0",
        matrix=True,
        allow_missing_wheels=True,
        public=False,
    )
    assert any("auditwheel" in w for w in allowed.warnings)
    assert allowed.ok, allowed.problems
    assert allowed.sdist_vs_git[built_cext.sdist.name]["missing"] == []


@pytest.mark.slow
def test_two_builds_of_one_commit_are_byte_identical(
    built_purelib: BuiltExample, tmp_path: Path
) -> None:
    config = load_config(built_purelib.demo.path)
    again = build_artifacts(config, built_purelib.demo.repo, outdir=tmp_path / "again")
    assert sorted(p.name for p in again) == sorted(p.name for p in built_purelib.files)
    for p in again:
        assert p.read_bytes() == (built_purelib.dist / p.name).read_bytes(), p.name


@pytest.mark.slow
def test_build_uses_the_commit_not_the_working_tree(example_repo, tmp_path: Path) -> None:
    demo = example_repo("purelib")
    core = demo.path / "src" / "purelib" / "_core.py"
    core.write_text(core.read_text() + "\nDIRTY = True\n")
    (demo.path / "src" / "purelib" / "untracked.py").write_text("X = 1\n")
    before = snapshot(demo.path)
    config = load_config(demo.path)
    files = build_artifacts(config, demo.repo, outdir=tmp_path / "dist", wheel=False)
    assert snapshot(demo.path) == before
    with tarfile.open(files[0]) as tf:
        names = tf.getnames()
        fh = tf.extractfile("relman_demo_purelib-1.1.0.dev0/src/purelib/_core.py")
        assert fh is not None
        assert b"DIRTY" not in fh.read()
    assert not any(n.endswith("untracked.py") for n in names)
    # SOURCE_DATE_EPOCH is the commit time: member mtimes are not "now"
    commit_time = demo.repo.commit_time("HEAD")
    with tarfile.open(files[0]) as tf:
        assert max(m.mtime for m in tf.getmembers()) <= commit_time


def test_build_of_an_unknown_rev_changes_nothing(example_repo, tmp_path: Path) -> None:
    demo = example_repo("purelib")
    before = snapshot(demo.path)
    out = run_relman(
        "build", "--rev", "no-such-tag", "--outdir", str(tmp_path / "d"), cwd=demo.path
    )
    assert out.returncode == 2, out.stderr
    assert "error: 'no-such-tag' is not a commit" in out.stderr
    assert "hint:" in out.stderr
    assert not (tmp_path / "d").exists()
    assert snapshot(demo.path) == before


@pytest.mark.slow
def test_build_names_are_checked_before_writing(example_repo, tmp_path: Path) -> None:
    demo = example_repo("purelib")
    config = load_config(demo.path)
    with pytest.raises(CheckFailed) as err:
        build_artifacts(config, demo.repo, outdir=tmp_path / "d", version="9.9.9", wheel=False)
    assert "version 1.1.0.dev0 is not the release version 9.9.9" in err.value.message
    assert not (tmp_path / "d").exists()


@pytest.mark.slow
def test_cli_build_json_and_dry_run(example_repo, tmp_path: Path) -> None:
    demo = example_repo("purelib")
    before = snapshot(demo.path)
    dry = run_relman("build", "--dry-run", "--json", cwd=demo.path)
    assert dry.returncode == 0, dry.stderr
    plan = json.loads(dry.stdout)
    assert plan["build"] == ["sdist", "wheel"] and plan["commit"] == demo.repo.head()
    assert snapshot(demo.path) == before
    out = run_relman(
        "build",
        "--sdist",
        "--version",
        "1.1.0.dev0",
        "--outdir",
        str(tmp_path / "d"),
        "--json",
        cwd=demo.path,
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    # --version picks the tag v1.1.0.dev0 when no --rev is given
    assert data["rev"] == "v1.1.0.dev0"
    (entry,) = data["files"]
    sdist = Path(entry["path"])
    assert sdist.name == "relman_demo_purelib-1.1.0.dev0.tar.gz"
    assert entry["sha256"] == hashlib.sha256(sdist.read_bytes()).hexdigest()
    assert snapshot(demo.path) == before


# -- inspecting broken artifacts (built from the real ones) --------------------------


@pytest.mark.slow
def test_inspect_flags_wheel_contents(built_purelib: BuiltExample, tmp_path: Path) -> None:
    config = load_config(built_purelib.demo.path)
    good = built_purelib.wheel
    bad = rewrite_wheel(
        good,
        tmp_path / good.name,
        add={
            "tests/__init__.py": b"",
            "purelib/__pycache__/_core.cpython-311.pyc": b"\x00",
            "README.md": b"# readme\n",
        },
    )
    report = inspect_artifacts(config, [bad], version="1.1.0.dev0")
    text = "\n".join(report.problems)
    assert "tests/__init__.py: stray top-level 'tests' folder" in text
    assert "purelib/__pycache__/_core.cpython-311.pyc: compiled bytecode" in text
    assert "README.md: file outside the package" in text


@pytest.mark.slow
def test_inspect_checks_record_hashes_and_entries(
    built_purelib: BuiltExample, tmp_path: Path
) -> None:
    config = load_config(built_purelib.demo.path)
    good = built_purelib.wheel
    tampered = rewrite_wheel(
        good,
        tmp_path / good.name,
        add={"purelib/extra.py": b"X = 1\n"},
        record_add=False,
        replace={"purelib/_core.py": b"# changed\n"},
    )
    report = inspect_artifacts(config, [tampered], version="1.1.0.dev0")
    text = "\n".join(report.problems)
    assert "purelib/extra.py is in the wheel but not in RECORD" in text
    assert "purelib/_core.py: hash does not match RECORD" in text
    assert "purelib/_core.py: size" in text


@pytest.mark.slow
def test_inspect_flags_duplicate_entries(built_purelib: BuiltExample, tmp_path: Path) -> None:
    config = load_config(built_purelib.demo.path)
    good = built_purelib.wheel
    dup = rewrite_wheel(good, tmp_path / good.name, duplicate="purelib/_core.py")
    report = inspect_artifacts(config, [dup], version="1.1.0.dev0")
    assert any(
        "member purelib/_core.py appears more than once [index:archive-duplicate]" in p
        for p in report.problems
    )


@pytest.mark.slow
def test_inspect_renders_rst_description_like_twine(
    built_purelib: BuiltExample, tmp_path: Path
) -> None:
    config = load_config(built_purelib.demo.path)
    good = built_purelib.wheel
    with zipfile.ZipFile(good) as zf:
        meta_name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        meta = zf.read(meta_name).decode()
    head, _, _body = meta.partition("\n\n")
    head = head.replace(
        "Description-Content-Type: text/markdown", "Description-Content-Type: text/x-rst"
    )
    broken = head + "\n\nTitle\n=====\n\n.. unknown-directive:: boom\n\n`unclosed\n"
    bad = rewrite_wheel(good, tmp_path / good.name, replace={meta_name: broken.encode()})
    report = inspect_artifacts(config, [bad], version="1.1.0.dev0")
    assert any(
        "long description (reStructuredText) does not render" in p for p in report.problems
    ), report.problems
    # twine check --strict agrees that this file fails
    out = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode != 0


@pytest.mark.slow
def test_inspect_flags_metadata_versions_indexes_reject(
    built_purelib: BuiltExample, tmp_path: Path
) -> None:
    config = load_config(built_purelib.demo.path)
    good = built_purelib.wheel
    with zipfile.ZipFile(good) as zf:
        meta_name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        meta = zf.read(meta_name).decode()
    first, _, rest = meta.partition("\n")
    assert first.startswith("Metadata-Version: ")
    bad = rewrite_wheel(
        good, tmp_path / good.name, replace={meta_name: ("Metadata-Version: 3.0\n" + rest).encode()}
    )
    report = inspect_artifacts(config, [bad], version="1.1.0.dev0")
    assert any(
        "Metadata-Version 3.0 is not one the index accepts (1.0 to 2.5) [index:metadata-version]"
        in p
        for p in report.problems
    )


@pytest.mark.slow
def test_project_in_a_subfolder_builds_and_inspects(git_repo, tmp_path: Path) -> None:
    import shutil

    from tests.helpers import EXAMPLES

    shutil.copytree(
        EXAMPLES / "purelib", git_repo.path / "python", ignore=shutil.ignore_patterns("doc")
    )
    git_repo.commit("add the python package", {"README.md": "monorepo\n"})
    config = load_config(git_repo.path / "python")
    from relman.git import Repo

    files = build_artifacts(config, Repo(git_repo.path), outdir=tmp_path / "dist")
    assert len(files) == 2
    report = inspect_artifacts(config, files, version="1.1.0.dev0")
    assert report.ok, report.problems
    sdist = next(f for f in files if f.name.endswith(".tar.gz"))
    assert report.sdist_vs_git[sdist.name] == {
        "compared_with": "HEAD",
        "missing": [],
        "untracked": [],
    }


@pytest.mark.slow
def test_inspect_reports_tracked_files_missing_from_the_sdist(
    built_purelib: BuiltExample, tmp_path: Path
) -> None:
    config = load_config(built_purelib.demo.path)
    src = built_purelib.sdist
    broken = rewrite_sdist(src, tmp_path / src.name, drop="src/purelib/_core.py")
    report = inspect_artifacts(
        config, [broken, built_purelib.wheel], version="1.1.0.dev0", rev="HEAD"
    )
    assert report.problems == (
        f"{src.name}: src/purelib/_core.py is tracked by git (HEAD) but missing [relman:sdist-git]",
    )


@pytest.mark.slow
def test_cli_inspect_json_and_exit_codes(built_purelib: BuiltExample, tmp_path: Path) -> None:
    out = run_relman(
        "inspect", str(built_purelib.dist), "--matrix", "--json", cwd=built_purelib.demo.path
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["ok"] is True
    assert data["wheel_matrix"]["expected"] == ["py3-none-any"]
    assert {a["kind"] for a in data["artifacts"]} == {"sdist", "wheel"}
    bad = run_relman(
        "inspect", str(built_purelib.dist), "--version", "2.0", cwd=built_purelib.demo.path
    )
    assert bad.returncode == 1
    assert "problem:" in bad.stdout
    assert "error:" in bad.stderr


# -- checksums and README -------------------------------------------------------------


def _fake_dist(tmp_path: Path) -> Path:
    d = tmp_path / "dist"
    d.mkdir()
    (d / "p-1.0.tar.gz").write_bytes(b"sdist bytes")
    (d / "p-1.0-py3-none-any.whl").write_bytes(b"wheel bytes" * 100)
    (d / "notes.txt").write_text("not an artifact")
    return d


def test_checksums_match_sha256sum(tmp_path: Path) -> None:
    d = _fake_dist(tmp_path)
    path = write_checksums(d)
    assert path.read_text().splitlines() == [
        f"{hashlib.sha256(b'wheel bytes' * 100).hexdigest()}  p-1.0-py3-none-any.whl",
        f"{hashlib.sha256(b'sdist bytes').hexdigest()}  p-1.0.tar.gz",
    ]
    out = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=d, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_release_readme_lists_sizes_and_hashes_and_renders(tmp_path: Path) -> None:
    import readme_renderer.rst

    d = _fake_dist(tmp_path)
    rst, md = write_release_readme(d, "1.0")
    assert (rst.name, md.name) == ("README.rst", "README.md")
    sha = hashlib.sha256(b"sdist bytes").hexdigest()
    assert ["p-1.0.tar.gz", "11", sha] in [line.split() for line in rst.read_text().splitlines()]
    assert f"| `p-1.0.tar.gz` | 11 (11 B) | `{sha}` |" in md.read_text()
    assert "notes.txt" not in rst.read_text()
    stream = io.StringIO()
    html = readme_renderer.rst.render(rst.read_text(), stream=stream)
    assert html is not None and sha in html, stream.getvalue()


def test_checksums_of_an_empty_folder_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError):
        write_checksums(tmp_path / "empty")
    assert list((tmp_path / "empty").iterdir()) == []


@pytest.mark.slow
def test_a_pure_project_without_its_wheel_is_a_problem(built_purelib: BuiltExample) -> None:
    config = load_config(built_purelib.demo.path)
    # alone, a file check: the sdist passes
    assert inspect_artifacts(config, [built_purelib.sdist], version="1.1.0.dev0").ok
    report = inspect_artifacts(config, [built_purelib.sdist], version="1.1.0.dev0", matrix=True)
    assert report.missing_wheels == ("py3-none-any",)
    assert report.problems == (
        "no wheel for py3-none-any (expected by the cibuildwheel wheel matrix) [relman:matrix]",
    )
    allowed = inspect_artifacts(
        config,
        [built_purelib.sdist],
        version="1.1.0.dev0",
        matrix=True,
        allow_missing_wheels=True,
    )
    assert allowed.ok


@pytest.mark.slow
def test_build_includes_submodules_from_the_local_checkout(example_repo, tmp_path: Path) -> None:
    demo = example_repo("purelib")
    vendored = GitRepo(tmp_path / "vendored-lib")
    vendored.commit("data", {"data.txt": "vendored data\n"})
    demo.repo.git(
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        str(vendored.path),
        "src/purelib/vendored",
    )
    demo.repo.create_commit("MAINT: vendor the data library as a submodule")
    # the submodule's own repository goes away: the build must use the local checkout
    shutil.rmtree(vendored.path)
    config_before = (demo.path / ".git" / "config").read_bytes()
    files = build_artifacts(
        load_config(demo.path), demo.repo, outdir=tmp_path / "dist", wheel=False
    )
    with tarfile.open(files[0]) as tf:
        fh = tf.extractfile("relman_demo_purelib-1.1.0.dev0/src/purelib/vendored/data.txt")
        assert fh is not None and fh.read() == b"vendored data\n"
    # the build used a private clone: the repository's configuration and worktrees are untouched
    assert (demo.path / ".git" / "config").read_bytes() == config_before
    assert demo.repo.git("worktree", "list").count("\n") == 0
