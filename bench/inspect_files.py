"""`relman inspect` against `twine check --strict` over a folder of release files.

Both tools get the same files in one run each (`relman inspect DIR/*` and
`twine check --strict DIR/*`), in alternating rounds; the script prints the
median wall time of each and the ratio relman/twine. Target: at most 1.0.
relman does more work per file (it reads every wheel member to check RECORD,
lists every sdist member, applies the index's rules); it reads each archive
once, streaming.

    python bench/inspect_files.py [DIR]

Without DIR, the dist folder of two releases is made first, in real shapes:
a compiled project as scipy ships it (an sdist of 1,500 files and nine
wheels, CPython 3.11 to 3.13 on three platforms, each with a 12 MiB
incompressible extension module and 300 modules), and a pure project as
hatchling builds it (an sdist and a wheel of 200 modules). The files of one
release share their long description, as real ones do. With DIR (for instance files fetched
with `pip download --no-deps`), its .whl and .tar.gz files are used; twine
stops at a file it cannot read, so give it files twine reads.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

ROUNDS = 3
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


def _time(args: list[str], cwd: Path) -> tuple[float, int]:
    # both tools start as installed programs do, from compiled bytecode
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["NO_COLOR"] = "1"
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, done.returncode


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="relman-bench-inspect-") as tmp:
        if len(sys.argv) > 1:
            folder = Path(sys.argv[1]).resolve()
        else:
            folder = Path(tmp) / "dist"
            folder.mkdir()
            make_folder(folder)
        files = sorted(str(p) for p in folder.iterdir() if p.name.endswith((".whl", ".tar.gz")))
        size = sum(Path(f).stat().st_size for f in files) / 1024 / 1024
        print(f"{len(files)} files, {size:.0f} MiB in {folder}")
        relman_t: list[float] = []
        twine_t: list[float] = []
        for _ in range(ROUNDS):
            t, rc_r = _time([sys.executable, "-m", "relman", "inspect", *files], Path(tmp))
            relman_t.append(t)
            t, rc_t = _time([sys.executable, "-m", "twine", "check", "--strict", *files], Path(tmp))
            twine_t.append(t)
        r, w = statistics.median(relman_t), statistics.median(twine_t)
        print(f"relman inspect        {r:6.2f} s (exit {rc_r})")
        print(f"twine check --strict  {w:6.2f} s (exit {rc_t})")
        print(f"ratio relman/twine    {r / w:6.2f}  (target: at most 1.0)")


if __name__ == "__main__":
    main()
