"""`relman status` and `relman version set` on a pyproject.toml padded to megabytes.

A project whose pyproject.toml carries comment lines and blank lines (half the
bytes each) is made at 1 MB and at 8 MB. For each size the script measures the
CPU time (user + system, of the child process) of `relman status` and of
`relman version set X --dry-run`, and, as the floor, of the standard parser
reading the same file once (`python -c "tomllib.loads(...)"`). It prints the
8 MB / 1 MB ratio of each (linear work gives about 8; the quadratic parse this
guards against gave over 60) and relman's CPU over the floor's at each size.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

SIZES = (1, 8)


def make_project(root: Path, megabytes: int) -> Path:
    path = root / f"padded-{megabytes}mb"
    half = megabytes * 500_000
    line = "# padding comment, as a generated file carries\n"
    text = (
        '[project]\nname = "padded"\nversion = "1.0.0"\n'
        + line * (half // len(line))
        + "\n" * half
        + '\n[tool.relman]\nmain-branch = "main"\n'
    )
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    (path / "pyproject.toml").write_text(text, encoding="utf-8")
    for args in (["add", "-A"], ["commit", "-qm", "start"], ["tag", "v1.0.0"]):
        subprocess.run(["git", *args], cwd=path, check=True, capture_output=True)
    return path


def cpu(argv: list[str], cwd: Path) -> float:
    """CPU seconds a child process spends (its own and its children's)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, cwd=cwd, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    py = sys.executable
    floor = "import tomllib, pathlib; tomllib.loads(pathlib.Path('pyproject.toml').read_text())"
    rows: dict[str, dict[int, float]] = {"floor": {}, "status": {}, "version set": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for mb in SIZES:
            path = make_project(Path(tmp), mb)
            env_cmds = {
                "floor": [py, "-c", floor],
                "status": [py, "-m", "relman", "status"],
                "version set": [py, "-m", "relman", "version", "set", "1.1.0", "--dry-run"],
            }
            for name, argv in env_cmds.items():
                rows[name][mb] = cpu(argv, path)
    small, big = SIZES
    print(f"{'':12} {small} MB CPU   {big} MB CPU   ratio   x floor at {big} MB")
    for name, by in rows.items():
        ratio = by[big] / by[small] if by[small] else float("nan")
        over = by[big] / rows["floor"][big] if rows["floor"][big] else float("nan")
        print(f"{name:12} {by[small]:8.2f} s {by[big]:8.2f} s {ratio:7.1f} {over:10.1f}")


if __name__ == "__main__":
    os.environ.setdefault("NO_COLOR", "1")
    main()
