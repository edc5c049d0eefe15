"""The layers contract (pyproject.toml's [tool.importlinter]) holds for relman's
own tree and catches a lower layer that imports a higher one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("lint-imports", path=os.path.dirname(sys.executable)) or shutil.which(
        "lint-imports"
    )
    assert exe, "import-linter is a test dependency: pip install -e '.[test]'"
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    return subprocess.run(
        [exe, "--no-cache"], cwd=tree, env=env, capture_output=True, text=True, check=False
    )


def _copy_tree(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    shutil.copytree(ROOT / "src" / "relman", tree / "src" / "relman")
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


@pytest.mark.slow
def test_the_layers_hold_for_relman(tmp_path: Path) -> None:
    result = _lint_imports(_copy_tree(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.slow
def test_a_lower_layer_importing_a_higher_one_breaks_the_contract(tmp_path: Path) -> None:
    tree = _copy_tree(tmp_path)
    config = tree / "src" / "relman" / "config.py"
    # even a lazy import inside a function counts
    config.write_text(
        config.read_text() + "\n\ndef _reach_up() -> None:\n    from relman import release\n"
    )
    result = _lint_imports(tree)
    assert result.returncode == 1, result.stdout
    assert "BROKEN" in result.stdout
    assert "relman.config -> relman.release" in result.stdout


@pytest.mark.slow
def test_a_cycle_between_siblings_breaks_the_contract(tmp_path: Path) -> None:
    tree = _copy_tree(tmp_path)
    # two modules of one layer (non-independent siblings) importing each other
    support = tree / "src" / "relman" / "support.py"
    support.write_text(
        support.read_text() + "\n\ndef _cycle() -> None:\n    from relman import forge\n"
    )
    forge = tree / "src" / "relman" / "forge.py"
    forge.write_text(
        forge.read_text() + "\n\ndef _cycle() -> None:\n    from relman import support\n"
    )
    result = _lint_imports(tree)
    assert result.returncode == 1, result.stdout
    assert "no import cycles between sibling modules BROKEN" in result.stdout
