"""Version sources: read, write (all-or-nothing, byte-preserving), detect, check."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.version import Version

from relman.config import Config, VersionConfig, VersionFile
from relman.errors import UsageError, VersionError
from relman.git import Repo
from relman.line import current_version
from relman.project import load_config
from relman.versionfiles import (
    check_consistency,
    detect_files,
    diff_changes,
    dynamic_backend,
    kind_of,
    plan_version_change,
    read_sources,
    set_version,
)
from tests.helpers import GitRepo, snapshot

# -- realistic files -------------------------------------------------------------

NUMPY_SETUP = '''\
#!/usr/bin/env python
"""NumPy: array processing for numbers, strings, records, and objects.

NumPy is a general-purpose array-processing package designed to
efficiently manipulate large multi-dimensional arrays of arbitrary
records without sacrificing too much speed for small multi-dimensional
arrays.
"""
DOCLINES = (__doc__ or '').split("\\n")

import os
import sys
import subprocess
import textwrap
import sysconfig


if sys.version_info[:2] < (3, 5):
    raise RuntimeError("Python version >= 3.5 required.")

import builtins


CLASSIFIERS = """\\
Development Status :: 5 - Production/Stable
Intended Audience :: Science/Research
License :: OSI Approved
Programming Language :: C
Programming Language :: Python
"""

MAJOR               = 1
MINOR               = 17
MICRO               = 0
ISRELEASED          = False
VERSION             = '%d.%d.%d' % (MAJOR, MINOR, MICRO)


# Return the git revision as a string
def git_version():
    def _minimal_ext_cmd(cmd):
        # construct minimal environment
        env = {}
        for k in ['SYSTEMROOT', 'PATH', 'HOME']:
            v = os.environ.get(k)
            if v is not None:
                env[k] = v
        env['LANGUAGE'] = 'C'
        out = subprocess.check_output(cmd, stderr=subprocess.STDOUT, env=env)
        return out

    try:
        out = _minimal_ext_cmd(['git', 'rev-parse', 'HEAD'])
        GIT_REVISION = out.strip().decode('ascii')
    except (subprocess.SubprocessError, OSError):
        GIT_REVISION = "Unknown"

    return GIT_REVISION


def get_version_info():
    # Adding the git rev number needs to be done inside write_version_py(),
    # otherwise the import of numpy.version messes up the build under Python 3.
    FULLVERSION = VERSION
    if os.path.exists('.git'):
        GIT_REVISION = git_version()
    else:
        GIT_REVISION = "Unknown"

    if not ISRELEASED:
        FULLVERSION += '.dev0+' + GIT_REVISION[:7]

    return FULLVERSION, GIT_REVISION


def write_version_py(filename='numpy/version.py'):
    cnt = """
# THIS FILE IS GENERATED FROM NUMPY SETUP.PY
#
# To compare versions robustly, use `numpy.lib.NumpyVersion`
short_version = '%(version)s'
version = '%(version)s'
full_version = '%(full_version)s'
git_revision = '%(git_revision)s'
release = %(isrelease)s

if not release:
    version = full_version
"""
    FULLVERSION, GIT_REVISION = get_version_info()

    a = open(filename, 'w')
    try:
        a.write(cnt % {'version': VERSION,
                       'full_version': FULLVERSION,
                       'git_revision': GIT_REVISION,
                       'isrelease': str(ISRELEASED)})
    finally:
        a.close()
'''

SCIPY_VERSION_MODULE = """\
# THIS FILE IS GENERATED FROM SCIPY SETUP.PY
short_version = '1.2.0'
version = '1.2.0'
full_version = '1.2.0.dev0+8c3e4b9'
git_revision = '8c3e4b9f2d1a0e6b5c4d3e2f1a0b9c8d7e6f5a4b'
release = False

if not release:
    version = full_version
"""

PATCHLEVEL_H = """\

/* Python version identification scheme.

   When the major or minor version changes, the VERSION variable in
   configure.ac must also be changed.

   There is also (independent) API version information in modsupport.h.
*/

/* Values for PY_RELEASE_LEVEL */
#define PY_RELEASE_LEVEL_ALPHA  0xA
#define PY_RELEASE_LEVEL_BETA   0xB
#define PY_RELEASE_LEVEL_GAMMA  0xC     /* For release candidates */
#define PY_RELEASE_LEVEL_FINAL  0xF     /* Serial should be 0 here */
                                        /* Higher for patch releases */

/* Version parsed into separate variables */
#define PY_MAJOR_VERSION        3
#define PY_MINOR_VERSION        13
#define PY_MICRO_VERSION        0
#define PY_RELEASE_LEVEL        PY_RELEASE_LEVEL_ALPHA
#define PY_RELEASE_SERIAL       1

/* Version as a string */
#define PY_VERSION              "3.13.0a1+"
/*--end constants--*/

/* Version as a single 4-byte hex number, e.g. 0x010502B2 == 1.5.2b2.
   Use this for numeric comparisons, e.g. #if PY_VERSION_HEX >= ... */
#define PY_VERSION_HEX ((PY_MAJOR_VERSION << 24) | \\
                        (PY_MINOR_VERSION << 16) | \\
                        (PY_MICRO_VERSION <<  8) | \\
                        (PY_RELEASE_LEVEL <<  4) | \\
                        (PY_RELEASE_SERIAL << 0))
"""

MESON_BUILD = """\
project(
  'scipy',
  'c', 'cpp', 'cython',
  version: '1.14.0.dev0',  # also update the version in pyproject.toml
  license: 'BSD-3',
  meson_version: '>= 1.1.0',
  default_options: [
    'buildtype=debugoptimized',
    'b_ndebug=if-release',
    'c_std=c11',
    'cpp_std=c++17',
    'fortran_std=legacy',
    'blas=openblas',
    'lapack=openblas'
  ],
)

py3 = import('python').find_installation(pure: false)
py3_dep = py3.dependency()

subdir('scipy')
"""

NUMPY_MESON_DYNAMIC = """\
project(
  'NumPy',
  'c', 'cpp', 'cython',
  version: run_command(
    # This should become `numpy/_version.py` in NumPy 2.0
    ['numpy/_build_utils/gitversion.py'],
    check: true).stdout().strip(),
  license: 'BSD-3',
  meson_version: '>=1.2.99',  # version in vendored-meson is 1.2.99
)
"""

PYPROJECT = """\
# The purelib project: metadata for building and publishing.
[build-system]
requires = ["hatchling>=1.18"]  # pinned below 2 by the lock file
build-backend = "hatchling.build"

[project]
name = "purelib"
# keep in sync with src/purelib/__init__.py (relman does it)
version = '1.2.0.dev0'   # bumped by `relman version`
description = "Text helpers."
requires-python = ">=3.10"
dependencies = [
    "packaging>=24",  # version parsing
]

[tool.relman]
tag-format = "v{version}"
"""

INIT_PY = '''\
"""purelib: small text helpers."""

from purelib._core import slugify

__all__ = ["__version__", "slugify"]

__version__ = "1.2.0.dev0"
'''

SOURCES = {
    # kind: (file name, content, the version it holds, versions it round-trips)
    "setup": (
        "setup.py",
        NUMPY_SETUP,
        "1.17.0.dev0",
        ["1.17.0rc1", "1.17.0", "1.17.1.dev0", "2.0.0b2", "1.17.0.post1"],
    ),
    "version-module": (
        "scipy/version.py",
        SCIPY_VERSION_MODULE,
        "1.2.0.dev0",
        ["1.2.0rc1", "1.2.0", "1.2.1.dev0"],
    ),
    "patchlevel": (
        "Include/patchlevel.h",
        PATCHLEVEL_H,
        "3.13.0a2.dev0",
        [
            "3.13.0a2",
            "3.13.0b1",
            "3.13.0rc2.dev0",
            "3.13.0rc2",
            "3.13.0",
            "3.13.1.dev0",
            "3.14.0.dev0",
        ],
    ),
    "meson": (
        "meson.build",
        MESON_BUILD,
        "1.14.0.dev0",
        ["1.14.0rc1", "1.14.0", "1!2.0.0.post3.dev1"],
    ),
    "pyproject": (
        "pyproject.toml",
        PYPROJECT,
        "1.2.0.dev0",
        ["1.2.0a1", "1.2.0", "1.2.1.dev0"],
    ),
    "python": ("src/purelib/__init__.py", INIT_PY, "1.2.0.dev0", ["1.2.0rc1", "1.3.0.dev0"]),
}


def make_config(root: Path, *sources: VersionFile, module: str | None = None) -> Config:
    """A configuration with explicit version sources (no detection)."""
    return Config(
        project_dir=root,
        name="demo",
        version=VersionConfig(files=tuple(sources), module=module),
    )


def write(root: Path, name: str, content: str | bytes) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def changed_lines(old: bytes, new: bytes) -> list[tuple[bytes, bytes]]:
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    assert len(a) == len(b)
    return [(x, y) for x, y in zip(a, b, strict=True) if x != y]


# -- every kind round-trips ----------------------------------------------------------


@pytest.mark.parametrize("kind", list(SOURCES))
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_round_trip(tmp_path: Path, kind: str, newline: str) -> None:
    name, content, holds, versions = SOURCES[kind]
    original = content.replace("\n", newline).encode("utf-8")
    path = write(tmp_path, name, original)
    config = make_config(tmp_path, VersionFile(path=name))
    assert kind_of(tmp_path, config.version.files[0]) == kind
    [value] = read_sources(config)
    assert (value.kind, value.version, value.error) == (kind, holds, None)
    for version in versions:
        assert set_version(config, version) == [path]
        [value] = read_sources(config)
        assert value.version == version, value.error
        data = path.read_bytes()
        # line endings kept: no bare LF appears in a CRLF file, the line count is the same
        assert data.count(b"\n") == original.count(b"\n")
        if newline == "\r\n":
            assert data.count(b"\r\n") == data.count(b"\n")
    # back to the start: every byte as it was (a generated module records the
    # revision it was written at: here no git repository, so "Unknown")
    set_version(config, holds)
    if kind == "version-module":
        sha = b"8c3e4b9f2d1a0e6b5c4d3e2f1a0b9c8d7e6f5a4b"
        original = original.replace(sha, b"Unknown").replace(sha[:7], b"Unknown")
    assert path.read_bytes() == original


def test_numpy_setup_release_and_development(tmp_path: Path) -> None:
    path = write(tmp_path, "setup.py", NUMPY_SETUP)
    config = make_config(tmp_path, VersionFile(path="setup.py"))
    set_version(config, "1.17.0rc1")
    # the seed's diff: ISRELEASED False -> True and the rc suffix, nothing else
    assert changed_lines(NUMPY_SETUP.encode(), path.read_bytes()) == [
        (b"ISRELEASED          = False\n", b"ISRELEASED          = True\n"),
        (
            b"VERSION             = '%d.%d.%d' % (MAJOR, MINOR, MICRO)\n",
            b"VERSION             = '%d.%d.%drc1' % (MAJOR, MINOR, MICRO)\n",
        ),
    ]
    set_version(config, "1.18.0.dev0")
    text = path.read_text()
    assert "MINOR               = 18\n" in text
    assert "ISRELEASED          = False\n" in text
    # the template inside setup.py is never touched
    assert "short_version = '%(version)s'" in text
    assert "release = %(isrelease)s" in text
    with pytest.raises(UsageError, match=r"\.dev0 only"):
        plan_version_change(config, "1.18.0.dev3")


def test_patchlevel_is_written_the_cpython_way(tmp_path: Path) -> None:
    path = write(tmp_path, "Include/patchlevel.h", PATCHLEVEL_H)
    config = make_config(tmp_path, VersionFile(path="Include/patchlevel.h"))
    set_version(config, "3.13.0rc1")
    text = path.read_text()
    assert "#define PY_RELEASE_LEVEL        PY_RELEASE_LEVEL_GAMMA\n" in text
    assert "#define PY_RELEASE_SERIAL       1\n" in text
    assert '#define PY_VERSION              "3.13.0rc1"\n' in text
    assert "#define PY_RELEASE_LEVEL_GAMMA  0xC     /* For release candidates */" in text
    set_version(config, "3.13.0")
    assert '"3.13.0"' in path.read_text()
    assert "PY_RELEASE_LEVEL_FINAL\n" in path.read_text()
    set_version(config, "3.13.1.dev0")  # post-release: the release tag with a "+"
    assert '#define PY_VERSION              "3.13.0+"\n' in path.read_text()
    set_version(config, "3.14.0.dev0")  # a new main branch: X.Y.0a0
    text = path.read_text()
    assert '"3.14.0a0"' in text
    assert "#define PY_RELEASE_SERIAL       0\n" in text
    for bad, needle in [("3.14.0b1.dev0", "no b0 exists"), ("3.14.0.post1", "post-release")]:
        with pytest.raises(UsageError, match=needle):
            plan_version_change(config, bad)


def test_cpython_readme_title_follows_the_version(tmp_path: Path) -> None:
    """CPython's README.rst: its title and "=" underline are part of the version
    step (the release tools write "3.14.0 alpha 6", "3.14.0 release candidate 2",
    "3.14.1"); a "+" development version leaves the release's title."""
    header = write(tmp_path, "Include/patchlevel.h", PATCHLEVEL_H)
    body = "\n.. image:: badge.svg\n\nThis is Python version 3.13 in the text: kept.\n"
    readme = write(
        tmp_path, "README.rst", "This is Python version 3.13.0 alpha 1\n" + "=" * 37 + "\n" + body
    )
    config = make_config(tmp_path, VersionFile(path="Include/patchlevel.h"))
    for version, title in [
        ("3.13.0a2", "This is Python version 3.13.0 alpha 2"),
        ("3.13.0b1", "This is Python version 3.13.0 beta 1"),
        ("3.13.0rc2", "This is Python version 3.13.0 release candidate 2"),
        ("3.13.0", "This is Python version 3.13.0"),
    ]:
        changed = set_version(config, version)
        assert changed == [header, readme]
        assert readme.read_text() == f"{title}\n{'=' * len(title)}\n{body}"
    # post-release "3.13.0+": the README keeps the release's title
    assert set_version(config, "3.13.1.dev0") == [header]
    assert readme.read_text().startswith(
        "This is Python version 3.13.0\n=============================\n"
    )
    # a new main branch (3.14.0a0) says so
    set_version(config, "3.14.0.dev0")
    assert readme.read_text().startswith(
        "This is Python version 3.14.0 alpha 0\n" + "=" * 37 + "\n"
    )
    # a README without that title is left alone
    readme.write_text("CPython\n=======\n")
    assert set_version(config, "3.14.0a1") == [header]


def test_patchlevel_string_must_agree_with_fields(tmp_path: Path) -> None:
    write(tmp_path, "Include/patchlevel.h", PATCHLEVEL_H.replace('"3.13.0a1+"', '"3.12.0"'))
    config = make_config(tmp_path, VersionFile(path="Include/patchlevel.h"))
    [value] = read_sources(config)
    assert value.version is None
    assert value.error is not None and "disagrees with the fields (3.13.0a1)" in value.error


def test_scipy_version_module_is_generated(git_repo: GitRepo) -> None:
    git_repo.commit("start", {"pyproject.toml": PYPROJECT})
    head = git_repo.head()
    config = make_config(
        git_repo.path, VersionFile(path="pyproject.toml"), module="scipy/version.py"
    )
    [_, module] = read_sources(config)
    assert (module.kind, module.version, module.note) == (
        "version-module",
        None,
        "generated; not written yet",
    )
    set_version(config, "1.2.0.dev0")
    text = (git_repo.path / "scipy/version.py").read_text()
    assert f"full_version = '1.2.0.dev0+{head[:7]}'\n" in text
    assert f"git_revision = '{head}'\n" in text
    assert "release = False\n" in text
    assert "short_version = '1.2.0'\n" in text
    set_version(config, "1.2.0rc1")
    text = (git_repo.path / "scipy/version.py").read_text()
    assert "version = '1.2.0rc1'\n" in text and "full_version = '1.2.0rc1'\n" in text
    assert "release = True\n" in text
    assert [s.version for s in read_sources(config)] == ["1.2.0rc1", "1.2.0rc1"]
    # the module is valid Python that says what it was written with
    namespace: dict[str, object] = {}
    exec(compile(text, "version.py", "exec"), namespace)
    assert namespace["version"] == "1.2.0rc1" and namespace["release"] is True


def test_meson_only_the_version_literal_changes(tmp_path: Path) -> None:
    path = write(tmp_path, "meson.build", MESON_BUILD)
    config = make_config(tmp_path, VersionFile(path="meson.build"))
    set_version(config, "1.14.0rc1")
    assert changed_lines(MESON_BUILD.encode(), path.read_bytes()) == [
        (
            b"  version: '1.14.0.dev0',  # also update the version in pyproject.toml\n",
            b"  version: '1.14.0rc1',  # also update the version in pyproject.toml\n",
        )
    ]


def test_pyproject_comments_and_quotes_survive(tmp_path: Path) -> None:
    path = write(tmp_path, "pyproject.toml", PYPROJECT)
    config = make_config(tmp_path, VersionFile(path="pyproject.toml"))
    set_version(config, "1.2.0")
    assert changed_lines(PYPROJECT.encode(), path.read_bytes()) == [
        (
            b"version = '1.2.0.dev0'   # bumped by `relman version`\n",
            b"version = '1.2.0'   # bumped by `relman version`\n",
        )
    ]


def test_generic_regex_source(tmp_path: Path) -> None:
    conf = "[metadata]\nname = demo\nversion = 0.4.0.dev0\n\n[options]\nzip_safe = False\n"
    path = write(tmp_path, "setup.cfg", conf)
    source = VersionFile(path="setup.cfg", pattern=r"^version = (?P<version>\S+)$")
    config = make_config(tmp_path, source)
    assert read_sources(config)[0].version == "0.4.0.dev0"
    set_version(config, "0.4.0")
    assert path.read_text() == conf.replace("0.4.0.dev0", "0.4.0")
    bad = make_config(tmp_path, VersionFile(path="setup.cfg", pattern=r"^version = \S+$"))
    assert "no (?P<version>...) group" in str(read_sources(bad)[0].error)


def test_encodings_are_kept(tmp_path: Path) -> None:
    latin = (
        "# -*- coding: latin-1 -*-\n# Author: Fran\xe7ois M\xfcller\n__version__ = '0.1.0'\n"
    ).encode("latin-1")
    bom = b"\xef\xbb\xbf" + '# \u00e9t\u00e9\r\n__version__ = "0.1.0"\r\n'.encode()
    p1 = write(tmp_path, "a/__init__.py", latin)
    p2 = write(tmp_path, "b/__init__.py", bom)
    config = make_config(
        tmp_path, VersionFile(path="a/__init__.py"), VersionFile(path="b/__init__.py")
    )
    set_version(config, "0.2.0")
    assert p1.read_bytes() == latin.replace(b"0.1.0", b"0.2.0")
    assert p2.read_bytes() == bom.replace(b"0.1.0", b"0.2.0")


_release_versions = st.builds(
    lambda x, y, z, pre: f"{x}.{y}.{z}" + (f"{pre[0]}{pre[1]}" if pre else ""),
    st.integers(0, 40),
    st.integers(0, 40),
    st.integers(0, 40),
    st.none() | st.tuples(st.sampled_from(["a", "b", "rc"]), st.integers(1, 9)),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(version=_release_versions)
def test_property_every_kind_round_trips(
    tmp_path_factory: pytest.TempPathFactory, version: str
) -> None:
    root = tmp_path_factory.mktemp("prop")
    paths = {}
    for kind, (name, content, _holds, _) in SOURCES.items():
        if kind == "version-module":  # outside git the module records "Unknown"
            content = content.replace("8c3e4b9f2d1a0e6b5c4d3e2f1a0b9c8d7e6f5a4b", "Unknown")
            content = content.replace("8c3e4b9", "Unknown")
        paths[kind] = write(root, name, content)
    originals = {k: p.read_bytes() for k, p in paths.items()}
    config = make_config(root, *(VersionFile(path=SOURCES[k][0]) for k in SOURCES))
    set_version(config, version)
    values = read_sources(config)
    assert {v.version for v in values} == {version}, [v.error for v in values]
    for kind in SOURCES:
        set_version(make_config(root, VersionFile(path=SOURCES[kind][0])), SOURCES[kind][2])
    assert {k: p.read_bytes() for k, p in paths.items()} == originals


# -- all or nothing ------------------------------------------------------------------


def _three_sources(root: Path, init: str) -> Config:
    write(root, "pyproject.toml", PYPROJECT)
    write(
        root, "setup.py", NUMPY_SETUP.replace("MINOR               = 17", "MINOR               = 2")
    )
    write(root, "src/purelib/__init__.py", init)
    return make_config(
        root,
        VersionFile(path="pyproject.toml"),
        VersionFile(path="setup.py"),
        VersionFile(path="src/purelib/__init__.py"),
    )


def test_failed_bump_changes_no_file_two_matches(tmp_path: Path) -> None:
    twice = INIT_PY + "\nif False:\n    pass\n__version__ = '1.2.0.dev0'\n"
    config = _three_sources(tmp_path, twice)
    before = snapshot(tmp_path)
    with pytest.raises(UsageError) as info:
        set_version(config, "1.2.0rc1")
    assert (
        "src/purelib/__init__.py: __version__ = '...' found 2 times (lines 7, 11)"
        in info.value.message
    )
    assert "no file was changed" in info.value.message
    assert info.value.exit_code == 2
    assert snapshot(tmp_path) == before


def test_failed_bump_changes_no_file_pattern_missing_and_read_only(tmp_path: Path) -> None:
    config = _three_sources(tmp_path, '"""no version here"""\n')
    before = snapshot(tmp_path)
    with pytest.raises(UsageError, match=r"no __version__ = '\.\.\.' .* found"):
        set_version(config, "1.2.0rc1")
    assert snapshot(tmp_path) == before
    config = _three_sources(tmp_path, INIT_PY)
    os.chmod(tmp_path / "setup.py", 0o444)
    before = snapshot(tmp_path)
    with pytest.raises(UsageError, match=re.escape("setup.py: is not writable")):
        set_version(config, "1.2.0rc1")
    assert snapshot(tmp_path) == before
    os.chmod(tmp_path / "setup.py", 0o644)
    assert len(set_version(config, "1.2.0rc1")) == 3
    assert {v.version for v in read_sources(config)} == {"1.2.0rc1"}


def test_version_a_file_cannot_express_changes_nothing(tmp_path: Path) -> None:
    config = _three_sources(tmp_path, INIT_PY)
    before = snapshot(tmp_path)
    with pytest.raises(UsageError, match=r"setup.py: expresses development .*1\.2\.0\.dev2"):
        set_version(config, "1.2.0.dev2")
    with pytest.raises(VersionError, match=re.escape("it means 1.2.0rc1")) as info:
        set_version(config, "1.2.0-RC1")
    assert info.value.hint == "write it as 1.2.0rc1"
    assert snapshot(tmp_path) == before


def test_plan_and_diff(tmp_path: Path) -> None:
    config = _three_sources(tmp_path, INIT_PY)
    changes = plan_version_change(config, "1.2.0")
    assert sorted(p.name for p in changes) == ["__init__.py", "pyproject.toml", "setup.py"]
    diff = diff_changes(config, changes)
    assert "--- a/src/purelib/__init__.py\n+++ b/src/purelib/__init__.py\n" in diff
    assert '-__version__ = "1.2.0.dev0"\n+__version__ = "1.2.0"\n' in diff
    assert "-ISRELEASED          = False\n+ISRELEASED          = True\n" in diff
    assert plan_version_change(config, "1.2.0.dev0") == {}


# -- detection, dynamic versions, consistency ----------------------------------------


def test_detect_numpy_scipy_cpython_trees(tmp_path: Path) -> None:
    numpy = tmp_path / "numpy"
    write(numpy, "setup.py", NUMPY_SETUP)
    write(numpy, "numpy/__init__.py", "from .version import version as __version__\n")
    write(numpy, "numpy/version.py", SCIPY_VERSION_MODULE)
    found = detect_files(numpy, {"project": {"name": "numpy"}})
    assert [(f.path, f.kind) for f in found] == [
        ("setup.py", "setup"),
        ("numpy/version.py", "version-module"),
    ]
    scipy = tmp_path / "scipy"
    write(scipy, "meson.build", MESON_BUILD)
    write(scipy, "pyproject.toml", PYPROJECT)
    pyproject = {"project": {"name": "scipy", "version": "1.14.0.dev0"}}
    assert [(f.path, f.kind) for f in detect_files(scipy, pyproject)] == [
        ("pyproject.toml", "pyproject"),
        ("meson.build", "meson"),
    ]
    cpython = tmp_path / "cpython"
    write(cpython, "Include/patchlevel.h", PATCHLEVEL_H)
    assert [(f.path, f.kind) for f in detect_files(cpython, {})] == [
        ("Include/patchlevel.h", "patchlevel")
    ]


def test_dynamic_versions(git_repo: GitRepo) -> None:
    pyproject = (
        '[build-system]\nrequires = ["setuptools>=64", "setuptools-scm>=8"]\n'
        'build-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "scmproj"\ndynamic = ["version"]\n\n[tool.setuptools_scm]\n'
        'version_file = "src/scmproj/_version.py"\n'
    )
    git_repo.commit(
        "start",
        {
            "pyproject.toml": pyproject,
            "src/scmproj/__init__.py": "from ._version import __version__\n",
            "src/scmproj/_version.py": "__version__ = version = '0.3.1.dev4+g1234567'\n",
        },
    )
    git_repo.tag("v0.3.0", "0.3.0")
    config = load_config(git_repo.path)
    assert dynamic_backend(config.pyproject, config.project_dir) == "setuptools_scm"
    assert config.version.files == ()  # the generated _version.py is not a source
    assert plan_version_change(config, "0.4.0") == {}
    assert set_version(config, "0.4.0") == []
    assert current_version(config, Repo(git_repo.path)) == "0.3.0"
    assert check_consistency(config, Repo(git_repo.path)) == []


def test_numpy_meson_run_command_is_dynamic(tmp_path: Path) -> None:
    write(tmp_path, "meson.build", NUMPY_MESON_DYNAMIC)
    pyproject = {
        "build-system": {"build-backend": "mesonpy", "requires": ["meson-python>=0.15"]},
        "project": {"name": "numpy", "dynamic": ["version"]},
    }
    assert dynamic_backend(pyproject, tmp_path) == "meson run_command"
    assert detect_files(tmp_path, pyproject) == []
    pyproject_static = {**pyproject}
    write(tmp_path, "meson.build", MESON_BUILD)
    assert dynamic_backend(pyproject_static, tmp_path) is None
    assert [f.kind for f in detect_files(tmp_path, pyproject_static)] == ["meson"]


def test_check_consistency(git_repo: GitRepo) -> None:
    git_repo.commit(
        "start",
        {
            "pyproject.toml": PYPROJECT,
            "src/purelib/__init__.py": INIT_PY.replace("1.2.0.dev0", "1.1.0"),
        },
    )
    config = load_config(git_repo.path)
    repo = Repo(git_repo.path)
    [problem] = check_consistency(config, repo)
    assert "disagree" in problem
    assert "pyproject.toml has 1.2.0.dev0" in problem
    assert "src/purelib/__init__.py has 1.1.0" in problem
    assert current_version(config, repo) is None
    set_version(config, "1.2.0")
    git_repo.commit("REL: 1.2.0")
    assert check_consistency(config, repo) == []
    git_repo.tag("v1.2.1", "wrong tag")
    problems = check_consistency(config, repo)
    assert len(problems) == 2
    assert all("but HEAD is tagged v1.2.1 (1.2.1)" in p for p in problems)


def test_read_sources_reports_missing_and_unknown(tmp_path: Path) -> None:
    config = make_config(
        tmp_path, VersionFile(path="gone.py"), VersionFile(path="x.txt", kind="cobol")
    )
    values = read_sources(config)
    assert values[0].error == "gone.py does not exist"
    assert values[1].error is not None and "unknown kind 'cobol'" in values[1].error
    with pytest.raises(UsageError, match=re.escape("gone.py: does not exist")):
        plan_version_change(config, "1.0.0")
    assert Version("1.0.0")  # the package is importable in the tests' interpreter


def test_sources_from_the_configuration_table(git_repo: GitRepo) -> None:
    pyproject = (
        '[project]\nname = "tabled"\nversion = "0.5.0"\n\n'
        "[tool.relman.version]\n"
        'files = ["pyproject.toml", {path = "docs/conf.py", pattern = "^release = \'(?P<version>[^\']+)\'"},'
        ' {path = "include/tabled.h", kind = "patchlevel"}]\n'
    )
    header = PATCHLEVEL_H.replace("PY_", "TABLED_").replace('"3.13.0a1+"', '"0.5.0"')
    header = header.replace("TABLED_MINOR_VERSION        13", "TABLED_MINOR_VERSION        5")
    header = header.replace("TABLED_MAJOR_VERSION        3", "TABLED_MAJOR_VERSION        0")
    header = header.replace(
        "LEVEL        TABLED_RELEASE_LEVEL_ALPHA", "LEVEL        TABLED_RELEASE_LEVEL_FINAL"
    )
    header = header.replace("TABLED_RELEASE_SERIAL       1", "TABLED_RELEASE_SERIAL       0")
    git_repo.commit(
        "start",
        {
            "pyproject.toml": pyproject,
            "docs/conf.py": "project = 'tabled'\nrelease = '0.5.0'\n",
            "include/tabled.h": header,
        },
    )
    config = load_config(git_repo.path)
    values = read_sources(config)
    assert [(v.kind, v.version) for v in values] == [
        ("pyproject", "0.5.0"),
        ("regex", "0.5.0"),
        ("patchlevel", "0.5.0"),
    ], [v.error for v in values]
    set_version(config, "0.6.0rc1")
    assert {v.version for v in read_sources(config)} == {"0.6.0rc1"}
    assert (
        '#define TABLED_VERSION              "0.6.0rc1"'
        in (git_repo.path / "include/tabled.h").read_text()
    )
    assert check_consistency(config, Repo(git_repo.path)) == []


def test_unknown_kind_in_the_configuration_is_a_config_error(git_repo: GitRepo) -> None:
    from relman.errors import ConfigError

    git_repo.commit(
        "start",
        {
            "pyproject.toml": '[project]\nname = "x"\nversion = "1.0"\n\n[tool.relman.version]\n'
            'files = [{path = "pyproject.toml", kind = "toml"}]\n'
        },
    )
    with pytest.raises(ConfigError, match="'toml' is not one of pyproject, python"):
        load_config(git_repo.path)
