"""Start-up time of `relman --help` against `twine --help` and `towncrier --help`.

Each command runs the same number of times, interleaved, in this run; the
script prints the median wall time of each and relman's ratio to each peer
(below 1.0: relman starts faster). Target: at most 0.5 of towncrier's time.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time

ROUNDS = 15


def _command(name: str) -> list[str] | None:
    exe = shutil.which(name)
    return [exe, "--help"] if exe else None


def main() -> int:
    commands = {
        "relman": [sys.executable, "-m", "relman", "--help"]
        if not shutil.which("relman")
        else [shutil.which("relman") or "relman", "--help"],
        "twine": _command("twine"),
        "towncrier": _command("towncrier"),
    }
    missing = [name for name, cmd in commands.items() if cmd is None]
    if missing:
        print(f"not installed: {', '.join(missing)} (pip install -e '.[test]')")
        return 2
    times: dict[str, list[float]] = {name: [] for name in commands}
    for cmd in commands.values():  # warm the file cache once
        subprocess.run(cmd, capture_output=True, check=True)
    for _ in range(ROUNDS):
        for name, cmd in commands.items():
            assert cmd is not None
            start = time.perf_counter()
            subprocess.run(cmd, capture_output=True, check=True)
            times[name].append(time.perf_counter() - start)
    med = {name: statistics.median(values) for name, values in times.items()}
    for name, value in med.items():
        print(f"{name:<10} {value * 1000:8.1f} ms (median of {ROUNDS})")
    for peer in ("twine", "towncrier"):
        print(f"ratio relman/{peer}: {med['relman'] / med[peer]:.2f}")
    ok = med["relman"] <= 0.5 * med["towncrier"]
    print("target (relman at most 0.5 of towncrier):", "met" if ok else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
