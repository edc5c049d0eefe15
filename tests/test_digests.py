"""A file's digests are taken once a process, and never trusted once the file changed.

Each check runs in a fresh interpreter that counts, with an audit hook (it
observes, it changes nothing), how often the file is opened.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

_COUNTING = """
import json, sys
from relman import _atomic
path, steps = sys.argv[1], sys.argv[2:]
opened = []
sys.addaudithook(lambda event, args: opened.append(1) if event == "open" and args[0] == path else None)
out = []
for step in steps:
    before = len(opened)
    if step == "sha256":
        found = {"sha256": _atomic.sha256_file(path)}
    elif step == "both":
        found = _atomic.file_digests(path, "sha256", "blake2_256")
    elif step == "read":
        data, found = _atomic.read_digested(path, "sha256", "blake2_256")
        found["bytes"] = len(data)
    elif step.startswith("write:"):  # the same size, other bytes, the old mtime put back
        import os
        st = os.stat(path)
        with open(path, "r+b") as fh:
            fh.write(step[6:].encode())
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
        found = {}
    out.append({"opened": len(opened) - before, **found})
print(json.dumps(out))
"""


def _steps(path: Path, *steps: str) -> list[dict[str, object]]:
    out = subprocess.run(
        [sys.executable, "-c", _COUNTING, str(path), *steps],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    result: list[dict[str, object]] = json.loads(out.stdout)
    return result


def _digests(data: bytes) -> dict[str, str]:
    return {
        "sha256": hashlib.sha256(data).hexdigest(),
        "blake2_256": hashlib.blake2b(data, digest_size=32).hexdigest(),
    }


def _settled(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    time.sleep(0.25)  # older than the 0.1 s a fine-grained clock's timestamps can blur
    return path


def test_a_settled_file_is_read_once_for_its_digests(tmp_path: Path) -> None:
    """SHA256SUMS, the release README and the upload of one release file: one read of
    the file for its sha256, one for its BLAKE2b (taken with the bytes an upload sends),
    and no read after that."""
    data = os.urandom(300_000)
    path = _settled(tmp_path / "pkg-1.0-py3-none-any.whl", data)
    want = _digests(data)
    steps = _steps(path, "sha256", "sha256", "read", "both", "sha256")
    assert [s["opened"] for s in steps] == [1, 0, 1, 0, 0]
    assert steps[0]["sha256"] == steps[1]["sha256"] == steps[4]["sha256"] == want["sha256"]
    assert {k: steps[2][k] for k in want} == want and steps[2]["bytes"] == len(data)
    assert {k: steps[3][k] for k in want} == want


def test_a_file_written_again_is_hashed_again(tmp_path: Path) -> None:
    """Rewritten in place with the same size and its old mtime put back: the ctime
    tells, and the digests are those of the new bytes."""
    path = _settled(tmp_path / "pkg-1.0.tar.gz", b"a" * 4096)
    steps = _steps(path, "both", "write:bbbb", "both", "read")
    new = _digests(b"bbbb" + b"a" * 4092)
    assert steps[0]["sha256"] == _digests(b"a" * 4096)["sha256"]
    assert steps[2]["opened"] == 1 and {k: steps[2][k] for k in new} == new
    assert {k: steps[3][k] for k in new} == new


def test_a_file_replaced_by_another_of_the_same_size_and_mtime_is_hashed_again(
    tmp_path: Path,
) -> None:
    path = _settled(tmp_path / "pkg-1.0.tar.gz", b"old!" * 1000)
    first = _steps(path, "both", "both")
    assert [s["opened"] for s in first] == [1, 0]
    st = path.stat()
    other = tmp_path / "other"
    other.write_bytes(b"new!" * 1000)
    os.utime(other, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(other, path)
    again = _steps(path, "both")
    assert again[0]["sha256"] == hashlib.sha256(b"new!" * 1000).hexdigest()


def test_a_file_changed_just_before_it_was_hashed_is_not_trusted_later(tmp_path: Path) -> None:
    """Hashed within the clock's blur of its last change, a later write in the same
    tick could leave no trace: such a file is read again every time."""
    path = _settled(tmp_path / "fresh.whl", b"y" * 10)
    steps = _steps(path, "write:x", "sha256", "sha256", "both")
    assert [s["opened"] for s in steps[1:]] == [1, 1, 1]
