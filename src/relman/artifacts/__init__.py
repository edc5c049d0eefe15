"""Release artifacts: build, the rule book, inspection, the wheel matrix, checksums.

* :mod:`~relman.artifacts.build`: :func:`build_artifacts` builds the sdist and
  wheel from a clean checkout of a commit, never the working tree.
* :mod:`~relman.artifacts.rules`: the one rule book for release files
  (twine check's checks, the index's upload rules, relman's deeper checks),
  each rule with an id, a severity and a source; ``publish`` reads upload
  metadata through it.
* :mod:`~relman.artifacts.inspect`: :func:`inspect_artifacts` holds files to
  the rule book, reading each archive once through :mod:`relman.archive`.
* :mod:`~relman.artifacts.matrix`: wheel identifiers, what a wheel covers
  (abi3, ``py3-none-any``), the expected matrix.
* :mod:`~relman.artifacts.names`: which files are sdists and wheels and the
  versions their names carry.
* :mod:`~relman.artifacts.readme`: the long description rendered as
  ``twine check --strict`` renders it.
* :mod:`~relman.artifacts.checksums`: ``SHA256SUMS`` and the release README.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from relman._lazy import on_first_use

if TYPE_CHECKING:
    from relman._atomic import sha256_file
    from relman.artifacts.build import build_artifacts
    from relman.artifacts.checksums import write_checksums, write_release_readme
    from relman.artifacts.inspect import (
        ArtifactInfo,
        InspectReport,
        compare_sdist_with_git,
        inspect_artifacts,
        inspect_file,
    )
    from relman.artifacts.matrix import (
        covered_identifiers,
        derive_wheel_matrix,
        match_wheels,
        wheel_identifiers,
    )
    from relman.artifacts.names import (
        artifact_files,
        artifact_kind,
        check_artifact_names,
        versions_in_names,
    )
    from relman.artifacts.rules import RULES, Finding, Rule

# each name is imported from its module when first used: publish reads the rule book
# without loading the build, the inspection and the archive readers
_HOME = {
    "ArtifactInfo": "relman.artifacts.inspect",
    "Finding": "relman.artifacts.rules",
    "InspectReport": "relman.artifacts.inspect",
    "RULES": "relman.artifacts.rules",
    "Rule": "relman.artifacts.rules",
    "artifact_files": "relman.artifacts.names",
    "artifact_kind": "relman.artifacts.names",
    "build_artifacts": "relman.artifacts.build",
    "check_artifact_names": "relman.artifacts.names",
    "compare_sdist_with_git": "relman.artifacts.inspect",
    "covered_identifiers": "relman.artifacts.matrix",
    "derive_wheel_matrix": "relman.artifacts.matrix",
    "inspect_artifacts": "relman.artifacts.inspect",
    "inspect_file": "relman.artifacts.inspect",
    "match_wheels": "relman.artifacts.matrix",
    "sha256_file": "relman._atomic",
    "versions_in_names": "relman.artifacts.names",
    "wheel_identifiers": "relman.artifacts.matrix",
    "write_checksums": "relman.artifacts.checksums",
    "write_release_readme": "relman.artifacts.checksums",
}


__getattr__ = on_first_use(__name__, _HOME, globals())


__all__ = [
    "RULES",
    "ArtifactInfo",
    "Finding",
    "InspectReport",
    "Rule",
    "artifact_files",
    "artifact_kind",
    "build_artifacts",
    "check_artifact_names",
    "compare_sdist_with_git",
    "covered_identifiers",
    "derive_wheel_matrix",
    "inspect_artifacts",
    "inspect_file",
    "match_wheels",
    "sha256_file",
    "versions_in_names",
    "wheel_identifiers",
    "write_checksums",
    "write_release_readme",
]
