"""[tool.relman]: validation, detection, precedence, `relman config` and `relman init`."""

from __future__ import annotations

import json

import pytest

from relman.errors import ConfigError, NotARepository
from relman.project import load_config
from tests.helpers import GitRepo, run_relman, snapshot

PLAIN = '[project]\nname = "plain"\nversion = "2.3.0.dev0"\n'


def test_all_problems_reported_together(git_repo: GitRepo) -> None:
    git_repo.write(
        {
            "pyproject.toml": PLAIN
            + (
                "\n[tool.relman]\nmain-brnch = 'main'\ntag-format = 'release'\n"
                "[tool.relman.publish]\nworkers = 'eight'\ntargt = 'local'\n"
                "[tool.relman.notes]\nsystem = 'reno'\n"
            )
        }
    )
    git_repo.commit("init")
    with pytest.raises(ConfigError) as info:
        load_config(git_repo.path)
    problems = info.value.problems
    assert any(
        "tool.relman.main-brnch: unknown key (did you mean 'main-branch'?)" in p for p in problems
    )
    assert any("tool.relman.tag-format" in p and "{version}" in p for p in problems)
    assert any("tool.relman.publish.workers: expected an integer" in p for p in problems)
    assert any(
        "tool.relman.publish.targt: unknown key (did you mean 'target'?)" in p for p in problems
    )
    assert any("tool.relman.notes.system" in p and "towncrier" in p for p in problems)
    assert len(problems) == 5


def test_config_error_exit_code_and_nothing_changes(git_repo: GitRepo) -> None:
    git_repo.write({"pyproject.toml": PLAIN + "\n[tool.relman]\nremote = 3\n"})
    git_repo.commit("init")
    before = snapshot(git_repo.path)
    out = run_relman("init", "--write", cwd=git_repo.path)
    assert out.returncode == 2
    assert "tool.relman.remote: expected a string" in out.stderr
    assert snapshot(git_repo.path) == before


def test_detection_without_table(git_repo: GitRepo) -> None:
    git_repo.write(
        {
            "pyproject.toml": PLAIN,
            "Misc/NEWS.d/next/Library/.keep": "",
            "doc/changelog/.keep": "",
            "LICENSE.txt": "Copyright 2026",
        }
    )
    git_repo.commit("init")
    git_repo.tag("1.0.0")
    git_repo.tag("1.1.0")
    git_repo.branch("1.1.x")
    git_repo.branch("1.0.x")
    git_repo.git("branch", "-m", "main", "master")
    git_repo.git("remote", "add", "upstream", "git@github.com:example/plain.git")
    config = load_config(git_repo.path, environ={})
    assert config.tag_format == "{version}"
    assert config.main_branch == "master"
    assert config.maintenance_branch == "{major}.{minor}.x"
    assert config.notes.system == "blurb"
    assert config.changelog.path == "doc/changelog/{version}-changelog.rst"
    assert config.remote == "upstream"
    assert config.github.repo == "example/plain"
    assert config.changelog.pr_url == "https://github.com/example/plain/pull/{number}"
    assert config.checks.copyright_files == ("LICENSE.txt",)
    assert [f.path for f in config.version.files] == ["pyproject.toml"]
    for key in ("tag-format", "main-branch", "maintenance-branch", "notes.system", "remote"):
        assert config.origins[key] == "detected", key


def test_v_prefixed_tags_and_maintenance_pattern(git_repo: GitRepo) -> None:
    git_repo.write({"pyproject.toml": PLAIN})
    git_repo.commit("init")
    git_repo.tag("v1.0.0")
    git_repo.tag("v1.1.0rc1")
    git_repo.branch("maintenance/1.0.x")
    config = load_config(git_repo.path, environ={})
    assert config.tag_format == "v{version}"
    assert config.maintenance_branch == "maintenance/{major}.{minor}.x"
    assert config.main_branch == "main"


def test_precedence_default_pyproject_env_flag(git_repo: GitRepo) -> None:
    git_repo.write(
        {"pyproject.toml": PLAIN + "\n[tool.relman.publish]\nworkers = 4\ntarget = 'local'\n"}
    )
    git_repo.commit("init")
    config = load_config(git_repo.path, environ={})
    assert config.publish.workers == 4
    assert config.origins["publish.workers"] == "pyproject"
    assert config.publish.retries == 5
    assert config.origins["publish.retries"] == "default"
    config = load_config(
        git_repo.path, environ={"RELMAN_PUBLISH_WORKERS": "2", "RELMAN_TAG_FORMAT": "rel-{version}"}
    )
    assert config.publish.workers == 2
    assert config.origins["publish.workers"] == "environment"
    assert config.tag_format == "rel-{version}"
    config = load_config(
        git_repo.path,
        environ={"RELMAN_PUBLISH_WORKERS": "2"},
        overrides={"publish": {"workers": 1}},
    )
    assert config.publish.workers == 1
    assert config.origins["publish.workers"] == "flag"


def test_bad_environment_value_is_reported(git_repo: GitRepo) -> None:
    git_repo.write({"pyproject.toml": PLAIN})
    git_repo.commit("init")
    with pytest.raises(ConfigError) as info:
        load_config(git_repo.path, environ={"RELMAN_PUBLISH_WORKERS": "many"})
    assert "publish.workers" in str(info.value)


def test_config_command_shows_origins(example_repo) -> None:
    demo = example_repo("purelib")
    out = run_relman("config", "--json", cwd=demo.path, env={"RELMAN_PUBLISH_WORKERS": "3"})
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["project"]["value"] == "relman-demo-purelib"
    assert data["tag-format"] == {"value": "v{version}", "origin": "pyproject"}
    assert data["notes.system"] == {"value": "towncrier", "origin": "detected"}
    assert data["publish.workers"] == {"value": 3, "origin": "environment"}
    assert data["publish.target"] == {"value": "local", "origin": "default"}
    text = run_relman("config", cwd=demo.path)
    assert "notes.system" in text.stdout and "detected" in text.stdout
    # booleans as TOML writes them, lists one item a line
    rows = {
        cells[0]: cells
        for line in text.stdout.splitlines()
        if len(cells := [c.strip() for c in line.split("|")]) == 3
    }
    assert rows["release.source-only"][1] == "false"
    assert "True" not in text.stdout and "False" not in text.stdout
    # no value is one long string (version.files was one 150-column line); the project
    # folder's value is as long as its path, and the table is as wide as its widest value
    values = [
        cells[1]
        for line in text.stdout.splitlines()
        if len(cells := [c.strip() for c in line.split("|")]) == 3 and str(demo.path) not in line
    ]
    assert values and [v for v in values if len(v) > 80] == []


@pytest.mark.parametrize("example", ["purelib", "cext"])
def test_init_shows_and_writes(example_repo, example: str) -> None:
    demo = example_repo(example)
    path = demo.path / "pyproject.toml"
    original = path.read_text()
    shown = run_relman("init", cwd=demo.path)
    assert shown.returncode == 0, shown.stderr
    assert "[tool.relman]" in shown.stdout
    assert path.read_text() == original
    written = run_relman("init", "--write", cwd=demo.path)
    # the examples already have a table: only detected keys that are missing are added
    assert written.returncode in (0, 3), written.stderr
    new = path.read_text()
    assert new.startswith(original.split("[tool.relman]")[0])  # formatting and comments survive
    assert "# Release notes are towncrier fragments" in new or example == "cext"


def test_init_on_project_without_table(git_repo: GitRepo) -> None:
    text = '# my project\n[project]\nname = "plain"  # the name\nversion = "2.3.0.dev0"\n'
    git_repo.write({"pyproject.toml": text})
    git_repo.commit("init")
    git_repo.tag("2.2.0")
    # --dry-run shows the change as a diff and writes nothing
    dry = run_relman("init", "--write", "--dry-run", cwd=git_repo.path)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.startswith("--- a/pyproject.toml\n+++ b/pyproject.toml\n")
    assert "+[tool.relman]\n" in dry.stdout and '+tag-format = "{version}"' in dry.stdout
    assert (git_repo.path / "pyproject.toml").read_text() == text
    out = run_relman("init", "--write", cwd=git_repo.path)
    assert out.returncode == 0, out.stderr
    new = (git_repo.path / "pyproject.toml").read_text()
    assert new.startswith(text)
    config = load_config(git_repo.path, environ={})
    assert config.origins["tag-format"] == "pyproject"
    assert config.tag_format == "{version}"
    again = run_relman("init", "--write", cwd=git_repo.path)
    assert again.returncode == 3
    assert (git_repo.path / "pyproject.toml").read_text() == new


def test_without_a_remote_everyone_says_so(git_repo: GitRepo) -> None:
    # a new project, committed locally and never pushed
    git_repo.write(
        {
            "pyproject.toml": '[project]\nname = "fresh"\nversion = "0.1.0"\n',
            "src/fresh/__init__.py": "",
        }
    )
    git_repo.commit("init")
    init = run_relman("init", cwd=git_repo.path)
    assert init.returncode == 0, init.stderr
    assert "remote" not in init.stdout
    config = json.loads(run_relman("config", "--json", cwd=git_repo.path).stdout)
    assert config["remote"]["origin"] == "default"
    check = run_relman("check", "--only", "git", "--json", cwd=git_repo.path)
    (finding,) = json.loads(check.stdout)["checks"][0]["findings"]
    assert finding["message"].startswith("the repository has no remote")
    assert "origin/main" not in finding["message"] + finding["hint"]
    plan = run_relman("plan", "0.1.0", "--json", cwd=git_repo.path)
    assert plan.returncode == 0, plan.stderr
    steps = {s["name"]: s for s in json.loads(plan.stdout)["steps"]}
    assert steps["push"]["status"] == "skipped"
    assert "has no remote" in steps["push"]["reason"]
    post = steps["post-release"]["actions"]
    assert post[-1].startswith("not pushed: the repository has no remote")
    assert not any(a.startswith("push ") for a in post)


def test_each_detected_value_is_detected_when_first_read(git_repo: GitRepo, tmp_path) -> None:
    # a towncrier project (towncrier's own layout: [tool.towncrier] in pyproject.toml)
    # that is not yet a git repository: what needs no git is detected without it
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "pyproject.toml").write_text(PLAIN + '\n[tool.towncrier]\ndirectory = "changes"\n')
    config = load_config(plain, environ={})
    assert config.notes.system == "towncrier"
    assert config.origins["notes.system"] == "detected"
    assert [f.path for f in config.version.files] == ["pyproject.toml"]
    with pytest.raises(NotARepository):
        config.tag_format  # noqa: B018 (reading it asks git)
    assert config.notes.system == "towncrier"  # what was read stays read

    # in a repository the tags are looked at when the tag format is first read, then kept
    git_repo.write({"pyproject.toml": PLAIN})
    git_repo.commit("init")
    config = load_config(git_repo.path, environ={})
    assert config.origins["publish.target"] == "default"
    git_repo.tag("release-1.0.0")
    git_repo.tag("release-1.1.0")
    assert "tag-format" in config.origins
    assert config.origins["tag-format"] == "detected"
    assert config.tag_format == "release-{version}"
    git_repo.tag("v1.2.0")
    git_repo.tag("v1.3.0")
    git_repo.tag("v1.4.0")
    assert config.tag_format == "release-{version}"
    # an explicit value is never detected, and wins
    config = load_config(git_repo.path, environ={"RELMAN_TAG_FORMAT": "rel-{version}"})
    assert (config.tag_format, config.origins["tag-format"]) == ("rel-{version}", "environment")
    config = load_config(git_repo.path, environ={})
    assert (config.tag_format, config.origins["tag-format"]) == ("v{version}", "detected")
    assert config.remote == "origin"
    assert config.origins["remote"] == "default"  # no remote to detect


def test_a_detected_value_is_checked_as_a_configured_one(git_repo: GitRepo) -> None:
    # release tags whose prefix has braces: the detected format would be a template
    # with a field a tag name does not have
    git_repo.write({"pyproject.toml": PLAIN})
    git_repo.commit("init")
    git_repo.tag("rel{x}-1.0")
    git_repo.tag("rel{x}-1.1")
    config = load_config(git_repo.path, environ={})  # nothing is detected yet
    with pytest.raises(ConfigError) as info:
        config.tag_format  # noqa: B018
    assert info.value.problems == [
        "tool.relman.tag-format: 'rel{x}-{version}' uses {x}; this template gets only "
        "{version} (detected)"
    ]
    before = snapshot(git_repo.path)
    for args in (("config",), ("status",)):
        out = run_relman(*args, cwd=git_repo.path)
        assert out.returncode == 2, out.stderr
        assert "tool.relman.tag-format: 'rel{x}-{version}' uses {x}" in out.stderr
        assert "hint: set tag-format in [tool.relman] of pyproject.toml" in out.stderr
        assert "Traceback" not in out.stderr
    assert snapshot(git_repo.path) == before
    # set explicitly, the tags are not asked
    git_repo.write({"pyproject.toml": PLAIN + "\n[tool.relman]\ntag-format = 'v{version}'\n"})
    assert load_config(git_repo.path, environ={}).tag_format == "v{version}"
