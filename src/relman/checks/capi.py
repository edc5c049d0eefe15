"""The capi check: NumPy-style C-API version tracking.

Configured in ``[tool.relman.checks]``: ``capi-files`` (the API definition
files, hashed in order), ``capi-versions-file`` (a cversions.txt-style file:
``0x00000011 = <md5>`` lines, ``#`` comments), ``capi-version-file`` (where
``C_API_VERSION`` is set) and, optionally, ``capi-macro-file`` with
``capi-macro`` (``NPY_{major}_{minor}_API_VERSION``) that must be defined for
the release. The hash is the md5 of the definition files with line endings
and trailing whitespace normalized, so it only changes when the API text does.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator

from relman._regex import LazyPattern
from relman.checks import CheckContext, Finding, Skip, get_check, register

ID = "capi"

_ENTRY = LazyPattern(r"^\s*(0x[0-9a-fA-F]+|\d+)\s*=\s*([0-9a-fA-F]{8,})\s*$")
_C_API_VERSION = LazyPattern(r"""\bC_API_VERSION\b\s*(?:=|\s)\s*['"]?(0x[0-9a-fA-F]+|\d+)['"]?""")


def api_hash(texts: list[str]) -> str:
    """md5 of the API definition texts (newlines and trailing spaces normalized)."""
    md5 = hashlib.md5(usedforsecurity=False)
    for text in texts:
        for line in text.splitlines():
            md5.update(line.rstrip().encode() + b"\n")
    return md5.hexdigest()


def _int(text: str) -> int:
    return int(text, 16) if text.lower().startswith("0x") else int(text)


@register(
    ID,
    "C-API hash, cversions entry, C_API_VERSION and the API version macro agree",
    kinds=("alpha", "beta", "rc", "final", "bug-fix", "new-branch"),
)
def check_capi(ctx: CheckContext) -> Iterator[Finding]:
    check = get_check(ID)
    cfg = ctx.config.checks
    if not cfg.capi_files or not cfg.capi_versions_file:
        raise Skip("no C API declared (capi-files and capi-versions-file are not set)")
    texts: list[str] = []
    for path in cfg.capi_files:
        text = ctx.read_text(path)
        if text is None:
            yield check.finding("C-API definition file is missing", file=path)
        else:
            texts.append(text)
    versions_text = ctx.read_text(cfg.capi_versions_file)
    if versions_text is None:
        yield check.finding("C-API versions file is missing", file=cfg.capi_versions_file)
        return
    entries: list[tuple[int, str, int]] = []
    for number, line in enumerate(versions_text.splitlines(), 1):
        m = _ENTRY.match(line)
        if m:
            entries.append((_int(m.group(1)), m.group(2).lower(), number))
    if not entries:
        yield check.finding(
            "the C-API versions file has no entries",
            file=cfg.capi_versions_file,
            hint="add a line `0x00000001 = <hash>`",
        )
        return
    last_version, last_hash, last_line = entries[-1]
    if len(texts) == len(cfg.capi_files):
        current = api_hash(texts)
        if current != last_hash:
            yield check.finding(
                f"the C-API hash changed ({current}) but the last entry has {last_hash}",
                file=cfg.capi_versions_file,
                line=last_line,
                hint=f"add `0x{last_version + 1:08x} = {current}` and bump C_API_VERSION "
                "(or comment out the last entry if the API version stays)",
            )
    if len(entries) > 1 and entries[-2][0] == last_version:
        yield check.finding(
            f"a new entry reuses C-API version 0x{last_version:08x}",
            file=cfg.capi_versions_file,
            line=last_line,
            hint="bump C_API_VERSION for the new entry, or comment out the previous entry",
        )
    if cfg.capi_version_file:
        text = ctx.read_text(cfg.capi_version_file)
        m = _C_API_VERSION.search(text or "")
        if m is None:
            yield check.finding(
                "no C_API_VERSION found", file=cfg.capi_version_file, hint="define C_API_VERSION"
            )
        else:
            declared = _int(m.group(1))
            at = (text or "")[: m.start()].count("\n") + 1
            if declared < last_version:
                yield check.finding(
                    f"new C-API entry 0x{last_version:08x} without a version bump: "
                    f"C_API_VERSION is 0x{declared:08x}",
                    file=cfg.capi_version_file,
                    line=at,
                    hint=f"set C_API_VERSION to 0x{last_version:08x}",
                )
            elif declared > last_version:
                yield check.finding(
                    f"C_API_VERSION 0x{declared:08x} has no entry in {cfg.capi_versions_file}",
                    file=cfg.capi_versions_file,
                    hint=f"add `0x{declared:08x} = <hash>`",
                )
    if cfg.capi_macro and cfg.capi_macro_file and ctx.version:
        from packaging.version import Version

        release = (*Version(ctx.version).release, 0, 0)
        macro = cfg.capi_macro.format(major=release[0], minor=release[1])
        text = ctx.read_text(cfg.capi_macro_file)
        if text is None:
            yield check.finding("C-API macro header is missing", file=cfg.capi_macro_file)
        elif not re.search(r"#\s*define\s+" + re.escape(macro) + r"\b", text):
            yield check.finding(
                f"{macro} is not defined for {ctx.version}",
                file=cfg.capi_macro_file,
                hint=f"add `#define {macro} <C_API_VERSION>`",
            )
