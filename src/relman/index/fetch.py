"""Fetching a release's files from an index (a staging index, or the files CI
uploaded) into a folder, checked by name, version and sha256.
"""

from __future__ import annotations

import contextvars
import hashlib
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from relman import _atomic
from relman._atomic import sha256_file
from relman._record import record
from relman.errors import CheckFailed, RemoteError, UsageError

if TYPE_CHECKING:
    from relman.config import Config

from relman.index.client import IndexClient, IndexFile, parse_project_page
from relman.index.targets import Target, _split_userinfo, _url_path

__all__ = [
    "FetchReport",
    "FetchedFile",
    "fetch_files",
]

PLATFORMS = ("win", "macosx", "manylinux", "musllinux")


@record
class FetchedFile:
    filename: str
    path: Path
    sha256: str
    status: str  # "downloaded", "skipped" (already present, same hash)
    verified: bool  # the index gave a sha256 and it matched


@record
class FetchReport:
    index_url: str
    project: str
    version: str
    files: tuple[FetchedFile, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "index_url": self.index_url,
            "project": self.project,
            "version": self.version,
            "files": [
                {
                    "filename": f.filename,
                    "path": str(f.path),
                    "sha256": f.sha256,
                    "status": f.status,
                    "verified": f.verified,
                }
                for f in self.files
            ],
        }


def _matches(filename: str, project: str, version: str, platform: str | None) -> bool:
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        canonicalize_name,
        parse_sdist_filename,
        parse_wheel_filename,
    )
    from packaging.version import InvalidVersion, Version

    try:
        if filename.endswith(".whl"):
            name, ver, _, tags = parse_wheel_filename(filename)
            if platform is not None and not any(
                t.platform.startswith(platform)
                or (platform == "manylinux" and t.platform.startswith("linux"))
                for t in tags
            ):
                return False
        elif filename.endswith((".tar.gz", ".zip")):
            if platform is not None:
                return False
            name, ver = parse_sdist_filename(filename)
        else:
            return False
        return canonicalize_name(name) == canonicalize_name(project) and ver == Version(version)
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return False


def fetch_files(
    index_url: str,
    project: str,
    version: str,
    *,
    dest: Path,
    platform: str | None = None,
    config: Config | None = None,
    workers: int = 8,
) -> FetchReport:
    """Download every file of ``project`` ``version`` from a staging index into ``dest``.

    Hashes the index gives are verified before a file is written (atomically);
    files already in ``dest`` with the same hash are skipped. A file in
    ``dest`` with a different hash than the index's is refused before anything
    is downloaded.
    """
    from packaging.utils import canonicalize_name
    from packaging.version import InvalidVersion, Version

    if platform is not None and platform not in PLATFORMS:
        raise UsageError(
            f"unknown platform {platform!r}", hint=f"use one of: {', '.join(PLATFORMS)}"
        )
    try:
        Version(version)
    except InvalidVersion:
        raise UsageError(f"{version!r} is not a valid version") from None
    name = str(canonicalize_name(project))
    if index_url.startswith(("http://", "https://")):
        url, creds = _split_userinfo(index_url)
        target = Target(
            name=url,
            kind="remote",
            simple_url=url if url.endswith("/") else url + "/",
            credentials=creds,
        )
    elif index_url.startswith("file://") or "://" not in index_url:
        path = (
            _url_path(index_url) if index_url.startswith("file://") else Path(index_url)
        ).resolve()
        target = Target(name=str(path), kind="staging-dir", simple_url=path.as_uri() + "/")
    else:
        raise UsageError(f"{index_url} is not an http(s) or file URL")
    # made on first use: a folder index whose page lists its own files needs no HTTP
    # client (creating one imports httpx, a good part of a second on a busy machine)
    clients: list[IndexClient] = []
    lock = threading.Lock()

    def client() -> IndexClient:
        with lock:
            if not clients:
                clients.append(
                    IndexClient.for_config(config, target, connections=workers)
                    if config is not None
                    else IndexClient(target, connections=workers)
                )
            return clients[0]

    try:
        if target.kind == "staging-dir":
            page = _url_path(target.simple_url) / name / "index.html"
            listed = (
                parse_project_page(page.read_bytes(), "text/html", page.as_uri())
                if page.is_file()
                else []
            )
        else:
            listed = client().project_files(name)
        chosen = [f for f in listed if _matches(f.filename, name, version, platform)]
        if not chosen:
            what = f"{name} {version}" + (f" for {platform}" if platform else "")
            raise CheckFailed(
                f"{target.name} has no files of {what}",
                hint="check the project name, the version and the index URL",
            )
        dest.mkdir(parents=True, exist_ok=True)
        skipped: dict[str, FetchedFile] = {}
        for f in chosen:
            local = dest / f.filename
            if local.exists():
                have = sha256_file(local)
                if f.sha256 is not None and have != f.sha256:
                    raise CheckFailed(
                        f"{local} exists with sha256 {have}, the index has {f.sha256}",
                        hint="remove the local file if the index's file is the right one",
                    )
                skipped[f.filename] = FetchedFile(
                    filename=f.filename,
                    path=local,
                    sha256=have,
                    status="skipped",
                    verified=f.sha256 is not None,
                )

        def get(f: IndexFile) -> FetchedFile:
            if f.url.startswith("file://"):
                data = _url_path(f.url).read_bytes()
            else:
                data = client().download(f.url)
            digest = hashlib.sha256(data).hexdigest()
            if f.sha256 is not None and digest != f.sha256:
                raise RemoteError(
                    f"{f.filename}: downloaded sha256 {digest} does not match the index's {f.sha256}",
                    hint="nothing was written for this file; run again, or check the staging index",
                )
            _atomic.write_bytes(dest / f.filename, data)
            return FetchedFile(
                filename=f.filename,
                path=dest / f.filename,
                sha256=digest,
                status="downloaded",
                verified=f.sha256 is not None,
            )

        todo = [f for f in chosen if f.filename not in skipped]
        import concurrent.futures

        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            contexts = [contextvars.copy_context() for _ in todo]
            fetched = {r.filename: r for r in pool.map(lambda c, f: c.run(get, f), contexts, todo)}
    finally:
        for made in clients:
            made.close()
    rows = tuple((skipped | fetched)[f.filename] for f in sorted(chosen, key=lambda f: f.filename))
    return FetchReport(index_url=target.name, project=name, version=version, files=rows)
