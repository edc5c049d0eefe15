"""The support (NEP 29 / SPEC 0) and numpy-deps checks on real project metadata."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from relman.checks import CheckReport, run_checks
from relman.project import load_config
from tests.helpers import GitRepo

DAY = dt.date(2026, 11, 21)  # SPEC 0: Python 3.13+, numpy 2.2+, scipy 1.15+


def project(tmp_path: Path, body: str) -> GitRepo:
    repo = GitRepo(tmp_path / "proj")
    repo.commit("init", {"pyproject.toml": body, "src/demo/__init__.py": ""})
    return repo


def check(repo: GitRepo, which: str, day: dt.date = DAY) -> CheckReport:
    return run_checks(load_config(repo.path), version="3.0.0", kind=None, only=[which], date=day)


GOOD = """\
[build-system]
requires = ["meson-python", "numpy>=2.0"]

[project]
name = "demo"
version = "3.0.0.dev0"
requires-python = ">=3.13"
classifiers = [
    "Programming Language :: Python :: 3.13",
    "Programming Language :: Python :: 3.14",
]
dependencies = ["numpy>=2.2", "scipy>=1.15", "requests"]
"""

OLD = """\
[build-system]
requires = ["setuptools", "oldest-supported-numpy", "numpy<2"]

[project]
name = "demo"
version = "3.0.0.dev0"
requires-python = ">=3.10"
classifiers = [
    "Programming Language :: Python :: 3.9",
    "Programming Language :: Python :: 3.10",
    "Programming Language :: Python :: 3.13",
]
dependencies = ["numpy>=1.22,<2", "scipy", "pandas>=2.3"]
"""


def test_support_passes_inside_the_window(tmp_path: Path) -> None:
    report = check(project(tmp_path, GOOD), "support")
    assert report.findings == []
    assert report.results[0].status == "passed"


def test_support_reports_old_bounds_and_classifiers(tmp_path: Path) -> None:
    report = check(project(tmp_path, OLD), "support")
    found = [(f.line, f.message) for f in report.findings]
    assert all(f.severity == "warning" for f in report.findings)
    assert report.ok  # warnings only
    text = "\n".join(m for _, m in found)
    assert "requires-python >=3.10 allows Python 3.10, which SPEC 0 no longer supports" in text
    assert "classifier for Python 3.9, which requires-python >=3.10 excludes" in text
    assert "classifier for Python 3.10, which SPEC 0 no longer supports" in text
    assert "no classifier for Python 3.14, which SPEC 0 supports" in text
    assert "numpy>=1.22,<2 allows numpy 1.22, which SPEC 0 no longer supports" in text
    assert "scipy has no lower bound" in text
    assert not any("pandas" in m for m in text.splitlines())
    lines = dict((m.split(",")[0], line) for line, m in found)
    assert lines["requires-python >=3.10 allows Python 3.10"] == 7


def test_support_nep29_is_more_lenient(tmp_path: Path) -> None:
    body = OLD.replace("[project]", '[tool.relman.checks]\nsupport-policy = "nep29"\n\n[project]')
    report = check(project(tmp_path, body), "support", dt.date(2025, 1, 1))
    text = [f.message for f in report.findings]
    # NEP 29 on 2025-01-01: Python 3.10+, numpy 1.25+; scipy is not covered
    assert not any(m.startswith("requires-python") for m in text)
    assert any("numpy 1.22, which NEP 29 no longer supports" in m for m in text)
    assert not any("scipy" in m for m in text)


def test_numpy_deps_pass(tmp_path: Path) -> None:
    report = check(project(tmp_path, GOOD), "numpy-deps")
    assert report.results[0].status == "passed"


def test_numpy_deps_flag_old_build_and_pins(tmp_path: Path) -> None:
    report = check(project(tmp_path, OLD), "numpy-deps")
    text = [f.message for f in report.errors]
    assert "oldest-supported-numpy in build-system.requires" in text
    assert any("'numpy<2' can build against NumPy 1.x" in m for m in text)
    assert any("pins numpy<2, which is no longer needed" in m for m in text)
    assert not report.ok


def test_numpy_deps_upper_bounds(tmp_path: Path) -> None:
    # numpy 2.5 is current on 2026-11-21: <2.8 is three minors ahead, <2.7 is not (a
    # warning: astropy 7.2.2 shipped numpy<2.7, set under 2.4), <2.5 leaves 2.5 out
    body = GOOD.replace('"numpy>=2.2"', '"numpy>=2.2,<2.7"')
    repo = project(tmp_path, body)
    report = check(repo, "numpy-deps")
    (finding,) = report.findings
    assert "less than three minor versions ahead of NumPy 2.5" in finding.message
    assert finding.severity == "warning" and finding.line == 12
    assert report.ok
    repo.commit("out", {"pyproject.toml": body.replace("<2.7", "<2.5")})
    (finding,) = check(repo, "numpy-deps").errors
    assert "leaves out NumPy 2.5, the current release" in finding.message
    assert finding.hint is not None and finding.hint.startswith("use <2.8 or later")
    repo.commit("bound", {"pyproject.toml": body.replace("<2.7", "<2.8")})
    report = check(repo, "numpy-deps")
    assert report.ok and not report.findings
    # a C-API user may pin the next major version
    repo.commit("major", {"pyproject.toml": body.replace("<2.7", "<3")})
    assert check(repo, "numpy-deps").ok
    # a runtime dependency without lower bound, and a C-API build without runtime numpy
    no_low = GOOD.replace('"numpy>=2.2", ', '"numpy", ')
    repo.commit("nolow", {"pyproject.toml": no_low})
    assert [f.message for f in check(repo, "numpy-deps").errors] == [
        "numpy has no runtime lower bound"
    ]
    repo.commit("noruntime", {"pyproject.toml": GOOD.replace('"numpy>=2.2", ', "")})
    assert "not a runtime dependency" in check(repo, "numpy-deps").errors[0].message


def test_numpy_deps_skipped_without_numpy(tmp_path: Path) -> None:
    body = GOOD.replace('"numpy>=2.0"', '"cython"').replace('"numpy>=2.2", ', "")
    (result,) = check(project(tmp_path, body), "numpy-deps").results
    assert result.status == "skipped"


# attrs' metadata (a general-purpose package, no NumPy or SciPy): requires-python >=3.10
GENERAL = """\
[project]
name = "attrs"
version = "26.1.0.dev0"
requires-python = ">=3.10"
classifiers = [
    "Programming Language :: Python :: 3.10",
    "Programming Language :: Python :: 3.14",
]
dependencies = []
"""


def test_general_purpose_project_gets_the_upstream_status_not_spec0(tmp_path: Path) -> None:
    report = check(project(tmp_path / "a", GENERAL), "support", dt.date(2026, 8, 7))
    assert report.findings == []  # 3.10 is still maintained upstream until 2026-10
    report = check(project(tmp_path / "b", GENERAL), "support", DAY)
    (finding,) = report.findings
    assert finding.message == (
        "requires-python >=3.10 allows Python 3.10, which upstream no longer maintains "
        "(end of life: 3.10 on 2026-10-31; CPython maintains 3.11, 3.12, 3.13, 3.14 on 2026-11-21)"
    )
    assert finding.severity == "warning" and finding.line == 4
    assert "SPEC 0" not in finding.message + (finding.hint or "")
    newer = GENERAL.replace(">=3.10", ">=3.13")
    (finding,) = check(project(tmp_path / "c", newer), "support", DAY).findings
    assert "leaves out Python 3.11, 3.12, which upstream still maintains" in finding.message


def test_spec0_applies_to_numpy_itself_and_to_a_declared_policy(tmp_path: Path) -> None:
    # NumPy's own pyproject.toml does not depend on numpy; it is a SPEC 0 core package
    numpy = GENERAL.replace('name = "attrs"', 'name = "numpy"')
    text = [f.message for f in check(project(tmp_path / "np", numpy), "support").findings]
    assert any("which SPEC 0 no longer supports" in m for m in text), text
    declared = GENERAL.replace(
        "[project]", '[tool.relman.checks]\nsupport-policy = "spec0"\n\n[project]'
    )
    text = [f.message for f in check(project(tmp_path / "d", declared), "support").findings]
    assert any("SPEC 0" in m for m in text), text
