"""The deprecations check: AST scan of warning styles, due removals, missing removal versions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from relman.checks import run_checks
from relman.checks.deprecations import find_deprecations, may_declare, removal_version
from relman.project import load_config
from tests.test_checks import make_project

STYLES = """\
import warnings
from warnings import warn as _warn
import numpy as np
from typing_extensions import deprecated

_MSG = "frob is deprecated and will be removed in SciPy 1.14.0"


def a():
    warnings.warn("a() is deprecated and will be removed in 2.3", DeprecationWarning, stacklevel=2)


def b(x):
    _warn(f"b({x!r}) was deprecated in 1.9 and will be removed in version 2.5",
          category=FutureWarning)


def c():
    warnings.warn(
        "c() is deprecated; "
        "it will be removed in 2.2.",
        PendingDeprecationWarning,
    )


def d():
    warnings.warn("In version 2.0 this keyword will raise an error", np.VisibleDeprecationWarning)


@deprecated("Use new_e() instead; removal in 2.3")
def e():
    pass


@np.deprecate(message="f is deprecated", removed_in="2.1")
def f():
    pass


def g():
    warnings.warn(_MSG, DeprecationWarning)


def h():
    warnings.warn("h() is deprecated, use k()", DeprecationWarning)


def i():
    warnings.warn("not a deprecation at all, removed in 1.0", UserWarning)
    raise FutureWarning("i() changes behaviour in 2.3 and will be removed in 2.4")


class J:
    @deprecated("J.old is deprecated")
    def old(self):
        pass
"""


def test_removal_version_phrases() -> None:
    assert removal_version("will be removed in 2.3") == "2.3"
    assert removal_version("Removed in version 1.14.0.") == "1.14.0"
    assert removal_version("deprecated in 1.9; to be removed from SciPy 1.16") == "1.16"
    assert removal_version("In NumPy 2.0 it will raise an error") == "2.0"
    assert removal_version("scheduled for removal in v3.1") == "3.1"
    assert removal_version("deprecated since 1.2, use foo") is None
    # numpy/fft/_pocketfft.py: the version is when it was deprecated, not its removal
    numpy_fft = (
        "Passing an array containing `None` values to `s` is deprecated in NumPy 2.0 "
        "and will raise an error in a future version of NumPy."
    )
    assert removal_version(numpy_fft) is None
    assert removal_version("Deprecated in NumPy 1.25; in NumPy 2.3 it will raise") == "2.3"


def test_finds_every_warning_style_with_the_ast() -> None:
    found = {d.line: d for d in find_deprecations("pkg/mod.py", STYLES)}
    assert {line: d.removal for line, d in found.items()} == {
        10: "2.3",
        14: "2.5",
        19: "2.2",
        27: "2.0",
        30: "2.3",
        35: "2.1",
        41: "1.14.0",
        45: None,
        50: "2.4",
        54: None,
    }
    assert found[30].what == "decorator"
    assert "will be removed in SciPy 1.14.0" in found[41].message
    # text that only looks like code is not a deprecation
    assert find_deprecations("x.py", "TEXT = \"warnings.warn('x', DeprecationWarning)\"\n") == []
    assert find_deprecations("x.py", "def broken(:\n") == []


def _functions(source: str) -> list[str]:
    """Each top-level def or class of ``source`` with its decorators, as its own module."""
    blocks: list[str] = []
    for block in source.split("\n\n\n")[1:]:
        blocks.append(block.strip() + "\n")
    return blocks


def test_files_that_cannot_declare_a_deprecation_are_not_parsed() -> None:
    header = (
        "import warnings\nfrom warnings import warn as _warn\nimport numpy as np\n"
        "from typing_extensions import deprecated\n\n"
    )
    styles = _functions(STYLES)
    assert len(styles) == 10
    # each style alone (the module's message constant inlined) is found and passes the filter
    for body in styles:
        source = header + body.replace("_MSG", repr("g is deprecated, removed in 1.14"))
        found = find_deprecations("m.py", source)
        if "UserWarning" in body and "FutureWarning" not in body:
            continue
        assert found, body
        assert may_declare(source), body
    # decorator shapes: a dotted name, a bare name, a parenthesized expression (PEP 614)
    for deco in ("@np.deprecate\n", "@_deprecated()\n", "@(\n    Deprecated\n)\n"):
        source = f"{deco}def f():\n    pass\n"
        assert find_deprecations("m.py", source), deco
        assert may_declare(source), deco
    # "deprecated" only in a docstring, or a decorator that is no deprecation: nothing to
    # find; without any decorator the file is not even parsed
    doc = 'def f():\n    """Deprecated alias of g (it is deprecated)."""\n'
    assert find_deprecations("m.py", doc) == [] and not may_declare(doc)
    other = "@cache\ndef f():\n    pass\n\n\ndef undeprecated_helper():\n    pass\n"
    assert find_deprecations("m.py", other) == [] and not may_declare(other)
    assert may_declare("warn('x', np.exceptions.VisibleDeprecationWarning)\n")


def test_functions_that_cannot_hold_one_are_skipped_with_the_same_result() -> None:
    # a warn imported under another name inside a function counts for the others
    source = (
        "def setup():\n    from warnings import warn as w\n    return w\n\n\n"
        "def plain(x):\n    return x + 1\n\n\n"
        "def later():\n    w('later() will be removed in 2.0', DeprecationWarning)\n"
    )
    (dep,) = find_deprecations("m.py", source)
    assert dep.line == 11 and dep.removal == "2.0"
    # lines are counted as the parser counts them: a form feed (an Emacs page break)
    # or a vertical tab in the source does not shift a function's source
    for odd in ("\x0c", "\x0b", "\u2028"):
        paged = f"# page one{odd}\n" * 3 + "\n\ndef a():\n    pass\n\n\n" + STYLES
        assert [d.line for d in find_deprecations("p.py", paged)] == [
            d.line + 9 for d in find_deprecations("pkg/mod.py", STYLES)
        ], repr(odd)


def test_due_deprecations_fail_the_release(tmp_path: Path) -> None:
    repo = make_project(tmp_path, {"src/demo/mod.py": STYLES, "tests/test_mod.py": STYLES})
    config = load_config(repo.path)
    report = run_checks(
        config, version="2.3.0", kind=None, only=["deprecations"], date=dt.date(2026, 11, 21)
    )
    due = sorted((f.line, f.severity) for f in report.findings if f.severity == "error")
    # removal in 2.3, 2.2, 2.0, 2.3 (decorator), 2.1 are due for 2.3.0; 2.4/2.5 not;
    # "removed in SciPy 1.14.0" is another project's version in this project (demo)
    assert [line for line, _ in due] == [10, 19, 27, 30, 35]
    assert all(f.file == "src/demo/mod.py" for f in report.findings)  # tests/ is not scanned
    assert "due for removal in 2.3" in report.errors[0].message
    # no last release tag: every deprecation without a removal version is new
    missing = sorted(f.line for f in report.findings if f.severity == "warning")
    assert missing == [45, 54]
    assert not report.ok
    # in 2.3.0rc1 (and its alphas and betas) the same removals are warnings: they may
    # still go before the final
    for pre in ("2.3.0a1", "2.3.0rc1"):
        early = run_checks(config, version=pre, kind=None, only=["deprecations"])
        assert early.ok
        warned = sorted(f.line for f in early.findings if "due for removal" in f.message)
        assert warned == [10, 19, 27, 30, 35]
        assert all(f.severity == "warning" for f in early.findings)
        assert "before the final release" in (early.findings[0].hint or "")
    # an earlier release passes (only the warnings remain)
    report = run_checks(config, version="1.13.0", kind=None, only=["deprecations"])
    assert report.ok
    assert {f.severity for f in report.findings} == {"warning"}


def test_a_removal_an_earlier_release_already_missed_is_a_warning(tmp_path: Path) -> None:
    # SciPy 1.16.0 still warned "will be removed in SciPy 1.11.0": 1.11.0 to 1.15.x had
    # shipped with it, so 1.16.0 cannot keep the promise; it is overdue, not a new breach
    source = (
        "import warnings\n\n"
        "def legacy():\n"
        '    warnings.warn("legacy() will be removed in 1.11.0", DeprecationWarning)\n\n'
        "def kwarg():\n"
        '    warnings.warn("kwarg is deprecated and will be removed in 1.16.0", '
        "DeprecationWarning)\n"
    )
    repo = make_project(tmp_path, {"src/demo/mod.py": source})
    repo.tag("v1.15.0", "release 1.15.0")
    config = load_config(repo.path)
    report = run_checks(config, version="1.16.0", kind=None, only=["deprecations"])
    by_line = {f.line: f for f in report.findings}
    assert by_line[4].severity == "warning"
    assert "overdue for removal since 1.11.0" in by_line[4].message
    assert "last release 1.15.0" in by_line[4].message
    # the removal due in this very release still stops its final
    assert by_line[7].severity == "error" and "due for removal in 1.16.0" in by_line[7].message
    assert not report.ok
    # before 1.11.0 was released, the same removal stopped the 1.11.0 final
    early = make_project(tmp_path / "early", {"src/demo/mod.py": source})
    early.tag("v1.10.0", "release 1.10.0")
    report = run_checks(load_config(early.path), version="1.11.0", kind=None, only=["deprecations"])
    assert [(f.line, f.severity) for f in report.findings] == [(4, "error")]


def test_only_new_deprecations_need_a_removal_version(tmp_path: Path) -> None:
    old = 'import warnings\n\ndef old():\n    warnings.warn("old is deprecated", DeprecationWarning)\n'
    repo = make_project(tmp_path, {"src/demo/mod.py": old})
    repo.tag("v1.0.0", "release 1.0.0")
    new = old + '\n\ndef new():\n    warnings.warn("new is deprecated", FutureWarning)\n'
    repo.commit("deprecate new", {"src/demo/mod.py": new})
    report = run_checks(load_config(repo.path), version="1.1.0", kind=None, only=["deprecations"])
    assert [(f.line, f.severity) for f in report.findings] == [(8, "warning")]
    assert "names no removal version: new is deprecated" in report.findings[0].message


def test_source_dirs_and_bug_fix_releases(tmp_path: Path) -> None:
    due = 'import warnings\nwarnings.warn("gone in 1.0", DeprecationWarning)\n'
    repo = make_project(
        tmp_path,
        {"src/demo/a.py": due, "tools/b.py": due.replace("gone in", "will be removed in")},
        extra='[tool.relman.checks]\nsource-dirs = ["tools"]\n',
    )
    config = load_config(repo.path)
    report = run_checks(config, version="1.1.0", kind=None, only=["deprecations"])
    assert [f.file for f in report.findings] == ["tools/b.py"]
    # a bug-fix release removes nothing: the check does not apply
    report = run_checks(config, version="1.1.1", kind=None)
    assert "deprecations" not in [r.id for r in report.results]


@given(
    version=st.lists(st.integers(0, 40), min_size=2, max_size=3).map(
        lambda parts: ".".join(map(str, parts))
    ),
    phrase=st.sampled_from(
        [
            "{name} is deprecated and will be removed in {v}.",
            "{name} was deprecated in 0.1; it will be removed in version {v}",
            "Deprecated: {name} is scheduled for removal in SciPy {v}",
            "In version {v} {name} will raise an error.",
            "{name} will be dropped from release {v}",
        ]
    ),
    name=st.from_regex(r"[a-z_]{1,12}", fullmatch=True),
)
def test_removal_version_property(version: str, phrase: str, name: str) -> None:
    text = phrase.format(name=name, v=version)
    assert removal_version(text) == version
    source = f"import warnings\nwarnings.warn({text!r}, DeprecationWarning)\n"
    (dep,) = find_deprecations("m.py", source)
    assert dep.removal == version and dep.line == 2


def test_a_message_kept_in_a_variable_names_its_removal(tmp_path: Path) -> None:
    # SciPy keeps long messages in a local variable before warning
    source = """\
import warnings

def f(x):
    msg = ("`f` is deprecated and will be removed in "
           "SciPy 2.1.0; use `g` instead.")
    warnings.warn(msg, DeprecationWarning, stacklevel=2)


def h():
    msg = "`h` is deprecated"
    msg += " and will be removed in SciPy 2.2.0."
    warnings.warn(msg, category=FutureWarning, stacklevel=2)


def k():
    message = compute()
    warnings.warn(message, DeprecationWarning)
"""
    found = find_deprecations("scipy/mod.py", source)
    assert [(d.line, d.removal, d.product) for d in found] == [
        (6, "2.1.0", "SciPy"),
        (12, "2.2.0", "SciPy"),
        (17, None, None),
    ]
    repo = make_project(tmp_path, {"src/demo/mod.py": source.replace("SciPy", "demo")})
    config = load_config(repo.path)
    final = run_checks(config, version="2.1.0", kind=None, only=["deprecations"])
    assert [(f.line, f.severity) for f in final.findings if "due" in f.message] == [(6, "error")]
    alpha = run_checks(config, version="2.1.0a1", kind=None, only=["deprecations"])
    assert [(f.line, f.severity) for f in alpha.findings if "due" in f.message] == [(6, "warning")]
