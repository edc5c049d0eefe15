"""The embedded local index: a PEP 503 directory that pip installs from with a
``file://`` index URL, written atomically, one page per project.
"""

from __future__ import annotations

import contextlib
import threading
import urllib.parse
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from relman import _atomic
from relman._atomic import sha256_file
from relman.errors import CheckFailed

if TYPE_CHECKING:
    pass

from relman.index.client import IndexFile, parse_project_page
from relman.index.dists import DistFile

__all__ = [
    "LocalIndex",
]


class LocalIndex:
    """A PEP 503 directory index: ``simple/<project>/index.html`` with the files beside it.

    Every write is atomic (a temporary file, then a rename) and serialised by
    a lock file, so pip never sees a half-written page or file.
    """

    _thread_lock = threading.Lock()

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.simple = directory / "simple"

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        import fcntl

        self.directory.mkdir(parents=True, exist_ok=True)
        with self._thread_lock, (self.directory / ".lock").open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def project_files(self, project: str) -> list[IndexFile]:
        page = self.simple / project / "index.html"
        if not page.is_file():
            return []
        return parse_project_page(page.read_bytes(), "text/html", page.as_uri())

    def add(self, dist: DistFile, data: bytes | None = None) -> str:
        """Add ``dist`` (whose digests are taken; ``data``: its bytes, when read already):
        ``uploaded``, ``exists`` (same bytes already there) or a CheckFailed."""
        folder = self.simple / dist.project
        dest = folder / dist.filename
        with self._locked():
            status = "uploaded"
            if dest.is_file():
                if sha256_file(dest) != dist.sha256:
                    raise CheckFailed(
                        f"{dist.filename} is already in {folder} with a different sha256"
                    )
                status = "exists"
            else:
                _atomic.write_bytes(dest, dist.path.read_bytes() if data is None else data)
            self._write_pages(dist.project, {dist.filename: dist.sha256})
        return status

    def _write_pages(self, project: str, added: dict[str, str]) -> None:
        import html

        folder = self.simple / project
        known = {f.filename: f.sha256 for f in self.project_files(project)} | added
        links = []
        for path in sorted(folder.iterdir()):
            if not path.is_file() or path.name == "index.html" or path.name.startswith("."):
                continue
            digest = known.get(path.name) or sha256_file(path)
            href = urllib.parse.quote(path.name)
            links.append(f'    <a href="{href}#sha256={digest}">{html.escape(path.name)}</a><br>')
        _atomic.write_text(folder / "index.html", _page(f"Links for {project}", links))
        projects = sorted(
            p.name for p in self.simple.iterdir() if p.is_dir() and (p / "index.html").is_file()
        )
        root_links = [
            f'    <a href="{urllib.parse.quote(p)}/">{html.escape(p)}</a><br>' for p in projects
        ]
        _atomic.write_text(self.simple / "index.html", _page("Simple index", root_links))


def _page(title: str, links: Sequence[str]) -> str:
    import html

    return (
        "<!DOCTYPE html>\n<html>\n  <head>\n"
        '    <meta name="pypi:repository-version" content="1.0">\n'
        f"    <title>{html.escape(title)}</title>\n  </head>\n  <body>\n"
        f"    <h1>{html.escape(title)}</h1>\n" + "\n".join(links) + "\n  </body>\n</html>\n"
    )
