"""`relman verify` on examples/purelib against the same steps with venv + pip.

Both sides do the same work on the same sdist and wheel (built once by
relman from the demo repository): for the sdist, a fresh environment, build
and install from the extracted sdist plus pytest, run the tests; for the
wheel, a fresh environment, install it plus pytest, run the tests. The peer
does this the way the release checklists describe it: `python -m venv`, then
pip, one artifact after the other. Both sides ignore the machine's pip
configuration and share the warm download caches.

Rounds alternate; the script prints the median wall time of each side and
the ratio relman/peer. Target: at most 0.5.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROUNDS = 3
ROOT = Path(__file__).resolve().parent.parent


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    for var in ("PIP_CACHE_DIR", "UV_CACHE_DIR"):
        if var in os.environ:
            env[var] = os.environ[var]
    return env


def _run(args: list[str], cwd: Path) -> None:
    done = subprocess.run(args, cwd=cwd, env=_env(), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def peer(dist: Path, work: Path) -> float:
    """venv + pip, as a release manager following a checklist would."""
    start = time.perf_counter()
    sdist = next(dist.glob("*.tar.gz"))
    wheel = next(dist.glob("*.whl"))
    src = work / "src"
    with tarfile.open(sdist) as tf:
        tf.extractall(src, filter="data")
    srcdir = next(src.iterdir())
    for label, target in (("sdist", srcdir), ("wheel", wheel)):
        env = work / f"venv-{label}"
        _run([sys.executable, "-m", "venv", str(env)], work)
        py = str(env / "bin" / "python")
        _run([py, "-m", "pip", "install", "-q", str(target), "pytest"], work)
        run_dir = work / f"run-{label}"
        run_dir.mkdir()
        _run([py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--pyargs", "purelib"], run_dir)
    return time.perf_counter() - start


def relman(project: Path, dist: Path, work: Path) -> float:
    start = time.perf_counter()
    _run(
        [sys.executable, "-m", "relman", "verify", str(dist), "--logdir", str(work / "logs")],
        project,
    )
    return time.perf_counter() - start


def main() -> int:
    sys.path.insert(0, str(ROOT / "src"))
    from relman.artifacts import build_artifacts
    from relman.demo import build_history
    from relman.project import load_config

    with tempfile.TemporaryDirectory(prefix="relman-bench-") as tmp_name:
        tmp = Path(tmp_name)
        demo = build_history(ROOT / "examples" / "purelib", tmp / "purelib")
        dist = tmp / "dist"
        build_artifacts(load_config(demo.path), demo.repo, outdir=dist)
        times: dict[str, list[float]] = {"relman verify": [], "venv + pip": []}
        # one warm-up round of each fills the caches both sides use
        relman(demo.path, dist, Path(tempfile.mkdtemp(dir=tmp)))
        peer(dist, Path(tempfile.mkdtemp(dir=tmp)))
        for _ in range(ROUNDS):
            times["relman verify"].append(relman(demo.path, dist, Path(tempfile.mkdtemp(dir=tmp))))
            times["venv + pip"].append(peer(dist, Path(tempfile.mkdtemp(dir=tmp))))
    med = {name: statistics.median(values) for name, values in times.items()}
    for name, value in med.items():
        print(f"{name:<14} {value:7.2f} s (median of {ROUNDS})")
    ratio = med["relman verify"] / med["venv + pip"]
    print(f"ratio relman/peer: {ratio:.2f}")
    print("target (at most 0.5):", "met" if ratio <= 0.5 else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
