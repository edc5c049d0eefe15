"""The command line: global options, exit codes, fast start, plain output when piped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import GitRepo, run_relman, snapshot


def test_help_lists_every_group(tmp_path: Path) -> None:
    out = run_relman("--help", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    for group in (
        "version",
        "notes",
        "changelog",
        "check",
        "build",
        "verify",
        "publish",
        "release",
        "plan",
        "status",
        "config",
        "init",
    ):
        assert f"\n  {group} " in out.stdout


def test_help_imports_no_heavy_module(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from relman.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('rich', 'httpx', 'jinja2', 'tomlkit', 'build', 'readme_renderer') if m in sys.modules]\n"
        "print('heavy:' + ','.join(heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "heavy:"


def test_help_is_printed_as_click_lays_it_out_without_importing_click(tmp_path: Path) -> None:

    from relman.cli import render_help
    from relman.commands._root import cli

    # click keeps the help between 50 and 78 columns: every width it can choose
    for width in range(50, 79):
        ctx = cli.make_context("relman", [], resilient_parsing=True, terminal_width=width)
        assert render_help(width) == cli.get_help(ctx) + "\n", width
    code = (
        "import sys\n"
        "from relman.cli import main\n"
        "code = main(['--help'])\n"
        "print('click:' + str('click' in sys.modules), code)\n"
    )
    for columns in ("20", "64", "300"):
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            check=True,
            env={**os.environ, "COLUMNS": columns},
        )
        assert out.stdout.splitlines()[-1] == "click:False 0"
        width = max(min(int(columns), 80) - 2, 50)
        ctx = cli.make_context("relman", [], resilient_parsing=True, terminal_width=width)
        assert out.stdout[: -len("click:False 0\n")] == cli.get_help(ctx) + "\n"
    # `-h` is the same; anything more goes through click (a command's help)
    short = run_relman("-h", cwd=tmp_path)
    assert short.returncode == 0 and short.stdout.startswith("Usage: relman [OPTIONS] COMMAND")
    sub = run_relman("check", "--help", cwd=tmp_path)
    assert sub.returncode == 0 and "Usage: relman check [OPTIONS]" in sub.stdout


def test_python_m_relman_works(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "relman", "--version"], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0
    assert "relman" in out.stdout


def test_global_options_before_and_after(example_repo) -> None:
    demo = example_repo("purelib")
    before = run_relman("--json", "status", cwd=demo.path)
    after = run_relman("status", "--json", cwd=demo.path)
    assert before.returncode == after.returncode == 0, before.stderr + after.stderr
    assert json.loads(before.stdout) == json.loads(after.stdout)


def test_project_option_from_elsewhere(example_repo, tmp_path: Path) -> None:
    demo = example_repo("purelib")
    out = run_relman("status", "--project", str(demo.path), "--json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["project"] == "relman-demo-purelib"


def test_not_a_git_repository(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1.0"\n')
    before = snapshot(tmp_path)
    out = run_relman("status", cwd=tmp_path)
    assert out.returncode == 2
    assert "not inside a git repository" in out.stderr
    assert "Traceback" not in out.stderr
    assert snapshot(tmp_path) == before


def test_no_pyproject(git_repo: GitRepo) -> None:
    out = run_relman("status", cwd=git_repo.path)
    assert out.returncode == 2
    assert "no pyproject.toml" in out.stderr
    assert out.stderr.startswith("error: ")
    assert "hint: " in out.stderr


def test_invalid_toml_reports_line_and_column(git_repo: GitRepo) -> None:
    git_repo.write({"pyproject.toml": '[project]\nname = "x"\nversion = 1.0"\n'})
    out = run_relman("config", cwd=git_repo.path)
    assert out.returncode == 2
    assert "not valid TOML" in out.stderr
    assert "line 3" in out.stderr


def test_missing_git_is_a_clear_error(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.write({"pyproject.toml": '[project]\nname = "x"\nversion = "1.0"\n'})
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    out = run_relman("status", cwd=git_repo.path, env={"PATH": str(empty)})
    assert out.returncode == 4
    assert "git was not found" in out.stderr
    assert "hint: install git" in out.stderr


def test_traceback_only_when_asked(git_repo: GitRepo) -> None:
    out = run_relman("status", cwd=git_repo.path, env={"RELMAN_DEBUG": "1"})
    assert out.returncode == 2
    assert "Traceback" in out.stderr
    out = run_relman("status", "-v", cwd=git_repo.path)
    assert "Traceback" in out.stderr


def test_unknown_command_is_usage_error(tmp_path: Path) -> None:
    out = run_relman("frobnicate", cwd=tmp_path)
    assert out.returncode == 2


def test_no_colour_when_piped(example_repo) -> None:
    demo = example_repo("purelib")
    out = run_relman("config", cwd=demo.path, env={"NO_COLOR": ""})
    assert out.returncode == 0
    assert "\x1b[" not in out.stdout and "\x1b[" not in out.stderr


def test_a_mistyped_command_gets_a_suggestion(tmp_path: Path) -> None:
    out = run_relman("relase", "1.0.0", cwd=tmp_path)
    assert out.returncode == 2
    assert "no such command 'relase'; did you mean `relman release`?" in out.stderr
    out = run_relman("xyzzy", cwd=tmp_path)
    assert out.returncode == 2
    assert "`relman --help` lists them" in out.stderr


def test_piped_tables_are_laid_out_as_rich_lays_them_out() -> None:
    import contextlib
    import io
    import random
    import string

    from relman.commands._common import plain_table, rich_table

    rng = random.Random(17)
    alphabet = string.ascii_letters + string.digits + " .-_/()[]*:|+=,'\"#~"
    checked = 0
    for case in range(900):
        n = rng.randint(1, 6)
        limit = rng.choice((3, 12, 40, 80))
        headers = ["".join(rng.choices(alphabet, k=rng.randint(1, 12))) for _ in range(n)]
        cells = [
            ["".join(rng.choices(alphabet, k=rng.randint(0, limit))) for _ in range(n)]
            for _ in range(rng.randint(0, 8))
        ]
        title = rng.choice(
            (None, "publish to pypi", "publish to http://127.0.0.1:8080/", "x" * rng.randint(1, 90))
        )
        if rng.random() < 0.2 and cells:  # what rich may read as an emoji code, or not
            cells[0][0] = rng.choice((":smile:", "a:b:c", "sha256:ab:", ":+1: ok", "x::y"))
        plain = plain_table(headers, cells, title=title)
        if plain is None:
            continue  # rich lays these out: wider than the console
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rich_table(headers, cells, title=title)
        assert plain == out.getvalue(), (case, headers, cells, title)
        checked += 1
    assert checked > 400
    # at the console's width exactly
    for total in range(195, 201):
        for columns in (1, 2, 5):
            first = total - 3 * (columns - 1) - 2 * (columns - 1)
            headers = ["h"] * columns
            cells = [["x" * first, *(["yy"] * (columns - 1))]]
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                rich_table(headers, cells, title="t")
            assert plain_table(headers, cells, title="t") == out.getvalue(), (total, columns)
    # what rich must lay out: wide tables, text that is not plain ASCII
    assert plain_table(["a"], [["x" * 201]]) is None
    assert plain_table(["a"], [["ünïcode"]]) is None
    assert plain_table(["a"], [["tab\there"]]) is None
    assert plain_table(["a"], [["a :smile: b"]]) is None
    assert plain_table(["a"], [["x"]], title="publish to http://127.0.0.1:8080/") is not None
    assert plain_table(["a"], [["x"]], title="[bold]markup[/bold]") is None
