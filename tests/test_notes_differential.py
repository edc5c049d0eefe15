"""relman against the real towncrier on seeded, generated configurations and fragments.

Each case is a project drawn from a seeded generator: the configuration
(pyproject.toml or towncrier.toml, with or without pyproject.toml; single or
per-release news file; rst or Markdown; title format, issue format,
underlines, wrap, bullets, orphan prefix, custom types, sections, a repeated
section name, a custom start string, `ignore`, `name`, the version from the
settings or the package), the fragments (counters, orphans, names, shared
text, code blocks, lists, files that are no fragments, dotfiles, folders), and
what is there already (a news file with earlier releases, a per-release file
to overwrite, its mode). towncrier runs in this process through its click
command (no git, so it deletes fragments itself); relman runs the library
calls its `notes draft` and `notes build` commands make (the configuration
loaded once per case, as each command loads it) on an identical copy inside
a fresh git repository. Draft output, and after the build every file's bytes
and mode, must be the same; when towncrier fails, relman must fail too.

Kept cheap enough for every run: towncrier's template is compiled once per
text (towncrier compiles it on every call; the compiled template renders
the same), and each fresh repository is a copy of one made by ``git init``
with no template files, so that a case costs no git start-up of its own.
"""

from __future__ import annotations

import functools
import os
import random
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from relman.errors import RelmanError
from relman.notes import build_notes, draft_notes
from relman.project import load_config

CASES = 320
SEED = 20261201
EPOCH = "1767225600"

WORDS = ["fix", "crash", "speed", "docs", "api", "cli", "parser", "thread", "cache", "wheel"]


def _text(rng: random.Random) -> str:
    kind = rng.random()
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 30)))
    if kind < 0.5:
        return words.capitalize() + ".\n"
    if kind < 0.65:
        return f"{words}.\n\nSecond paragraph with ``code``.\n"
    if kind < 0.78:
        return f"Example::\n\n    x = {rng.randint(0, 9)}\n    y = x\n"
    if kind < 0.9:
        return f"- {words}\n- another {rng.choice(WORDS)}\n"
    return f"* {words}\n"


def _types(rng: random.Random) -> tuple[str, list[str]]:
    style = rng.random()
    if style < 0.5:
        return "", ["feature", "bugfix", "doc", "removal", "misc"]
    keys = rng.sample(["added", "changed", "fixed", "removed", "security", "chore"], 4)
    out = ""
    if style < 0.8:
        for key in keys:
            out += (
                f'\n[[tool.towncrier.type]]\ndirectory = "{key}"\nname = "{key.title()}"\n'
                f"showcontent = {'true' if rng.random() < 0.8 else 'false'}\n"
            )
    else:
        for key in keys:
            out += f"\n[tool.towncrier.fragment.{key}]\n"
            if rng.random() < 0.3:
                out += "showcontent = false\n"
    return out, keys


def make_case(rng: random.Random, index: int) -> dict[str, Any]:
    markdown = rng.random() < 0.2
    ext = ".md" if markdown else ".rst"
    single = rng.random() < 0.7
    package = f"pkg{index}x{rng.randint(0, 10**6)}"
    lines: list[str] = []
    filename = f"NEWS{ext}"
    if not single:
        filename = rng.choice(
            [f"notes/{{version}}{ext}", f"release-{{version}}{ext}", f"notes{ext}"]
        )
        lines.append("single_file = false")
    lines.append(f'filename = "{filename}"')
    use_package_dir = rng.random() < 0.15
    if use_package_dir:
        lines.append(f'package = "{package}"')
        lines.append('package_dir = "src"')
        frag_base = f"src/{package}/newsfragments"
    else:
        frag_base = "changes"
        lines.append('directory = "changes"')
    title = rng.random()
    if title < 0.2:
        lines.append(
            'title_format = "{name} {version} ({project_date})"'
            if not markdown
            else 'title_format = "## {version} ({project_date})"'
        )
    elif title < 0.3:
        lines.append("title_format = false")
    if rng.random() < 0.3:
        lines.append(
            'issue_format = "`#{issue} <https://example.org/{issue}>`_"'
            if not markdown
            else 'issue_format = "[#{issue}](https://example.org/{issue})"'
        )
    if rng.random() < 0.2:
        lines.append(
            rng.choice(
                [
                    'underlines = ["-", "~", "^"]',
                    'underlines = "=~^"',
                    'underlines = ["*", "-", "~", "+"]',
                ]
            )
        )
    if rng.random() < 0.2:
        lines.append(f"wrap = {rng.choice(['true', '60', '100'])}")
    if rng.random() < 0.25:
        lines.append("all_bullets = false")
    if rng.random() < 0.15:
        lines.append('orphan_prefix = "~"')
    if rng.random() < 0.1:
        lines.append(
            'start_string = ".. release notes here\\n"'
            if not markdown
            else 'start_string = "<!-- here -->\\n"'
        )
    ignore = rng.random() < 0.15
    if ignore:
        lines.append('ignore = ["notes.txt", "*.tmp"]')
    named = rng.random()
    if named < 0.3:
        lines.append(f'name = "Proj{index}"')
    sections = [("", "")]
    if rng.random() < 0.2:
        sections = [("", ""), ("Web", "web"), ("Core", "core")]
        if rng.random() < 0.3:
            sections.append(("Web", "web2"))  # a repeated name: the last path wins
    types_toml, types = _types(rng)
    table = "[tool.towncrier]\n" + "\n".join(lines) + "\n"
    for name, path in sections if len(sections) > 1 else []:
        table += f'\n[[tool.towncrier.section]]\nname = "{name}"\npath = "{path}"\n'
    table += types_toml
    where = rng.choice(["pyproject", "pyproject", "towncrier", "towncrier-only"])
    version_from = rng.random()
    version: str | None = rng.choice(["1.2.0", "2.0.0rc1", "0.10.3", "3.1"])
    files: dict[str, str] = {}
    if version_from < 0.08:
        table = table.replace("[tool.towncrier]\n", f'[tool.towncrier]\nversion = "{version}"\n', 1)
        version = None
    elif version_from < 0.15 and use_package_dir:
        files[f"src/{package}/__init__.py"] = f'__version__ = "{version}"\n'
        version = None
    elif version_from < 0.2 and single and "/" not in filename:
        version = "1.0/beta"
    if use_package_dir and f"src/{package}/__init__.py" not in files:
        files[f"src/{package}/__init__.py"] = ""
    project = "" if where == "towncrier-only" else f'[project]\nname = "demo{index}"\n'
    if where == "pyproject":
        files["pyproject.toml"] = project + "\n" + table
    else:
        files["towncrier.toml"] = table
        if project:
            files["pyproject.toml"] = project
    fragments: dict[str, str] = {}
    used: set[str] = set()
    for _ in range(rng.randint(0, 14)):
        section_path = rng.choice(sections)[1]
        folder = f"{frag_base}/{section_path}".rstrip("/")
        kind = rng.choice(types)
        r = rng.random()
        if r < 0.15:
            issue = "+" + str(rng.randint(0, 999)) if "orphan_prefix" not in table else "~x"
        elif r < 0.25:
            issue = rng.choice(["gh-12", "pr7", "abc"])
        else:
            issue = str(rng.randint(1, 60))
        counter = f".{rng.randint(1, 3)}" if rng.random() < 0.15 else ""
        suffix = rng.choice([ext, "", ".txt"]) if rng.random() < 0.4 else ext
        name = f"{folder}/{issue}.{kind}{counter}{suffix}"
        if name in used:
            continue
        used.add(name)
        fragments[name] = _text(rng) if rng.random() < 0.85 else "Shared text.\n"
    if rng.random() < 0.3:
        fragments[f"{frag_base}/README.rst"] = "Fragments go here.\n"
    if rng.random() < 0.2:
        fragments[f"{frag_base}/{'notes.txt' if ignore else 'template.j2'}"] = "not a fragment\n"
    if rng.random() < 0.1:
        fragments[f"{frag_base}/.hidden"] = "x\n"
    if rng.random() < 0.1 and not ignore:
        fragments[f"{frag_base}/7.unknowntype"] = "Typo.\n"
    if rng.random() < 0.1:
        fragments[f"{frag_base}/folder/1.{types[0]}"] = "In a folder below.\n"
    existing: dict[str, tuple[str, int]] = {}
    mode = rng.choice([0o644, 0o600, 0o664])
    if single and rng.random() < 0.5:
        marker = (
            ".. release notes here"
            if "release notes here" in table
            else (
                "<!-- here -->"
                if "<!-- here -->" in table
                else (
                    "<!-- towncrier release notes start -->"
                    if markdown
                    else ".. towncrier release notes start"
                )
            )
        )
        existing[filename] = (
            f"Title\n=====\n\n{marker}\n\nOld 0.1 (2020-01-01)\n-----\n\n- old\n",
            mode,
        )
    elif not single and "{version}" in filename and version and rng.random() < 0.4:
        existing[filename.replace("{version}", version)] = ("Stale notes.\n", mode)
    return {
        "files": files,
        "fragments": fragments,
        "existing": existing,
        "version": version,
        "name": rng.choice([None, None, None, "CLI Name"]),
        "package": package,
    }


def materialize(case: dict[str, Any], root: Path) -> None:
    root.mkdir(parents=True)
    for rel, text in {**case["files"], **case["fragments"]}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for rel, (text, mode) in case["existing"].items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        path.chmod(mode)
    if "notes/{version}" in str(case["files"]):
        (root / "notes").mkdir(exist_ok=True)


def tree(root: Path) -> dict[str, tuple[bytes, int]]:
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(".git") or "__pycache__" in rel or not path.is_file():
            continue
        out[rel] = (path.read_bytes(), stat.S_IMODE(path.stat().st_mode))
    return out


@functools.cache
def _template(source: str, **options: Any) -> Any:
    import jinja2

    return jinja2.Template(source, **options)


def run_towncrier(root: Path, case: dict[str, Any], *, draft: bool) -> tuple[bool, str]:
    from towncrier.build import _main

    args = ["--dir", str(root)]
    if case["version"] is not None:
        args += ["--version", case["version"]]
    if case["name"] is not None:
        args += ["--name", case["name"]]
    args += ["--draft"] if draft else ["--yes"]
    saved_path = list(sys.path)
    try:
        result = CliRunner().invoke(_main, args, catch_exceptions=True)
    finally:
        sys.path[:] = saved_path
        for mod in [m for m in sys.modules if m.startswith(case["package"])]:
            del sys.modules[mod]
    return result.exit_code == 0, result.stdout


def run_relman(root: Path, case: dict[str, Any], *, draft: bool) -> tuple[bool, str]:
    """What `relman notes draft` (or `build`) does, after the configuration is loaded."""
    from relman.commands._notes import notes_version

    try:
        if "config" not in case:
            case["config"] = load_config(root)
        config = case["config"]
        version = notes_version(config, case["version"])
        if draft:
            return True, draft_notes(config, version, name=case["name"]) + "\n"
        build_notes(config, version, name=case["name"])
    except RelmanError:
        return False, ""
    return True, ""


@pytest.fixture(scope="module")
def empty_git(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The .git folder of a fresh repository, copied into each case."""
    root = tmp_path_factory.mktemp("pristine")
    subprocess.run(["git", "init", "-q", "--template=", str(root)], check=True)
    return root / ".git"


CHUNKS = 8  # the cases run in chunks, so that pytest-xdist spreads them over the cores


@pytest.fixture(scope="module")
def cases() -> list[dict[str, Any]]:
    rng = random.Random(SEED)
    return [make_case(rng, i) for i in range(CASES)]


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_draft_and_build_identical_to_towncrier(
    cases: list[dict[str, Any]],
    chunk: int,
    empty_git: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import towncrier._builder

    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    monkeypatch.setattr(towncrier._builder, "Template", _template)
    old_umask = os.umask(0o022)
    differences: list[str] = []
    built = 0
    mine = list(enumerate(cases))[chunk::CHUNKS]
    try:
        for i, shared in mine:
            case = dict(shared)  # the loaded configuration stays with this run
            theirs, ours = tmp_path / f"t{i}", tmp_path / f"r{i}"
            materialize(case, theirs)
            shutil.copytree(theirs, ours, symlinks=True)
            for p in theirs.rglob("*"):  # copytree copies modes; keep them equal
                os.chmod(ours / p.relative_to(theirs), stat.S_IMODE(p.stat().st_mode))
            shutil.copytree(empty_git, ours / ".git")
            t_ok, t_out = run_towncrier(theirs, case, draft=True)
            r_ok, r_out = run_relman(ours, case, draft=True)
            if (t_ok, t_out if t_ok else "") != (r_ok, r_out if r_ok else ""):
                differences.append(
                    f"case {i} draft: towncrier {t_ok} relman {r_ok}\n{t_out!r}\n{r_out!r}"
                )
                continue
            t_ok, _ = run_towncrier(theirs, case, draft=False)
            r_ok, _ = run_relman(ours, case, draft=False)
            if t_ok != r_ok:
                differences.append(f"case {i} build: towncrier {t_ok} relman {r_ok}")
                continue
            if t_ok:
                built += 1
                t_tree, r_tree = tree(theirs), tree(ours)
                if t_tree != r_tree:
                    keys = sorted(set(t_tree) ^ set(r_tree)) or [
                        k for k in t_tree if t_tree[k] != r_tree[k]
                    ]
                    differences.append(f"case {i} build: files differ: {keys[:5]}")
            shutil.rmtree(theirs)
            shutil.rmtree(ours)
    finally:
        os.umask(old_umask)
    assert not differences, f"{len(differences)} of {len(mine)} differ:\n" + "\n".join(
        differences[:15]
    )
    # most generated cases build; the rest are refused by both tools alike
    assert built >= len(mine) * 0.6, (built, len(mine))


def test_the_generator_covers_every_difference(cases: list[dict[str, Any]]) -> None:
    """The settings and situations the cases must hold, so the comparison means something."""
    tables = [
        c["files"].get("towncrier.toml", "") + c["files"].get("pyproject.toml", "") for c in cases
    ]
    assert len(cases) >= 300
    for needle in (
        "single_file = false",
        "ignore = ",
        'path = "web2"',
        "title_format = false",
        "[tool.towncrier.fragment.",
        "[[tool.towncrier.type]]",
        'package_dir = "src"',
        "wrap = ",
        "all_bullets = false",
    ):
        assert any(needle in t for t in tables), needle
    assert any("pyproject.toml" not in c["files"] for c in cases)  # towncrier.toml alone
    assert any(c["version"] is None for c in cases)  # version from the settings or package
    assert any(c["version"] and "/" in c["version"] for c in cases)
    assert any(c["name"] for c in cases)  # --name
    assert any(c["existing"] for c in cases)  # existing news files, with their modes
    assert any("README.rst" in "".join(c["fragments"]) for c in cases)
