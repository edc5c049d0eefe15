"""`relman status` on a history with thousands of tags, against the git call it needs.

The repository is made in a temporary folder with `git fast-import`: 20,000
commits on main and 60 maintenance branches (`v{major}.{minor}.x`, as astropy
names them) carrying 3,000 release tags, a setuptools_scm-style project (the
tag is the version), or is a real checkout given with ``--tree PATH``. Each
round runs `relman status` in a fresh process, cold (relman's cache in the git
directory removed) and warm, and, as the peer, the one git call the answer
needs: `git tag --merged HEAD`. The script prints the medians and the best
of the rounds, wall and CPU time of the process tree, the ratios, and the
load average. For a version from git the script also times setuptools-scm
alone (``python -m setuptools_scm``), which a cold `relman status` runs too,
and, for scale, the interpreter starting and doing nothing (``python -c pass``,
this machine's site-packages included). Targets: warm at most 1.5x the peer;
cold at most 1.5x the peer.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from _measure import Run, compile_relman, compiled_env, load, median, ratios, summary, timed

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


def _checked(run: Run, cmd: list[str]) -> Run:
    if run.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed with exit code {run.returncode}")
    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, help="a real git checkout instead")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    args = parser.parse_args()
    compile_relman()
    env = compiled_env()
    with tempfile.TemporaryDirectory() as tmp:
        repo = args.tree.resolve() if args.tree else make_repo(Path(tmp))
        git_dir = Path(
            subprocess.run(
                ["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
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
        peer = ["git", "tag", "--merged", "HEAD"]
        # a version from git: setuptools-scm's own answer is part of what status needs
        scm = [sys.executable, "-m", "setuptools_scm"]
        uses_scm = "setuptools_scm" in (repo / "pyproject.toml").read_text(encoding="utf-8")
        bare = [sys.executable, "-c", "pass"]
        cold_runs, warm_runs, peer_runs, scm_runs, both_runs = [], [], [], [], []
        bare_runs = []
        load_before = load()
        for _ in range(args.rounds):
            shutil.rmtree(git_dir / "relman" / "cache", ignore_errors=True)
            cold_runs.append(_checked(timed(relman, cwd=repo, env=env), relman))
            warm_runs.append(_checked(timed(relman, cwd=repo, env=env), relman))
            peer_runs.append(_checked(timed(peer, cwd=repo, env=env), peer))
            bare_runs.append(_checked(timed(bare, cwd=repo, env=env), bare))
            if uses_scm:
                scm_runs.append(_checked(timed(scm, cwd=repo, env=env), scm))
                a, b = peer_runs[-1], scm_runs[-1]
                both_runs.append(Run(a.wall + b.wall, a.cpu + b.cpu, 0, b""))
        print(f"repository: {repo if args.tree else 'generated'}, {tags} tags")
        print(f"load average before: {load_before}, after: {load()}")
        print(f"medians and best of {args.rounds} rounds:")
        print(summary("relman status, cold", cold_runs))
        print(summary("relman status, warm", warm_runs))
        print(summary("git tag --merged HEAD", peer_runs))
        print(ratios("ratio cold/peer", cold_runs, peer_runs))
        print(ratios("ratio warm/peer", warm_runs, peer_runs))
        print(summary("python -c pass", bare_runs))
        if uses_scm:
            print(summary("python -m setuptools_scm", scm_runs))
            print(ratios("ratio cold/(peer + scm)", cold_runs, both_runs))
        warm = median([r.wall for r in warm_runs]) / median([r.wall for r in peer_runs])
        print(
            f"target (warm at most 1.5x the peer, median wall): {'met' if warm <= 1.5 else 'NOT met'}"
        )
        ratio = median([r.wall for r in cold_runs]) / median([r.wall for r in peer_runs])
        print(
            f"target (cold at most 1.5x the peer, median wall): {'met' if ratio <= 1.5 else 'NOT met'}"
        )
        return 0 if ratio <= 1.5 else 1


if __name__ == "__main__":
    os.environ.setdefault("NO_COLOR", "1")
    sys.exit(main())
