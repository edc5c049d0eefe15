"""`relman check` cold and warm, against `git status` + `git ls-files` in the same run.

The repository is made in a temporary folder (a towncrier project with 4,000
Python modules, some with deprecation warnings, 1,000 other files, a release
tag, pending news fragments and a LICENSE), or is a real checkout given with
``--tree PATH`` (SciPy's, for example), or with ``--cpython`` a CPython-shaped
tree made from this interpreter's standard library (``Lib/`` with its tests,
``Include/patchlevel.h``, blurb entries in ``Misc/NEWS.d/next``). Each round
runs the whole `relman check` command line in a fresh process: *cold* with relman's cache in
the git directory removed first, *warm* with the cache of the previous run
(nothing changed since). The peer is `git status --porcelain` followed by
`git ls-files`, the two git calls a release manager runs by hand before a
release. The script prints the medians and the best of the rounds, wall
and CPU time (user + system of the process tree), relman's ratios to the
peer, and the load average; relman runs byte-compiled, as installed.
Targets: cold within 2 s (SciPy's tree; 3 s on CPython's), warm within 0.5 s.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from _measure import Run, compile_relman, compiled_env, load, median, ratios, summary, timed

ROUNDS = 7
FILES = 5000
PYPROJECT = """\
[project]
name = "bigproj"
version = "2.3.0.dev0"
requires-python = ">=3.13"
classifiers = ["Programming Language :: Python :: 3.13", "Programming Language :: Python :: 3.14"]
dependencies = ["numpy>=2.2"]

[tool.towncrier]
directory = "doc/release/upcoming_changes"
filename = "doc/release/{version}-notes.rst"

[tool.relman.checks]
copyright-files = ["LICENSE"]
"""


def _git(cwd: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Bench",
        "GIT_AUTHOR_EMAIL": "bench@example.org",
        "GIT_COMMITTER_NAME": "Bench",
        "GIT_COMMITTER_EMAIL": "bench@example.org",
    }
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def make_repo(root: Path) -> Path:
    repo = root / "bigproj"
    pkg = repo / "src" / "bigproj"
    n = 0
    for i in range(4000):
        sub = pkg / f"sub{i // 100:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        body = f'"""Module {i}."""\n\nimport warnings\n\n\ndef f{i}(x):\n    return x + {i}\n'
        if i % 50 == 0:
            body += (
                f"\n\ndef old{i}(x):\n    warnings.warn(\n"
                f'        "old{i} is deprecated and will be removed in 2.5", DeprecationWarning\n'
                f"    )\n    return f{i}(x)\n"
            )
        (sub / f"mod{i}.py").write_text(body, encoding="utf-8")
        n += 1
    (pkg / "__init__.py").write_text('__version__ = "2.3.0.dev0"\n', encoding="utf-8")
    n += 1
    frag = repo / "doc" / "release" / "upcoming_changes"
    frag.mkdir(parents=True)
    for i in range(20):
        (frag / f"{100 + i}.feature.rst").write_text(f"Feature {i}.\n", encoding="utf-8")
        n += 1
    data = repo / "data"
    data.mkdir()
    while n < FILES - 2:
        (data / f"table{n}.csv").write_text(f"a,b\n{n},{n * 2}\n", encoding="utf-8")
        n += 1
    (repo / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (repo / "LICENSE").write_text("Copyright (c) 2020-2026, Bench\n", encoding="utf-8")
    _git(repo, "init", "-q", "-b", "main")
    license_text = (repo / "LICENSE").read_text(encoding="utf-8")
    (repo / "LICENSE").write_text("Copyright (c) 2020-2025, Bench\n", encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "--no-gpg-sign", "-m", "Initial import")
    _git(repo, "tag", "v2.2.0")
    (repo / "LICENSE").write_text(license_text, encoding="utf-8")
    _git(repo, "commit", "-q", "--no-gpg-sign", "-am", "Update the copyright year")
    return repo


PATCHLEVEL = """\
#define PY_MAJOR_VERSION        3
#define PY_MINOR_VERSION        {minor}
#define PY_MICRO_VERSION        0
#define PY_RELEASE_LEVEL        PY_RELEASE_LEVEL_ALPHA
#define PY_RELEASE_SERIAL       1
#define PY_VERSION              "3.{minor}.0a1+"
"""


def make_cpython_tree(root: Path) -> Path:
    """A CPython-shaped checkout: this interpreter's standard library as Lib/ (its
    tests included, as in CPython's Lib/test), Include/patchlevel.h one minor ahead,
    pending blurb entries in Misc/NEWS.d/next, the PSF LICENSE and README.rst."""
    import sysconfig

    repo = root / "cpython"
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    shutil.copytree(
        stdlib,
        repo / "Lib",
        ignore=shutil.ignore_patterns("site-packages", "__pycache__", "*.pyc", "config-*"),
        symlinks=True,
    )
    minor = sys.version_info.minor + 1
    (repo / "Include").mkdir()
    (repo / "Include" / "patchlevel.h").write_text(PATCHLEVEL.format(minor=minor))
    news = repo / "Misc" / "NEWS.d" / "next" / "Library"
    news.mkdir(parents=True)
    for i in range(40):
        name = f"2026-11-{1 + i % 28:02d}-10-00-00.gh-issue-{120000 + i}.AbCdEf{i:02d}.rst"
        (news / name).write_text(f"Fix a problem in module number {i}.\n", encoding="utf-8")
    (repo / "LICENSE").write_text(
        "Copyright (c) 2001, 2002, 2003, 2004, 2005, 2006, 2007, 2008, 2009, 2010,\n"
        "2011, 2012, 2013, 2014, 2015, 2016, 2017, 2018, 2019, 2020, 2021, 2022, 2023,\n"
        "2024, 2025, 2026 Python Software Foundation; All Rights Reserved\n",
        encoding="utf-8",
    )
    (repo / "README.rst").write_text(
        f"This is Python version 3.{minor}.0 alpha 1\n{'=' * 40}\n", encoding="utf-8"
    )
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "--no-gpg-sign", "-m", "Initial import")
    return repo


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, help="a real git checkout to check instead")
    parser.add_argument(
        "--cpython",
        action="store_true",
        help="a CPython-shaped tree from this interpreter's standard library (target 3 s)",
    )
    parser.add_argument("--cold", type=float, default=2.0, help="cold target in seconds")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    args = parser.parse_args()
    git = shutil.which("git")
    if git is None:
        print("git is not installed")
        return 2
    compile_relman()
    with tempfile.TemporaryDirectory() as tmp:
        if args.cpython:
            repo = make_cpython_tree(Path(tmp))
            args.cold = max(args.cold, 3.0)
        else:
            repo = args.tree.resolve() if args.tree else make_repo(Path(tmp))
        env = compiled_env(
            {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GH_"))}
        )
        tracked = subprocess.run(
            [git, "ls-files"], cwd=repo, capture_output=True, text=True, check=True
        ).stdout.count("\n")
        git_dir = Path(
            subprocess.run(
                [git, "rev-parse", "--path-format=absolute", "--git-common-dir"],
                cwd=repo,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        )
        relman = [sys.executable, "-m", "relman", "check", "--date", "2026-11-21"]
        out = subprocess.run(relman, cwd=repo, env=env, capture_output=True, text=True)
        summary_lines = [ln for ln in out.stdout.splitlines() if ln.startswith("  [")]
        cold_runs, warm_runs, peer_runs = [], [], []
        load_before = load()
        for _ in range(args.rounds):
            shutil.rmtree(git_dir / "relman" / "cache", ignore_errors=True)
            cold_runs.append(timed(relman, cwd=repo, env=env))
            warm_runs.append(timed(relman, cwd=repo, env=env))
            status = timed([git, "status", "--porcelain"], cwd=repo)
            files = timed([git, "ls-files"], cwd=repo)
            peer_runs.append(
                Run(status.wall + files.wall, status.cpu + files.cpu, files.returncode, b"")
            )
        print(f"repository: {repo if args.tree else 'generated'}, {tracked} tracked files")
        print(f"load average before: {load_before}, after: {load()}")
        print("checks: " + " ".join(s.strip() for s in summary_lines))
        print(f"medians and best of {args.rounds} rounds:")
        print(summary("relman check, cold", cold_runs))
        print(summary("relman check, warm", warm_runs))
        print(summary("git status + git ls-files", peer_runs))
        print(ratios("ratio cold/peer", cold_runs, peer_runs))
        print(ratios("ratio warm/peer", warm_runs, peer_runs))
        cold = median([r.wall for r in cold_runs])
        warm = median([r.wall for r in warm_runs])
        ok = cold <= args.cold and warm <= 0.5
        print(
            f"targets (median wall): cold within {args.cold:g} s: "
            f"{'met' if cold <= args.cold else 'NOT met'}; "
            f"warm within 0.5 s: {'met' if warm <= 0.5 else 'NOT met'}"
        )
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
