"""Where the time of a whole `relman release` goes, on examples/purelib.

Releases the example (the demo's realistic history, a local index, no
signing key, no GitHub) with `--json`, then prints each step's wall time, the
part spent in external programs (builds, environments, installers, git:
everything relman waits for) and relman's own work, with its share of the
whole. The peer here is the work relman cannot avoid, the external programs,
measured in the same run. Target: relman's own work at most 10% of the whole.
The load average and the CPU time of the whole process tree are printed too
(on a busy machine relman's own wall time grows with the load).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from _measure import compile_relman, compiled_env, load, timed

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.10


def main() -> int:
    sys.path.insert(0, str(ROOT / "src"))
    from relman.demo import build_history

    with tempfile.TemporaryDirectory() as tmp:
        demo = build_history(ROOT / "examples" / "purelib", Path(tmp) / "purelib")
        env = compiled_env(
            {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
        )
        env.update(
            {
                "PIP_CONFIG_FILE": os.devnull,
                "RELMAN_PUBLISH_LOCAL_DIR": str(Path(tmp) / "index"),
                "RELMAN_RELEASE_SIGN": "none",
                "RELMAN_RELEASE_GATES": "",
            }
        )
        compile_relman()
        load_before = load()
        done = timed(
            [sys.executable, "-m", "relman", "release", "1.1.0", "--yes", "--json"],
            cwd=demo.path,
            env=env,
        )
        if done.returncode != 0:
            print(done.stdout.decode(errors="replace"))
            return 1
        result = json.loads(done.stdout)
    print(f"load average before: {load_before}, after: {load()}")
    print(f"the whole release: wall {done.wall:.2f} s, cpu {done.cpu:.2f} s (process tree)")
    steps = [s for s in result["steps"] if "seconds" in s]
    print(f"{'step':<16}{'wall s':>9}{'external s':>12}{'own s':>8}")
    for s in steps:
        own = s["seconds"] - s["external_seconds"]
        print(f"{s['name']:<16}{s['seconds']:>9.2f}{s['external_seconds']:>12.2f}{own:>8.2f}")
    timing = result["timing"]
    print(
        f"{'all':<16}{timing['seconds']:>9.2f}{timing['external_seconds']:>12.2f}"
        f"{timing['own_seconds']:>8.2f}"
    )
    share = timing["own_share"]
    print(f"relman's own work: {share:.1%} of the whole (target at most {TARGET:.0%}):", end=" ")
    print("met" if share <= TARGET else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
