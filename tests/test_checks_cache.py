"""What the checks remember between runs, in the git directory: per-file results
keyed by path and content (the deprecations scan), and the tags reachable from a
commit. A remembered answer is used only while its key holds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from relman import _cache
from relman._cache import blob_id
from relman.checks import run_checks
from relman.git import Repo
from relman.project import load_config
from tests.test_checks import make_project

DUE = (
    "import warnings\n\n\ndef old():\n"
    '    warnings.warn("old() will be removed in 1.1", DeprecationWarning)\n'
)
# a large project's module tree (SciPy's shape: many modules, a few with deprecations)
MODULES = {f"src/demo/m{i}.py": f"def f{i}():\n    return {i}\n" for i in range(60)}


@pytest.fixture(autouse=True)
def _caches_written() -> Iterator[None]:
    """As `relman check` does; restored after the test (the default writes none)."""
    _cache.allow_writes()
    yield
    _cache._WRITES.pop()


def _messages(path: Path) -> list[str]:
    report = run_checks(load_config(path), version="1.1.0", kind=None, only=["deprecations"])
    return [f.message for f in report.findings]


def test_blob_id_is_gits() -> None:
    # `printf 'hello\n' | git hash-object --stdin`
    assert blob_id("hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"


def test_deprecation_results_come_from_the_cache_only_while_the_file_is_unchanged(
    tmp_path: Path,
) -> None:
    repo = make_project(tmp_path, {"src/demo/mod.py": DUE})
    first = _messages(repo.path)
    assert len(first) == 1 and "due for removal in 1.1" in first[0]
    cache = repo.path / ".git" / "relman" / "cache" / "deprecations.json"
    data = json.loads(cache.read_text())
    key = f"src/demo/mod.py\0{blob_id(DUE)}"
    assert data["entries"][key], data["entries"]
    # the files with nothing to find are remembered as such (not read next time)
    assert all(v == [] for k, v in data["entries"].items() if k != key)
    # the next run reads what it remembered: a planted answer under the same key shows
    planted = list(data["entries"][key][0])
    planted[4] = "planted() will be removed in 1.1"
    data["entries"][key] = [planted]
    cache.write_text(json.dumps(data))
    assert "planted()" in _messages(repo.path)[0]
    # a changed file has another blob id: parsed again, the planted answer is not used,
    # though the index still holds the old blob
    (repo.path / "src/demo/mod.py").write_text(DUE.replace("old()", "older()"))
    assert "older()" in _messages(repo.path)[0]
    # staged, the index's blob id is the new content's
    repo.git("add", "src/demo/mod.py")
    assert "older()" in _messages(repo.path)[0]
    # and a cache of another version of the rules is ignored
    data = json.loads(cache.read_text())
    data["salt"] = "another version of the check"
    for k in data["entries"]:
        data["entries"][k] = []
    cache.write_text(json.dumps(data))
    assert "older()" in _messages(repo.path)[0]


def test_many_files_are_scanned_in_parallel_with_the_same_result(tmp_path: Path) -> None:
    files = {**MODULES, **{f"src/demo/d{i}.py": DUE.replace("old", f"old{i}") for i in range(50)}}
    repo = make_project(tmp_path, files)
    cold = _messages(repo.path)
    assert sorted(m.split(":")[-1] for m in cold) == sorted(
        f" old{i}() will be removed in 1.1" for i in range(50)
    )
    warm = _messages(repo.path)
    assert warm == cold


def test_a_git_directory_that_cannot_hold_the_cache_runs_uncached(tmp_path: Path) -> None:
    repo = make_project(tmp_path, {"src/demo/mod.py": DUE})
    blocker = repo.path / ".git" / "relman" / "cache"
    blocker.parent.mkdir()
    blocker.write_text("not a folder\n")  # writing under it fails, even for root
    assert len(_messages(repo.path)) == 1
    assert len(_messages(repo.path)) == 1
    assert blocker.read_text() == "not a folder\n"


def test_merged_tags_follow_the_commit_and_the_tags(tmp_path: Path) -> None:
    repo = make_project(tmp_path)
    repo.git("tag", "v1.0.0")
    r = Repo(repo.path)
    assert r.merged_tags("HEAD") == ["v1.0.0"]
    cache = repo.path / ".git" / "relman" / "cache" / "merged-tags.json"
    assert cache.is_file()
    # a new tag changes the key: asked again, not answered from the cache
    repo.git("tag", "v1.0.1")
    assert r.merged_tags("HEAD") == ["v1.0.0", "v1.0.1"]
    # a tag on a commit that HEAD does not reach is not merged
    repo.git("checkout", "-q", "-b", "side")
    repo.commit("side work", {"side.txt": "x\n"})
    repo.git("tag", "v2.0.0")
    repo.git("checkout", "-q", "-")
    assert r.merged_tags("HEAD") == ["v1.0.0", "v1.0.1"]
    assert r.merged_tags("side") == ["v1.0.0", "v1.0.1", "v2.0.0"]


def test_nothing_is_remembered_unless_the_command_asks(tmp_path: Path) -> None:
    # a release, a plan or a dry run leaves the git directory as it found it
    repo = make_project(tmp_path, {"src/demo/mod.py": DUE})
    repo.git("tag", "v1.0.0")
    _cache._WRITES.append(False)
    try:
        assert len(_messages(repo.path)) == 1
        assert Repo(repo.path).merged_tags("HEAD") == ["v1.0.0"]
    finally:
        _cache._WRITES.pop()
    assert not (repo.path / ".git" / "relman").exists()


def test_check_and_status_remember_and_a_plan_does_not(tmp_path: Path) -> None:
    from tests.helpers import run_relman

    repo = make_project(tmp_path, {"src/demo/mod.py": DUE})
    repo.git("tag", "v1.0.0")
    cache = repo.path / ".git" / "relman" / "cache"
    run_relman("plan", "1.1.0", cwd=repo.path)
    assert not cache.exists()
    run_relman("status", cwd=repo.path)
    assert (cache / "merged-tags.json").is_file()
    run_relman("check", "--version", "1.1.0", cwd=repo.path)
    assert (cache / "deprecations.json").is_file()


def test_the_setuptools_scm_version_of_a_clean_tree_is_remembered(tmp_path: Path) -> None:
    """pytest's shape: the version from git by setuptools-scm ([tool.setuptools_scm])."""
    from tests.helpers import GitRepo, run_relman

    g = GitRepo(tmp_path / "scmish")
    g.commit(
        "start",
        {
            "pyproject.toml": '[build-system]\nrequires = ["setuptools", "setuptools-scm"]\n'
            '[project]\nname = "scmish"\ndynamic = ["version"]\n[tool.setuptools_scm]\n',
            "src/scmish/__init__.py": "",
        },
    )
    g.tag("8.2.0", "8.2.0")
    g.commit("work")

    def status() -> dict[str, object]:
        out = run_relman("status", "--json", cwd=g.path)
        assert out.returncode == 0, out.stderr
        data: dict[str, object] = json.loads(out.stdout)
        return data

    first = status()
    assert str(first["version"]).startswith("8.2.1.dev1+g")
    assert first["commits_since_release"] == 1
    cache = g.path / ".git" / "relman" / "cache"
    scm = json.loads((cache / "scm-version.json").read_text())
    (key,) = scm
    assert scm[key] == [first["version"]]
    # the next run answers from what it remembered: a planted answer shows
    (cache / "scm-version.json").write_text(json.dumps({key: ["8.2.1.dev1+gplanted"]}))
    counts = json.loads((cache / "commit-counts.json").read_text())
    (count_key,) = counts
    (cache / "commit-counts.json").write_text(json.dumps({count_key: 41}))
    planted = status()
    assert planted["version"] == "8.2.1.dev1+gplanted"
    assert planted["commits_since_release"] == 41
    # a change to a tracked file: setuptools-scm is asked (its dirty version has a date)
    (g.path / "src" / "scmish" / "__init__.py").write_text("x = 1\n")
    dirty = status()
    assert "planted" not in str(dirty["version"]) and str(dirty["version"]).startswith("8.2.1")
    (g.path / "src" / "scmish" / "__init__.py").write_text("")
    # a new tag, or a new commit, is another key
    g.tag("8.2.1", "8.2.1")
    assert status()["version"] == "8.2.1"
    g.commit("more work")
    after = status()
    assert str(after["version"]).startswith("8.2.2.dev1+g")
    assert after["commits_since_release"] == 1


@pytest.mark.parametrize(
    ("fragment", "extra"),
    [
        # NumPy's shape: towncrier fragments in doc/release/upcoming_changes
        (
            "doc/release/upcoming_changes/12.feature.rst",
            '[tool.towncrier]\ndirectory = "doc/release/upcoming_changes"\n',
        ),
        # CPython's: blurb entries in Misc/NEWS.d/next/<section>
        (
            "Misc/NEWS.d/next/Library/2026-11-02-10-00-00.gh-issue-130500.AbCdEf.rst",
            '[tool.relman.notes]\nsystem = "blurb"\n',
        ),
    ],
)
def test_fragments_are_not_parsed_again_while_their_text_is_unchanged(
    tmp_path: Path, fragment: str, extra: str
) -> None:
    from relman.notes.check import check_fragments

    good = "A new ``keyword`` for ``demo.f``.\n"
    repo = make_project(tmp_path, {fragment: good}, extra=extra)
    config = load_config(repo.path)
    assert check_fragments(config) == []
    cache = repo.path / ".git" / "relman" / "cache" / "rst.json"
    data = json.loads(cache.read_text())
    (key,) = data["entries"]
    assert key == f"\0{blob_id(good)}" and data["entries"][key] == []
    # the next run answers from what it remembered: a planted answer shows
    data["entries"][key] = ["line 1: planted"]
    cache.write_text(json.dumps(data))
    assert [p.reason for p in check_fragments(config)] == [
        "invalid reStructuredText: line 1: planted"
    ]
    # another text is parsed: broken markup is found
    (repo.path / fragment).write_text("An ``unclosed literal.\n")
    (problem,) = check_fragments(config)
    assert "planted" not in problem.reason and "literal" in problem.reason.lower()


def test_a_few_large_modules_are_scanned_in_parallel_with_the_same_result(
    tmp_path: Path,
) -> None:
    # SciPy's shape: a few candidate modules of thousands of lines each
    filler = "".join(f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(6000))
    files = {f"src/demo/big{i}.py": filler + DUE.replace("old", f"old{i}") for i in range(3)}
    assert sum(len(v) for v in files.values()) > 500_000  # more than one worker's share
    repo = make_project(tmp_path, files)
    cold = _messages(repo.path)
    assert sorted(m.split(":")[-1] for m in cold) == sorted(
        f" old{i}() will be removed in 1.1" for i in range(3)
    )
    assert _messages(repo.path) == cold
