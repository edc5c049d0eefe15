"""What an index holds for a project: filename -> sha256, read the same way from
the local index and from a remote one (files listed without a hash are
downloaded and hashed).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from relman.config import Config

from relman.index.client import IndexClient, IndexFile
from relman.index.local import LocalIndex
from relman.index.targets import Target

__all__ = [
    "list_files",
]


def list_files(target: Target, project: str, *, config: Config | None = None) -> dict[str, str]:
    """Filename -> sha256 of every file ``target`` has for ``project``.

    Files listed without a sha256 are downloaded and hashed.
    """
    from packaging.utils import canonicalize_name

    name = str(canonicalize_name(project))
    if target.kind == "local":
        assert target.directory is not None
        return {
            f.filename: f.sha256 or "" for f in LocalIndex(target.directory).project_files(name)
        }
    client = IndexClient.for_config(config, target) if config is not None else IndexClient(target)
    with client:
        return _hashes(client, client.project_files(name))


def _hashes(
    client: IndexClient, files: Sequence[IndexFile], only: Collection[str] | None = None
) -> dict[str, str]:
    out: dict[str, str] = {}
    for f in files:
        if only is not None and f.filename not in only:
            continue
        out[f.filename] = f.sha256 or hashlib.sha256(client.download(f.url)).hexdigest()
    return out


# -- publishing ------------------------------------------------------------------
