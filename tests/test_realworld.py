"""Shapes taken from real projects' trees that relman once got wrong.

Each test writes the smallest project that has the shape (a pip-style news
folder with empty trivial fragments, an annotated ``__version__``, ...) and
checks relman's answer on it.
"""

from __future__ import annotations

from pathlib import Path

from relman.config import load_config
from relman.notes import check_fragments
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


def test_configured_copyright_files_must_name_the_year(tmp_path: Path) -> None:
    extra = '[tool.relman.checks]\ncopyright-files = ["LICENSE", "NOTICE", "COPYING"]\n'
    files = {
        "LICENSE": "Copyright 2014 Pallets\n",
        "NOTICE": APACHE,
        "COPYING": "Copyright (c) 2008-present The pip developers\n",
    }
    assert _copyright_findings(tmp_path, files, extra) == [
        "LICENSE:1: the copyright notice does not include 2026",
        "NOTICE:None: no dated copyright notice found",
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
    )
