"""What every command pays before its own work: regular expressions compiled
when first used, not when relman's modules are imported; configuration classes
made without generated code; fields computed when first read; modules a
command does not use left unloaded."""

from __future__ import annotations

import ast
import copy
import dataclasses
import pickle
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import relman
from relman._record import defer, record
from relman._regex import LazyPattern
from relman.config import VersionFile
from tests.helpers import GitRepo

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


# -- configuration classes made without generated code --------------------------


def _twins(kw_only: bool = True) -> tuple[type, type]:
    """The same class as a frozen dataclass and as a record."""

    def body() -> dict[str, object]:
        return {
            "__annotations__": {
                "path": "str",
                "kind": "str | None",
                "tags": "tuple[str, ...]",
                "table": "dict[str, str]",
                "hidden": "str",
            },
            "kind": dataclasses.field(default=None),
            "tags": ("a",),
            "table": dataclasses.field(default_factory=dict),
            "hidden": dataclasses.field(default="x", repr=False, compare=False),
        }

    generated = dataclasses.dataclass(frozen=True, kw_only=kw_only)(type("Source", (), body()))
    shared = record(kw_only=kw_only)(type("Source", (), body()))
    return generated, shared


def _outcome(call: Callable[[], object]) -> tuple[str, str]:
    try:
        return ("ok", repr(call()))
    except Exception as exc:
        return (type(exc).__name__, str(exc))


@pytest.mark.parametrize("kw_only", [True, False])
def test_a_record_behaves_as_a_frozen_dataclass(kw_only: bool) -> None:
    generated, shared = _twins(kw_only)

    def cases(cls: type) -> list[tuple[str, str]]:
        one = cls(path="a.py", kind="python")
        same = cls(path="a.py", kind="python", hidden="other")
        other = cls(path="b.py")
        out = [
            _outcome(lambda: cls(path="a.py")),
            _outcome(lambda: cls()),
            _outcome(lambda: cls("a.py")),
            _outcome(lambda: cls("a.py", "python", ("b",))),
            _outcome(lambda: cls("a.py", "python", ("b",), {}, "h", "extra")),
            _outcome(lambda: cls("a.py", path="b.py")),
            _outcome(lambda: cls(kind="python")),
            _outcome(lambda: cls(1, 2, 3, 4, 5, 6, kind="python")),
            _outcome(lambda: cls(1, 2, 3, 4, 5, 6, hidden="y")),
            _outcome(lambda: dataclasses.fields(cls)[1].kw_only),
            _outcome(lambda: cls.__match_args__),
            _outcome(lambda: cls(path="a.py", colour="red")),
            _outcome(lambda: setattr(one, "path", "c.py")),
            _outcome(lambda: setattr(one, "new", 1)),
            _outcome(lambda: delattr(one, "path")),
            _outcome(lambda: one == same),
            _outcome(lambda: one == other),
            _outcome(lambda: one == "a.py"),
            _outcome(lambda: hash(one) == hash(same)),
            _outcome(lambda: {one, same, other} == {one, other}),
            _outcome(lambda: dataclasses.replace(one, kind="regex")),
            _outcome(lambda: dataclasses.asdict(one)),
            _outcome(lambda: [f.name for f in dataclasses.fields(cls)]),
            _outcome(lambda: dataclasses.is_dataclass(one)),
            _outcome(lambda: cls(path="a").table is not cls(path="a").table),
            _outcome(lambda: copy.deepcopy(one) == one),
            _outcome(lambda: pickle.loads(pickle.dumps(one)) == one),
            _outcome(lambda: one.missing),  # type: ignore[attr-defined]
        ]
        return out

    assert cases(shared) == cases(generated)
    # the missing-argument message names every argument as Python does
    kind = "keyword-only" if kw_only else "positional"
    assert _outcome(lambda: shared())[1] == (
        f"Source.__init__() missing 1 required {kind} argument: 'path'"
    )


def test_the_configuration_classes_are_records() -> None:
    from relman import config

    for cls in (config.Config, config.VersionFile, *config._SECTIONS.values()):
        assert cls.__init__.__qualname__ == f"{cls.__qualname__}.__init__"
        assert cls.__eq__ is VersionFile.__eq__, cls  # shared, not generated for each class


def test_a_deferred_field_is_computed_once_when_first_read() -> None:
    import threading
    import time

    _, shared = _twins()
    one = shared(path="a.py")
    calls: list[str] = []

    def compute() -> str:
        calls.append("kind")
        time.sleep(0.05)  # other threads read meanwhile
        return "python"

    defer(one, "kind", compute)
    assert calls == []
    seen: list[object] = []
    readers = [threading.Thread(target=lambda: seen.append(one.kind)) for _ in range(8)]
    for t in readers:
        t.start()
    for t in readers:
        t.join()
    assert seen == ["python"] * 8 and calls == ["kind"]
    assert one == shared(path="a.py", kind="python")
    later = VersionFile(path="meson.build")
    defer(later, "kind", lambda: "meson")
    assert copy.deepcopy(later).kind == "meson"  # a copy holds the computed value
    assert pickle.loads(pickle.dumps(later)) == VersionFile(path="meson.build", kind="meson")

    failing = shared(path="b.py")
    attempts: list[int] = []

    def flaky() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("not yet")
        return "regex"

    defer(failing, "kind", flaky)
    with pytest.raises(OSError, match="not yet"):
        failing.kind  # noqa: B018
    assert failing.kind == "regex" and len(attempts) == 2  # a failure is asked again


# -- what a command loads --------------------------------------------------------

_LOADED = """
import atexit, sys
watched = set(sys.argv[1].split(","))
atexit.register(lambda: print("loaded:" + ",".join(watched & set(sys.modules)), file=sys.stderr))
sys.argv = ["relman", *sys.argv[2:]]
from relman.cli import run
run()
"""

_NOT_FOR_NOTES = (
    "relman.git",
    "relman._proc",
    "relman._cache",
    "relman.versionfiles",
    "relman.line",
    "subprocess",
    "json",
    "hashlib",
    "difflib",
    "configparser",
    "logging",
    "concurrent.futures",
    "packaging.version",
)


def _loaded(cwd: Path, watched: tuple[str, ...], *args: str) -> tuple[set[str], str]:
    out = subprocess.run(
        [sys.executable, "-c", _LOADED, ",".join(watched), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    line = out.stderr.splitlines()[-1]
    assert line.startswith("loaded:"), out.stderr
    return set(filter(None, line[len("loaded:") :].split(","))), out.stdout


def test_notes_draft_loads_neither_git_nor_the_version_files(tmp_path: Path) -> None:
    # towncrier's own layout: [tool.towncrier] in pyproject.toml, fragments in a folder;
    # not a git repository, as towncrier build --draft needs none
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "pkg"\nversion = "1.0"\n\n'
        '[tool.towncrier]\ndirectory = "changes"\nname = "pkg"\n',
        encoding="utf-8",
    )
    (tmp_path / "changes").mkdir()
    (tmp_path / "changes" / "12.feature").write_text("Faster start.\n", encoding="utf-8")
    loaded, notes = _loaded(tmp_path, _NOT_FOR_NOTES, "notes", "draft", "--version", "1.1")
    assert "Faster start. (#12)" in notes
    assert loaded == set()


def test_status_loads_no_logging_and_no_ini_parser(git_repo: GitRepo) -> None:
    # a project with its version in pyproject.toml (no setup.cfg, no setuptools-scm)
    git_repo.write({"pyproject.toml": '[project]\nname = "pkg"\nversion = "1.1.0.dev0"\n'})
    git_repo.commit("init")
    git_repo.tag("v1.0.0")
    watched = ("logging", "concurrent.futures", "configparser", "difflib")
    for _ in range(2):  # cold, then warm
        loaded, shown = _loaded(git_repo.path, watched, "status")
        assert "last release: v1.0.0" in shown
        assert loaded == set()


_AT_SPAWN = """
import os, sys
sys.path.insert(0, sys.argv[1])
watched = set(sys.argv[2].split(","))
seen = []

def spy(path, argv, env, **kwargs):
    seen.append((argv, sorted(watched & set(sys.modules))))
    raise OSError("stopped here: the test saw what was loaded")

os.posix_spawn = spy
from relman.cli import _early_changelog
assert _early_changelog(["changelog", "HEAD"]) is None
print(repr(seen))
"""


def test_changelog_starts_git_before_typing_tempfile_and_subprocess_load(
    git_repo: GitRepo,
) -> None:
    # -S: no site-packages, so nothing but relman's own early path loads a module; git
    # starts (os.posix_spawn) before any of these would cost it time on the critical path
    git_repo.write({"pyproject.toml": '[project]\nname = "pkg"\nversion = "1.0"\n'})
    git_repo.commit("init")
    src = str(Path(relman.__file__).resolve().parents[1])
    watched = ("typing", "tempfile", "subprocess", "contextlib", "relman._report", "relman.git")
    out = subprocess.run(
        [sys.executable, "-S", "-c", _AT_SPAWN, src, ",".join(watched)],
        cwd=git_repo.path,
        capture_output=True,
        text=True,
        check=True,
    )
    seen = ast.literal_eval(out.stdout.strip())
    assert seen, out.stderr  # the pass was started here, before click and the commands
    argv, loaded = seen[0]
    assert argv[:4] == ["git", "-C", str(git_repo.path.resolve()), "log"]
    assert loaded == []
