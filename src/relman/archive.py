"""Bounded, streaming reading of release archives: wheels (zip), sdists (.tar.gz or .zip).

Every archive is read once, front to back for a tar (``r|gz``), member by
member for a zip, and never more than a bounded amount at a time:

* :func:`read_archive` lists every member, keeps the bytes of the members the
  caller asks for (METADATA, PKG-INFO, RECORD, ...), each at most
  :attr:`Limits.metadata_bytes`, and hashes the other regular members of a zip
  as they stream past, with the algorithm the caller names for each (read
  straight from the file in large blocks and inflated with zlib-ng, twice as
  fast as zlib);
* :func:`extract_archive` writes an sdist's regular files and folders into a
  folder, with links resolved inside the archive and written as copies, after
  checking every name (no absolute paths, no ``..``, no links out, no devices).

What the index refuses of the archive itself (a ``.tar.gz`` that is not gzip,
zip members that are encrypted or use a compression other than stored or
deflate, member names that are not UTF-8, a decompression ratio above 50 past
64 MiB, as warehouse's upload checks) is reported as a *finding* on the
returned :class:`Archive`; data that cannot be read at all (corrupt deflate,
a truncated stream) and every limit hit raise :class:`ArchiveError`, whose
message names the member and the limit, and whose ``rule`` names the check.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import os
import shutil
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from relman._record import record
from relman._regex import LazyPattern
from relman.errors import CheckFailed

__all__ = [
    "Archive",
    "ArchiveError",
    "Limits",
    "Member",
    "check_members",
    "extract_archive",
    "read_archive",
]

_MIB = 1024 * 1024
_CONTROL = LazyPattern(r"[\x00-\x1f\x7f]")
_CHUNK = 1024 * 1024


@record
class Limits:
    """How much an archive may make relman read or write."""

    #: any one member kept in memory (METADATA, PKG-INFO, RECORD, WHEEL)
    metadata_bytes: int = 16 * _MIB
    #: any one member, uncompressed
    member_bytes: int = 2048 * _MIB
    #: all members together, uncompressed
    total_bytes: int = 4096 * _MIB
    #: members in one archive
    members: int = 200_000
    #: uncompressed / compressed size past ``ratio_floor`` (warehouse: 50 past 64 MiB)
    ratio: float = 50.0
    ratio_floor: int = 64 * _MIB


DEFAULT_LIMITS = Limits()


class ArchiveError(CheckFailed):
    """An archive that cannot be read safely; ``rule`` names the check."""

    def __init__(self, message: str, *, rule: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.rule = rule


@dataclass(frozen=True)
class Member:
    """One archive member: ``kind`` is file, dir, symlink, hardlink or special."""

    name: str
    kind: str
    size: int
    link: str = ""
    #: zip only: the compressed size
    compressed: int = 0


@dataclass
class Archive:
    """What one pass over an archive found."""

    path: Path
    #: "zip", "tar.gz", or what a mislabelled .tar.gz really is
    format: str
    members: list[Member] = field(default_factory=list)
    #: the bytes of the members asked for (regular files only)
    data: dict[str, bytes] = field(default_factory=dict)
    #: zip members hashed while streaming: name -> (algorithm, urlsafe-b64 digest, size)
    digests: dict[str, tuple[str, str, int]] = field(default_factory=dict)
    #: (rule, message) of what the index refuses in the archive itself
    findings: list[tuple[str, str]] = field(default_factory=list)
    uncompressed: int = 0

    def names(self) -> list[str]:
        return [m.name for m in self.members]


def _sniff(path: Path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(262)
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:3] == b"BZh":
        return "bzip2"
    if head[:6] == b"\xfd7zXZ\x00":
        return "xz"
    if head[:4] == b"PK\x03\x04":
        return "zip"
    if head[257:262] == b"ustar":
        return "tar"
    return "unknown"


def _bad_name(name: str) -> str | None:
    """Why a member name is unacceptable, or None."""
    if _CONTROL.search(name):
        return "has a control character in its name"
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "has a name that is not UTF-8"
    return None


def _check_totals(archive: Archive, limits: Limits, compressed: int, name: str) -> None:
    """Raise past the total size, or past the ratio when ``compressed`` is known (tar;
    a zip's ratio is judged from its declared sizes, as a finding).
    """
    if archive.uncompressed > limits.total_bytes:
        raise ArchiveError(
            f"{archive.path.name}: the members add up to more than "
            f"{limits.total_bytes // _MIB} MiB uncompressed (limit hit at {name})",
            rule="archive-total-size",
            hint="a release file this large is not one relman reads; check how it was built",
        )
    if (
        compressed
        and archive.uncompressed > limits.ratio_floor
        and archive.uncompressed / max(compressed, 1) > limits.ratio
    ):
        raise ArchiveError(
            f"{archive.path.name}: decompresses more than {limits.ratio:.0f} times its size "
            f"past {limits.ratio_floor // _MIB} MiB (a decompression bomb; limit hit at {name})",
            rule="archive-ratio",
        )


def _too_big(archive: Archive, name: str, limit: int, what: str) -> ArchiveError:
    return ArchiveError(
        f"{archive.path.name}: member {name} is larger than {limit // _MIB} MiB ({what} limit)",
        rule="archive-member-size",
    )


def _stream(
    archive: Archive,
    fh: IO[bytes],
    name: str,
    *,
    limit: int,
    what: str,
    sink: Callable[[bytes], object],
    compressed: int,
    limits: Limits,
) -> int:
    size = 0
    while True:
        chunk = fh.read(_CHUNK)
        if not chunk:
            return size
        size += len(chunk)
        archive.uncompressed += len(chunk)
        if size > limit:
            raise _too_big(archive, name, limit, what)
        _check_totals(archive, limits, compressed, name)
        sink(chunk)


def _inflate_error() -> type[Exception]:
    from zlib_ng import zlib_ng  # type: ignore[import-not-found,unused-ignore]

    error: type[Exception] = zlib_ng.error  # type: ignore[assignment,unused-ignore]
    return error


@contextlib.contextmanager
def _read_errors(path: Path, name: str | None) -> Iterator[None]:
    """Turn the ways a damaged archive fails into one clear :class:`ArchiveError`."""
    try:
        yield
    except ArchiveError:
        raise
    except (
        EOFError,
        zlib.error,
        _inflate_error(),
        zipfile.BadZipFile,
        tarfile.TarError,
        OSError,
    ) as exc:
        where = f" (member {name})" if name else ""
        truncated = isinstance(exc, EOFError) or "end of" in str(exc).lower()
        raise ArchiveError(
            f"{path.name}: {'truncated' if truncated else 'corrupt'} archive{where}: {exc}",
            rule="archive-truncated" if truncated else "archive-corrupt",
            hint="download or build the file again",
        ) from None
    except UnicodeDecodeError as exc:  # zipfile: a name flagged UTF-8 that is not
        raise ArchiveError(
            f"{path.name}: a member name marked as UTF-8 is not UTF-8 ({exc.reason} at "
            f"byte {exc.start} of {exc.object[:80]!r})",
            rule="archive-member-name",
            hint="build the file again with a tool that writes UTF-8 names",
        ) from None
    except (NotImplementedError, RuntimeError) as exc:  # zipfile: encryption, methods
        raise ArchiveError(
            f"{path.name}: cannot read member {name}: {exc}", rule="archive-compression"
        ) from None


def read_archive(
    path: Path,
    *,
    keep: Callable[[str], bool],
    digest: Callable[[Archive, str], str | None] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Archive:
    """Read ``path`` once: list its members, keep those ``keep`` accepts, hash the rest.

    ``digest`` (zips only) is called with the archive and each remaining
    regular member's name after the kept members are read, and returns the hash algorithm to use,
    or None to skip it; it may look at the kept bytes (RECORD names the
    algorithm of each file).
    """
    path = Path(path)
    if path.name.endswith((".whl", ".zip")):
        return _read_zip(path, keep, digest, limits)
    return _read_tar(path, keep, limits)


def _zip_findings(archive: Archive, infos: list[zipfile.ZipInfo]) -> None:
    seen: set[str] = set()
    for info in infos:
        name = info.filename
        if info.flag_bits & 0x1:
            archive.findings.append(("archive-encrypted", f"member {name} is encrypted"))
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            archive.findings.append(
                (
                    "archive-compression",
                    f"member {name} uses compression method {info.compress_type} "
                    "(the index accepts stored and deflate only)",
                )
            )
        if not info.flag_bits & 0x800 and not name.isascii():
            archive.findings.append(
                ("archive-member-name", f"member name {name!r} is not marked UTF-8")
            )
        why = _bad_name(name)
        if why:
            archive.findings.append(("archive-member-name", f"a member {why}: {name!r}"))
        if name in seen:
            archive.findings.append(("archive-duplicate", f"member {name} appears more than once"))
        seen.add(name)


def _read_zip(
    path: Path,
    keep: Callable[[str], bool],
    digest: Callable[[Archive, str], str | None] | None,
    limits: Limits,
) -> Archive:
    archive = Archive(path=path, format="zip")
    compressed = path.stat().st_size
    with _read_errors(path, None):
        zf = zipfile.ZipFile(path)
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.members:
            raise ArchiveError(
                f"{path.name}: more than {limits.members} members", rule="archive-members"
            )
        _zip_findings(archive, infos)
        declared = sum(i.file_size for i in infos)
        if declared > limits.ratio_floor and declared / max(compressed, 1) > limits.ratio:
            archive.findings.append(
                (
                    "archive-ratio",
                    f"decompresses to {declared // _MIB} MiB, more than {limits.ratio:.0f} "
                    "times its size",
                )
            )
        for info in infos:
            kind = "dir" if info.is_dir() else "file"
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                kind = "symlink"
            archive.members.append(
                Member(info.filename, kind, info.file_size, compressed=info.compress_size)
            )
        readable = [
            i
            for i in infos
            if not i.is_dir()
            and not i.flag_bits & 0x1
            and i.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
        ]
        later: list[zipfile.ZipInfo] = []
        for info in readable:
            if keep(info.filename) and info.filename not in archive.data:
                buf = io.BytesIO()
                with _read_errors(path, info.filename), zf.open(info) as fh:
                    _stream(
                        archive,
                        fh,
                        info.filename,
                        limit=limits.metadata_bytes,
                        what="metadata",
                        sink=buf.write,
                        compressed=0,
                        limits=limits,
                    )
                archive.data[info.filename] = buf.getvalue()
            else:
                later.append(info)
        if digest is None:
            return archive
        todo: list[tuple[zipfile.ZipInfo, str]] = []
        for info in later:
            algo = digest(archive, info.filename)
            if algo is not None and info.filename not in archive.digests:
                archive.digests[info.filename] = (algo, "", 0)
                todo.append((info, algo))
        with open(path, "rb", buffering=0) as raw:
            for info, algo in sorted(todo, key=lambda t: t[0].header_offset):
                with _read_errors(path, info.filename):
                    b64, size = _hash_member(archive, raw, info, algo, limits)
                archive.digests[info.filename] = (algo, b64, size)
    return archive


#: compressed bytes read at once, and uncompressed bytes made at once, when hashing
_HASH_READ = 4 * _MIB
_HASH_OUT = 16 * _MIB


def _hash_member(
    archive: Archive, raw: IO[bytes], info: zipfile.ZipInfo, algo: str, limits: Limits
) -> tuple[str, int]:
    """(urlsafe-b64 digest, size) of one stored or deflated zip member, streamed.

    The member's data is read straight from the file and inflated in large
    blocks (zlib and hashlib work outside the interpreter on them), at most
    :data:`_HASH_OUT` bytes at a time; the local header must name the member
    the central directory names, as zipfile asks. Its CRC is not computed:
    the RECORD hash the digest is compared with is the stronger check.
    """
    name = info.filename
    raw.seek(info.header_offset)
    head = raw.read(30)
    if len(head) < 30 or head[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"bad local header of {name}")
    name_len = int.from_bytes(head[26:28], "little")
    extra_len = int.from_bytes(head[28:30], "little")
    if raw.read(name_len) != info.orig_filename.encode(
        "utf-8" if info.flag_bits & 0x800 else "cp437"
    ):
        raise zipfile.BadZipFile(f"file name in directory and header of {name} differ")
    raw.seek(extra_len, os.SEEK_CUR)
    h = hashlib.new(algo)
    from zlib_ng import zlib_ng  # type: ignore[import-not-found,unused-ignore]

    inflate = zlib_ng.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    left = info.compress_size
    size = 0

    def take(data: bytes) -> None:
        nonlocal size
        size += len(data)
        archive.uncompressed += len(data)
        if size > limits.member_bytes:
            raise _too_big(archive, name, limits.member_bytes, "member")
        _check_totals(archive, limits, 0, name)
        h.update(data)

    while left:
        block = raw.read(min(left, _HASH_READ))
        if not block:
            raise EOFError(f"the data of {name} ends early")
        left -= len(block)
        if inflate is None:
            take(block)
            continue
        take(inflate.decompress(block, _HASH_OUT))
        while inflate.unconsumed_tail:
            take(inflate.decompress(inflate.unconsumed_tail, _HASH_OUT))
    if inflate is not None:
        take(inflate.flush())
        if not inflate.eof:
            raise EOFError(f"the compressed data of {name} ends early")
    if size != info.file_size:
        raise zipfile.BadZipFile(
            f"{name} is {size} bytes uncompressed; the central directory says {info.file_size}"
        )
    return base64.urlsafe_b64encode(h.digest()).rstrip(b"=").decode(), size


def _tar_kind(m: tarfile.TarInfo) -> str:
    if m.isfile():
        return "file"
    if m.isdir():
        return "dir"
    if m.issym():
        return "symlink"
    if m.islnk():
        return "hardlink"
    return "special"


def _read_tar(path: Path, keep: Callable[[str], bool], limits: Limits) -> Archive:
    sniffed = _sniff(path)
    fmt = "tar.gz" if sniffed == "gzip" else sniffed
    archive = Archive(path=path, format=fmt)
    if sniffed != "gzip":
        archive.findings.append(
            (
                "sdist-gzip",
                f"a .tar.gz must be gzip-compressed; this file is {sniffed}"
                + (" data" if sniffed == "unknown" else ""),
            )
        )
        if sniffed not in ("bzip2", "xz", "tar"):
            return archive
    compressed = path.stat().st_size
    seen: set[str] = set()
    # sequential reading through the random-access modes: tarfile's stream modes
    # ("r|gz") move the data through 10 KiB Python reads, three times slower
    mode = {"gzip": "r:gz", "bzip2": "r:bz2", "xz": "r:xz", "tar": "r:"}[sniffed]
    with (
        open(path, "rb") as raw,
        _read_errors(path, None),
        tarfile.open(fileobj=raw, mode=mode) as tf,  # type: ignore[call-overload]
    ):
        for m in tf:
            if len(archive.members) >= limits.members:
                raise ArchiveError(
                    f"{path.name}: more than {limits.members} members", rule="archive-members"
                )
            kind = _tar_kind(m)
            if kind == "file" and m.name in seen:
                archive.findings.append(
                    ("archive-duplicate", f"member {m.name} appears more than once")
                )
            seen.add(m.name)
            why = _bad_name(m.name)
            if why:
                archive.findings.append(("archive-member-name", f"a member {why}: {m.name!r}"))
            if m.issparse():
                archive.findings.append(("archive-sparse", f"member {m.name} is a sparse file"))
            archive.members.append(
                Member(m.name, kind, m.size if kind == "file" else 0, link=m.linkname)
            )
            if kind != "file":
                continue
            if m.size > limits.member_bytes:
                raise _too_big(archive, m.name, limits.member_bytes, "member")
            if keep(m.name) and m.name not in archive.data:
                if m.size > limits.metadata_bytes:
                    raise _too_big(archive, m.name, limits.metadata_bytes, "metadata")
                fh = tf.extractfile(m)
                assert fh is not None
                buf = io.BytesIO()
                _stream(
                    archive,
                    fh,
                    m.name,
                    limit=limits.metadata_bytes,
                    what="metadata",
                    sink=buf.write,
                    compressed=compressed,
                    limits=limits,
                )
                archive.data[m.name] = buf.getvalue()
            else:
                archive.uncompressed += m.size
                _check_totals(archive, limits, compressed, m.name)
    return archive


# -- extraction ------------------------------------------------------------------


def _unsafe(name: str) -> str | None:
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "absolute path"
    if ".." in name.replace("\\", "/").split("/"):
        return "path leaves the archive ('..')"
    return _bad_name(name)


def _resolve(name: str, links: dict[str, str], kinds: dict[str, str]) -> str | None:
    """The regular member ``name`` stands for, following links inside the archive.

    None when a link leaves the archive, loops, or ends nowhere.
    """
    parts = [p for p in name.split("/") if p not in ("", ".")]
    done: list[str] = []
    hops = 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            if not done:
                return None
            done.pop()
            continue
        here = "/".join([*done, part])
        if here in links:
            hops += 1
            if hops > 40:
                return None
            target = links[here]
            if target.startswith("/"):  # a hard link: from the archive's root
                done = []
            # a symbolic link: from the folder that holds it (``done``)
            parts = [p for p in target.lstrip("/").split("/") if p not in ("", ".")] + parts
            continue
        done.append(part)
    result = "/".join(done)
    return result if kinds.get(result) in ("file", "dir") else None


def check_members(members: list[Member]) -> tuple[list[str], dict[str, str], dict[str, str]]:
    """(why members are unsafe to extract, kind by name, link name -> the file it stands for).

    Unsafe: absolute paths, ``..``, names that are not printable UTF-8,
    devices and fifos, links that leave the archive, loop, or end nowhere.
    """
    problems: list[str] = []
    kinds: dict[str, str] = {}
    links: dict[str, str] = {}
    for m in members:
        name = m.name.rstrip("/")
        why = _unsafe(name)
        if why:
            problems.append(f"{m.name}: {why}")
            continue
        kinds[name] = m.kind
        if m.kind == "special":
            problems.append(f"{m.name}: special file (device or fifo)")
        elif m.kind == "symlink":
            if m.link.startswith(("/", "\\")) or (len(m.link) > 1 and m.link[1] == ":"):
                problems.append(f"{m.name}: symbolic link to an absolute path {m.link}")
                continue
            links[name] = m.link
        elif m.kind == "hardlink":  # relative to the archive's root
            links[name] = "/" + m.link
    copies: dict[str, str] = {}
    for name in links:
        target = _resolve(name, links, kinds)
        if target is None:
            what = "hard link" if kinds[name] == "hardlink" else "symbolic link"
            problems.append(
                f"{name}: {what} pointing outside the archive, to nothing, or in a loop"
                f" ({links[name].lstrip('/')})"
            )
        elif kinds[target] == "file":
            copies[name] = target
    return problems, kinds, copies


def extract_archive(path: Path, dest: Path, *, limits: Limits = DEFAULT_LIMITS) -> list[str]:
    """Extract an sdist's files and folders into ``dest``; return the member names written.

    Raises :class:`ArchiveError` without leaving anything in ``dest`` (a new,
    empty folder) for unsafe names, links that leave the archive, loop or
    point at nothing, special files, and any limit hit. Links are written as
    copies of what they point at, so nothing on disk links anywhere.
    """
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise ArchiveError(f"{dest} is not empty", rule="extract-destination")
    listing = read_archive(path, keep=lambda _n: False, limits=limits)
    blocking = [m for r, m in listing.findings if r in ("sdist-gzip", "archive-encrypted")]
    if listing.format not in ("zip", "tar.gz") or blocking:
        raise ArchiveError(
            f"{path.name}: not an archive relman extracts ({'; '.join(blocking) or listing.format})",
            rule="sdist-gzip",
        )
    problems, kinds, copies = check_members(listing.members)
    if problems:
        shown = "; ".join(problems[:5]) + (" …" if len(problems) > 5 else "")
        raise ArchiveError(
            f"{path.name} is unsafe to extract: {shown}",
            rule="extract-unsafe",
            hint="the archive was not extracted; rebuild it from a clean export",
        )
    dest.mkdir(parents=True, exist_ok=True)
    try:
        written = _write_members(path, dest, kinds, limits)
        for name, target in copies.items():
            out = dest / name
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(dest / target, out)
            written.append(name)
    except BaseException:
        for child in dest.iterdir():
            shutil.rmtree(child) if child.is_dir() else child.unlink()
        raise
    return written


def _write_members(path: Path, dest: Path, kinds: dict[str, str], limits: Limits) -> list[str]:
    written: list[str] = []
    total = 0

    def write(name: str, fh: IO[bytes]) -> None:
        nonlocal total
        out = dest / name
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "wb") as w:
            size = 0
            while chunk := fh.read(_CHUNK):
                size += len(chunk)
                total += len(chunk)
                if size > limits.member_bytes:
                    raise ArchiveError(
                        f"{path.name}: member {name} is larger than "
                        f"{limits.member_bytes // _MIB} MiB (member limit)",
                        rule="archive-member-size",
                    )
                if total > limits.total_bytes:
                    raise ArchiveError(
                        f"{path.name}: extracting writes more than "
                        f"{limits.total_bytes // _MIB} MiB (total limit, hit at {name})",
                        rule="archive-total-size",
                    )
                w.write(chunk)
        os.chmod(out, 0o644)
        written.append(name)

    with _read_errors(path, None):
        if path.name.endswith(".zip"):
            with zipfile.ZipFile(path) as zf:
                for info in zf.infolist():
                    name = info.filename.rstrip("/")
                    if kinds.get(name) == "dir":
                        (dest / name).mkdir(parents=True, exist_ok=True)
                    elif kinds.get(name) == "file":
                        with zf.open(info) as fh:
                            write(name, fh)
        else:
            with open(path, "rb") as raw, tarfile.open(fileobj=raw, mode="r:gz") as tf:
                for m in tf:
                    name = m.name.rstrip("/")
                    if m.isdir():
                        (dest / name).mkdir(parents=True, exist_ok=True)
                    elif m.isfile():
                        member = tf.extractfile(m)
                        assert member is not None
                        write(name, member)
    return written
