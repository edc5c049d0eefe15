"""What every command pays before its own work: regular expressions compiled
when first used, not when relman's modules are imported."""

from __future__ import annotations

import re
import subprocess
import sys

from relman._regex import LazyPattern

# the modules `notes draft`, `status`, `version show` and `check` import
_MODULES = (
    "relman.cli",
    "relman.commands._common",
    "relman.project",
    "relman.config",
    "relman.versionfiles",
    "relman.git",
    "relman.notes",
    "relman.notes.towncrier",
    "relman.notes.sections",
    "relman.notes.fragments",
    "relman.history.pulls",
    "relman.history.people",
    "relman.checks.deprecations",
    "relman.checks.copyright",
    "relman._redact",
    "relman.line",
)

_COUNT_COMPILES = """
import re, sys
import json, tomllib, string, dataclasses, difflib, subprocess, pathlib, typing
import packaging.version, click
compiled = []
original = re.compile
def counting(pattern, flags=0):
    compiled.append((sys._getframe(1).f_globals.get("__name__"), pattern))
    return original(pattern, flags)
re.compile = counting
for name in sys.argv[1:]:
    __import__(name)
print("\\n".join(f"{mod}: {pattern!r}" for mod, pattern in compiled if mod.startswith("relman")))
"""


def test_importing_relman_compiles_no_regular_expression() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _COUNT_COMPILES, *_MODULES],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == ""


def test_lazy_pattern_answers_as_the_compiled_pattern() -> None:
    text = "Version = 1.2.3\nversion = 4.5\n"
    lazy = LazyPattern(r"^version = (?P<v>[\d.]+)$", re.M | re.I)
    rx = re.compile(r"^version = (?P<v>[\d.]+)$", re.M | re.I)
    assert lazy.search(text, 1).group("v") == rx.search(text, 1).group("v") == "4.5"  # type: ignore[union-attr]
    assert [m.span() for m in lazy.finditer(text)] == [m.span() for m in rx.finditer(text)]
    assert lazy.findall(text) == rx.findall(text) == ["1.2.3", "4.5"]
    assert lazy.sub(r"\g<v>!", text) == rx.sub(r"\g<v>!", text)
    assert lazy.subn("x", text, 1) == rx.subn("x", text, 1)
    assert lazy.split(text) == rx.split(text)
    assert lazy.fullmatch("version = 9") is not None
    assert lazy.match("Version = 1", 1) is None
    assert lazy.compiled() is lazy.compiled()
    assert lazy.compiled().flags == rx.flags
    assert lazy.pattern == rx.pattern


def test_lazy_pattern_compiles_on_first_use_and_then_is_the_compiled_pattern() -> None:
    bad = LazyPattern(r"(unclosed")  # a wrong pattern fails where it is used, not at import
    try:
        bad.search("x")
    except re.error as exc:
        assert "missing )" in str(exc)
    else:
        raise AssertionError("the pattern compiled")
    lazy = LazyPattern(rb"\d+")
    assert lazy.search(b"ab12") is not None
    # after the first use, the methods are the compiled pattern's own
    assert lazy.search.__self__ is lazy.compiled()  # type: ignore[attr-defined]
