"""Fetching 100 CI artifacts: relman's parallel download against the same download done serially.

The local GitHub-shaped server (tests/github_server.py) holds one run with
100 artifacts (a small wheel zip each) and adds 50 ms to every answer, of the
API and of the storage server it redirects to, to model a real network.
Each round fetches the run into a fresh folder twice: with ``workers=1``
(serial) and with the default workers (parallel). Rounds are interleaved;
the script prints the median times and their ratio. Target: parallel at
most 0.3 of serial.

    python bench/ci_fetch.py [--rounds N] [--latency SECONDS] [--artifacts N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bench/ holds scripts named like standard modules (inspect.py): keep it off the path
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from relman.actions import fetch_artifacts  # noqa: E402
from relman.forge import Forge  # noqa: E402
from tests.github_server import TOKEN, Blob, ScriptedRun, fake_github, make_zip  # noqa: E402

TARGET = 0.3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--artifacts", type=int, default=100)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    blobs = [
        Blob(
            f"wheels-{n}",
            make_zip(
                {f"demo-1.0-cp3{n % 10}-cp3{n % 10}-plat{n}.whl": bytes(4096) + bytes([n % 256])}
            ),
        )
        for n in range(args.artifacts)
    ]
    times: dict[str, list[float]] = {"serial": [], "parallel": []}
    with fake_github() as gh, Forge("octo/demo", TOKEN, api_url=gh.url) as forge:
        run = gh.add_run(ScriptedRun(head_sha="a" * 40, duration=0, blobs=blobs))
        gh.latency = args.latency
        for _ in range(args.rounds):
            for label, workers in (("serial", 1), ("parallel", args.workers)):
                with tempfile.TemporaryDirectory() as tmp:
                    t0 = time.perf_counter()
                    report = fetch_artifacts(
                        forge,
                        run.id,
                        dest=Path(tmp) / "dist",
                        cache=Path(tmp) / "cache",
                        name="demo",
                        version="1.0",
                        workers=workers,
                    )
                    times[label].append(time.perf_counter() - t0)
                    assert len(report.downloaded) == args.artifacts
    serial = statistics.median(times["serial"])
    parallel = statistics.median(times["parallel"])
    ratio = parallel / serial
    print(f"{args.artifacts} artifacts, {args.latency * 1000:.0f} ms added latency")
    print(f"serial   (1 worker):  {serial:7.2f} s")
    print(f"parallel ({args.workers} workers): {parallel:7.2f} s")
    print(f"ratio parallel/serial: {ratio:.2f} (target <= {TARGET})")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
