"""Setting a version in two files: `relman version set` against `bump-my-version`.

A throw-away git project keeps its version in pyproject.toml and in the
package's ``__version__``; each tool sets it to a new version, alternately,
the same number of times in this run. The script checks that both tools
wrote the same files, then prints the median wall time of each and relman's
ratio (below 1.0: relman is faster). relman also validates PEP 440, checks
the ordering against the tags and reads every file back before writing.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROUNDS = 10

PYPROJECT = '[project]\nname = "benchdemo"\nversion = "1.0.0"\n'
INIT = '"""benchdemo."""\n\n__version__ = "1.0.0"\n'
BUMPVERSION = """\
[tool.bumpversion]
current_version = "1.0.0"
commit = false
tag = false
allow_dirty = true

[[tool.bumpversion.files]]
filename = "pyproject.toml"
search = 'version = "{current_version}"'
replace = 'version = "{new_version}"'

[[tool.bumpversion.files]]
filename = "src/benchdemo/__init__.py"
"""


def _project(root: Path) -> None:
    (root / "src" / "benchdemo").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "src" / "benchdemo" / "__init__.py").write_text(INIT)
    (root / ".bumpversion.toml").write_text(BUMPVERSION)
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1"}
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["-c", "user.name=b", "-c", "user.email=b@example.org", "commit", "-q", "-m", "start"],
    ):
        subprocess.run(["git", *args], cwd=root, check=True, env=env)


def _versions(root: Path) -> tuple[str, str]:
    py = (root / "pyproject.toml").read_text().split('version = "')[1].split('"')[0]
    init = (root / "src/benchdemo/__init__.py").read_text().split('__version__ = "')[1]
    return py, init.split('"')[0]


def main() -> int:
    bmv = shutil.which("bump-my-version")
    if bmv is None:
        print("not installed: bump-my-version (pip install -e '.[test]')")
        return 2
    relman = [sys.executable, "-m", "relman"]
    times: dict[str, list[float]] = {"relman": [], "bump-my-version": []}
    with tempfile.TemporaryDirectory() as tmp:
        roots = {name: Path(tmp) / name for name in times}
        for root in roots.values():
            _project(root)
        for i in range(ROUNDS + 1):
            new = f"1.0.{i + 1}"
            commands = {
                "relman": [*relman, "version", "set", new],
                "bump-my-version": [bmv, "bump", "--new-version", new, "patch"],
            }
            for name, cmd in commands.items():
                start = time.perf_counter()
                subprocess.run(cmd, cwd=roots[name], check=True, capture_output=True)
                if i:  # the first round warms the file cache
                    times[name].append(time.perf_counter() - start)
                assert _versions(roots[name]) == (new, new), (name, _versions(roots[name]))
    medians = {name: statistics.median(t) for name, t in times.items()}
    for name, value in medians.items():
        print(f"{name:<16} {value * 1000:8.1f} ms  (median of {ROUNDS})")
    ratio = medians["relman"] / medians["bump-my-version"]
    print(f"relman / bump-my-version: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
