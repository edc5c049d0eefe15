"""File helpers: atomic writes (a temporary file in the same folder, then
os.replace) and the digests of a file or of bytes read once."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["data_digests", "file_digests", "sha256_file", "write_bytes", "write_many", "write_text"]


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


def file_digests(path: str | os.PathLike[str], *names: str) -> dict[str, str]:
    """Hex digests of a file under each of hashlib's ``names``, from one read
    (``blake2_256`` is BLAKE2b of 32 bytes); a hash this Python lacks is left out."""
    digests = _hashers(names)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            for digest in digests.values():
                digest.update(block)
    return {name: digest.hexdigest() for name, digest in digests.items()}


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex SHA256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
