"""File helpers: atomic writes (a temporary file in the same folder, then
os.replace) and the digests of a file or of bytes read once.

A file's digests are taken once a process: a release hashes its files when
it builds them, inspects them, writes SHA256SUMS and the release README, and
uploads them. What was taken is kept by file (device and inode) with the
file's size, mtime and ctime, and used again only while all three are the
same: any write changes the ctime, which no program can set back. A file
changed less than a clock tick before it was hashed could change again
within the same tick without a new ctime (git's "racy" case), so a digest is
kept only when the file's last change is older than the coarsest timestamps
can blur (0.1 s, or 2 s where they are whole seconds) at the start of hashing.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "data_digests",
    "file_digests",
    "read_digested",
    "sha256_file",
    "write_bytes",
    "write_many",
    "write_text",
]


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _set_mode(tmp: str, path: Path) -> None:
    """Give the temporary file the mode a plain write of ``path`` would leave.

    An existing file keeps its mode; a new one gets ``0o666`` less the umask,
    not the ``0o600`` of ``mkstemp``.
    """
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    with contextlib.suppress(OSError):
        os.chmod(tmp, mode)


def write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        _set_mode(tmp, path)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text(path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8") -> None:
    """Write ``text`` exactly (no newline translation) atomically."""
    write_bytes(path, text.encode(encoding))


def write_many(files: Mapping[Path, bytes]) -> None:
    """Write several files so that either all change or none does.

    Every new content is first written to a temporary file beside its
    target; only when all are written are they moved into place. If a move
    fails, the files already replaced are restored from their old content.
    """
    staged: list[tuple[Path, str]] = []
    originals: dict[Path, bytes | None] = {}
    try:
        for path, data in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            originals[path] = path.read_bytes() if path.exists() else None
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            _set_mode(tmp, path)
            staged.append((path, tmp))
    except BaseException:
        for _, tmp in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        raise
    done: list[Path] = []
    try:
        for path, tmp in staged:
            os.replace(tmp, path)
            done.append(path)
    except BaseException:
        for path in done:
            old = originals[path]
            if old is None:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
            else:
                path.write_bytes(old)
        for _, tmp in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        raise


def _hashers(names: tuple[str, ...]) -> dict[str, Any]:
    digests: dict[str, Any] = {}
    for name in names:
        with contextlib.suppress(ValueError):  # e.g. blake2 in a FIPS build
            digests[name] = (
                hashlib.blake2b(digest_size=32) if name == "blake2_256" else hashlib.new(name)
            )
    return digests


def data_digests(data: bytes, *names: str) -> dict[str, str]:
    """Hex digests of ``data`` under each of hashlib's ``names``, as :func:`file_digests`."""
    digests = _hashers(names)
    for digest in digests.values():
        digest.update(data)
    return {name: digest.hexdigest() for name, digest in digests.items()}


# digests taken in this process: (device, inode) -> ((size, mtime, ctime), {name: hex})
_taken: dict[tuple[int, int], tuple[tuple[int, int, int], dict[str, str]]] = {}
_taken_lock = threading.Lock()


def _state(st: os.stat_result) -> tuple[int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _known(st: os.stat_result) -> dict[str, str]:
    """The digests taken of the file ``st`` describes, as it is now (empty when none)."""
    with _taken_lock:
        kept = _taken.get((st.st_dev, st.st_ino))
    return dict(kept[1]) if kept is not None and kept[0] == _state(st) else {}


def _keep(
    before: os.stat_result, after: os.stat_result, since: int, digests: dict[str, str]
) -> None:
    """Keep ``digests``, taken from ``since`` (ns), of a file unchanged while it was read
    (``before`` and ``after``) and settled: last changed well before ``since``."""
    if _state(before) != _state(after) or (before.st_dev, before.st_ino) != (
        after.st_dev,
        after.st_ino,
    ):
        return
    changed = max(after.st_mtime_ns, after.st_ctime_ns)
    blur = 2_000_000_000 if after.st_ctime_ns % 1_000_000_000 == 0 else 100_000_000
    if changed + blur >= since:
        return
    with _taken_lock:
        key = (after.st_dev, after.st_ino)
        kept = _taken.get(key)
        merged = dict(kept[1]) if kept is not None and kept[0] == _state(after) else {}
        merged.update(digests)
        _taken[key] = (_state(after), merged)


def file_digests(path: str | os.PathLike[str], *names: str) -> dict[str, str]:
    """Hex digests of a file under each of hashlib's ``names``, from one read
    (``blake2_256`` is BLAKE2b of 32 bytes); a hash this Python lacks is left out.
    Digests this process took of the unchanged file are not taken again."""
    known = _known(os.stat(path))
    if all(name in known for name in names):
        return {name: known[name] for name in names}
    since = time.time_ns()
    digests = _hashers(names)
    with open(path, "rb") as fh:
        before = os.fstat(fh.fileno())
        for block in iter(lambda: fh.read(1 << 20), b""):
            for digest in digests.values():
                digest.update(block)
        after = os.fstat(fh.fileno())
    out = {name: digest.hexdigest() for name, digest in digests.items()}
    _keep(before, after, since, out)
    return out


def read_digested(path: str | os.PathLike[str], *names: str) -> tuple[bytes, dict[str, str]]:
    """A file's bytes and their digests (as :func:`file_digests`): those this process
    took of the unchanged file, the others from the bytes read."""
    since = time.time_ns()
    with open(path, "rb") as fh:
        before = os.fstat(fh.fileno())
        data = fh.read()
        after = os.fstat(fh.fileno())
    unchanged = _state(before) == _state(after)
    known = _known(after) if unchanged else {}
    missing = [name for name in names if name not in known]
    found = data_digests(data, *missing) if missing else {}
    if found:
        _keep(before, after, since, found)
    digests = {**known, **found}
    return data, {name: digests[name] for name in names if name in digests}


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex SHA256 of a file, read in blocks (or known: see :func:`file_digests`)."""
    return file_digests(path, "sha256")["sha256"]
