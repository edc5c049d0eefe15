"""Start-up time of `relman --help` against `twine --help` and `towncrier --help`.

Each command runs the same number of times, interleaved, in this run, with
the bare interpreter (``python -c pass``) for scale; the script prints the
median and best wall and CPU time of each, relman's ratios to each peer
(below 1.0: relman starts faster) and the load average. Target: at most 0.5
of towncrier's time. ``relman --help`` is printed without importing click.
"""

from __future__ import annotations

import shutil
import sys

from _measure import Run, compile_relman, compiled_env, load, median, ratios, summary, timed

ROUNDS = 15


def _command(name: str) -> list[str] | None:
    exe = shutil.which(name)
    return [exe, "--help"] if exe else None


def main() -> int:
    relman = shutil.which("relman")
    commands = {
        "python": [sys.executable, "-c", "pass"],
        "relman": [relman, "--help"] if relman else [sys.executable, "-m", "relman", "--help"],
        "twine": _command("twine"),
        "towncrier": _command("towncrier"),
    }
    missing = [name for name, cmd in commands.items() if cmd is None]
    if missing:
        print(f"not installed: {', '.join(missing)} (pip install -e '.[test]')")
        return 2
    compile_relman()
    env = compiled_env()
    runs: dict[str, list[Run]] = {name: [] for name in commands}
    for cmd in commands.values():  # warm the file cache once
        assert cmd is not None
        timed(cmd, env=env)
    load_before = load()
    for _ in range(ROUNDS):
        for name, cmd in commands.items():
            assert cmd is not None
            runs[name].append(timed(cmd, env=env))
    print(f"load average before: {load_before}, after: {load()}")
    print(f"medians and best of {ROUNDS} rounds (python: the interpreter alone):")
    for name, values in runs.items():
        print(summary(name, values))
    for peer in ("twine", "towncrier"):
        print(ratios(f"ratio relman/{peer}", runs["relman"], runs[peer]))
    wall = median([r.wall for r in runs["relman"]]) / median([r.wall for r in runs["towncrier"]])
    cpu = median([r.cpu for r in runs["relman"]]) / median([r.cpu for r in runs["towncrier"]])
    ok = wall <= 0.5
    print(
        f"target (relman at most 0.5 of towncrier, median wall): {'met' if ok else 'NOT met'}"
        f" (wall {wall:.2f}, cpu {cpu:.2f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
