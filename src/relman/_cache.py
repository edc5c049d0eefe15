"""What relman remembers between runs, in ``<git-dir>/relman/cache/``.

Answers that depend only on their key are remembered there so that an
unchanged repository is not asked twice: the tags reachable from a commit
(:meth:`relman.git.Repo.merged_tags`), the commits between two commits
(:meth:`relman.git.Repo.count_between`), the time of a commit
(:meth:`relman.git.Repo.commit_time`), the version setuptools-scm gives a
clean tree (:func:`relman.line.source.git_version`), and per-file check
results. Answers keyed by a commit keep the few most recent (:func:`remember`).

A check that derives something from one file's text alone (the deprecations
it declares) stores the result under the file's path and git blob id
(``sha1("blob <size>\\0" + content)``, what ``git hash-object`` prints) in
``<git-dir>/relman/cache/<name>.json``; a file the index holds as it is in the
working tree is looked up by the index's blob id, without reading it, and
files with nothing to find are remembered too. The cache is salted with the source of
the check itself, so a changed rule never reads results of the old one. Each
run keeps only the entries it used: the file never grows past the tree.
A git directory that cannot be written is no error: the check runs uncached.

Only the read-only commands that are run again and again on an unchanged
tree write caches (``relman check`` and ``relman status`` call
:func:`allow_writes`); everything else reads them and never writes, so a
release that stops before it starts, a plan and a dry run leave the git
directory as they found it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path
from typing import Any

from relman import _atomic

__all__ = [
    "ResultCache",
    "allow_writes",
    "blob_id",
    "recall",
    "remember",
    "write_json",
    "writes_allowed",
]

_WRITES = [False]


def allow_writes() -> None:
    """Caches are written for the rest of this process (a read-only command's choice)."""
    _WRITES.append(True)


def writes_allowed() -> bool:
    return _WRITES[-1]


def write_json(path: Path, data: Any) -> None:
    """Write a cache file, unless writes are off; a folder that refuses it is no error."""
    if not writes_allowed():
        return
    with contextlib.suppress(OSError):
        _atomic.write_text(path, json.dumps(data) + "\n")


def _answers(path: Path) -> dict[str, Any]:
    try:
        known = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return known if isinstance(known, dict) else {}


def recall(path: Path, key: str) -> Any:
    """The answer remembered under ``key`` in the cache file ``path``, or None."""
    return _answers(path).get(key)


def remember(path: Path, key: str, value: Any, *, keep: int = 8) -> None:
    """Remember ``value`` under ``key``, with the ``keep - 1`` most recent other answers
    (keys that name a commit go stale as HEAD moves on)."""
    if not writes_allowed():
        return
    known = _answers(path)
    known.pop(key, None)
    write_json(path, dict(list(known.items())[-(keep - 1) :]) | {key: value})


def blob_id(text: str) -> str:
    """git's blob id of ``text`` encoded as UTF-8."""
    data = text.encode("utf-8", "surrogateescape")
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class ResultCache:
    """``(path, content) -> result`` for one check, loaded once and saved once."""

    def __init__(self, git_dir: Path, name: str, *, salt: str) -> None:
        self.path = git_dir / "relman" / "cache" / f"{name}.json"
        self.salt = salt
        self._used: dict[str, Any] = {}
        self._known: dict[str, Any] = {}
        with contextlib.suppress(OSError, ValueError):
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and data.get("salt") == salt:
                entries = data.get("entries")
                self._known = entries if isinstance(entries, dict) else {}

    @staticmethod
    def key(path: str, text: str) -> str:
        return ResultCache.blob_key(path, blob_id(text))

    @staticmethod
    def blob_key(path: str, blob: str) -> str:
        """The key of a file known by its blob id (from git's index: nothing read)."""
        return f"{path}\0{blob}"

    def get(self, key: str) -> Any:
        """The remembered result, or None."""
        value = self._known.get(key)
        if value is not None:
            self._used[key] = value
        return value

    def put(self, key: str, value: Any) -> None:
        self._used[key] = value

    def save(self) -> None:
        if self._used != self._known:
            write_json(self.path, {"salt": self.salt, "entries": self._used})
