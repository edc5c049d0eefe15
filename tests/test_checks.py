"""The preflight check framework, and the git, version, notes and copyright checks."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from relman.checks import CheckReport, kind_of, list_checks, run_checks
from relman.demo import DemoRepo
from relman.errors import CheckFailed, ConfigError, UsageError
from relman.project import load_config
from tests.helpers import GitRepo, run_relman, snapshot

TODAY = dt.date(2026, 11, 21)

PYPROJECT = """\
[project]
name = "demo"
version = "{version}"
requires-python = ">=3.13"
classifiers = [
    "Programming Language :: Python :: 3.13",
    "Programming Language :: Python :: 3.14",
]
{extra}
"""


def make_project(
    tmp_path: Path,
    files: dict[str, str] | None = None,
    *,
    version: str = "1.1.0.dev0",
    extra: str = "",
) -> GitRepo:
    repo = GitRepo(tmp_path / "proj")
    repo.commit(
        "Initial import",
        {
            "pyproject.toml": PYPROJECT.format(version=version, extra=extra),
            "LICENSE": "Copyright (c) 2020-2026, The demo developers\n",
            "src/demo/__init__.py": f'__version__ = "{version}"\n',
            **(files or {}),
        },
    )
    return repo


def run(path: Path, **kwargs: object) -> CheckReport:
    return run_checks(load_config(path), date=TODAY, **kwargs)  # type: ignore[arg-type]


def messages(report: CheckReport, check: str) -> list[str]:
    return [f.message for f in report.findings if f.check == check]


# -- framework ----------------------------------------------------------------


def test_registry_lists_every_family_with_metadata() -> None:
    checks = {c.id: c for c in list_checks()}
    assert list(checks) == [
        "git",
        "version",
        "notes",
        "deprecations",
        "capi",
        "copyright",
        "support",
        "numpy-deps",
        "blockers",
        "ci",
    ]
    assert checks["support"].severity == "warning"
    assert checks["git"].severity == "error"
    assert "bug-fix" not in checks["deprecations"].kinds
    assert all(c.description for c in checks.values())


@pytest.mark.parametrize(
    ("version", "kind"),
    [
        ("2.3.0", "final"),
        ("2.3.0rc1", "rc"),
        ("2.3.0b2", "beta"),
        ("2.3.0a1", "alpha"),
        ("2.3.1", "bug-fix"),
        (None, "final"),
    ],
)
def test_kind_follows_the_version(version: str | None, kind: str) -> None:
    assert kind_of(version) == kind


def test_unknown_ids_and_kinds_are_usage_errors(tmp_path: Path) -> None:
    repo = make_project(tmp_path)
    config = load_config(repo.path)
    with pytest.raises(UsageError, match="did you mean 'copyright'"):
        run_checks(config, version=None, kind=None, only=["copyrite"])
    with pytest.raises(UsageError, match="unknown release kind"):
        run_checks(config, version=None, kind="finale")


def test_config_disable_and_severity(tmp_path: Path) -> None:
    repo = make_project(
        tmp_path,
        extra='[tool.relman.checks]\ndisable = ["support"]\nseverity = {copyright = "error"}\n',
    )
    repo.write({"LICENSE": "Copyright (c) 2019-2025, The demo developers\n"})
    repo.commit("old license")
    report = run(repo.path, version=None, kind=None)
    ids = [r.id for r in report.results]
    assert "support" not in ids
    (finding,) = [f for f in report.findings if f.check == "copyright"]
    assert finding.severity == "error"
    assert not report.ok
    with pytest.raises(CheckFailed, match="LICENSE:1: the copyright notice") as info:
        run(repo.path, version=None, kind=None, only=["copyright"]).raise_for_errors()
    assert info.value.exit_code == 1
    # by default a stale end year warns (NumPy and astropy release under last year's)
    repo.commit("default", {"pyproject.toml": PYPROJECT.format(version="1.1.0.dev0", extra="")})
    report = run(repo.path, version=None, kind=None, only=["copyright"])
    (finding,) = report.findings
    assert finding.severity == "warning" and "does not include 2026" in finding.message
    assert report.ok
    report.raise_for_errors()  # warnings do not raise


def test_bad_check_config_is_a_config_error(tmp_path: Path) -> None:
    repo = make_project(
        tmp_path, extra='[tool.relman.checks]\ndisable = ["gti"]\nseverity = {git = "fatal"}\n'
    )
    with pytest.raises(ConfigError) as info:
        run(repo.path, version=None, kind=None)
    assert "did you mean 'git'" in str(info.value)
    assert "'fatal' is not error or warning" in str(info.value)


# -- git ----------------------------------------------------------------------


def test_git_passes_on_a_clean_synced_demo_repo(example_repo: Callable[[str], DemoRepo]) -> None:
    demo = example_repo("purelib")
    report = run(demo.path, version="1.1.0", kind=None, only=["git"])
    assert report.results[0].status == "passed", report.findings


def test_git_reports_dirty_untracked_branch_sync_and_tags(
    example_repo: Callable[[str], DemoRepo],
) -> None:
    demo = example_repo("purelib")
    repo = GitRepo(demo.path)
    (demo.path / "README.md").write_text("changed\n", encoding="utf-8")
    (demo.path / "notes.txt").write_text("scratch\n", encoding="utf-8")
    report = run(demo.path, version="1.0.0", kind=None, only=["git"])
    found = {(f.file, f.message) for f in report.findings}
    assert ("README.md", "uncommitted change (M)") in found
    assert ("notes.txt", "untracked file") in found
    assert any("tag v1.0.0 already exists" in m for m in messages(report, "git"))
    assert not report.ok
    # behind upstream, on the wrong branch for a bug-fix
    repo.git("checkout", "-q", "--", "README.md")
    (demo.path / "notes.txt").unlink()
    repo.git("reset", "-q", "--hard", "HEAD~1")
    report = run(demo.path, version="1.1.1", kind=None, only=["git"])
    text = messages(report, "git")
    assert any("1 commit behind origin/main" in m for m in text)
    # without maintenance branches, fixes are released from main
    assert not any("maintenance/1.1.x" in m for m in text)
    repo.git("branch", "maintenance/1.1.x")
    text = messages(run(demo.path, version="1.1.1", kind=None, only=["git"]), "git")
    assert any("is made from 'maintenance/1.1.x'" in m for m in text)
    repo.git("branch", "-D", "maintenance/1.1.x")
    # HEAD already released
    repo.git("reset", "-q", "--hard", "origin/main")
    repo.tag("v1.1.0", "release")
    report = run(demo.path, version="1.2.0", kind=None, only=["git"])
    assert messages(report, "git") == ["HEAD is already released as v1.1.0"]


def test_git_warns_about_unpushed_commits_and_missing_upstream(tmp_path: Path) -> None:
    repo = make_project(tmp_path)
    report = run(repo.path, version="1.1.0", kind=None, only=["git"])
    (finding,) = report.findings
    assert finding.severity == "warning"
    assert "has no remote" in finding.message
    assert report.ok
    # with a remote but no upstream branch: the hint names the real remote
    repo.git("remote", "add", "fork", str(tmp_path / "elsewhere.git"))
    (finding,) = run(repo.path, version="1.1.0", kind=None, only=["git"]).findings
    assert finding.message == "branch 'main' has no upstream branch"
    assert (finding.hint or "").startswith("git push -u fork main")


# -- version ------------------------------------------------------------------


def test_version_passes_and_fails_on_real_repos(example_repo: Callable[[str], DemoRepo]) -> None:
    demo = example_repo("purelib")
    assert run(demo.path, version="1.1.0", kind=None, only=["version"]).ok
    assert run(demo.path, version=None, kind=None, only=["version"]).version == "1.1.0"
    # not after the last release
    report = run(demo.path, version="0.9.0", kind=None, only=["version"])
    assert any("does not follow the last release v1.0.0" in m for m in messages(report, "version"))
    # a jump is a warning
    report = run(demo.path, version="1.5.0", kind=None, only=["version"])
    (finding,) = report.findings
    assert finding.severity == "warning" and "skips versions" in finding.message
    # sources disagree
    init = demo.path / "src" / "purelib" / "__init__.py"
    init.write_text(
        init.read_text(encoding="utf-8").replace("1.1.0.dev0", "1.2.0.dev0"), encoding="utf-8"
    )
    report = run(demo.path, version="1.1.0", kind=None, only=["version"])
    assert {f.file for f in report.errors} == {"pyproject.toml", "src/purelib/__init__.py"}
    assert "version sources disagree" in report.errors[0].message


# -- notes --------------------------------------------------------------------


def test_notes_pass_with_pending_fragments(example_repo: Callable[[str], DemoRepo]) -> None:
    demo = example_repo("purelib")
    report = run(demo.path, version="1.1.0", kind=None, only=["notes"])
    assert report.ok
    # the changelog file is configured but not written yet: a warning
    assert [f.severity for f in report.findings] == ["warning"]


def test_notes_fail_without_fragments_or_notes(tmp_path: Path) -> None:
    towncrier = (
        '[tool.towncrier]\ndirectory = "news"\nfilename = "doc/{version}-notes.rst"\n'
        "single_file = false\n"
    )
    repo = make_project(tmp_path, {"news/README.rst": "fragments go here\n"}, extra=towncrier)
    report = run(repo.path, version="1.1.0", kind=None, only=["notes"])
    (finding,) = report.errors
    assert finding.file == "doc/1.1.0-notes.rst"
    assert "no release notes for 1.1.0" in finding.message
    # a bad fragment name is an error too; a good one passes
    repo.commit("news", {"news/12.feature.rst": "Added a thing.\n", "news/13.typo.rst": "x\n"})
    report = run(repo.path, version="1.1.0", kind=None, only=["notes"])
    (bad,) = report.errors
    assert bad.file == "news/13.typo.rst"
    assert "typo" in bad.message
    # notes already built for this version: passes without fragments
    repo.commit(
        "notes",
        {"doc/1.1.0-notes.rst": "Notes\n"},
        remove=["news/12.feature.rst", "news/13.typo.rst"],
    )
    assert run(repo.path, version="1.1.0rc1", kind=None, only=["notes"]).ok


def test_notes_blurb(tmp_path: Path) -> None:
    repo = make_project(tmp_path, {"Misc/NEWS.d/next/Library/README.rst": "x\n"})
    report = run(repo.path, version="1.1.0", kind=None, only=["notes"])
    assert "no release notes for 1.1.0" in report.errors[0].message
    assert report.errors[0].file == "Misc/NEWS.d/1.1.0.rst"
    repo.commit(
        "news",
        {
            "Misc/NEWS.d/next/Library/2026-11-20-10-00-00.gh-issue-123456.AbCd12.rst": "Fix.\n",
            "Misc/NEWS.d/next/Library/fix-thing.rst": "Bad.\n",
        },
    )
    report = run(repo.path, version="1.1.0", kind=None, only=["notes"])
    assert [f.file for f in report.errors] == ["Misc/NEWS.d/next/Library/fix-thing.rst"]


def test_notes_skipped_without_a_fragment_system(tmp_path: Path) -> None:
    repo = make_project(tmp_path)
    (result,) = run(repo.path, version="1.1.0", kind=None, only=["notes"]).results
    assert result.status == "skipped"
    assert "no news fragment system" in (result.reason or "")


# -- copyright ----------------------------------------------------------------


def test_copyright_passes_and_fails(tmp_path: Path) -> None:
    repo = make_project(
        tmp_path,
        {"docs/conf.py": 'copyright = "2021-2025, The demo developers"\n'},
        extra='[tool.relman.checks]\ncopyright-files = ["LICENSE", "docs/conf.py", "NOTICE"]\n',
    )
    report = run(repo.path, version="1.1.0", kind=None, only=["copyright"])
    found = {(f.file, f.line, f.message, f.hint) for f in report.findings}
    assert found == {
        (
            "docs/conf.py",
            1,
            "the copyright notice does not include 2026",
            "update it to 2021-2026, or drop the end year",
        ),
        ("NOTICE", None, "copyright file is missing", None),
    }
    repo.commit(
        "years",
        {"docs/conf.py": 'copyright = "2021-2026, The demo developers"\n', "NOTICE": "(c) 2026\n"},
    )
    assert run(repo.path, version="1.1.0", kind=None, only=["copyright"]).ok


# -- command line -------------------------------------------------------------


def test_cli_exit_codes_json_and_nothing_changes(tmp_path: Path) -> None:
    repo = make_project(
        tmp_path,
        extra='[tool.relman.checks]\ncopyright-files = ["LICENSE"]\n'
        'severity = {copyright = "error"}\n',
    )
    repo.write({"LICENSE": "Copyright (c) 2019-2025, The demo developers\n"})
    repo.commit("old license")
    before = snapshot(repo.path)
    out = run_relman("check", "--json", "--date", "2026-11-21", cwd=repo.path)
    assert out.returncode == 1, out.stderr
    data = json.loads(out.stdout)
    assert data["ok"] is False and data["version"] == "1.1.0" and data["kind"] == "final"
    by_id = {c["id"]: c for c in data["checks"]}
    assert by_id["copyright"]["status"] == "failed"
    assert by_id["copyright"]["findings"][0]["file"] == "LICENSE"
    assert by_id["blockers"]["status"] == "skipped"
    assert (
        "error: 1 error found by the preflight checks: LICENSE:1: "
        "the copyright notice does not include 2026"
    ) in out.stderr
    assert "hint: update it to 2019-2026" in out.stderr
    out = run_relman("check", "--skip", "copyright,git", "--date", "2026-11-21", cwd=repo.path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "[skip] blockers" in out.stdout
    out = run_relman("check", "--only", "nope", cwd=repo.path)
    assert out.returncode == 2
    assert "unknown check 'nope'" in out.stderr
    out = run_relman("check", "--list", "--json", cwd=repo.path)
    assert [c["id"] for c in json.loads(out.stdout)][:2] == ["git", "version"]
    assert snapshot(repo.path) == before


def test_cli_bad_version_and_kind_are_usage_errors(tmp_path: Path) -> None:
    repo = make_project(tmp_path)
    out = run_relman("check", "--version", "1.2.0-RC1", cwd=repo.path)
    assert out.returncode == 2
    assert "hint: write it as 1.2.0rc1" in out.stderr
    out = run_relman("check", "--kind", "bugfix", cwd=repo.path)
    assert out.returncode == 2
    assert "did you mean 'bug-fix'" in out.stderr


def test_kinds_select_the_checks(tmp_path: Path) -> None:
    repo = make_project(tmp_path)
    bug_fix = {r.id for r in run(repo.path, version="1.0.1", kind=None).results}
    assert "support" not in bug_fix and "deprecations" not in bug_fix
    assert {"git", "version", "copyright", "numpy-deps"} <= bug_fix
    new_branch = {r.id for r in run(repo.path, version="1.1.0", kind="new-branch").results}
    assert "notes" not in new_branch and "deprecations" in new_branch
    # --only runs a check even when the kind would leave it out
    only = run(repo.path, version="1.0.1", kind=None, only=["support"])
    assert [r.id for r in only.results] == ["support"]


def test_empty_repository(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "empty")
    repo.write({"pyproject.toml": PYPROJECT.format(version="0.1.0.dev0", extra="")})
    report = run(repo.path, version=None, kind=None, only=["git", "version"])
    assert messages(report, "git") == ["the repository has no commits"]
    assert report.version == "0.1.0"


def test_context_reads_each_file_once_and_lists_files_once(tmp_path: Path) -> None:
    import datetime

    from relman.checks import CheckContext
    from relman.git import Repo

    repo = make_project(tmp_path / "mono" / "sub")
    ctx = CheckContext(
        load_config(repo.path),
        Repo(repo.path),
        version="1.1.0",
        kind="final",
        date=datetime.date(2026, 1, 1),
        environ={},
    )
    first = ctx.read_text("LICENSE")
    (repo.path / "LICENSE").write_text("changed\n", encoding="utf-8")
    assert ctx.read_text("LICENSE") is first
    assert ctx.read_text("missing.txt") is None
    assert "src/demo/__init__.py" in ctx.tracked_files
    assert ctx.tracked_files is ctx.tracked_files
    assert ctx.line_of("pyproject.toml", "requires-python") == 4
