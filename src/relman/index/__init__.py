"""Package indexes: where a release goes, reading and uploading, the embedded
local index, publishing, and fetching.

- :mod:`~relman.index.targets`: a :class:`Target` and its credentials;
- :mod:`~relman.index.dists`: the files to upload, described from their metadata;
- :mod:`~relman.index.client`: the index client (PEP 691 JSON, PEP 503 HTML, upload);
- :mod:`~relman.index.http`: kept-alive HTTP/1.1 connections (``http.client``);
- :mod:`~relman.index.local`: the embedded local index (a PEP 503 directory);
- :mod:`~relman.index.listing`: filename -> sha256 of what an index holds;
- :mod:`~relman.index.publish`: the resumable publish algorithm;
- :mod:`~relman.index.fetch`: fetching a release's files from an index.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from relman._lazy import on_first_use

if TYPE_CHECKING:
    from relman.index.client import JSON_TYPE, IndexClient, IndexFile, parse_project_page
    from relman.index.dists import DistFile, describe_file, find_dist_files, upload_fields
    from relman.index.fetch import FetchedFile, FetchReport, fetch_files
    from relman.index.listing import list_files
    from relman.index.local import LocalIndex
    from relman.index.publish import (
        FileResult,
        PublishPlan,
        PublishReport,
        StartedListing,
        conflict_error,
        failure_error,
        plan_publish,
        publish_files,
        start_listing,
    )
    from relman.index.targets import (
        Credentials,
        Target,
        install_url,
        local_index_dir,
        resolve_target,
    )

# each name is imported from its module when first used: the CLI asks for a publish's
# listing with the client, the targets and the publish algorithm, before (and without)
# the fetching code
_HOME = {
    **dict.fromkeys(
        ("JSON_TYPE", "IndexClient", "IndexFile", "parse_project_page"), "relman.index.client"
    ),
    **dict.fromkeys(
        ("DistFile", "describe_file", "find_dist_files", "upload_fields"), "relman.index.dists"
    ),
    **dict.fromkeys(("FetchedFile", "FetchReport", "fetch_files"), "relman.index.fetch"),
    "list_files": "relman.index.listing",
    "LocalIndex": "relman.index.local",
    **dict.fromkeys(
        (
            "FileResult",
            "PublishPlan",
            "PublishReport",
            "StartedListing",
            "conflict_error",
            "failure_error",
            "plan_publish",
            "publish_files",
            "start_listing",
        ),
        "relman.index.publish",
    ),
    **dict.fromkeys(
        ("Credentials", "Target", "install_url", "local_index_dir", "resolve_target"),
        "relman.index.targets",
    ),
}

__getattr__ = on_first_use(__name__, _HOME, globals())


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOME))


__all__ = [
    "JSON_TYPE",
    "Credentials",
    "DistFile",
    "FetchReport",
    "FetchedFile",
    "FileResult",
    "IndexClient",
    "IndexFile",
    "LocalIndex",
    "PublishPlan",
    "PublishReport",
    "StartedListing",
    "Target",
    "conflict_error",
    "describe_file",
    "failure_error",
    "fetch_files",
    "find_dist_files",
    "install_url",
    "list_files",
    "local_index_dir",
    "parse_project_page",
    "plan_publish",
    "publish_files",
    "resolve_target",
    "start_listing",
    "upload_fields",
]
