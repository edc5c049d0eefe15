"""Publishing 60 wheels and 1 sdist: `relman publish` against `twine upload` and `uv publish`.

Each tool uploads the same files, in the same run, to its own fresh, empty
pypiserver on 127.0.0.1 behind a loopback proxy that adds 50 ms to every
response (to model a real network). Rounds are interleaved; the script prints
the median wall time of each tool and relman's ratio to each peer.
Targets: relman at most 0.25 of twine's time and at most uv publish's time.

    python bench/publish.py [--rounds N] [--latency SECONDS]
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.indexserver import FaultProxy, make_dists, start_pypiserver  # noqa: E402

TOKEN = "bench-token"


def _env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PIP_", "TWINE_", "UV_", "RELMAN_"))
    }
    env["PIP_CONFIG_FILE"] = os.devnull
    env["NO_COLOR"] = "1"
    return env


def _commands(dist: Path, url: str) -> dict[str, list[str] | None]:
    files = [str(p) for p in sorted(dist.iterdir())]
    twine = shutil.which("twine")
    uv = shutil.which("uv")
    return {
        "relman": [sys.executable, "-m", "relman", "publish", str(dist), "--to", url],
        "twine": None
        if twine is None
        else [
            twine,
            "upload",
            "--non-interactive",
            "--disable-progress-bar",
            "--repository-url",
            url,
            "-u",
            "__token__",
            "-p",
            TOKEN,
            *files,
        ],
        "uv": None
        if uv is None
        else [uv, "publish", "--publish-url", url, "-u", "__token__", "-p", TOKEN, *files],
    }


def _time_one(tool: str, work: Path, dist: Path, project: Path, latency: float) -> float:
    server = start_pypiserver(work / f"server-{tool}", username="__token__", password=TOKEN)
    try:
        with FaultProxy(server.url, latency=latency) as proxy:
            cmd = _commands(dist, proxy.url)[tool]
            assert cmd is not None
            env = _env()
            if tool == "relman":
                env["RELMAN_INDEX_TOKEN"] = TOKEN
            start = time.perf_counter()
            done = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True)
            elapsed = time.perf_counter() - start
            if done.returncode != 0:
                raise SystemExit(f"{tool} failed:\n{done.stdout}\n{done.stderr}")
            stored = server.files()
            want = {p.name for p in dist.iterdir()}
            if set(stored) != want:
                raise SystemExit(f"{tool} left the index incomplete: {len(stored)}/{len(want)}")
            return elapsed
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="relman-bench-") as tmp:
        work = Path(tmp)
        dist = work / "dist"
        make_dists(dist, "bench-project", "1.0.0", wheels=60, size=32 * 1024)
        project = work / "project"
        project.mkdir()
        (project / "pyproject.toml").write_text(
            '[project]\nname = "bench-project"\nversion = "1.0.0"\n', encoding="utf-8"
        )
        subprocess.run(["git", "init", "-q", str(project)], check=True)
        tools = [t for t, cmd in _commands(dist, "http://127.0.0.1:1/").items() if cmd]
        missing = sorted({"relman", "twine", "uv"} - set(tools))
        if "twine" in missing:
            print("twine is not installed (pip install -e '.[test]')")
            return 2
        times: dict[str, list[float]] = {t: [] for t in tools}
        for n in range(args.rounds):
            for tool in tools:
                times[tool].append(_time_one(tool, work / f"round{n}", dist, project, args.latency))
        med = {t: statistics.median(v) for t, v in times.items()}
        print(f"61 files ({len(list(dist.iterdir()))}), +{args.latency * 1000:.0f} ms per response")
        for tool, value in med.items():
            print(f"{tool:<8} {value:7.2f} s (median of {args.rounds})")
        if missing:
            print(f"not installed: {', '.join(missing)}")
        ok = True
        ratio = med["relman"] / med["twine"]
        print(f"ratio relman/twine: {ratio:.2f} (target <= 0.25)")
        ok = ok and ratio <= 0.25
        if "uv" in med:
            ratio_uv = med["relman"] / med["uv"]
            print(f"ratio relman/uv:    {ratio_uv:.2f} (target <= 1.00)")
            ok = ok and ratio_uv <= 1.0
        print("target:", "met" if ok else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
