"""File names of release artifacts: which files are sdists and wheels, their versions,
and the name rules the index enforces (PEP 625 sdists, normalized wheel names).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from relman.errors import UsageError

__all__ = [
    "artifact_files",
    "artifact_kind",
    "check_artifact_names",
    "version_of",
    "versions_in_names",
]


def artifact_kind(path: Path) -> str | None:
    """``sdist``, ``wheel`` or None for a file name."""
    if path.name.endswith(".whl"):
        return "wheel"
    if path.name.endswith((".tar.gz", ".zip")):
        return "sdist"
    return None


def artifact_files(directory: Path) -> list[Path]:
    """The sdists and wheels in ``directory``, wheels first, sorted by name."""
    directory = Path(directory)
    if not directory.is_dir():
        raise UsageError(f"{directory} is not a folder", hint="build first: `relman build`")
    found = [p for p in directory.iterdir() if p.is_file() and artifact_kind(p)]
    return sorted(found, key=lambda p: (artifact_kind(p) != "wheel", p.name))


def version_of(path: Path) -> str | None:
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    try:
        if path.name.endswith(".whl"):
            return str(parse_wheel_filename(path.name)[1])
        return str(parse_sdist_filename(path.name)[1])
    except (InvalidSdistFilename, InvalidWheelFilename):
        return None


def versions_in_names(paths: Sequence[Path]) -> list[str]:
    """The distinct versions the file names carry."""
    return sorted({v for v in (version_of(Path(p)) for p in paths) if v})


def check_artifact_names(paths: Sequence[Path], *, name: str, version: str | None) -> list[str]:
    """Problems with the file names: PEP 625 sdists, parseable wheels, one version.

    ``version`` is the release version every name must carry; with None the
    names must at least agree with each other.
    """
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        canonicalize_name,
        parse_sdist_filename,
        parse_wheel_filename,
    )
    from packaging.version import InvalidVersion, Version

    problems: list[str] = []
    want_name = canonicalize_name(name)
    want: Version | None = None
    if version is not None:
        try:
            want = Version(version)
        except InvalidVersion:
            return [f"{version!r} is not a valid PEP 440 version"]
    seen: set[str] = set()
    for path in paths:
        fname = Path(path).name
        if fname.endswith(".whl"):
            try:
                dist, ver, _build, _tags = parse_wheel_filename(fname)
            except InvalidWheelFilename as exc:
                problems.append(f"{fname}: not a valid wheel file name ({exc})")
                continue
            if fname.split("-", 1)[0] != str(dist).replace("-", "_"):
                problems.append(
                    f"{fname}: the name part should be {str(dist).replace('-', '_')!r} "
                    "(normalized, underscores)"
                )
        elif fname.endswith((".tar.gz", ".zip")):
            if not fname.endswith(".tar.gz"):
                problems.append(f"{fname}: sdists must be .tar.gz (PEP 625)")
                continue
            try:
                dist, ver = parse_sdist_filename(fname)
            except InvalidSdistFilename as exc:
                problems.append(f"{fname}: not a valid sdist file name ({exc})")
                continue
            expected = f"{str(dist).replace('-', '_')}-{ver}.tar.gz"
            if fname != expected:
                problems.append(f"{fname}: the PEP 625 name is {expected}")
        else:
            problems.append(f"{fname}: neither an sdist (.tar.gz) nor a wheel (.whl)")
            continue
        if dist != want_name:
            problems.append(f"{fname}: project name {dist!r} is not {want_name!r}")
        if want is not None and ver != want:
            problems.append(f"{fname}: version {ver} is not the release version {want}")
        seen.add(str(ver))
    if want is None and len(seen) > 1:
        problems.append(f"the files carry different versions: {', '.join(sorted(seen))}")
    return problems
