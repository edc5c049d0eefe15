"""Real-shaped release files made in tests: wheels and sdists as build backends write them.

``make_wheel`` writes what hatchling, flit_core and setuptools write (a
``.dist-info`` with METADATA, WHEEL and a RECORD of sha256 digests and sizes);
``make_sdist`` writes a PEP 625 sdist: one ``<name>-<version>/`` folder with
PKG-INFO and pyproject.toml. Each keyword bends one thing a rule looks at.
"""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import warnings
import zipfile
from pathlib import Path

README = "Demo\n====\n\nA package for the rule book's tests.\n"


def metadata(
    name: str = "demo",
    version: str = "1.0",
    *,
    metadata_version: str = "2.4",
    extra: str = "",
    description: str | None = README,
    content_type: str | None = "text/x-rst",
    summary: str = "A demo package",
) -> str:
    """METADATA text: headers, then the long description as the body."""
    lines = [
        f"Metadata-Version: {metadata_version}",
        f"Name: {name}",
        f"Version: {version}",
        f"Summary: {summary}",
        "Requires-Python: >=3.10",
    ]
    if content_type:
        lines.append(f"Description-Content-Type: {content_type}")
    text = "\n".join(lines) + "\n" + extra
    if description is not None:
        text += "\n" + description
    return text


def _digest(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def make_wheel(
    folder: Path,
    name: str = "demo",
    version: str = "1.0",
    tag: str = "py3-none-any",
    *,
    meta: str | bytes | None = None,
    files: dict[str, bytes] | None = None,
    record_extra: str = "",
    duplicate: str | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
    filename: str | None = None,
) -> Path:
    """A wheel like hatchling's: the package, then .dist-info (METADATA, WHEEL, RECORD)."""
    dist = f"{name.replace('-', '_')}-{version}"
    files = {f"{name.replace('-', '_')}/__init__.py": b'__version__ = "1.0"\n', **(files or {})}
    meta_bytes = meta if isinstance(meta, bytes) else (meta or metadata(name, version)).encode()
    entries = dict(files)
    entries[f"{dist}.dist-info/METADATA"] = meta_bytes
    entries[f"{dist}.dist-info/WHEEL"] = (
        f"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: {tag}\n".encode()
    )
    record = "".join(f"{n},{_digest(d)},{len(d)}\n" for n, d in entries.items())
    entries[f"{dist}.dist-info/RECORD"] = (
        record + f"{dist}.dist-info/RECORD,,\n" + record_extra
    ).encode()
    path = Path(folder) / (filename or f"{dist}-{tag}.whl")
    with zipfile.ZipFile(path, "w", compression) as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about a duplicate asked for
        for n, d in entries.items():
            zf.writestr(n, d)
        if duplicate:
            zf.writestr(duplicate, b"# the second copy\n")
    return path


def make_sdist(
    folder: Path,
    name: str = "demo",
    version: str = "1.0",
    *,
    meta: str | bytes | None = None,
    files: dict[str, bytes] | None = None,
    links: dict[str, str] | None = None,
    mode: str = "w:gz",
    filename: str | None = None,
    top: str | None = None,
) -> Path:
    """An sdist like flit_core's: ``<name>-<version>/`` with PKG-INFO and pyproject.toml."""
    base = f"{name.replace('-', '_')}-{version}"
    top = top or base
    pkg = name.replace("-", "_")
    members: dict[str, bytes] = {
        "pyproject.toml": f'[project]\nname = "{name}"\nversion = "{version}"\n'.encode(),
        f"{pkg}/__init__.py": b'__version__ = "1.0"\n',
        **(files or {}),
    }
    if meta is not False:
        members["PKG-INFO"] = (
            meta if isinstance(meta, bytes) else (meta or metadata(name, version)).encode()
        )
    path = Path(folder) / (filename or f"{base}.tar.gz")
    with tarfile.open(path, mode, encoding="utf-8", errors="surrogateescape") as tf:  # type: ignore[call-overload]
        for n, d in members.items():
            info = tarfile.TarInfo(f"{top}/{n}")
            info.size = len(d)
            info.mtime = 1_700_000_000
            tf.addfile(info, io.BytesIO(d))
        for n, target in (links or {}).items():
            info = tarfile.TarInfo(f"{top}/{n}")
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tf.addfile(info)
    return path
