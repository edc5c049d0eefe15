"""Wheels against the expected matrix: cibuildwheel-style build identifiers.

A wheel *covers* an identifier when an installer would pick it there:
``cp311-abi3-manylinux_x86_64`` covers ``cp311-manylinux_x86_64`` and every
later CPython on that platform (the stable ABI), ``py3-none-any`` (and
``py2.py3-none-any``) covers ``py3-none-any``. Without a configured matrix,
:func:`derive_wheel_matrix` derives one from the metadata.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from typing import Any

__all__ = ["covered_identifiers", "derive_wheel_matrix", "match_wheels", "wheel_identifiers"]

#: cibuildwheel-style platforms when the metadata names no operating system.
DEFAULT_PLATFORMS = ("manylinux_x86_64", "macosx_x86_64", "macosx_arm64", "win_amd64")
_OS_PLATFORMS = {
    "Operating System :: POSIX :: Linux": ("manylinux_x86_64",),
    "Operating System :: MacOS": ("macosx_x86_64", "macosx_arm64"),
    "Operating System :: MacOS :: MacOS X": ("macosx_x86_64", "macosx_arm64"),
    "Operating System :: Microsoft :: Windows": ("win_amd64",),
    "Operating System :: OS Independent": DEFAULT_PLATFORMS,
    "Operating System :: POSIX": ("manylinux_x86_64", "macosx_x86_64", "macosx_arm64"),
}
_KNOWN_MINORS = range(8, 16)


def _platform_family(platform: str) -> str:
    m = re.match(r"^(manylinux|musllinux)_\d+_\d+_(.+)$", platform)
    if m:
        return f"{m.group(1)}_{m.group(2)}"
    m = re.match(r"^manylinux(?:1|2010|2014)_(.+)$", platform)
    if m:
        return f"manylinux_{m.group(1)}"
    m = re.match(r"^macosx_\d+_\d+_(.+)$", platform)
    if m:
        return f"macosx_{m.group(1)}"
    return platform


def wheel_identifiers(filename: str) -> tuple[str, ...]:
    """cibuildwheel-style build identifiers a wheel provides (``cp311-manylinux_x86_64``).

    A pure wheel gives ``py3-none-any``.
    """
    from packaging.utils import parse_wheel_filename

    _, _, _, tags = parse_wheel_filename(filename)
    out: set[str] = set()
    for tag in tags:
        if tag.platform == "any":
            out.add(
                f"{tag.interpreter}-{tag.abi}-any"
                if tag.abi != "none"
                else f"{tag.interpreter}-none-any"
            )
        else:
            out.add(f"{tag.interpreter}-{_platform_family(tag.platform)}")
    return tuple(sorted(out))


def derive_wheel_matrix(meta: Any, *, pure: bool) -> list[str]:
    """Expected wheel identifiers from the metadata, when the project configures none.

    A pure project ships one ``py3-none-any`` wheel. Otherwise: one CPython
    wheel per ``Programming Language :: Python :: 3.X`` classifier allowed by
    Requires-Python, for each platform the ``Operating System`` classifiers
    name (all common ones when none is named).
    """
    from packaging.version import Version

    if pure:
        return ["py3-none-any"]
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    classifiers = list(getattr(meta, "classifiers", None) or [])
    raw_spec = getattr(meta, "requires_python", None)
    try:
        spec = SpecifierSet(str(raw_spec)) if raw_spec is not None else None
    except InvalidSpecifier:
        spec = None
    minors: list[int] = []
    for c in classifiers:
        m = re.fullmatch(r"Programming Language :: Python :: 3\.(\d+)", c)
        if m:
            minors.append(int(m.group(1)))
    if not minors:
        minors = [x for x in _KNOWN_MINORS]
    if spec is not None:
        minors = [x for x in minors if spec.contains(Version(f"3.{x}"), prereleases=True)]
    platforms: list[str] = []
    for c in classifiers:
        for key, plats in _OS_PLATFORMS.items():
            if c == key:
                platforms += [p for p in plats if p not in platforms]
    if not platforms:
        platforms = list(DEFAULT_PLATFORMS)
    return [f"cp3{x}-{p}" for x in sorted(set(minors)) for p in platforms]


def covered_identifiers(filename: str) -> tuple[str, ...]:
    """Every identifier a wheel serves: abi3 wheels serve later CPythons too.

    ``p-1.0-cp311-abi3-manylinux_2_17_x86_64.whl`` covers ``cp311-manylinux_x86_64``
    up to ``cp315-manylinux_x86_64``; ``py3-none-<platform>`` wheels cover every
    CPython 3 on that platform; ``py2.py3-none-any`` covers ``py3-none-any``.
    """
    from packaging.utils import parse_wheel_filename

    _, _, _, tags = parse_wheel_filename(filename)
    out: set[str] = set()
    for tag in tags:
        if tag.platform == "any":
            if tag.abi == "none" and tag.interpreter.startswith("py3"):
                out.add("py3-none-any")
            out.add(
                f"{tag.interpreter}-{tag.abi}-any"
                if tag.abi != "none"
                else f"{tag.interpreter}-none-any"
            )
            continue
        family = _platform_family(tag.platform)
        out.add(f"{tag.interpreter}-{family}")
        m = re.fullmatch(r"cp3(\d+)", tag.interpreter)
        if m and tag.abi == "abi3":
            out.update(f"cp3{x}-{family}" for x in _KNOWN_MINORS if x >= int(m.group(1)))
        elif tag.abi == "none" and tag.interpreter in ("py3", "py2.py3"):
            out.update(f"cp3{x}-{family}" for x in _KNOWN_MINORS)
    return tuple(sorted(out))


def match_wheels(
    expected: Sequence[str], identifiers: dict[str, tuple[str, ...]]
) -> tuple[list[str], list[str]]:
    """(expected patterns no wheel covers, wheel files no pattern expects).

    ``identifiers`` maps each wheel file to what it covers
    (:func:`covered_identifiers`).
    """
    missing = [
        pat
        for pat in expected
        if not any(fnmatch.fnmatchcase(i, pat) for ids in identifiers.values() for i in ids)
    ]
    unexpected = [
        fname
        for fname, ids in identifiers.items()
        if not any(fnmatch.fnmatchcase(i, pat) for i in ids for pat in expected)
    ]
    return missing, unexpected
