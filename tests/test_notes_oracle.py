"""relman's notes against the real towncrier and blurb, byte for byte.

Each test writes a project, runs the real tool (``towncrier build``,
``blurb release``) and relman on the same tree or on identical copies, and
compares the output bytes. Fixed fixtures cover the configurations projects
use (NumPy's, the default, markdown, sections, custom templates, wrapping);
hypothesis generates fragment sets (types, orphans, counters,
multi-paragraph text, one text for several issues).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relman.notes import draft_notes
from relman.project import load_config
from tests.helpers import EXAMPLES, run_relman, snapshot

EPOCH = "1767225600"  # 2026-01-01, for SOURCE_DATE_EPOCH
DATE = "2026-01-01"


def _env() -> dict[str, str]:
    return {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}


def towncrier(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "towncrier", *args],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        check=False,
        timeout=120,
    )


def git(*args: str, cwd: Path) -> str:
    out = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True, timeout=60
    )
    return out.stdout


def write_project(
    root: Path,
    towncrier_toml: str,
    fragments: Mapping[str, str | bytes],
    *,
    extra: Mapping[str, str] | None = None,
    name: str = "demo",
    in_towncrier_toml: bool = False,
    commit: bool = True,
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    pyproject = f'[project]\nname = "{name}"\nversion = "1.0"\n'
    if in_towncrier_toml:
        (root / "towncrier.toml").write_text(towncrier_toml, encoding="utf-8")
    else:
        pyproject += "\n" + towncrier_toml
    (root / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    for rel, content in {**(extra or {})}.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(content, encoding="utf-8")
    for rel, content in fragments.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8")
    git("init", "-q", "-b", "main", cwd=root)
    if commit:
        git("add", "-A", cwd=root)
        git("commit", "-q", "-m", "project", cwd=root)
    return root


def assert_same_draft(root: Path, version: str = "1.2.0") -> bytes:
    theirs = towncrier("build", "--draft", "--version", version, cwd=root)
    assert theirs.returncode == 0, theirs.stderr.decode()
    ours = run_relman(
        "notes", "draft", "--version", version, cwd=root, env={"SOURCE_DATE_EPOCH": EPOCH}
    )
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout.encode() == theirs.stdout
    return theirs.stdout


# -- configurations ---------------------------------------------------------

NUMPY_TEMPLATE = """\
{% for section, _ in sections.items() %}
{% set underline = underlines[0] %}{% if section %}{{section}}
{{ underline * section|length }}{% set underline = underlines[1] %}

{% endif %}
{% if sections[section] %}
{% for category, val in definitions.items() if category in sections[section] and category != 'highlight' %}

{{ definitions[category]['name'] }}
{{ underline * definitions[category]['name']|length }}

{% for text, values in sections[section][category]|dictsort(by='value') %}
{{ text }}

{{ values|join(', ') }}

{% endfor %}
{% endfor %}
{% else %}
No significant changes.

{% endif %}
{% endfor %}
"""

NUMPY_CONFIG = """\
[tool.towncrier]
single_file = false
filename = "doc/source/release/{version}-notes.rst"
directory = "doc/release/upcoming_changes/"
issue_format = "`gh-{issue} <https://github.com/numpy/numpy/pull/{issue}>`__"
template = "doc/release/upcoming_changes/template.rst"
underlines = "~="
all_bullets = false

[[tool.towncrier.type]]
directory = "highlight"
name = "Highlights"
showcontent = true

[[tool.towncrier.type]]
directory = "new_function"
name = "New functions"
showcontent = true

[[tool.towncrier.type]]
directory = "deprecation"
name = "Deprecations"
showcontent = true

[[tool.towncrier.type]]
directory = "improvement"
name = "Improvements"
showcontent = true

[[tool.towncrier.type]]
directory = "change"
name = "Changes"
showcontent = true
"""

FRAGMENTS = {
    "1.feature.rst": "Add a feature.\n",
    "2.feature.rst": "Add a feature.\n",  # same text, two issues
    "3.bugfix.rst": "Fix a bug\nover two lines.\n\nAnd a second paragraph.\n",
    "3.bugfix.1.rst": "Another fix for the same issue.\n",
    "+orphan.feature.rst": "An orphan feature.\n",
    "+other.misc.rst": "An orphan misc entry.\n",
    "10.misc.rst": "hidden content\n",
    "11.misc.rst": "hidden too\n",
    "007.doc.rst": "Leading zeros go away.\n",
    "12.removal.rst": "Removed ``old()``. Use::\n\n    new()\n    new(1)\n",
    "gh-5.bugfix.rst": "Issue names with letters.\n",
    "README.rst": "not a fragment\n",
}


def _frag(folder: str, fragments: Mapping[str, str]) -> dict[str, str]:
    return {f"{folder}/{k}": v for k, v in fragments.items()}


CASES: dict[str, tuple[str, dict[str, str], dict[str, str]]] = {
    "default": ('[tool.towncrier]\ndirectory = "changes"\n', _frag("changes", FRAGMENTS), {}),
    "no-name-issue-format": (
        '[tool.towncrier]\ndirectory = "changes"\nname = ""\nissue_format = "`#{issue}`_"\n'
        'underlines = ["-", "~", "^"]\n',
        _frag("changes", FRAGMENTS),
        {},
    ),
    "title-format": (
        '[tool.towncrier]\ndirectory = "changes"\ntitle_format = "{name} v{version} ({project_date})"\n',
        _frag("changes", FRAGMENTS),
        {},
    ),
    "title-false-wrap": (
        '[tool.towncrier]\ndirectory = "changes"\ntitle_format = false\nwrap = true\n',
        _frag(
            "changes",
            {
                **FRAGMENTS,
                "20.feature.rst": "A very long entry " * 12 + "\n",
            },
        ),
        {},
    ),
    "sections": (
        '[tool.towncrier]\ndirectory = "changes"\n'
        '[[tool.towncrier.section]]\nname = ""\npath = ""\n'
        '[[tool.towncrier.section]]\nname = "Web"\npath = "web"\n'
        '[[tool.towncrier.section]]\nname = "Empty"\npath = "empty"\n',
        {**_frag("changes", FRAGMENTS), **_frag("changes/web", {"4.feature.rst": "Web thing.\n"})},
        {},
    ),
    "fragment-tables": (
        '[tool.towncrier]\ndirectory = "changes"\n'
        "[tool.towncrier.fragment.feature]\n[tool.towncrier.fragment.chore]\nname = 'Chores'\n"
        "showcontent = false\n",
        _frag("changes", {"1.feature.rst": "A.\n", "2.chore.rst": "x\n", "3.chore.rst": "y\n"}),
        {},
    ),
    "no-bullets-template": (
        '[tool.towncrier]\ndirectory = "changes"\nall_bullets = false\n'
        'template = "towncrier:single-file-no-bullets"\n',
        _frag(
            "changes",
            {
                "1.feature.rst": "- A bullet.\n",
                "2.feature.rst": "Plain text.\n",
                "3.feature.rst": "* Star bullet.\n",
                "4.feature.rst": "#. Numbered.\n",
                "5.bugfix.rst": "- fix\n",
            },
        ),
        {},
    ),
    "markdown": (
        '[tool.towncrier]\ndirectory = "changes"\nfilename = "CHANGES.md"\n',
        _frag("changes", {**{k.replace(".rst", ".md"): v for k, v in FRAGMENTS.items()}}),
        {},
    ),
    "numpy": (
        NUMPY_CONFIG,
        _frag(
            "doc/release/upcoming_changes",
            {
                "101.new_function.rst": "``np.thing`` is new\n--------------------\nDetails.\n",
                "102.deprecation.rst": "``np.old`` is deprecated.\n",
                "103.improvement.rst": "Faster ``np.sum``\n-----------------\nIt is faster.\n",
                "104.highlight.rst": "* A highlight.\n",
                "105.change.rst": "Changed things.\n",
            },
        ),
        {"doc/release/upcoming_changes/template.rst": NUMPY_TEMPLATE},
    ),
    "towncrier-toml": (
        '[tool.towncrier]\ndirectory = "changes"\nname = "Other"\n',
        _frag("changes", FRAGMENTS),
        {},
    ),
    "hr-template": (
        '[tool.towncrier]\ndirectory = "changes"\ntemplate = "towncrier:hr-between-versions"\n',
        _frag("changes", FRAGMENTS),
        {},
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_draft_matches_towncrier(tmp_path: Path, case: str) -> None:
    config, fragments, extra = CASES[case]
    root = write_project(
        tmp_path / case,
        config,
        fragments,
        extra=extra,
        in_towncrier_toml=case == "towncrier-toml",
    )
    out = assert_same_draft(root)
    assert out.strip()


def test_draft_with_no_fragments_matches_towncrier(tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "p", '[tool.towncrier]\ndirectory = "changes"\n', {"changes/.gitkeep": ""}
    )
    out = assert_same_draft(root)
    assert b"No significant changes." in out


@pytest.mark.parametrize("case", ["default", "sections", "markdown", "numpy", "title-format"])
def test_build_matches_towncrier(tmp_path: Path, case: str) -> None:
    config, fragments, extra = CASES[case]
    news = {"markdown": "CHANGES.md"}.get(case, "NEWS.rst")
    existing = {news: "Intro text.\n\n.. towncrier release notes start\n\nOld notes\n=========\n"}
    if case == "markdown":
        existing = {news: "# Changes\n\n<!-- towncrier release notes start -->\n\n## Old\n"}
    if case == "numpy":
        existing = {"doc/source/release/.gitkeep": ""}
    a = write_project(tmp_path / "a", config, fragments, extra={**extra, **existing})
    b = write_project(tmp_path / "b", config, fragments, extra={**extra, **existing})
    theirs = towncrier("build", "--version", "1.2.0", "--yes", cwd=a)
    assert theirs.returncode == 0, theirs.stderr.decode()
    ours = run_relman(
        "notes", "build", "--version", "1.2.0", cwd=b, env={"SOURCE_DATE_EPOCH": EPOCH}
    )
    assert ours.returncode == 0, ours.stderr
    assert snapshot(a) == snapshot(b)
    assert git("status", "--porcelain", cwd=a) == git("status", "--porcelain", cwd=b)


@pytest.mark.parametrize("example", ["purelib", "cext"])
def test_examples_draft_and_build_match_towncrier(tmp_path: Path, example: str) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for dest in (a, b):
        shutil.copytree(EXAMPLES / example, dest)
        git("init", "-q", "-b", "main", cwd=dest)
        git("add", "-A", cwd=dest)
        git("commit", "-q", "-m", "import", cwd=dest)
    assert_same_draft(a, "9.9.0")
    assert towncrier("build", "--version", "9.9.0", "--yes", cwd=a).returncode == 0
    ours = run_relman(
        "notes", "build", "--version", "9.9.0", cwd=b, env={"SOURCE_DATE_EPOCH": EPOCH}
    )
    assert ours.returncode == 0, ours.stderr
    assert snapshot(a) == snapshot(b)


# -- hypothesis: generated fragment sets ------------------------------------

_WORDS = st.sampled_from(
    ["fix", "array", "``np.add``", "the", "dtype", "faster", "a", ":func:`f`", "now", "x" * 30]
)
_LINE = st.lists(_WORDS, min_size=1, max_size=14).map(" ".join)
_PARAGRAPH = st.lists(_LINE, min_size=1, max_size=3).map("\n".join)
_TEXT = st.one_of(
    st.lists(_PARAGRAPH, min_size=1, max_size=3).map("\n\n".join),
    _LINE.map(lambda s: f"- {s}"),
    _LINE.map(lambda s: f"{s}::\n\n    code()\n    more()"),
)
_TYPES = ["feature", "bugfix", "doc", "removal", "misc"]


@st.composite
def fragment_sets(draw: st.DrawFn) -> dict[str, str]:
    shared = draw(_TEXT)
    n = draw(st.integers(min_value=0, max_value=12))
    out: dict[str, str] = {}
    for i in range(n):
        kind = draw(st.sampled_from(_TYPES))
        issue = draw(
            st.one_of(
                st.integers(min_value=1, max_value=40).map(str),
                st.just(f"+o{i}"),
                st.sampled_from(["gh-7", "gh-12", "abc"]),
            )
        )
        counter = draw(st.sampled_from(["", "", ".1", ".2"]))
        text = shared if draw(st.booleans()) and i % 3 == 0 else draw(_TEXT)
        trailing = draw(st.sampled_from(["\n", "", "\n\n", "  \n"]))
        out[f"{issue}.{kind}{counter}.rst"] = text + trailing
    return out


def _towncrier_draft_text(root: Path) -> str:
    out = towncrier("build", "--draft", "--version", "2.0", "--date", DATE, cwd=root)
    assert out.returncode == 0, out.stderr.decode()
    text = out.stdout.decode("utf-8")
    assert text.endswith("\n")
    return text[:-1]


@pytest.mark.parametrize(
    "config",
    [
        '[tool.towncrier]\ndirectory = "changes"\n',
        '[tool.towncrier]\ndirectory = "changes"\nall_bullets = false\n'
        'template = "towncrier:single-file-no-bullets"\nissue_format = "gh-{issue}"\n',
    ],
    ids=["default", "no-bullets"],
)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fragments=fragment_sets())
def test_generated_fragments_match_towncrier(config: str, fragments: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = write_project(Path(tmp), config, _frag("changes", fragments), commit=False)
        (root / "changes").mkdir(exist_ok=True)
        theirs = _towncrier_draft_text(root)
        ours = draft_notes(load_config(root), "2.0", date=DATE)
        assert ours == theirs


# -- blurb ------------------------------------------------------------------


def cpython_tree(root: Path, entries: Mapping[str, str]) -> Path:
    """A tree blurb accepts as a CPython checkout, with Misc/NEWS.d entries."""
    files = {
        "README.rst": "This is Python version 3.14.0 alpha 1\n",
        "LICENSE": "A. HISTORY OF THE SOFTWARE\n",
        "Include/Python.h": "\n",
        "Python/ceval.c": "\n",
        "pyproject.toml": '[project]\nname = "cpython"\nversion = "3.14"\n',
        "Misc/NEWS.d/3.13.0a1.rst": ".. date: 2024-01-01\n.. gh-issue: 100000\n"
        ".. nonce: abcdef\n.. release date: 2024-01-01\n.. section: Library\n\nOld.\n",
        **entries,
    }
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    git("init", "-q", "-b", "main", cwd=root)
    git("add", "-A", cwd=root)
    git("commit", "-q", "-m", "tree", cwd=root)
    return root


def blurb_release(root: Path, version: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "blurb", "release", version],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


BLURBS = {
    "Misc/NEWS.d/next/Library/2025-01-02-10-00-00.gh-issue-120000.AbCdEf.rst": (
        "Fix :func:`os.path.join` when given a very long list of arguments that goes "
        "past the wrap width of seventy-six columns.\n"
    ),
    "Misc/NEWS.d/next/Library/2025-01-03-10-00-00.gh-issue-120001.XyZ123.rst": "Second.\n",
    "Misc/NEWS.d/next/Core_and_Builtins/2025-01-01-09-00-00.gh-issue-119999.Qq_-12.rst": (
        "Speed up calls.\n\n* one\n* two\n"
    ),
    "Misc/NEWS.d/next/Security/2025-01-05-00-00-00.gh-issue-130000.SeC123.rst": (
        ".. cve: 2025-1234\n\nFix a vulnerability.\n"
    ),
    "Misc/NEWS.d/next/Tools-Demos/2025-01-06-00-00-00.gh-issue-130001.ToO123.rst": "Tools.\n",
    "Misc/NEWS.d/next/C_API/2025-01-07-00-00-00.gh-issue-130002.CaP123.rst": "C API.\n",
    "Misc/NEWS.d/next/Library/README.rst": "not an entry\n",
}


@pytest.mark.parametrize("entries", [BLURBS, {}], ids=["entries", "empty"])
def test_build_matches_blurb_release(tmp_path: Path, entries: dict[str, str]) -> None:
    a = cpython_tree(tmp_path / "a", entries)
    b = cpython_tree(tmp_path / "b", entries)
    theirs = blurb_release(a, "3.14.0a1")
    assert theirs.returncode == 0, theirs.stderr
    ours = run_relman("notes", "build", "--version", "3.14.0a1", cwd=b)
    assert ours.returncode == 0, ours.stderr
    assert snapshot(a) == snapshot(b)
    assert git("status", "--porcelain", cwd=a) == git("status", "--porcelain", cwd=b)
    c = cpython_tree(tmp_path / "c", entries)
    draft = run_relman("notes", "draft", "--version", "3.14.0a1", cwd=c)
    assert draft.returncode == 0, draft.stderr
    assert draft.stdout == (a / "Misc/NEWS.d/3.14.0a1.rst").read_text(encoding="utf-8")


_SECTIONS = ["Library", "Core_and_Builtins", "Tests", "Documentation", "C_API", "Tools-Demos"]


@st.composite
def blurb_sets(draw: st.DrawFn) -> dict[str, str]:
    n = draw(st.integers(min_value=1, max_value=8))
    out: dict[str, str] = {}
    for i in range(n):
        section = draw(st.sampled_from(_SECTIONS))
        issue = draw(st.integers(min_value=32426, max_value=140000))
        day = draw(st.integers(min_value=1, max_value=28))
        body = draw(
            st.one_of(
                st.lists(_PARAGRAPH, min_size=1, max_size=3).map("\n\n".join),
                _LINE.map(lambda s: f"{s.capitalize()}:\n\n* a\n* b"),
            )
        )
        if body[:1] in "-:" or body.lower().startswith(("gh-", "issue #", "bpo-")):
            body = "Text " + body
        name = f"2025-01-{day:02d}-00-00-{i:02d}.gh-issue-{issue}.n{i:05d}.rst"
        out[f"Misc/NEWS.d/next/{section}/{name}"] = body + "\n"
    return out


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries=blurb_sets())
def test_generated_blurbs_match_blurb_release(entries: dict[str, str]) -> None:
    from relman.notes import blurb

    with tempfile.TemporaryDirectory() as tmp:
        root = cpython_tree(Path(tmp), entries)
        ours = blurb.render_release(blurb.find_entries(root), "3.14.0b1")
        theirs = blurb_release(root, "3.14.0b1")
        assert theirs.returncode == 0, theirs.stderr
        assert (root / "Misc/NEWS.d/3.14.0b1.rst").read_text(encoding="utf-8") == ours
