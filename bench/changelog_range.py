"""`relman changelog` of a small range on a NumPy-size history, against the bare git passes.

A changelog of a few commits still needs everyone who contributed before
them (for the "+" marks): relman makes two streamed ``git log`` passes, the
range (names, trailers, subjects, bodies) and the history before it (names
and co-author trailers only). This builds (once, cached in bench/.cache/) a
synthetic repository of NumPy's size, 40,000 commits by 1,800 authors, with
bench/changelog.py's generator, and times, interleaved, `relman changelog
HEAD~4..HEAD` against exactly those two git passes run side by side as
relman runs them (``GIT_FLUSH=0``, as relman has git write them), with the
fields relman asks for in the style it finds. Prints the medians and the
ratio. Target: at most 1.3. ``--repo CLONE [--range A..B]`` times a real
clone instead (a fetched NumPy or SciPy).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

# bench/changelog.py's generator, loaded by path (bench/ is not a package)
_spec = importlib.util.spec_from_file_location(
    "bench_changelog", Path(__file__).resolve().parent / "changelog.py"
)
assert _spec is not None and _spec.loader is not None
base = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(base)

ROUNDS = 9
COMMITS = 40_000
LAYOUT = 1
CACHE = Path(__file__).resolve().parent / ".cache" / f"changelog-numpy-size-{LAYOUT}"
RANGE = "HEAD~4..HEAD"


def _git_passes(cwd: Path, rev_range: str = RANGE) -> None:
    from relman._spawn import LOG_ENV
    from relman.history._fields import RANGE_FIELDS, likely_before_fields

    def fmt(fields: tuple[str, ...]) -> str:
        return "--format=" + "%x1f".join(fields) + "%x1e"

    start, end = rev_range.split("..")
    env = {**os.environ, **LOG_ENV}  # as relman runs them: the output a buffer at a time
    # what relman asks of the history before the range, for the style it finds there
    before = likely_before_fields(None, str(cwd))
    procs = [
        subprocess.Popen(
            ["git", "log", fmt(before), start, "--"],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
        ),
        subprocess.Popen(
            ["git", "log", fmt(RANGE_FIELDS), f"^{start}", end, "--"],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
        ),
    ]
    for p in reversed(procs):
        assert p.stdout is not None
        p.stdout.read()
        p.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repo",
        type=Path,
        help="a clone to time instead of the synthetic history (a fetched NumPy, say)",
    )
    parser.add_argument("--range", default=RANGE, help=f"START..END (default {RANGE})")
    args = parser.parse_args()
    if args.repo is not None:
        return _run(args.repo.resolve(), args.range)
    if not (CACHE / ".git").is_dir():
        print(f"building the synthetic repository in {CACHE} ...", flush=True)
        started = time.perf_counter()
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        base.AUTHORS = 1800
        base.build(CACHE, COMMITS)
        print(f"  built in {time.perf_counter() - started:.1f} s")
    return _run(CACHE, RANGE)


def _run(repo: Path, rev_range: str) -> int:
    from _measure import own_python, start_costs

    own = own_python()  # relman as in an environment of its own (see bench/changelog.py)
    relman = [own, "-m", "relman", "changelog", rev_range, "--offline"]
    check = subprocess.run(relman, cwd=repo, capture_output=True, text=True, env=base.ENV)
    assert check.returncode == 0, check.stderr
    people = check.stdout.split("A total of ")[1].split(" contributed")[0]
    print(f"repository: {repo}; changelog of {rev_range}: {people}")
    times: dict[str, list[float]] = {"relman changelog": [], "git passes": []}
    cpu: dict[str, list[float]] = {n: [] for n in times}

    def children_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    _git_passes(repo, rev_range)  # warm the caches
    for _ in range(ROUNDS):
        c, t = children_cpu(), time.perf_counter()
        subprocess.run(relman, cwd=repo, capture_output=True, check=True, env=base.ENV)
        times["relman changelog"].append(time.perf_counter() - t)
        cpu["relman changelog"].append(children_cpu() - c)
        c, t = children_cpu(), time.perf_counter()
        _git_passes(repo, rev_range)
        times["git passes"].append(time.perf_counter() - t)
        cpu["git passes"].append(children_cpu() - c)
    med = {n: statistics.median(v) for n, v in times.items()}
    for n, v in times.items():
        print(
            f"{n:<18} {med[n] * 1000:8.1f} ms wall (median of {ROUNDS}, best {min(v) * 1000:.1f}),"
            f" {statistics.median(cpu[n]) * 1000:.1f} ms CPU"
        )
    print(start_costs(own))
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    ratio = med["relman changelog"] / med["git passes"]
    best = min(times["relman changelog"]) / min(times["git passes"])
    print(f"ratio relman/git-passes: {ratio:.2f} (best of rounds: {best:.2f}; target <= 1.3)")
    return 0 if ratio <= 1.3 else 1


if __name__ == "__main__":
    sys.exit(main())
