"""`relman changelog` over a large history against the bare `git log` pass it needs.

Builds (once, cached in bench/.cache/) a synthetic repository with git
fast-import: 30,000+ commits by 600 authors (some under a second address fixed
by .mailmap), squash merges ("Title (#N)", some with Co-authored-by trailers),
merged pull requests ("Merge pull request #N from user/branch") and release
tags. Then it times, interleaved, `relman changelog HEAD` (the whole history,
offline) and `git log` reading the same fields (mailmapped names, trailers,
subjects, bodies) into a pipe as relman has git write them (``GIT_FLUSH=0``:
a buffer at a time, which makes git itself faster too), and prints the median
and best of each, their CPU times, the load average and the ratio. Target:
at most 1.3.

relman runs as in an environment of its own (``_measure.own_python``): a
start-up hook of the machine's Python is not relman's time. It is timed with
the interpreter running this script as well, and the start of both is printed,
so the hook's cost is in the same output.
"""

from __future__ import annotations

import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROUNDS = 7
COMMITS = 30_000
AUTHORS = 600
LAYOUT = 3  # bump to rebuild the cached repository
CACHE = Path(__file__).resolve().parent / ".cache" / f"changelog-repo-{LAYOUT}"


def _data(text: str) -> bytes:
    raw = text.encode()
    return b"data %d\n" % len(raw) + raw + b"\n"


def build(dest: Path, commits_wanted: int = COMMITS) -> None:
    rng = random.Random(20261122)
    people = [(f"Person{i} Surname{i % 97}", f"person{i}@example.org") for i in range(AUTHORS)]
    aliases = {
        i: (f"user{i}", f"{1000 + i}+user{i}@users.noreply.github.com")
        for i in range(0, AUTHORS, 7)
    }
    mailmap = "".join(
        f"{people[i][0]} <{people[i][1]}> {a[0]} <{a[1]}>\n" for i, a in aliases.items()
    )
    out: list[bytes] = []
    ts = 1_500_000_000
    mark = 0
    pr = 0
    commits = 0

    def ident(i: int) -> str:
        name, email = aliases[i] if i in aliases and rng.random() < 0.5 else people[i]
        return f"{name} <{email}> {ts} +0000"

    def commit(
        ref: str,
        who: int,
        message: str,
        *,
        parent: int | None,
        merge: int | None = None,
        path: str | None = None,
    ) -> int:
        nonlocal mark, ts, commits
        mark += 1
        ts += 60
        commits += 1
        lines = [
            f"commit {ref}\n",
            f"mark :{mark}\n",
            f"author {ident(who)}\n",
            f"committer {ident(who)}\n",
        ]
        out.append("".join(lines).encode() + _data(message))
        if parent is not None:
            out.append(f"from :{parent}\n".encode())
        if merge is not None:
            out.append(f"merge :{merge}\n".encode())
        if path is not None:
            out.append(f"M 100644 inline {path}\n".encode() + _data(f"# change {mark}\n"))
        out.append(b"\n")
        return mark

    mark += 1
    pyproject = '[project]\nname = "synthetic"\nversion = "2.0.0.dev0"\n'
    out.append(f"blob\nmark :{mark}\n".encode() + _data(pyproject))
    blob = mark
    mark += 1
    out.append(f"blob\nmark :{mark}\n".encode() + _data(mailmap))
    mm_blob = mark
    head = commit("refs/heads/main", 0, "Initial import", parent=None)
    out.insert(
        len(out) - 1, f"M 100644 :{blob} pyproject.toml\nM 100644 :{mm_blob} .mailmap\n".encode()
    )
    release = 0
    while commits < commits_wanted:
        pr += 1
        who = rng.randrange(AUTHORS)
        path = f"src/mod{rng.randrange(50)}.py"
        if rng.random() < 0.3:
            tip = head
            for k in range(rng.randint(1, 3)):
                tip = commit(
                    "refs/heads/topic", who, f"WIP: step {k} of the work", parent=tip, path=path
                )
            head = commit(
                "refs/heads/main",
                rng.randrange(AUTHORS),
                f"Merge pull request #{pr} from user{who}/topic-{pr}\n\nENH: feature number {pr}\n",
                parent=head,
                merge=tip,
            )
        else:
            body = ""
            if rng.random() < 0.1:
                co = rng.randrange(AUTHORS)
                body = f"\n\nCo-authored-by: {people[co][0]} <{people[co][1]}>\n"
            head = commit(
                "refs/heads/main",
                who,
                f"BUG: fix problem {pr} (#{pr}){body}",
                parent=head,
                path=path,
            )
        if commits // 2500 > release:
            release = commits // 2500
            out.append(f"reset refs/tags/v1.{release}.0\nfrom :{head}\n\n".encode())
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(tmp)], check=True)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=tmp, input=b"".join(out), check=True)
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=tmp, check=True)
    subprocess.run(["git", "branch", "-q", "-D", "topic"], cwd=tmp, check=True)
    tmp.rename(dest)


# As installed by pip: relman's modules are byte-compiled once (the warm-up
# run writes __pycache__), not recompiled on every run.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _time(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall and CPU time (user + system, the command and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, capture_output=True, check=True, env=env or ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> int:
    if not (CACHE / ".git").is_dir():
        print(f"building the synthetic repository in {CACHE} ...", flush=True)
        start = time.perf_counter()
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        build(CACHE)
        print(f"  built in {time.perf_counter() - start:.1f} s")
    count = subprocess.run(
        ["git", "rev-list", "--count", "HEAD"],
        cwd=CACHE,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(f"repository: {CACHE} ({count} commits)")
    from _measure import own_python, start_costs

    from relman._spawn import LOG_ENV
    from relman.history._log import RANGE_FIELDS

    own = own_python()
    args = ["-m", "relman", "changelog", "HEAD", "--offline"]
    # exactly the fields relman's changelog pass reads (names, trailers, subjects, bodies),
    # written as relman has git write them: a buffer at a time, not a write per commit
    git = ["git", "log", "--format=" + "%x1f".join(RANGE_FIELDS) + "%x1e", "HEAD", "--"]
    git_env = {**ENV, **LOG_ENV}
    check = subprocess.run(
        [own, *args], cwd=CACHE, capture_output=True, text=True, check=True, env=ENV
    )
    people = check.stdout.split("A total of ")[1].split(" ")[0]
    prs = check.stdout.split("A total of ")[2].split(" ")[0]
    print(f"changelog: {people} people, {prs} pull requests")
    commands = {
        "relman changelog": ([own, *args], ENV),
        "  (this interpreter)": ([sys.executable, *args], ENV),
        "git log": (git, git_env),
    }
    wall: dict[str, list[float]] = {n: [] for n in commands}
    cpu: dict[str, list[float]] = {n: [] for n in commands}
    _time(git, CACHE, git_env)  # warm the caches
    _time([sys.executable, *args], CACHE)
    for _ in range(ROUNDS):
        for name, (cmd, env) in commands.items():
            w, c = _time(cmd, CACHE, env)
            wall[name].append(w)
            cpu[name].append(c)
    med = {n: statistics.median(wall[n]) for n in commands}
    for n in commands:
        print(
            f"{n:<20} {med[n] * 1000:8.1f} ms wall (median of {ROUNDS}, best "
            f"{min(wall[n]) * 1000:.1f}), {statistics.median(cpu[n]) * 1000:.1f} ms CPU"
        )
    print(start_costs(own))
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    ratio = med["relman changelog"] / med["git log"]
    best = min(wall["relman changelog"]) / min(wall["git log"])
    print(
        f"ratio with this interpreter: {med['  (this interpreter)'] / med['git log']:.2f} "
        "(its start-up hooks included)"
    )
    print(f"ratio relman/git-log: {ratio:.2f} (best of rounds: {best:.2f}; target <= 1.3)")
    return 0 if ratio <= 1.3 else 1


if __name__ == "__main__":
    sys.exit(main())
