"""The expected wheel matrix comes from cibuildwheel's own --print-build-identifiers."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from relman.matrix import (
    DEFAULT_ARCHS,
    PURE_IDENTIFIER,
    RUNNERS,
    every_platforms_identifiers,
    expected_matrix,
    matrix_table,
    split_identifier,
)
from tests.helpers import EXAMPLES

#: NumPy 2.x's wheel configuration, reduced to what cibuildwheel reads: CPython >= 3.11,
#: free-threaded builds (cibuildwheel builds them by default), no 32-bit Linux, no PyPy, musllinux on x86_64 only.
NUMPY_SHAPED = """\
[build-system]
requires = ["meson-python>=0.15"]
build-backend = "mesonpy"

[project]
name = "numpy"
version = "2.4.0"
requires-python = ">=3.11"

# the workflow lives in a separate repository, as numpy-release does
[tool.relman.github]
repo = "numpy/numpy"

[tool.relman.ci]
repo = "numpy/numpy-release"

[tool.cibuildwheel]
skip = ["*_i686", "*_ppc64le", "*_s390x", "*_universal2", "pp*", "*-musllinux_aarch64"]
"""


def numpy_shaped(tmp_path: Path) -> Path:
    proj = tmp_path / "numpy"
    proj.mkdir()
    (proj / "pyproject.toml").write_text(NUMPY_SHAPED)
    return proj


def test_selected_identifiers_from_cibuildwheel(tmp_path: Path) -> None:
    proj = tmp_path / "cext"
    shutil.copytree(EXAMPLES / "cext", proj)
    m = expected_matrix(proj, selectors=["cp311-manylinux_x86_64"])
    assert m.identifiers == ["cp311-manylinux_x86_64"]
    (job,) = m.jobs
    assert (job.platform, job.arch, job.runner) == ("linux", "x86_64", RUNNERS[("linux", "x86_64")])


def test_requires_python_and_skip_shape_the_matrix(tmp_path: Path) -> None:
    m = expected_matrix(numpy_shaped(tmp_path))
    ids = m.identifiers
    # requires-python >= 3.11: nothing older
    assert not [i for i in ids if i.startswith("cp310-")]
    assert "cp312-manylinux_x86_64" in ids and "cp312-musllinux_x86_64" in ids
    assert "cp312-musllinux_aarch64" not in ids  # skipped by the project
    assert not [i for i in ids if "i686" in i or "universal2" in i]
    assert "cp314t-win_amd64" in ids  # free-threaded
    names = {j.name for j in m.jobs}
    assert {"linux-x86_64", "linux-aarch64", "macos-x86_64", "macos-arm64"} <= names
    assert {"windows-amd64", "windows-arm64"} <= names
    # every identifier is in exactly one job, and jobs run on distinct runners per arch
    assert len(ids) == len(set(ids))
    aarch = next(j for j in m.jobs if j.name == "linux-aarch64")
    assert all(i.endswith("_aarch64") for i in aarch.identifiers)


def test_selectors_leave_out_whole_platforms(tmp_path: Path) -> None:
    m = expected_matrix(numpy_shaped(tmp_path), selectors=["cp312-macosx_*"])
    assert {j.platform for j in m.jobs} == {"macos"}
    assert sorted(m.identifiers) == ["cp312-macosx_arm64", "cp312-macosx_x86_64"]


def test_pure_project_has_one_identifier(tmp_path: Path) -> None:
    m = expected_matrix(EXAMPLES / "purelib", pure=True)
    assert m.identifiers == [PURE_IDENTIFIER]
    assert len(m.jobs) == 1


def test_table_rows_are_platforms_and_columns_pythons() -> None:
    ids = ["cp311-manylinux_x86_64", "cp310-manylinux_x86_64", "cp314t-win_amd64"]
    t = matrix_table(ids, lambda i: i != "cp310-manylinux_x86_64")
    assert t.pythons == ("cp310", "cp311", "cp314t")
    assert t.platforms == ("manylinux_x86_64", "win_amd64")
    assert t.cell("manylinux_x86_64", "cp311") == "present"
    assert t.cell("manylinux_x86_64", "cp310") == "missing"
    assert t.cell("win_amd64", "cp310") == ""
    assert t.missing == ["cp310-manylinux_x86_64"]


def test_split_identifier() -> None:
    assert split_identifier("cp314t-macosx_arm64") == ("cp314t", "macosx_arm64")


def test_cibuildwheel_failure_is_a_clear_error(tmp_path: Path) -> None:
    from relman.errors import CommandError

    (tmp_path / "pyproject.toml").write_text('[tool.cibuildwheel]\nenable = ["no-such-group"]\n')
    with pytest.raises(CommandError):
        expected_matrix(tmp_path)


def test_one_interpreter_answers_as_cibuildwheels_program_does_per_platform(
    tmp_path: Path,
) -> None:
    proj = numpy_shaped(tmp_path)
    program = shutil.which("cibuildwheel", path=str(Path(sys.executable).parent)) or "cibuildwheel"
    by_program = {}
    for platform, archs in DEFAULT_ARCHS.items():
        out = subprocess.run(
            [
                program,
                *("--platform", platform, "--archs", " ".join(archs)),
                *("--print-build-identifiers", str(proj)),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        by_program[platform] = out.split()
    from relman import _report

    recorder = _report.Recorder()
    with _report.use_reporter(recorder):
        assert every_platforms_identifiers(proj, DEFAULT_ARCHS) == by_program
    assert all(by_program.values())
    # one interpreter answered for every platform
    assert len([t for _, t in recorder.messages if t.startswith("$ ")]) == 1


def test_the_platform_cibuildwheel_refuses_is_named(tmp_path: Path) -> None:
    from relman.errors import CommandError

    # an option only Windows reads is wrong: Linux answers, Windows fails
    (tmp_path / "pyproject.toml").write_text(
        '[tool.cibuildwheel.windows]\nenable = ["no-such-group"]\n'
    )
    with pytest.raises(CommandError) as caught:
        every_platforms_identifiers(tmp_path, {"linux": ["x86_64"], "windows": ["AMD64"]})
    assert "(platform windows) failed (exit 2)" in caught.value.message
    assert "no-such-group" in caught.value.stderr


def test_without_cibuildwheel_beside_relman_its_program_is_asked_once_a_platform(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from relman import _report

    proj = numpy_shaped(tmp_path)
    together = every_platforms_identifiers(proj, DEFAULT_ARCHS)
    # cibuildwheel not importable by relman's interpreter (installed with pipx, say):
    # its program (here the one beside the interpreter) is run
    monkeypatch.setattr(
        sys, "path", [p for p in sys.path if not (Path(p or ".") / "cibuildwheel").is_dir()]
    )
    recorder = _report.Recorder()
    with _report.use_reporter(recorder):
        apart = every_platforms_identifiers(proj, DEFAULT_ARCHS)
    assert apart == together
    commands = [text for level, text in recorder.messages if text.startswith("$ ")]
    assert len(commands) == len(DEFAULT_ARCHS)
    assert all("--print-build-identifiers" in c and " -c " not in c for c in commands)


def test_a_cibuildwheel_folder_in_the_project_is_not_what_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    proj = numpy_shaped(tmp_path)
    expected = every_platforms_identifiers(proj, {"linux": ["x86_64"]})
    # cibuildwheel's own checkout, say: its source folder is not the installed program
    fake = proj / "cibuildwheel"
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "__main__.py").write_text("def main():\n    print('cp00-fake_x86_64')\n")
    monkeypatch.chdir(proj)
    assert every_platforms_identifiers(proj, {"linux": ["x86_64"]}) == expected
