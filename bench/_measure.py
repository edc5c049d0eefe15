"""What the benchmarks share: timing a command's process tree, the machine's load.

``timed(cmd)`` runs a command to completion and returns its wall time and
its CPU time (user + system of the process and every child it waited for,
from ``wait4``): on a shared machine the CPU time is the steadier figure.
``summary`` prints the median and the best of the rounds of both. relman
is timed as installed, byte-compiled: ``compiled_env()`` drops
``PYTHONDONTWRITEBYTECODE`` and ``compile_relman()`` writes the bytecode
once, so no round pays for compiling relman's sources.
"""

from __future__ import annotations

import compileall
import functools
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class Run:
    """Wall and CPU seconds of one command, and its exit code and output."""

    def __init__(self, wall: float, cpu: float, returncode: int, stdout: bytes) -> None:
        self.wall = wall
        self.cpu = cpu
        self.returncode = returncode
        self.stdout = stdout
        # when a benchmark saw the command's first request and its first upload, if it looks
        self.asked: float = 0.0
        self.first: float = 0.0


def timed(
    cmd: Sequence[str],
    *,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    stdin: bytes | None = None,
) -> Run:
    """Run ``cmd`` and measure it (stdout kept, stderr dropped)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        list(cmd),
        cwd=cwd,
        env=dict(env) if env is not None else None,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    if stdin is not None:
        assert proc.stdin is not None
        proc.stdin.write(stdin)
        proc.stdin.close()
    assert proc.stdout is not None
    out = proc.stdout.read()
    proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(wall, usage.ru_utime + usage.ru_stime, proc.returncode, out)


def compiled_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def compile_relman() -> None:
    compileall.compile_dir(str(ROOT / "src" / "relman"), quiet=1)


@functools.cache
def own_python() -> str:
    """An interpreter that runs relman as it runs in an environment of its own.

    A virtual environment (bench/.cache/python-own, made once, without pip)
    whose one ``.pth`` file names this checkout's ``src`` and the
    site-packages folders this interpreter finds relman's dependencies in.
    The folders are added as paths, so their own ``.pth`` files do not run:
    a start-up hook of the machine's Python (this one's imports certifi at
    every start, 30-40 ms) is not timed as relman's. The benchmarks that use it
    say so and print what the hook costs (:func:`start_costs`).
    """
    home = ROOT / "bench" / ".cache" / "python-own"
    python = home / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(home)], check=True)
    site = next((home / "lib").glob("python*/site-packages"))
    found = [p for p in sys.path if p.endswith(("site-packages", "dist-packages"))]
    paths = [str(ROOT / "src"), *dict.fromkeys(found)]
    (site / "relman-bench.pth").write_text("\n".join(paths) + "\n", encoding="utf-8")
    return str(python)


def start_costs(python: str, rounds: int = 9) -> str:
    """A line with the median ``python -c pass`` of this interpreter and of ``python``
    (:func:`own_python`): what the machine's start-up hooks cost each start."""
    ours = statistics.median(timed([sys.executable, "-c", "pass"]).wall for _ in range(rounds))
    own = statistics.median(timed([python, "-c", "pass"]).wall for _ in range(rounds))
    return (
        f"interpreter start (python -c pass): {ours * 1000:.1f} ms for {sys.executable}, "
        f"{own * 1000:.1f} ms in relman's own environment ({python}: no site .pth hooks)"
    )


def load() -> str:
    """The load average (1, 5, 15 minutes) as ``uptime`` prints it."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f}"


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def summary(label: str, runs: Sequence[Run]) -> str:
    """``label: wall median/best, cpu median/best`` in seconds."""
    walls = [r.wall for r in runs]
    cpus = [r.cpu for r in runs]
    return (
        f"{label:<28} wall {median(walls):7.3f} s (best {min(walls):.3f})"
        f"   cpu {median(cpus):7.3f} s (best {min(cpus):.3f})"
    )


def ratios(label: str, ours: Sequence[Run], peer: Sequence[Run]) -> str:
    """Median and best ratios of wall and CPU time, ours to the peer's."""

    def r(a: float, b: float) -> str:
        return f"{a / b:.2f}" if b else "n/a"

    return (
        f"{label:<28} wall {r(median([x.wall for x in ours]), median([x.wall for x in peer]))}"
        f" (best {r(min(x.wall for x in ours), min(x.wall for x in peer))})"
        f"   cpu {r(median([x.cpu for x in ours]), median([x.cpu for x in peer]))}"
        f" (best {r(min(x.cpu for x in ours), min(x.cpu for x in peer))})"
    )
