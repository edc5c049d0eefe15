"""The files a release uploads: each one described from its own metadata, and the
upload form fields exactly as twine sends them (the legacy upload API).

A file's digests can be left for later (``describe_file(path, digests=False)``)
and taken with :func:`read_for_upload` from the very bytes that are uploaded,
so a publish reads and hashes each file once, just before it is sent (and
does not hash it again when this process has: a release hashes its files
when it writes SHA256SUMS, see :mod:`relman._atomic`).

The metadata is read and judged by the rule book (:mod:`relman.artifacts.rules`)
that ``relman inspect`` uses: License-File under a Metadata-Version below 2.4
is left out as twine does, and a file with an error there (an unknown field,
invalid metadata; for the public index also its upload rules: Metadata-Version
above 2.5, local versions, URLs in Requires-Dist, platform tags it does not
list, a long description that does not render) is refused before anything is
uploaded, with the rule named.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from relman._atomic import file_digests, read_digested
from relman._record import record
from relman._regex import LazyPattern
from relman.errors import UsageError

if TYPE_CHECKING:
    pass


__all__ = [
    "DistFile",
    "canonical_name",
    "describe_file",
    "digest_fields",
    "encode_multipart",
    "find_dist_files",
    "metadata_fields",
    "project_of",
    "read_for_upload",
    "upload_fields",
    "with_digests",
]


@record
class DistFile:
    """A local distribution file: its names, hash and kind (``sha256`` is empty
    until the digests are taken)."""

    path: Path
    filename: str
    project: str
    version: str
    kind: str  # "wheel" or "sdist"
    size: int
    sha256: str
    blake2_256: str = ""  # read with the sha256, in the same pass over the file


_SEPARATORS = LazyPattern(r"[-_.]+")


def canonical_name(name: str) -> str:
    """A project's name normalized as PEP 503 spells it (what packaging's
    ``canonicalize_name`` returns), without importing packaging."""
    return _SEPARATORS.sub("-", name).lower()


def project_of(filename: str) -> str | None:
    """The normalized project a wheel's or an sdist's file name names, read as
    :func:`describe_file` reads it (the name before the first dash of a wheel,
    before the last dash of an sdist); None for any other file name. The name
    is not validated: :func:`describe_file` does that.
    """
    if filename.endswith(".whl"):
        name = filename.partition("-")[0]
    elif filename.endswith((".tar.gz", ".zip")):
        name = filename.removesuffix(".tar.gz").removesuffix(".zip").rpartition("-")[0]
    else:
        return None
    return canonical_name(name) if name else None


def describe_file(path: Path, *, digests: bool = True) -> DistFile:
    """Name, version, kind and sha256 of a wheel or sdist; :class:`UsageError` otherwise.

    ``digests=False``: the file is not read (see :func:`with_digests`).
    """
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        canonicalize_name,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    name = path.name
    try:
        if name.endswith(".whl"):
            project, version, _, _ = parse_wheel_filename(name)
            kind = "wheel"
        elif name.endswith((".tar.gz", ".zip")):
            project, version = parse_sdist_filename(name)
            kind = "sdist"
        else:
            raise UsageError(
                f"{name} is not a wheel or an sdist",
                hint="only .whl, .tar.gz and .zip files go to a package index",
            )
    except (InvalidWheelFilename, InvalidSdistFilename) as exc:
        raise UsageError(f"{name} is not a valid distribution file name: {exc}") from None
    if not path.is_file():
        raise UsageError(f"{path} does not exist")
    dist = DistFile(
        path=path,
        filename=name,
        project=str(canonicalize_name(project)),
        version=str(version),
        kind=kind,
        size=path.stat().st_size,
        sha256="",
    )
    return with_digests(dist) if digests else dist


_DIGESTS = ("sha256", "blake2_256")


def with_digests(dist: DistFile) -> DistFile:
    """``dist`` with its sha256 and BLAKE2b-256 (read from the file); unchanged when it has them."""
    if dist.sha256:
        return dist
    return _digested(dist, file_digests(dist.path, *_DIGESTS))


def read_for_upload(dist: DistFile) -> tuple[DistFile, bytes]:
    """The file's bytes, read once for hashing and sending, and ``dist`` with the digests
    of those bytes."""
    data, digests = read_digested(dist.path, *_DIGESTS)
    return _digested(dist, digests), data


def _digested(dist: DistFile, digests: Mapping[str, str]) -> DistFile:
    return replace(dist, sha256=digests["sha256"], blake2_256=digests.get("blake2_256", ""))


def find_dist_files(folder: Path) -> list[Path]:
    """The wheels and sdists in ``folder`` (signatures, checksums and the rest left out)."""
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder", hint="pass the folder the build wrote")
    return sorted(
        p for p in folder.iterdir() if p.is_file() and p.name.endswith((".whl", ".tar.gz", ".zip"))
    )


def _read_metadata(path: Path) -> bytes:
    """METADATA of a wheel, PKG-INFO of an sdist, read within relman's archive limits."""
    from relman.archive import ArchiveError, read_archive

    def wanted(name: str) -> bool:
        parts = name.split("/")
        if path.name.endswith(".whl"):
            return len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA"
        return len(parts) == 2 and parts[1] == "PKG-INFO"

    try:
        archive = read_archive(path, keep=wanted)
    except ArchiveError as exc:
        raise UsageError(exc.message, hint=exc.hint) from None
    if len(archive.data) == 1:
        return next(iter(archive.data.values()))
    raise UsageError(
        f"{path.name} has no metadata (METADATA or PKG-INFO)",
        hint="rebuild it with a PEP 517 build backend",
    )


# Field names of packaging's RawMetadata -> names of the upload form (as twine sends them).
_FORM_FIELDS = {
    "metadata_version": "metadata_version",
    "name": "name",
    "version": "version",
    "platforms": "platform",
    "summary": "summary",
    "description": "description",
    "keywords": "keywords",
    "home_page": "home_page",
    "author": "author",
    "author_email": "author_email",
    "license": "license",
    "supported_platforms": "supported_platform",
    "download_url": "download_url",
    "classifiers": "classifiers",
    "requires": "requires",
    "provides": "provides",
    "obsoletes": "obsoletes",
    "maintainer": "maintainer",
    "maintainer_email": "maintainer_email",
    "requires_dist": "requires_dist",
    "provides_dist": "provides_dist",
    "obsoletes_dist": "obsoletes_dist",
    "requires_python": "requires_python",
    "requires_external": "requires_external",
    "project_urls": "project_urls",
    "description_content_type": "description_content_type",
    "provides_extra": "provides_extra",
    "dynamic": "dynamic",
    "license_expression": "license_expression",
    "license_files": "license_file",
}


@functools.lru_cache(maxsize=32)
def _judged_metadata(data: bytes, public: bool) -> tuple[Mapping[str, Any], tuple[Any, ...]]:
    """The upload metadata of ``data`` and the rule book's findings on it.

    A function of the bytes alone, so the wheels of one release (which share
    their METADATA but for the tags) are parsed and judged once each.
    """
    from relman.artifacts.rules import metadata_findings, upload_metadata

    raw, _unparsed, _dropped = upload_metadata(data)
    meta, found = metadata_findings(data, public=public)
    if public:  # the index renders the description at upload and refuses one that fails
        from relman.artifacts.readme import render_description
        from relman.artifacts.rules import Finding

        found += [
            Finding(rule, text)
            for rule, text in render_description(meta.description, meta.description_content_type)
            if rule == "twine:description-render"
        ]
    return raw, tuple(found)


def upload_fields(dist: DistFile, *, public: bool = False) -> list[tuple[str, str]]:
    """The form fields of an upload of ``dist``, in the order twine sends them (without content).

    Raises :class:`UsageError` naming each broken rule when the rule book has
    an error for the file's name or metadata (``public``: the destination is
    the public index, whose upload rules are then errors too).
    """
    return [*metadata_fields(dist, public=public), *digest_fields(with_digests(dist))]


def metadata_fields(dist: DistFile, *, public: bool = False) -> list[tuple[str, str]]:
    """The fields of :func:`upload_fields` that come from the file's name and metadata,
    judged as there; the digests' fields (:func:`digest_fields`) follow them."""
    from packaging.utils import parse_wheel_filename

    from relman.artifacts.rules import filename_findings

    raw, found = _judged_metadata(_read_metadata(dist.path), public)
    errors = [*filename_findings(dist.filename, public=public), *found]
    errors = [f for f in errors if f.severity == "error"]
    if errors:
        raise UsageError(
            f"{dist.filename} has invalid metadata or name for this index: "
            + "; ".join(str(f) for f in errors),
            hint="fix the project metadata and rebuild; `relman inspect` lists every rule",
        )
    fields: list[tuple[str, str]] = []
    for key, value in raw.items():
        form = _FORM_FIELDS.get(key)
        if form is None:
            continue
        if form == "name":
            value = re.sub("[^A-Za-z0-9.]+", "-", str(value))
        if isinstance(value, dict):
            fields.extend((form, f"{k}, {v}") for k, v in value.items())
        elif form == "keywords" and isinstance(value, list):
            fields.append((form, ", ".join(value)))
        elif isinstance(value, list):
            fields.extend((form, str(v)) for v in value)
        else:
            fields.append((form, str(value)))
    if dist.kind == "wheel":
        tags = parse_wheel_filename(dist.filename)[3]
        pyversion = dist.filename[:-4].split("-")[-3] if tags else "any"
    else:
        pyversion = "source"
    fields.append(("pyversion", pyversion))
    fields.append(("filetype", "bdist_wheel" if dist.kind == "wheel" else "sdist"))
    return fields


def digest_fields(dist: DistFile) -> list[tuple[str, str]]:
    """The last fields of an upload form: the file's digests, then the action."""
    if not dist.sha256:
        raise ValueError(f"{dist.filename}: the digests are not taken yet")
    fields = [("sha256_digest", dist.sha256)]
    if dist.blake2_256:
        fields.append(("blake2_256_digest", dist.blake2_256))
    fields.append((":action", "file_upload"))
    fields.append(("protocol_version", "1"))
    return fields


def _quote_field(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def encode_multipart(
    fields: Sequence[tuple[str, str]], filename: str, data: bytes
) -> tuple[str, list[bytes]]:
    """A multipart/form-data body: (content type, parts); the file is the last part."""
    boundary = os.urandom(16).hex()  # as secrets.token_hex(16)
    parts: list[bytes] = []
    for key, value in fields:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{_quote_field(key)}"\r\n\r\n'.encode()
            + value.encode("utf-8")
            + b"\r\n"
        )
    parts.append(
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="content"; '
            f'filename="{_quote_field(filename)}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
    )
    parts.append(data)
    parts.append(f"\r\n--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", parts


# -- reading an index ----------------------------------------------------------
