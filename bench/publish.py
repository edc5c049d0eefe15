"""Publishing 60 wheels and 1 sdist: `relman publish` against `twine upload` and `uv publish`.

Each tool uploads the same files, in the same run, to its own fresh, empty
pypiserver on 127.0.0.1 behind a loopback proxy that adds 50 ms to every
response (to model a real network). Rounds are interleaved; the script prints
the median and best wall and CPU time of each tool, when its first request
and its first upload reached the proxy (after the command started: the
proxy notes an upload once it has read the whole of it, a stricter mark than
its first byte), relman's ratios to each peer and the load average. Targets:
relman at most 0.25 of twine's time and at most uv publish's time, its first
upload within 0.2 s of the start.

The bare interpreter's start (``python -c pass``, timed in every round) is
printed too, and each first upload in units of it: on a busy machine every
start-up stretches, and the interpreter's own start says by how much. So is
the start of an interpreter that imports only what any Python uploader that
reads the files' metadata needs before its first upload (``http.client``
with ``ssl`` and ``email``, click, packaging's metadata, ``tarfile`` and
``zipfile``): the part of the first upload's time that is not relman's own.

relman, twine and the two reference starts run in one interpreter without
the machine's start-up hooks (``_measure.own_python``, an environment of
their own, as each tool is installed), so that neither tool's first upload
carries the hook's import time.

    python bench/publish.py [--rounds N] [--latency SECONDS]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _measure import (
    Run,
    compile_relman,
    compiled_env,
    load,
    median,
    own_python,
    ratios,
    summary,
    timed,
)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.indexserver import FaultProxy, make_dists, start_pypiserver  # noqa: E402

TOKEN = "bench-token"
# what any uploader that judges the files' metadata imports before its first upload
_FLOOR = "import http.client, click, packaging.metadata, tarfile, zipfile"


def _env() -> dict[str, str]:
    env = compiled_env(
        {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("PIP_", "TWINE_", "UV_", "RELMAN_"))
        }
    )
    env["PIP_CONFIG_FILE"] = os.devnull
    env["NO_COLOR"] = "1"
    return env


def _commands(dist: Path, url: str) -> dict[str, list[str] | None]:
    files = [str(p) for p in sorted(dist.iterdir())]
    python = own_python()
    twine = importlib.util.find_spec("twine")
    uv = shutil.which("uv")
    return {
        "relman": [python, "-m", "relman", "publish", str(dist), "--to", url],
        "twine": None
        if twine is None
        else [
            python,
            "-m",
            "twine",
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


def _time_one(tool: str, work: Path, dist: Path, project: Path, latency: float) -> Run:
    """One upload of every file by ``tool``; ``Run.asked`` is when its first request came,
    ``Run.first`` when its first upload had come whole."""
    server = start_pypiserver(work / f"server-{tool}", username="__token__", password=TOKEN)
    try:
        with FaultProxy(server.url, latency=latency) as proxy:
            cmd = _commands(dist, proxy.url)[tool]
            assert cmd is not None
            env = _env()
            if tool == "relman":
                env["RELMAN_INDEX_TOKEN"] = TOKEN
            start = time.monotonic()
            done = timed(cmd, cwd=project, env=env)
            if done.returncode != 0:
                raise SystemExit(f"{tool} failed (exit {done.returncode}):\n{done.stdout!r}")
            stored = server.files()
            want = {p.name for p in dist.iterdir()}
            if set(stored) != want:
                raise SystemExit(f"{tool} left the index incomplete: {len(stored)}/{len(want)}")
            posts = [s.when for s in proxy.seen if s.method == "POST"]
            done.first = min(posts) - start
            done.asked = min(s.when for s in proxy.seen) - start
            return done
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
        runs: dict[str, list[Run]] = {t: [] for t in tools}
        compile_relman()
        load_before = load()
        bare: list[Run] = []
        floor: list[Run] = []
        python = own_python()
        for n in range(args.rounds):
            bare.append(timed([python, "-c", "pass"], env=_env()))
            floor.append(timed([python, "-c", _FLOOR], env=_env()))
            for tool in tools:
                runs[tool].append(_time_one(tool, work / f"round{n}", dist, project, args.latency))
        print(f"61 files ({len(list(dist.iterdir()))}), +{args.latency * 1000:.0f} ms per response")
        print(f"load average before: {load_before}, after: {load()}")
        print(f"medians and best of {args.rounds} rounds:")
        start = median([r.wall for r in bare])
        print(summary("python -c pass", bare))
        print(summary("python: an uploader's imports", floor))
        for tool, values in runs.items():
            firsts = [r.first for r in values]
            asked = [r.asked for r in values]
            print(
                summary(tool, values)
                + f"   first request after {median(asked):.3f} s (best {min(asked):.3f});"
                f" first upload after {median(firsts):.3f} s (best {min(firsts):.3f};"
                f" {median(firsts) / start:.1f} interpreter starts)"
            )
        if missing:
            print(f"not installed: {', '.join(missing)}")
        for peer in ("twine", "uv"):
            if peer in runs:
                print(ratios(f"ratio relman/{peer}", runs["relman"], runs[peer]))
        wall = {t: median([r.wall for r in v]) for t, v in runs.items()}
        first = median([r.first for r in runs["relman"]])
        ok = wall["relman"] / wall["twine"] <= 0.25 and first <= 0.2
        if "uv" in wall:
            ok = ok and wall["relman"] <= wall["uv"]
        print(
            f"targets (median wall): at most 0.25 of twine ({wall['relman'] / wall['twine']:.2f}), "
            f"at most uv, first upload within 0.2 s ({first:.3f} s):",
            "met" if ok else "NOT met",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
