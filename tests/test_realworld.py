"""Shapes taken from real projects' trees that relman once got wrong.

Each test writes the smallest project that has the shape (a pip-style news
folder with empty trivial fragments, an annotated ``__version__``, ...) and
checks relman's answer on it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from relman.notes import check_fragments
from relman.project import load_config
from tests.conftest import BuiltExample
from tests.helpers import GitRepo, run_relman
from tests.test_notes_oracle import write_project

# -- notes check ------------------------------------------------------------

PIP_TOWNCRIER = """\
[tool.towncrier]
directory = "news/"

[[tool.towncrier.type]]
name = "Bug Fixes"
directory = "bugfix"
showcontent = true

[[tool.towncrier.type]]
name = "Trivial Changes"
directory = "trivial"
showcontent = false
"""


def test_empty_fragments_of_hidden_types_pass_the_check(tmp_path: Path) -> None:
    # pip (and `towncrier create` for showcontent = false types) leave them empty
    root = write_project(
        tmp_path / "p",
        PIP_TOWNCRIER,
        {
            "news/.gitignore": "!.gitignore\n",
            "news/+a4f2b1c9.trivial.rst": "",
            "news/13004.trivial.rst": "",
            "news/13001.bugfix.rst": "Fix a thing.\n",
            "news/13002.bugfix.rst": "\n",
        },
    )
    problems = [str(p) for p in check_fragments(load_config(root))]
    assert problems == [f"{root / 'news' / '13002.bugfix.rst'}: empty fragment"]
    out = run_relman("notes", "check", cwd=root)
    assert out.returncode == 1
    assert "trivial" not in out.stdout + out.stderr


# -- copyright --------------------------------------------------------------

APACHE = """\
                                 Apache License
                           Version 2.0, January 2004

      "Licensor" shall mean the copyright owner or entity authorized by
      the copyright owner that is granting the License.
"""


def _copyright_findings(tmp_path: Path, files: dict[str, str], extra: str = "") -> list[str]:
    import datetime

    from relman.checks import run_checks

    repo = GitRepo(tmp_path / "proj")
    repo.commit(
        "Initial import",
        {"pyproject.toml": f'[project]\nname = "demo"\nversion = "1.1.0"\n{extra}', **files},
    )
    report = run_checks(
        load_config(repo.path),
        version="1.1.0",
        kind=None,
        only=["copyright"],
        date=datetime.date(2026, 11, 21),
    )
    return [f"{f.file}:{f.line}: {f.message}" for f in report.findings]


def test_detected_license_files_are_held_to_their_year_ranges(tmp_path: Path) -> None:
    files = {
        "LICENSE": "Copyright 2014 Pallets\n",  # year of first publication: fine
        "LICENSE.APACHE": APACHE,  # no dated notice at all: a license text
        "LICENSE.BSD": "Copyright (c) Individual contributors.\n",
        "COPYING": "Copyright (c) 2008-present The pip developers\n",
        "LICENSE.txt": "Copyright (c) 2005-2025, NumPy Developers.\n",  # kept up: stale
    }
    assert _copyright_findings(tmp_path, files) == [
        "LICENSE.txt:1: the copyright notice does not include 2026"
    ]


def test_the_same_copyright_files_mean_the_same_detected_or_written(tmp_path: Path) -> None:
    # a new hatchling project: `relman init --write` must not turn a pass into a blocker
    files = {
        "LICENSE": "Copyright 2014 Pallets\n",
        "LICENSE.APACHE": APACHE,
        "COPYING": "Copyright (c) 2008-present The pip developers\n",
        "LICENSE.txt": "Copyright (c) 2005-2025, NumPy Developers.\n",
    }
    detected = _copyright_findings(tmp_path / "detected", files)
    listed = '"LICENSE", "LICENSE.APACHE", "COPYING", "LICENSE.txt"'
    extra = f"[tool.relman.checks]\ncopyright-files = [{listed}]\n"
    written = _copyright_findings(tmp_path / "written", files, extra)
    assert detected == written == ["LICENSE.txt:1: the copyright notice does not include 2026"]
    # and through the command line, before and after `relman init --write`
    repo = GitRepo(tmp_path / "cli")
    repo.commit(
        "Initial import",
        {
            "pyproject.toml": '[project]\nname = "demo"\nversion = "1.1.0"\n',
            "LICENSE": "Copyright 2014 The demo developers\n",
        },
    )
    args = ("check", "--only", "copyright", "--date", "2026-11-21")
    before = run_relman(*args, cwd=repo.path)
    assert run_relman("init", "--write", cwd=repo.path).returncode == 0
    assert 'copyright-files = ["LICENSE"]' in (repo.path / "pyproject.toml").read_text()
    after = run_relman(*args, cwd=repo.path)
    assert before.returncode == after.returncode == 0, after.stdout + after.stderr


def test_no_dated_notice_anywhere_skips_the_check(tmp_path: Path) -> None:
    from relman.checks import run_checks

    repo = GitRepo(tmp_path / "proj")
    repo.commit(
        "Initial import",
        {"pyproject.toml": '[project]\nname = "demo"\nversion = "1.1.0"\n', "LICENSE": APACHE},
    )
    (result,) = run_checks(
        load_config(repo.path), version="1.1.0", kind=None, only=["copyright"]
    ).results
    assert result.status == "skipped"
    assert "no dated copyright notice in LICENSE" in (result.reason or "")


# SciPy's LICENSE.txt: Enthought's notice is history; the SciPy developers' is kept up
# (v1.15.0 was tagged on 2025-01-02 with "2003-2024"; since v1.16.0 it has no end year).
SCIPY_LICENSE = """\
Copyright (c) 2001-2002 Enthought, Inc. {years}, SciPy Developers.
All rights reserved.

Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions
are met:

1. Redistributions of source code must retain the above copyright
   notice, this list of conditions and the following disclaimer.
"""

# CPython's LICENSE before 2024: the PSF notice is a year list wrapped over lines,
# next to the historical CNRI and CWI notices that must never change.
CPYTHON_LICENSE = """\
2. Subject to the terms and conditions of this License Agreement, PSF hereby
grants Licensee a nonexclusive, royalty-free, world-wide license to reproduce,
provided, however, that PSF's License Agreement and PSF's notice of copyright,
i.e., "Copyright (c) 2001, 2002, 2003, 2004, 2005, 2006, 2007, 2008, 2009, 2010,
2011, 2012, 2013, 2014, 2015, 2016, 2017, 2018, 2019, 2020, 2021, 2022, {last} Python Software Foundation;
All Rights Reserved" are retained in Python alone or in any derivative version

Agreement and CNRI's notice of copyright, i.e., "Copyright (c) 1995-2001
Corporation for National Research Initiatives; All Rights Reserved" are

CWI LICENSE AGREEMENT FOR PYTHON 0.9.0 THROUGH 1.2
--------------------------------------------------

Copyright (c) 1991 - 1995, Stichting Mathematisch Centrum Amsterdam,
The Netherlands.  All rights reserved.
"""


def _copyright_on(tmp_path: Path, files: dict[str, str], day: str, name: str) -> list[str]:
    import datetime

    from relman.checks import run_checks

    repo = GitRepo(tmp_path)
    project = f'[project]\nname = "{name}"\nversion = "1.0.0"\n' if name else ""
    repo.commit("Initial import", {"pyproject.toml": project, **files})
    report = run_checks(
        load_config(repo.path),
        version="1.0.0",
        kind=None,
        only=["copyright"],
        date=datetime.date.fromisoformat(day),
    )
    assert not report.skipped
    return [f"{f.file}:{f.line}: {f.message} ({f.hint})" for f in report.findings]


def test_scipy_license_only_the_scipy_developers_notice_is_held(tmp_path: Path) -> None:
    bundled = "Copyright 1987-, A. Volgenant/Amsterdam School of Economics,\n"
    files = {
        "LICENSE.txt": SCIPY_LICENSE.format(years="2003-2024"),
        "LICENSES_bundled.txt": bundled,
    }
    assert _copyright_on(tmp_path / "a", files, "2024-06-24", "scipy") == []
    assert _copyright_on(tmp_path / "b", files, "2025-01-02", "scipy") == [
        "LICENSE.txt:1: the copyright notice does not include 2025 "
        "(update it to 2003-2025, or drop the end year)"
    ]
    files["LICENSE.txt"] = SCIPY_LICENSE.format(years="2003")  # the end year dropped
    assert _copyright_on(tmp_path / "c", files, "2026-01-10", "scipy") == []


def test_cpython_license_year_list_and_historical_notices(tmp_path: Path) -> None:
    # CPython has no [project] table: the holder is the one of the most recent notice
    files = {"LICENSE": CPYTHON_LICENSE.format(last="2023")}
    assert _copyright_on(tmp_path / "a", files, "2023-10-02", "") == []
    assert _copyright_on(tmp_path / "b", files, "2024-02-06", "") == [
        "LICENSE:4: the copyright notice does not include 2024 "
        "(add 2024 to the list, or drop the end year)"
    ]


def test_configured_copyright_holder_picks_the_notices(tmp_path: Path) -> None:
    files = {"LICENSE": "Copyright (c) 2010-2015 Old Corp\nCopyright (c) 2016 New Org\n"}
    extra = '[tool.relman.checks]\ncopyright-holder = "Old Corp"\n'
    assert _copyright_findings(tmp_path / "a", files, extra) == [
        "LICENSE:1: the copyright notice does not include 2026"
    ]
    assert _copyright_findings(tmp_path / "b", files) == []  # New Org: no end year
    extra = '[tool.relman.checks]\ncopyright-holder = "Nobody"\n'
    assert _copyright_findings(tmp_path / "c", files, extra) == [
        "LICENSE:None: no copyright notice of 'Nobody' found"
    ]


# -- version sources --------------------------------------------------------


def test_annotated_dunder_version_is_read_and_written(tmp_path: Path) -> None:
    # Sphinx: `__version__: Final = '9.0.4'` (flit, dynamic version)
    from relman.versionfiles import read_sources, set_version

    repo = GitRepo(tmp_path / "proj")
    init = (
        "from typing import Final\n\n"
        "__version__: Final = '9.0.4'\n"
        "__display_version__: Final = __version__\n"
        "version_info: Final = (9, 0, 4, 'final', 0)\n"
    )
    repo.commit(
        "Initial import",
        {
            "pyproject.toml": '[project]\nname = "Sphinx"\ndynamic = ["version"]\n'
            '[build-system]\nrequires = ["flit_core>=3.12"]\n'
            'build-backend = "flit_core.buildapi"\n',
            "sphinx/__init__.py": init,
        },
    )
    config = load_config(repo.path)
    assert [(s.source.path, s.version) for s in read_sources(config)] == [
        ("sphinx/__init__.py", "9.0.4")
    ]
    set_version(config, "9.1.0")
    assert (repo.path / "sphinx/__init__.py").read_text() == init.replace(
        "__version__: Final = '9.0.4'", "__version__: Final = '9.1.0'"
    ).replace("(9, 0, 4, 'final', 0)", "(9, 1, 0, 'final', 0)")
    set_version(config, "9.2.0rc2")
    assert (
        "version_info: Final = (9, 2, 0, 'candidate', 2)"
        in (repo.path / "sphinx/__init__.py").read_text()
    )


@pytest.mark.parametrize(
    ("before", "version", "after"),
    [
        ('__version__ = "1.2.3"\nVERSION = (1, 2, 3)\n', "1.3.0", "VERSION = (1, 3, 0)"),
        ('__version__ = "1.2"\nversion_info = (1, 2)\n', "1.3", "version_info = (1, 3)"),
        # a tuple that does not spell the version is left alone
        ('__version__ = "1.2.3"\nVERSION = (4, 5, 6)\n', "1.3.0", "VERSION = (4, 5, 6)"),
        # Django-style levels, with rc spelled as the file spells it
        (
            '__version__ = "5.1a1"\nVERSION = (5, 1, 0, "alpha", 1)\n',
            "5.1rc1",
            'VERSION = (5, 1, 0, "candidate", 1)',
        ),
        (
            '__version__ = "5.1rc1"\nversion_info = (5, 1, 0, "rc", 1)\n',
            "5.1",
            'version_info = (5, 1, 0, "final", 0)',
        ),
    ],
)
def test_version_tuple_next_to_dunder_version_follows(
    tmp_path: Path, before: str, version: str, after: str
) -> None:
    from relman.versionfiles import set_version

    repo = GitRepo(tmp_path / "proj")
    repo.commit(
        "init",
        {
            "pyproject.toml": '[project]\nname = "tup"\ndynamic = ["version"]\n',
            "src/tup/__init__.py": before,
        },
    )
    set_version(load_config(repo.path), version)
    assert after in (repo.path / "src/tup/__init__.py").read_text()


def _sources(tmp_path: Path, files: dict[str, str]) -> tuple[Path, list[tuple[str, str | None]]]:
    from relman.versionfiles import read_sources

    repo = GitRepo(tmp_path / "proj")
    repo.commit("Initial import", files)
    config = load_config(repo.path)
    return repo.path, [(s.source.path, s.version) for s in read_sources(config)]


@pytest.mark.parametrize(
    ("files", "expected", "changed"),
    [
        pytest.param(
            {
                "pyproject.toml": '[project]\nname = "hatchdemo"\ndynamic = ["version"]\n'
                '[tool.hatch.version]\npath = "src/hatch_demo/__about__.py"\n',
                "src/hatch_demo/__about__.py": '__version__ = "0.4.1"\n',
                "src/hatch_demo/__init__.py": "",
            },
            [("src/hatch_demo/__about__.py", "0.4.1")],
            {"src/hatch_demo/__about__.py": '__version__ = "0.5.0"\n'},
            id="hatch-path",
        ),
        pytest.param(
            {
                "pyproject.toml": '[project]\nname = "hatchdemo"\ndynamic = ["version"]\n'
                '[tool.hatch.version]\npath = "hatchdemo.py"\n',
                "hatchdemo.py": 'VERSION = "0.4.1"\n',
            },
            [("hatchdemo.py", "0.4.1")],
            {"hatchdemo.py": 'VERSION = "0.5.0"\n'},
            id="hatch-path-VERSION",
        ),
        pytest.param(
            {
                "pyproject.toml": '[project]\nname = "st-demo"\ndynamic = ["version"]\n'
                '[tool.setuptools.dynamic]\nversion = {attr = "stdemo.about.VERSION"}\n'
                '[tool.setuptools.package-dir]\n"" = "lib"\n',
                "lib/stdemo/__init__.py": "",
                "lib/stdemo/about.py": "VERSION: str = '2.0.0'\n",
            },
            [("lib/stdemo/about.py", "2.0.0")],
            {"lib/stdemo/about.py": "VERSION: str = '0.5.0'\n"},
            id="setuptools-attr",
        ),
        pytest.param(
            {
                "pyproject.toml": '[project]\nname = "st-demo"\ndynamic = ["version"]\n'
                '[tool.setuptools.dynamic]\nversion = {file = "VERSION"}\n',
                "VERSION": "2.0.0\n",
            },
            [("VERSION", "2.0.0")],
            {"VERSION": "0.5.0\n"},
            id="setuptools-file",
        ),
        pytest.param(
            {
                "pyproject.toml": '[project]\nname = "pdmdemo"\ndynamic = ["version"]\n'
                '[tool.pdm.version]\nsource = "file"\npath = "src/pdmdemo/_ver.py"\n',
                "src/pdmdemo/_ver.py": '__version__ = "1.0.0"\n',
            },
            [("src/pdmdemo/_ver.py", "1.0.0")],
            {"src/pdmdemo/_ver.py": '__version__ = "0.5.0"\n'},
            id="pdm-file",
        ),
        pytest.param(
            {
                "pyproject.toml": '[tool.poetry]\nname = "poetrydemo"\nversion = "1.3.0"  # keep\n',
            },
            [("pyproject.toml", "1.3.0")],
            {"pyproject.toml": '[tool.poetry]\nname = "poetrydemo"\nversion = "0.5.0"  # keep\n'},
            id="poetry",
        ),
        pytest.param(
            {
                "pyproject.toml": '[project]\nname = "flitdemo"\ndynamic = ["version"]\n'
                '[tool.flit.module]\nname = "flit_impl"\n',
                "flit_impl/__init__.py": '"""Doc."""\n__version__ = "3.2.1"\n',
            },
            [("flit_impl/__init__.py", "3.2.1")],
            {"flit_impl/__init__.py": '"""Doc."""\n__version__ = "0.5.0"\n'},
            id="flit-module",
        ),
    ],
)
def test_version_file_named_by_the_build_backend(
    tmp_path: Path,
    files: dict[str, str],
    expected: list[tuple[str, str]],
    changed: dict[str, str],
) -> None:
    from relman.versionfiles import set_version

    root, found = _sources(tmp_path, files)
    assert found == expected
    set_version(load_config(root), "0.5.0")
    for rel, text in changed.items():
        assert (root / rel).read_text(encoding="utf-8") == text


@pytest.mark.parametrize(
    ("pyproject", "backend"),
    [
        (
            '[tool.poetry]\nname = "d"\nversion = "0.0.0"\n'
            "[tool.poetry-dynamic-versioning]\nenable = true\n",
            "poetry-dynamic-versioning",
        ),
        (
            '[project]\nname = "d"\ndynamic = ["version"]\n'
            '[build-system]\nrequires = ["pdm-backend"]\nbuild-backend = "pdm.backend"\n'
            '[tool.pdm.version]\nsource = "scm"\n',
            "pdm-backend (scm)",
        ),
        (
            '[project]\nname = "d"\ndynamic = ["version"]\n'
            '[build-system]\nrequires = ["setuptools", "versioningit"]\n',
            "versioningit",
        ),
    ],
)
def test_versions_from_git_are_dynamic(tmp_path: Path, pyproject: str, backend: str) -> None:
    from relman.versionfiles import dynamic_backend

    root, found = _sources(tmp_path, {"pyproject.toml": pyproject})
    assert found == []
    config = load_config(root)
    assert dynamic_backend(config.pyproject, root) == backend
    out = run_relman("version", "show", cwd=root)
    assert out.returncode == 0, out.stderr
    assert backend in out.stdout


# -- projects that predate pyproject.toml -----------------------------------


@pytest.mark.parametrize(
    ("files", "source", "changed"),
    [
        pytest.param(
            {
                "setup.py": "from setuptools import setup\nimport twine\n\n"
                "setup(\n    name='twine',\n    version=twine.__version__,\n)\n",
                "twine/__init__.py": '__version__ = "2.0.0"\n',
            },
            ("twine/__init__.py", "2.0.0"),
            {"twine/__init__.py": '__version__ = "2.1.0"\n'},
            id="setup.py",
        ),
        pytest.param(
            {
                "setup.py": "from setuptools import setup\nsetup()\n",
                "setup.cfg": "[metadata]\nname = twine\nversion = 2.0.0\n\n"
                "[options]\npackages = find:\n",
            },
            ("setup.cfg", "2.0.0"),
            {
                "setup.cfg": "[metadata]\nname = twine\nversion = 2.1.0\n\n[options]\npackages = find:\n"
            },
            id="setup.cfg-literal",
        ),
        pytest.param(
            {
                "setup.cfg": "[metadata]\nname = twine\nversion = attr: twine._about.VERSION\n\n"
                "[options]\npackage_dir =\n    =lib\n",
                "lib/twine/__init__.py": "",
                "lib/twine/_about.py": "VERSION = '2.0.0'\n",
            },
            ("lib/twine/_about.py", "2.0.0"),
            {"lib/twine/_about.py": "VERSION = '2.1.0'\n"},
            id="setup.cfg-attr",
        ),
    ],
)
def test_setup_py_projects_without_pyproject(
    tmp_path: Path, files: dict[str, str], source: tuple[str, str], changed: dict[str, str]
) -> None:
    from relman.versionfiles import read_sources, set_version

    repo = GitRepo(tmp_path / "proj")
    repo.commit("Initial import", {"LICENSE": "Copyright 2018 D\n", **files})
    repo.tag("2.0.0")
    (repo.path / "docs").mkdir()
    out = run_relman("status", cwd=repo.path / "docs")
    assert out.returncode == 0, out.stderr
    assert "project:  twine" in out.stdout
    assert "last release: 2.0.0" in out.stdout
    config = load_config(repo.path)
    assert config.name == "twine"
    assert config.tag_format == "{version}"
    assert [(s.source.path, s.version) for s in read_sources(config)] == [source]
    out = run_relman("init", cwd=repo.path)
    assert out.returncode == 0, out.stderr
    assert not (repo.path / "pyproject.toml").exists()
    set_version(config, "2.1.0")
    for rel, text in changed.items():
        assert (repo.path / rel).read_text(encoding="utf-8") == text


def test_no_project_file_anywhere_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    out = run_relman("status", cwd=tmp_path / "empty")
    assert out.returncode == 2
    assert "no pyproject.toml (or setup.py) found" in out.stderr
    assert "Traceback" not in out.stderr


PATCHLEVEL = """\
/* Values for PY_RELEASE_LEVEL */
#define PY_RELEASE_LEVEL_ALPHA  0xA
#define PY_RELEASE_LEVEL_BETA   0xB
#define PY_RELEASE_LEVEL_GAMMA  0xC     /* For release candidates */
#define PY_RELEASE_LEVEL_FINAL  0xF     /* Serial should be 0 here */

/*--start constants--*/
#define PY_MAJOR_VERSION        3
#define PY_MINOR_VERSION        15
#define PY_MICRO_VERSION        0
#define PY_RELEASE_LEVEL        PY_RELEASE_LEVEL_ALPHA
#define PY_RELEASE_SERIAL       2

/* Version as a string */
#define PY_VERSION              "3.15.0a2+"
/*--end constants--*/
"""


def test_cpython_checkout_without_pyproject(tmp_path: Path) -> None:
    import datetime

    from relman.checks import run_checks

    repo = GitRepo(tmp_path / "cpython")
    repo.commit("3.15.0a2", {"Include/patchlevel.h": PATCHLEVEL.replace("a2+", "a2")})
    repo.tag("v3.15.0a2", "Python 3.15.0a2")
    repo.commit(
        "Post 3.15.0a2",
        {
            "Include/patchlevel.h": PATCHLEVEL,
            "Misc/NEWS.d/next/Library/2025-11-20-10-12-33.gh-issue-140001.AbCdEf.rst": (
                "Fix :func:`shutil.copytree`. Patch by Jane Doe.\n"
            ),
        },
    )
    out = run_relman("status", cwd=repo.path / "Misc")
    assert out.returncode == 0, out.stderr
    assert "project:  Python" in out.stdout
    assert "Include/patchlevel.h: 3.15.0a3.dev0" in out.stdout
    assert "last release: v3.15.0a2 (1 commit since)" in out.stdout
    config = load_config(repo.path)
    assert config.notes.system == "blurb"
    assert config.tag_format == "v{version}"
    out = run_relman("version", "check", cwd=repo.path)
    assert out.returncode == 0, out.stderr
    out = run_relman("notes", "draft", "--version", "3.15.0a3", cwd=repo.path)
    assert out.returncode == 0, out.stderr
    assert ".. gh-issue: 140001" in out.stdout
    report = run_checks(
        config, version="3.15.0a3", kind=None, only=["support"], date=datetime.date(2026, 1, 1)
    )
    assert report.findings == []
    assert not (repo.path / "pyproject.toml").exists()


# -- changelog --------------------------------------------------------------


def test_changelog_after_a_release_without_a_version_bump(tmp_path: Path) -> None:
    # the tree keeps naming the last release until the next one (click, pip sdists)
    from relman.git import find_repo
    from relman.history import default_range

    repo = GitRepo(tmp_path / "proj")
    repo.commit("Release 8.5.1", {"pyproject.toml": '[project]\nname = "d"\nversion = "8.5.1"\n'})
    repo.tag("8.5.0", "8.5.0", rev="HEAD")
    repo.commit("Release 8.5.1 for real", {"x.txt": "x\n"})
    repo.tag("8.5.1", "8.5.1")
    config = load_config(repo.path)
    git = find_repo(repo.path)
    # at the tag: the changelog of that release (regenerating it)
    assert default_range(config, git) == "8.5.0..8.5.1"
    repo.commit("Fix a thing (#14)", {"y.txt": "y\n"})
    assert default_range(config, git) == "8.5.1..HEAD"
    assert default_range(config, git, "8.5.1") == "8.5.0..8.5.1"
    out = run_relman("changelog", cwd=repo.path)
    assert out.returncode == 0, out.stderr
    assert "range: 8.5.1..HEAD" in out.stdout + out.stderr
    assert "#14" in out.stdout


# -- inspect ----------------------------------------------------------------


@pytest.mark.slow
def test_inspect_takes_files_like_twine_check(built_purelib: BuiltExample, tmp_path: Path) -> None:
    # `relman inspect dist/*`, as people type `twine check dist/*`
    files = [str(p) for p in sorted(built_purelib.dist.iterdir())]
    notes = tmp_path / "SHA256SUMS"
    notes.write_text("not an artifact\n", encoding="utf-8")
    out = run_relman("inspect", "--json", *files, str(notes), cwd=built_purelib.demo.path)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert sorted(Path(a["path"]).name for a in data["artifacts"]) == sorted(
        Path(f).name for f in files if f.endswith((".whl", ".tar.gz"))
    )
    wheel_only = [f for f in files if f.endswith(".whl")]
    out = run_relman("inspect", "--json", *wheel_only, cwd=built_purelib.demo.path)
    assert [Path(a["path"]).name for a in json.loads(out.stdout)["artifacts"]] == [
        Path(f).name for f in wheel_only
    ]
    out = run_relman("inspect", str(notes), cwd=built_purelib.demo.path)
    assert out.returncode == 2
    assert "no sdist or wheel among" in out.stderr


# -- deprecations -----------------------------------------------------------

VENDORED = """\
import warnings


def get_encodings_from_content(content):
    warnings.warn(
        "In requests 3.0, get_encodings_from_content will be removed.",
        DeprecationWarning,
    )
"""

OWN = """\
import warnings


def old():
    warnings.warn("old() will be removed in Python 3.14", DeprecationWarning)


def older():
    warnings.warn("older() is deprecated and will be removed in shop 2.0", DeprecationWarning)


def oldest():
    warnings.warn("oldest() will be removed in version 1.5", DeprecationWarning)
"""


def test_deprecations_of_vendored_code_and_other_products_are_not_due(tmp_path: Path) -> None:
    import datetime

    from relman.checks import run_checks

    repo = GitRepo(tmp_path / "proj")
    repo.commit(
        "Initial import",
        {
            "pyproject.toml": '[project]\nname = "shop"\nversion = "26.4"\n',
            "src/shop/__init__.py": '__version__ = "26.4"\n',
            "src/shop/core.py": OWN,
            "src/shop/_vendor/requests/utils.py": VENDORED,
            "src/shop/vendored/urllib3/fields.py": VENDORED,
            "vendored-meson/mesonbuild/x.py": VENDORED,
        },
    )
    report = run_checks(
        load_config(repo.path),
        version="26.4",
        kind=None,
        only=["deprecations"],
        date=datetime.date(2026, 11, 21),
    )
    assert sorted((f.file, f.line) for f in report.errors) == [
        ("src/shop/core.py", 9),
        ("src/shop/core.py", 13),
    ]


# -- CI checkouts -----------------------------------------------------------


def test_shallow_clone_is_reported(tmp_path: Path) -> None:
    import subprocess

    from relman.checks import run_checks

    repo = GitRepo(tmp_path / "proj")
    repo.commit("1.0", {"pyproject.toml": '[project]\nname = "d"\nversion = "1.0"\n'})
    repo.tag("1.0", "1.0")
    repo.commit("more", {"x.txt": "x\n"})
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", repo.path.as_uri(), str(clone)],
        check=True,
        capture_output=True,
    )
    out = run_relman("status", "--json", cwd=clone)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["shallow"] is True
    out = run_relman("status", cwd=clone)
    assert "shallow clone" in out.stdout
    report = run_checks(load_config(clone), version="1.1", kind=None, only=["git"])
    assert any("shallow clone" in f.message for f in report.errors)
    full = run_checks(load_config(repo.path), version="1.1", kind=None, only=["git"])
    assert not any("shallow" in f.message for f in full.findings)


# -- tag format -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "tags", "expected"),
    [
        ("d", ["1.0", "1.1", "v0.9", "nightly"], "{version}"),
        ("d", ["v1.0", "1.1"], "v{version}"),
        ("d", ["release-1.0", "release-1.1", "latest"], "release-{version}"),
        # several packages in one repository: the prefix naming this project wins
        ("hatch", ["hatchling-v1.20", "hatchling-v1.21", "hatch-v1.9"], "hatch-v{version}"),
        ("hatchling", ["hatchling-v1.20", "hatch-v1.8", "hatch-v1.9"], "hatchling-v{version}"),
        ("d", ["releases/2.0", "releases/2.1"], "releases/{version}"),
    ],
)
def test_tag_format_is_detected_from_the_tags(
    tmp_path: Path, name: str, tags: list[str], expected: str
) -> None:
    from relman.line import last_release

    repo = GitRepo(tmp_path / "proj")
    repo.commit("init", {"pyproject.toml": f'[project]\nname = "{name}"\nversion = "2.1"\n'})
    for tag in tags:
        repo.tag(tag)
    config = load_config(repo.path)
    assert config.tag_format == expected
    from relman.git import find_repo

    last = last_release(config, find_repo(repo.path))
    assert last is not None
    assert last.name.startswith(expected.partition("{")[0])


# -- notes build ------------------------------------------------------------


def test_ignored_news_file_is_written_but_not_staged_like_towncrier(tmp_path: Path) -> None:
    # NumPy lists doc/source/release/notes-towncrier.rst in .gitignore
    import shutil
    import subprocess

    from tests.test_notes_oracle import EPOCH, git, towncrier

    config = (
        '[tool.towncrier]\nsingle_file = false\ndirectory = "changes"\n'
        'filename = "doc/notes-towncrier.rst"\n'
    )
    root = write_project(
        tmp_path / "ours",
        config,
        {"changes/1.feature.rst": "A feature.\n", "changes/2.bugfix.rst": "A fix.\n"},
        extra={".gitignore": "doc/notes-towncrier.rst\n", "doc/index.rst": "Docs\n"},
    )
    theirs = tmp_path / "theirs"
    shutil.copytree(root, theirs)
    assert towncrier("build", "--yes", "--version", "1.2.0", cwd=theirs).returncode == 0
    out = run_relman(
        "notes", "build", "--version", "1.2.0", "--yes", cwd=root, env={"SOURCE_DATE_EPOCH": EPOCH}
    )
    assert out.returncode == 0, out.stderr
    assert "ignored by git" in out.stderr
    status = ["status", "--porcelain", "--ignored"]
    assert git(*status, cwd=root) == git(*status, cwd=theirs)
    assert (root / "doc/notes-towncrier.rst").read_bytes() == (
        theirs / "doc/notes-towncrier.rst"
    ).read_bytes()
    subprocess.run(["git", "reset", "-q", "--hard"], cwd=root, check=True)
    # the ignored file is still there: rewritten, as towncrier rewrites it
    out = run_relman(
        "notes",
        "build",
        "--version",
        "1.2.0",
        "--commit",
        "--yes",
        cwd=root,
        env={"SOURCE_DATE_EPOCH": EPOCH},
    )
    assert out.returncode == 0, out.stderr
    assert (root / "doc/notes-towncrier.rst").read_bytes() == (
        theirs / "doc/notes-towncrier.rst"
    ).read_bytes()
    changed = git("show", "--name-status", "--format=", "HEAD", cwd=root).split()
    assert changed == ["D", "changes/1.feature.rst", "D", "changes/2.bugfix.rst"]
    # the release pipeline sees the notes step as done (the file is never committed)
    out = run_relman("plan", "1.2.0", "--json", cwd=root)
    assert out.returncode == 0, out.stderr
    states = {s["name"]: s["status"] for s in json.loads(out.stdout)["steps"]}
    assert states["notes"] == "done"


@pytest.mark.parametrize("command", [["changelog"], ["authors"], ["mailmap", "check"]])
def test_history_of_a_repository_without_commits(tmp_path: Path, command: list[str]) -> None:
    repo = GitRepo(tmp_path / "proj")
    repo.write({"pyproject.toml": '[project]\nname = "e"\nversion = "0.1.0"\n'})
    out = run_relman(*command, cwd=repo.path)
    assert out.returncode == 3, out.stderr
    assert "error: the repository has no commits yet" in out.stderr
    assert "malformed" not in out.stderr


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to hand the repo over"
)
def test_repository_owned_by_another_user_says_so(tmp_path: Path) -> None:
    import shutil

    repo = GitRepo(tmp_path / "proj")
    repo.commit("init", {"pyproject.toml": '[project]\nname = "e"\nversion = "0.1.0"\n'})
    shutil.chown(repo.path, user="nobody")
    for sub in repo.path.rglob("*"):
        shutil.chown(sub, user="nobody")
    out = run_relman("status", cwd=repo.path)
    assert out.returncode == 2, out.stderr
    assert "owned by another user" in out.stderr
    assert f"hint: git config --global --add safe.directory {repo.path}" in out.stderr


def test_meson_version_read_from_a_file(tmp_path: Path) -> None:
    # meson-python projects: project(..., version: files('VERSION'))
    from relman.versionfiles import dynamic_backend, set_version

    files = {
        "pyproject.toml": '[build-system]\nrequires = ["meson-python"]\nbuild-backend = "mesonpy"\n'
        '[project]\nname = "mx"\ndynamic = ["version"]\n',
        "meson.build": "project(\n  'mx',\n  'c',\n  version: files('VERSION'),\n)\n",
        "VERSION": "0.3.0\n",
    }
    root, found = _sources(tmp_path, files)
    assert found == [("VERSION", "0.3.0")]
    config = load_config(root)
    assert dynamic_backend(config.pyproject, root) is None
    set_version(config, "0.4.0.dev0")
    assert (root / "VERSION").read_text() == "0.4.0.dev0\n"
    assert (root / "meson.build").read_text() == files["meson.build"]


def test_notes_check_does_not_take_a_longer_version_for_the_release(tmp_path: Path) -> None:
    # pip's NEWS.rst says "Update urllib3 to 1.26.4": that is not notes for 26.4
    from relman.checks import run_checks

    news = (
        ".. towncrier release notes start\n\n26.3 (2026-01-01)\n=================\n\n"
        "- Update urllib3 to 1.26.4\n- Prepare 26.4.1 and v26.4rc1 things\n"
    )
    repo = GitRepo(tmp_path / "proj")
    repo.commit(
        "init",
        {
            "pyproject.toml": '[project]\nname = "pip"\nversion = "26.3"\n'
            '[tool.towncrier]\ndirectory = "news/"\nfilename = "NEWS.rst"\n',
            "NEWS.rst": news,
        },
    )
    config = load_config(repo.path)
    missing = run_checks(config, version="26.4", kind=None, only=["notes"])
    assert [f.message for f in missing.errors] == [
        "no release notes for 26.4 and no news fragments pending"
    ]
    assert run_checks(config, version="26.3", kind=None, only=["notes"]).ok


# -- builds -----------------------------------------------------------------


@pytest.mark.slow
def test_build_of_a_version_from_git_project(tmp_path: Path) -> None:
    # setuptools_scm (pytest, urllib3, matplotlib) and meson dist (NumPy, SciPy)
    # need a git checkout to build from, not an archive
    import tarfile

    repo = GitRepo(tmp_path / "proj")
    repo.commit(
        "init",
        {
            "pyproject.toml": '[build-system]\nrequires = ["setuptools>=64", "setuptools-scm>=8"]\n'
            'build-backend = "setuptools.build_meta"\n\n[project]\nname = "scmdemo"\n'
            'dynamic = ["version"]\n\n[tool.setuptools_scm]\n',
            "src/scmdemo/__init__.py": "",
        },
    )
    repo.tag("1.2.0", "1.2.0")
    out = run_relman("build", "--sdist", "--json", cwd=repo.path)
    assert out.returncode == 0, out.stderr
    sdist = repo.path / "dist" / "scmdemo-1.2.0.tar.gz"
    assert sdist.is_file()
    with tarfile.open(sdist) as tf:
        assert "scmdemo-1.2.0/src/scmdemo/__init__.py" in tf.getnames()
    # the build checkout is gone, and git knows nothing of it any more
    assert repo.git("worktree", "list").count("\n") == 0
    assert repo.git("status", "--porcelain") == "?? dist/"
