"""`relman status` on a history with thousands of tags, against the git call it needs.

The repository is made in a temporary folder with `git fast-import`: 20,000
commits on main and 60 maintenance branches (`v{major}.{minor}.x`, as astropy
names them) carrying 3,000 release tags, a setuptools_scm-style project (the
tag is the version), or is a real checkout given with ``--tree PATH``. Each
round runs `relman status` in a fresh process, cold (relman's cache in the git
directory removed) and warm, and, as the peer, the one git call the answer
needs: `git tag --merged HEAD`. The script prints the medians and the ratios.
Target: cold at most 1.5x the peer.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROUNDS = 5
PYPROJECT = """\
[build-system]
requires = ["setuptools>=64", "setuptools_scm>=8"]
build-backend = "setuptools.build_meta"

[project]
name = "bigline"
dynamic = ["version"]

[tool.setuptools_scm]
"""


def make_repo(root: Path, commits: int = 20000, lines: int = 60, per_line: int = 50) -> Path:
    repo = root / "bigline"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    stream: list[str] = []
    mark = 0
    when = 1_600_000_000

    def commit(branch: str, message: str, parent: int | None, files: str = "") -> int:
        nonlocal mark, when
        mark += 1
        when += 60
        data = message.encode()
        stream.append(
            f"commit refs/heads/{branch}\nmark :{mark}\n"
            f"committer Bench <bench@example.org> {when} +0000\n"
            f"data {len(data)}\n{message}\n" + (f"from :{parent}\n" if parent else "") + files
        )
        return mark

    body = PYPROJECT.encode()
    head = commit(
        "main",
        "Initial import",
        None,
        f"M 644 inline pyproject.toml\ndata {len(body)}\n{PYPROJECT}\n",
    )
    step = commits // lines
    tags: list[tuple[str, int]] = []
    for line in range(lines):
        major, minor = 1 + line // 10, line % 10
        for _ in range(step):
            head = commit("main", f"work on {major}.{minor}", head)
        branch_head = head
        for micro in range(per_line):
            branch_head = commit(f"v{major}.{minor}.x", f"fix {major}.{minor}.{micro}", branch_head)
            tags.append((f"v{major}.{minor}.{micro}", branch_head))
    for name, m in tags:
        stream.append(f"reset refs/tags/{name}\nfrom :{m}\n")
    subprocess.run(
        ["git", "fast-import", "--quiet"],
        cwd=repo,
        input="".join(stream).encode(),
        check=True,
    )
    subprocess.run(["git", "checkout", "-q", "main"], cwd=repo, check=True)
    return repo


def _time(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stdout}{done.stderr}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, help="a real git checkout instead")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        repo = args.tree.resolve() if args.tree else make_repo(Path(tmp))
        git_dir = Path(
            subprocess.run(
                ["git", "rev-parse", "--absolute-git-dir"],
                cwd=repo,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        )
        tags = subprocess.run(
            ["git", "tag"], cwd=repo, capture_output=True, text=True, check=True
        ).stdout.count("\n")
        relman = [sys.executable, "-m", "relman", "status"]
        cold_t, warm_t, peer_t = [], [], []
        for _ in range(ROUNDS):
            shutil.rmtree(git_dir / "relman" / "cache", ignore_errors=True)
            cold_t.append(_time(relman, repo))
            warm_t.append(_time(relman, repo))
            peer_t.append(_time(["git", "tag", "--merged", "HEAD"], repo))
        cold, warm, peer = (statistics.median(x) for x in (cold_t, warm_t, peer_t))
        print(f"repository: {repo if args.tree else 'generated'}, {tags} tags")
        print(f"relman status, cold:    {cold:.3f} s (median of {ROUNDS})")
        print(f"relman status, warm:    {warm:.3f} s")
        print(f"git tag --merged HEAD:  {peer:.3f} s")
        print(f"ratio cold/peer: {cold / peer:.2f}, warm/peer: {warm / peer:.2f} (target <= 1.5)")
        print("target:", "met" if cold / peer <= 1.5 else "NOT met")
        return 0 if cold / peer <= 1.5 else 1


if __name__ == "__main__":
    os.environ.setdefault("NO_COLOR", "1")
    sys.exit(main())
