"""`relman inspect` against `twine check --strict` over a folder of release files.

Both tools get the same files in one run each (`relman inspect DIR/*` and
`twine check --strict DIR/*`), in alternating rounds; the script prints the
median and the best wall time of each, their CPU time (user + system, worker
processes included), the ratios relman/twine, and the load average before
and after (other work on the machine slows both tools; the CPU time is what
load changes least). Target: a wall-time ratio of at most 1.0.

relman does more work per file than twine: it inflates and hashes every
wheel member to check RECORD (twine reads METADATA only), lists every sdist
member and applies the index's rules. It reads each archive once,
streaming, spreads the files over one process per CPU, and renders each
long description once per process.

    python bench/inspect_files.py [DIR] [--rounds N]

Without DIR, the dist folder of two releases is made first, in real shapes:
a compiled project as scipy ships it (an sdist of 1,500 files and nine
wheels, CPython 3.11 to 3.13 on three platforms, each with a 12 MiB
incompressible extension module and 300 modules), and a pure project as
hatchling builds it (an sdist and a wheel of 200 modules). The files of one
release share their long description, as real ones do. With DIR (for
instance files fetched with `pip download --no-deps`), its .whl and .tar.gz
files are used; twine stops at a file it cannot read, so give it files
twine reads.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

ROUNDS = 5
_META = (
    "Metadata-Version: 2.4\nName: {name}\nVersion: 1.0\nSummary: bench\n"
    "Description-Content-Type: text/x-rst\n\n{name}\n==========\n\n" + "Some *text* here.\n\n" * 200
)


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _wheel(folder: Path, name: str, tag: str, files: dict[str, bytes]) -> None:
    dist = f"{name}-1.0"
    entries = dict(files)
    entries[f"{dist}.dist-info/METADATA"] = _META.format(name=name).encode()
    entries[f"{dist}.dist-info/WHEEL"] = f"Wheel-Version: 1.0\nTag: {tag}\n".encode()
    record = "".join(f"{n},sha256={_digest(d)},{len(d)}\n" for n, d in entries.items())
    entries[f"{dist}.dist-info/RECORD"] = (record + f"{dist}.dist-info/RECORD,,\n").encode()
    with zipfile.ZipFile(folder / f"{dist}-{tag}.whl", "w", zipfile.ZIP_DEFLATED) as zf:
        for n, d in entries.items():
            zf.writestr(n, d)


def _sdist(folder: Path, name: str, files: dict[str, bytes]) -> None:
    top = f"{name}-1.0"
    files = {
        "PKG-INFO": _META.format(name=name).encode(),
        "pyproject.toml": b"[project]\n",
        **files,
    }
    with tarfile.open(folder / f"{top}.tar.gz", "w:gz") as tf:
        for n, d in files.items():
            info = tarfile.TarInfo(f"{top}/{n}")
            info.size = len(d)
            tf.addfile(info, io.BytesIO(d))


def make_folder(folder: Path) -> None:
    module = b"def f(x):\n    return x + 1\n" * 200
    so = os.urandom(12 * 1024 * 1024)
    platforms = (
        "manylinux_2_17_x86_64.manylinux2014_x86_64",
        "macosx_11_0_arm64",
        "win_amd64",
    )
    for py in ("cp311", "cp312", "cp313"):
        for plat in platforms:
            files = {f"compiled/_core.{py}.so": so}
            files.update({f"compiled/m{j}.py": module for j in range(300)})
            _wheel(folder, "compiled", f"{py}-{py}-{plat}", files)
    _sdist(folder, "compiled", {f"compiled/m{j}.py": module for j in range(1500)})
    _wheel(folder, "pure", "py3-none-any", {f"pure/m{j}.py": module for j in range(200)})
    _sdist(folder, "pure", {f"pure/m{j}.py": module for j in range(200)})


def _time(args: list[str], cwd: Path) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of the process and its children, exit code)."""
    # both tools start as installed programs do, from compiled bytecode
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["NO_COLOR"] = "1"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.returncode


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    args = sys.argv[1:]
    rounds = ROUNDS
    if "--rounds" in args:
        i = args.index("--rounds")
        rounds = int(args[i + 1])
        del args[i : i + 2]
    with tempfile.TemporaryDirectory(prefix="relman-bench-inspect-") as tmp:
        if args:
            folder = Path(args[0]).resolve()
        else:
            folder = Path(tmp) / "dist"
            folder.mkdir()
            make_folder(folder)
        files = sorted(str(p) for p in folder.iterdir() if p.name.endswith((".whl", ".tar.gz")))
        size = sum(Path(f).stat().st_size for f in files) / 1024 / 1024
        print(f"{len(files)} files, {size:.0f} MiB in {folder}; {os.cpu_count()} CPUs")
        print(f"load average before: {_load()}")
        relman = [sys.executable, "-m", "relman", "inspect", *files]
        twine = [sys.executable, "-m", "twine", "check", "--strict", *files]
        _time(relman, Path(tmp))  # warm the page cache and the bytecode of both
        _time(twine, Path(tmp))
        runs: dict[str, list[tuple[float, float, int]]] = {"relman": [], "twine": []}
        for _ in range(rounds):
            runs["relman"].append(_time(relman, Path(tmp)))
            runs["twine"].append(_time(twine, Path(tmp)))
        print(f"load average after:  {_load()}")
        stats = {}
        for tool, label in (("relman", "relman inspect"), ("twine", "twine check --strict")):
            walls = [w for w, _, _ in runs[tool]]
            cpus = [c for _, c, _ in runs[tool]]
            stats[tool] = (statistics.median(walls), min(walls), statistics.median(cpus))
            med, best, cpu = stats[tool]
            rc = runs[tool][-1][2]
            print(
                f"{label:21} median {med:6.2f} s  best {best:6.2f} s  "
                f"cpu {cpu:6.2f} s  (exit {rc}, {rounds} rounds)"
            )
        (rm, rb, rc_), (tm, tb, tc) = stats["relman"], stats["twine"]
        print(
            f"ratio relman/twine    median {rm / tm:6.2f}    best {rb / tb:6.2f}    "
            f"cpu {rc_ / tc:6.2f}  (target: wall at most 1.0)"
        )


if __name__ == "__main__":
    main()
