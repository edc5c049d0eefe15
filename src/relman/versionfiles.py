"""Reading and writing the version wherever a project keeps it.

Source kinds (``kind`` of a ``[[tool.relman.version.files]]`` entry; detected
from the file when omitted):

==============  ================================================================
pyproject       ``[project] version`` in pyproject.toml (the version line edited in
                place, checked with the standard parser; tomlkit where the file
                is not that plain: formatting, comments and key order survive)
python          ``__version__ = "..."`` (or ``version = "..."``, annotated or not) in a
                module; a ``version_info``/``VERSION`` tuple next to it that spells
                the old version (``(9, 0, 4, 'final', 0)``) follows; Sphinx's
                ``_in_development = True`` makes ``'9.1.1'`` mean 9.1.1.dev0 (a
                release sets it False and the tuple final, the next cycle back)
setup           NumPy-era setup.py constants: ``MAJOR``, ``MINOR``, ``MICRO``,
                ``ISRELEASED`` and ``VERSION = '%d.%d.%drc1' % (...)``; a
                ``.dev0`` version is written as ``ISRELEASED = False``
meson           ``project(..., version: '...')`` in meson.build
patchlevel      a C header shaped like CPython's Include/patchlevel.h
                (``PY_MAJOR_VERSION`` ... ``PY_RELEASE_LEVEL``,
                ``PY_RELEASE_SERIAL``, ``PY_VERSION``); development versions
                are written CPython's way, as the previous release plus ``+``
regex           any file, with ``pattern``: a regular expression whose named
                group ``version`` holds the version (exactly one match)
version-module  a SciPy-style generated module with ``short_version``,
                ``version``, ``full_version`` (``X.Y.Z.dev0+<git hash>`` for
                development), ``git_revision`` and ``release``
==============  ================================================================

Projects whose version comes from git (setuptools_scm, hatch-vcs,
versioneer, a meson ``run_command``/``vcs_tag`` version) are *dynamic*:
:func:`dynamic_backend` names the tool, relman edits no file, and the tag is
the version.

CPython's README.rst title ("This is Python version 3.14.0 beta 2" and its
"=" underline) is not a source but changes with the version
(:func:`companion_changes`): it is written with Include/patchlevel.h, and left
as it is for a "+" development version.

Writes are all-or-nothing: :func:`plan_version_change` computes the new bytes
of every file (raising, with every problem listed, when any file cannot be
updated) and :func:`set_version` writes them together with
:func:`relman._atomic.write_many`. Every byte other than the version text is
kept: encoding (UTF-8 with or without BOM, a PEP 263 coding cookie, other
bytes as latin-1), line endings and formatting. Each new content is read back
and must give the requested version before anything is written.

The module is long because every source kind has its reader and writer here,
side by side, sharing the byte-preserving decoding and the all-or-nothing write.
"""

from __future__ import annotations

import codecs
import contextlib
import copy
import os
import re
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.version import Version

from relman._record import record
from relman._regex import LazyPattern
from relman.config import Config, VersionFile
from relman.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from relman.git import Repo

__all__ = [
    "SOURCE_KINDS",
    "SourceValue",
    "check_consistency",
    "companion_changes",
    "detect_files",
    "diff_changes",
    "dynamic_backend",
    "kind_of",
    "plan_version_change",
    "read_sources",
    "readme_heading",
    "set_version",
    "sources_of",
]

SOURCE_KINDS = ("pyproject", "python", "setup", "meson", "patchlevel", "regex", "version-module")


class _Problem(Exception):
    """A source that cannot be read or written as asked (collected, then reported)."""


@record(kw_only=False)
class SourceValue:
    """The version one source holds (``version`` None with ``error`` when unreadable)."""

    source: VersionFile
    kind: str
    version: str | None
    error: str | None = None
    note: str | None = None


# -- text: bytes in, bytes out, nothing else changed --------------------------

_COOKIE = LazyPattern(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


@record(kw_only=False)
class _Text:
    text: str
    encoding: str
    bom: bytes

    def encode(self, text: str) -> bytes:
        return self.bom + text.encode(self.encoding)


def _decode(data: bytes, kind: str) -> _Text:
    bom = codecs.BOM_UTF8 if data.startswith(codecs.BOM_UTF8) else b""
    body = data[len(bom) :]
    encoding = "utf-8"
    if kind in ("python", "setup", "version-module") and not bom:
        for line in body.splitlines()[:2]:
            m = _COOKIE.match(line)
            if m:
                with contextlib.suppress(LookupError):
                    encoding = codecs.lookup(m.group(1).decode("ascii")).name
                break
    try:
        return _Text(body.decode(encoding), encoding, bom)
    except UnicodeDecodeError:
        if kind == "pyproject":
            raise _Problem("is not valid UTF-8") from None
        return _Text(body.decode("latin-1"), "latin-1", bom)


def _sub_one(
    pattern: re.Pattern[str] | LazyPattern[str],
    text: str,
    replace: Callable[[re.Match[str]], str],
    what: str,
) -> str:
    """Replace the single match of ``pattern``; zero or several matches are problems."""
    m = _one(pattern, text, what)
    return text[: m.start()] + replace(m) + text[m.end() :]


def _one(pattern: re.Pattern[str] | LazyPattern[str], text: str, what: str) -> re.Match[str]:
    """The single match of ``pattern``; zero or several matches are problems."""
    matches = list(pattern.finditer(text))
    if not matches:
        raise _Problem(f"no {what} found")
    if len(matches) > 1:
        lines = ", ".join(str(text.count("\n", 0, m.start()) + 1) for m in matches)
        raise _Problem(f"{what} found {len(matches)} times (lines {lines}); expected once")
    return matches[0]


def _replace_group(m: re.Match[str], group: str, value: str) -> str:
    start, end = m.span(group)
    whole = m.group(0)
    return whole[: start - m.start()] + value + whole[end - m.start() :]


def _set_value(
    pattern: re.Pattern[str] | LazyPattern[str], text: str, value: str, what: str
) -> str:
    """Set the group ``value`` of the single match of ``pattern``."""
    return _sub_one(pattern, text, lambda m: _replace_group(m, "value", value), what)


def _split(version: str) -> tuple[Version, tuple[int, int, int], str]:
    """(version, X.Y.Z, the suffix after X.Y.Z without .dev) for fixed-field kinds."""
    v = Version(version)
    if v.epoch:
        raise _Problem(f"cannot hold a version with an epoch ({version})")
    if len(v.release) > 3:
        raise _Problem(f"holds three numbers (X.Y.Z), not {version}")
    if v.local:
        raise _Problem(f"cannot hold a local version ({version})")
    x, y, z = (*v.release, 0, 0)[:3]
    pre = f"{v.pre[0]}{v.pre[1]}" if v.pre else ""
    post = f".post{v.post}" if v.post is not None else ""
    return v, (x, y, z), pre + post


# -- pyproject ----------------------------------------------------------------


def _read_pyproject(text: str, source: VersionFile) -> str:
    # reading needs no formatting: the standard parser, many times faster than tomlkit
    # (which the writer uses to keep the user's formatting)
    from relman.config import parse_toml

    try:
        doc = parse_toml(text, Path(source.path))
    except ConfigError as exc:  # "<path> is not valid TOML: ...": the path is said already
        raise _Problem(exc.message.removeprefix(f"{source.path} ")) from None
    table = _pyproject_version_table(doc)
    if table is None:
        raise _Problem("has no [project] version")
    value = table["version"]
    if not isinstance(value, str):
        raise _Problem(f'has version = {value}, not a string: write version = "{value}"')
    return _valid_version(str(value))


def _valid_version(value: str) -> str:
    from packaging.version import InvalidVersion

    try:
        Version(value)
    except InvalidVersion:
        raise _Problem(f"has version {value!r}, which is not a PEP 440 version") from None
    return value


def _pyproject_version_table(doc: Any) -> Any:
    """The table holding the version: ``[project]``, else Poetry's ``[tool.poetry]``."""
    project = doc.get("project")
    if project is not None and project.get("version") is not None:
        return project
    if project is not None and "version" in project.get("dynamic", []):
        return None
    poetry = doc.get("tool", {}).get("poetry")
    if poetry is not None and isinstance(poetry.get("version"), str):
        return poetry
    return None


# a table header line, and a `version = "..."` line of the table it opens
_TOML_HEADER = LazyPattern(r"(?m)^[ \t]*\[(?!\[)[ \t]*([^\[\]\n]*?)[ \t]*\][ \t]*(?:#[^\n]*)?$")
_TOML_VERSION = LazyPattern(
    r"(?m)^([ \t]*version[ \t]*=[ \t]*)(?P<q>[\"'])(?P<version>[^\"'\n]*)(?P=q)"
)


def _edit_pyproject(text: str, source: VersionFile, version: str) -> str | None:
    """``text`` with the version line of its version table replaced, or None when the
    text is not that plain (then tomlkit edits it).

    Linear in the size of the file, whatever its comments and blank lines: two
    regular expressions find the line, and the standard parser checks that the
    new text means the old one with only the version changed. (tomlkit's parser
    merges whitespace by concatenation, quadratic in a file's blank lines.)
    """
    from relman.config import parse_toml

    doc = parse_toml(text, Path(source.path))
    table = _pyproject_version_table(doc)
    name = "project" if table is doc.get("project") else "tool.poetry"
    headers = list(_TOML_HEADER.finditer(text))
    spans = [
        (h.end(), headers[i + 1].start() if i + 1 < len(headers) else len(text))
        for i, h in enumerate(headers)
        if h.group(1).replace(" ", "").replace('"', "") == name
    ]
    found = [m for start, end in spans for m in [_TOML_VERSION.search(text, start, end)] if m]
    if len(spans) != 1 or len(found) != 1:
        return None
    m = found[0]
    new = text[: m.start("version")] + version + text[m.end("version") :]
    expected = copy.deepcopy(doc)
    _pyproject_version_table(expected)["version"] = version
    try:
        if parse_toml(new, Path(source.path)) != expected:
            return None
    except ConfigError:
        return None
    return new


def _write_pyproject(text: str, source: VersionFile, version: str, ctx: _Context) -> str:
    _read_pyproject(text, source)
    edited = _edit_pyproject(text, source, version)
    if edited is not None:
        return edited
    import tomlkit

    doc = tomlkit.parse(text)
    table: Any = _pyproject_version_table(doc)
    literal = table["version"].as_string().lstrip().startswith("'")
    table["version"] = tomlkit.string(version, literal=literal)
    return tomlkit.dumps(doc)


# -- python module ------------------------------------------------------------

# an optional annotation: `: str`, `: Final`, `: typing.Final[str]`, `: "str"`
_ASSIGN = r"(?:[ \t]*:[ \t]*[^=\n]+?)?[ \t]*=[ \t]*"
_PY = {
    name: LazyPattern(
        rf"^(?:__version__|version){_ASSIGN}(?:(?:__version__|version){_ASSIGN})?"
        rf"(?P<q>['\"])(?P<version>[^'\"\n]+)(?P=q)"
        if name == "__version__"
        else rf"^version{_ASSIGN}(?P<q>['\"])(?P<version>[^'\"\n]+)(?P=q)",
        re.M,
    )
    for name in ("__version__", "version")
}
_DUNDER = LazyPattern(rf"^__version__{_ASSIGN}", re.M)


def _python_pattern(text: str) -> tuple[re.Pattern[str] | LazyPattern[str], str]:
    if _DUNDER.search(text):
        return _PY["__version__"], "__version__ = '...'"
    return _PY["version"], "__version__ = '...' (or version = '...')"


# Sphinx: `_in_development = True` beside `__version__ = '9.1.1'` means 9.1.1 is being
# developed (9.1.1.dev0); a release sets it False, the next cycle back to True
_IN_DEV = LazyPattern(r"^(?P<lhs>_in_development[ \t]*=[ \t]*)(?P<value>True|False)\b", re.M)


def _read_python(text: str, source: VersionFile) -> str:
    pattern, what = _python_pattern(text)
    version = _one(pattern, text, what).group("version")
    flag = _IN_DEV.search(text)
    if flag and flag.group("value") == "True":
        from relman.versioning import normalize_or_suggest

        normalized = normalize_or_suggest(version)
        if normalized and not Version(normalized).is_devrelease:
            return f"{normalized}.dev0"
    return version


def _write_python(text: str, source: VersionFile, version: str, ctx: _Context) -> str:
    pattern, what = _python_pattern(text)
    old = _one(pattern, text, what).group("version")
    if _IN_DEV.search(text):
        return _write_in_development(text, pattern, what, version)
    text = _sub_one(pattern, text, lambda m: _replace_group(m, "version", version), what)
    return _write_version_tuple(text, old, version)


def _write_in_development(
    text: str, pattern: re.Pattern[str] | LazyPattern[str], what: str, version: str
) -> str:
    """Sphinx's shape: the version, ``version_info`` and ``_in_development`` together."""
    v = Version(version)
    developing = v.is_devrelease
    if developing and (v.dev != 0 or v.pre is not None or v.post is not None):
        raise _Problem(
            f"expresses development as _in_development = True (X.Y.Z.dev0), not {version}"
        )
    shown = v.base_version if developing else version
    text = _sub_one(pattern, text, lambda m: _replace_group(m, "version", shown), what)
    text = _set_value(_IN_DEV, text, "True" if developing else "False", "_in_development")
    matches = list(_TUPLE.finditer(text))
    if len(matches) == 1 and matches[0].group("level") is not None:
        m = matches[0]
        size = len(m.group("nums").split(","))
        rc_name = "rc" if m.group("lname") == "rc" else "candidate"
        q = m.group("q") or "'"
        if developing:
            nums = tuple(str(n) for n in (*v.release, 0, 0, 0)[:size])
            values = (*nums, "beta", "0")
        else:
            found = _tuple_of(version, size, True, rc_name)
            if found is None:
                return text
            values = found
        body = ", ".join(values[:size]) + f", {q}{values[-2]}{q}, {values[-1]}"
        text = text[: m.start()] + f"{m.group('lhs')}({body})" + text[m.end() :]
    return text


# `version_info = (9, 0, 4, 'final', 0)` (Sphinx, Django) or `VERSION = (1, 2, 3)` next
# to __version__: kept in step when it spells the old version
_TUPLE = LazyPattern(
    r"^(?P<lhs>(?:__version_info__|version_info|VERSION_INFO|VERSION)"
    r"(?:[ \t]*:[ \t]*[^=\n]+?)?[ \t]*=[ \t]*)"
    r"\((?P<nums>[ \t]*\d+(?:[ \t]*,[ \t]*\d+)+)"
    r"(?P<level>[ \t]*,[ \t]*(?P<q>['\"])(?P<lname>alpha|beta|candidate|rc|final)(?P=q)"
    r"[ \t]*,[ \t]*(?P<serial>\d+))?[ \t]*,?[ \t]*\)",
    re.M,
)
_TUPLE_LEVELS = {"a": "alpha", "b": "beta", "rc": "candidate", None: "final"}


def _tuple_of(version: str, size: int, with_level: bool, rc_name: str) -> tuple[str, ...] | None:
    v = Version(version)
    if v.epoch or v.local or v.post is not None or len(v.release) > size:
        return None
    nums = tuple(str(n) for n in (*v.release, *([0] * size))[:size])
    if not with_level:
        return None if v.pre else nums
    if v.is_devrelease:
        return None
    letter, serial = v.pre if v.pre else (None, 0)
    level = rc_name if letter == "rc" else _TUPLE_LEVELS[letter]
    return (*nums, level, str(serial))


def _write_version_tuple(text: str, old: str, new: str) -> str:
    matches = list(_TUPLE.finditer(text))
    if len(matches) != 1:
        return text
    m = matches[0]
    nums = [n.strip() for n in m.group("nums").split(",")]
    with_level = m.group("level") is not None
    rc_name = "rc" if m.group("lname") == "rc" else "candidate"
    current = (*nums, m.group("lname"), m.group("serial")) if with_level else tuple(nums)
    try:
        if _tuple_of(old, len(nums), with_level, rc_name) != current:
            return text  # it does not spell the old version: not ours to change
        values = _tuple_of(new, len(nums), with_level, rc_name)
    except ValueError:
        return text
    if values is None:
        return text
    q = m.group("q") or "'"
    body = ", ".join(values[: len(nums)])
    if with_level:
        body += f", {q}{values[-2]}{q}, {values[-1]}"
    return text[: m.start()] + f"{m.group('lhs')}({body})" + text[m.end() :]


# -- generic regex ------------------------------------------------------------


def _user_pattern(source: VersionFile) -> re.Pattern[str]:
    if not source.pattern:
        raise _Problem("kind regex needs a pattern with a (?P<version>...) group")
    try:
        pattern = re.compile(source.pattern, re.M)
    except re.error as exc:
        raise _Problem(
            f"pattern {source.pattern!r} is not a valid regular expression: {exc}"
        ) from None
    if "version" not in pattern.groupindex:
        raise _Problem(f"pattern {source.pattern!r} has no (?P<version>...) group")
    return pattern


def _read_regex(text: str, source: VersionFile) -> str:
    return _one(_user_pattern(source), text, f"match of {source.pattern!r}").group("version")


def _write_regex(text: str, source: VersionFile, version: str, ctx: _Context) -> str:
    pattern = _user_pattern(source)
    return _sub_one(
        pattern,
        text,
        lambda m: _replace_group(m, "version", version),
        f"match of {source.pattern!r}",
    )


# -- NumPy-era setup.py -------------------------------------------------------

_SETUP_NUM = {
    name: LazyPattern(rf"^(?P<lhs>{name}\s*=\s*)(?P<value>\d+)", re.M)
    for name in ("MAJOR", "MINOR", "MICRO")
}
_SETUP_RELEASED = LazyPattern(r"^(?P<lhs>ISRELEASED\s*=\s*)(?P<value>True|False)\b", re.M)
_SETUP_VERSION = LazyPattern(
    r"^(?P<lhs>VERSION\s*=\s*)(?P<q>['\"])%d\.%d\.%d(?P<value>[^'\"\n%]*)(?P=q)", re.M
)


def _looks_like_setup(text: str) -> bool:
    return bool(_SETUP_RELEASED.search(text) and _SETUP_VERSION.search(text))


def _read_setup(text: str, source: VersionFile) -> str:
    x, y, z = (int(_one(_SETUP_NUM[n], text, f"{n} = <number>").group("value")) for n in _SETUP_NUM)
    released = _one(_SETUP_RELEASED, text, "ISRELEASED = True|False").group("value") == "True"
    suffix = _one(_SETUP_VERSION, text, "VERSION = '%d.%d.%d...'").group("value")
    base = f"{x}.{y}.{z}{suffix}"
    from relman.versioning import normalize_or_suggest

    normalized = normalize_or_suggest(base)
    if normalized is None or Version(normalized).is_devrelease:
        raise _Problem(f"VERSION gives {base!r}, not a PEP 440 release")
    # NumPy: FULLVERSION = VERSION + '.dev0+' + git revision when not ISRELEASED
    return normalized if released else normalized + ".dev0"


def _write_setup(text: str, source: VersionFile, version: str, ctx: _Context) -> str:
    _read_setup(text, source)
    v, numbers, suffix = _split(version)
    if v.dev not in (None, 0):
        raise _Problem(f"expresses development as ISRELEASED = False (.dev0 only), not {version}")
    for name, number in zip(_SETUP_NUM, numbers, strict=True):
        text = _set_value(_SETUP_NUM[name], text, str(number), name)
    flag = "False" if v.is_devrelease else "True"
    text = _set_value(_SETUP_RELEASED, text, flag, "ISRELEASED")
    return _set_value(_SETUP_VERSION, text, suffix, "VERSION")


# -- meson.build --------------------------------------------------------------

_MESON_PROJECT = LazyPattern(r"^\s*project\s*\(", re.M)
_MESON_VERSION = LazyPattern(r"\bversion\s*:\s*")


def _meson_project_span(text: str) -> tuple[int, int]:
    """Start and end of the arguments of the project() call (strings and comments skipped)."""
    m = _MESON_PROJECT.search(text)
    if not m:
        raise _Problem("no project(...) call found")
    depth, i = 1, m.end()
    while i < len(text):
        c = text[i]
        if c == "'":
            close = "'''" if text.startswith("'''", i) else "'"
            end = text.find(close, i + len(close))
            if end < 0:
                break
            i = end + len(close)
            continue
        if c == "#":
            nl = text.find("\n", i)
            i = len(text) if nl < 0 else nl
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return m.end(), i
        i += 1
    raise _Problem("the project(...) call is not closed")


def _meson_version(text: str) -> tuple[int, int, str | None]:
    """(start, end, literal) of the version: argument; literal None when it is computed."""
    start, end = _meson_project_span(text)
    m = _MESON_VERSION.search(text, start, end)
    if not m:
        raise _Problem("project(...) has no version: argument")
    lit = re.compile(r"'(?P<version>[^'\n]*)'").match(text, m.end(), end)
    if not lit:
        return m.end(), m.end(), None
    return lit.start("version"), lit.end("version"), lit.group("version")


_MESON_FILES = LazyPattern(r"files\s*\(\s*'(?P<path>[^'\n]+)'\s*\)")


def _meson_version_file(text: str) -> str | None:
    """The file of ``project(version: files('VERSION'))`` (meson >= 0.57), or None."""
    try:
        start, _, literal = _meson_version(text)
    except _Problem:
        return None
    if literal is not None:
        return None
    m = _MESON_FILES.match(text, start)
    return m.group("path") if m else None


def _read_meson(text: str, source: VersionFile) -> str:
    _, _, literal = _meson_version(text)
    if literal is None:
        raise _Problem("project(version: ...) is computed (dynamic), not a string")
    return literal


def _write_meson(text: str, source: VersionFile, version: str, ctx: _Context) -> str:
    start, end, literal = _meson_version(text)
    if literal is None:
        raise _Problem("project(version: ...) is computed (dynamic), not a string")
    return text[:start] + version + text[end:]


# -- CPython's Include/patchlevel.h -------------------------------------------

_LEVELS = {"ALPHA": "a", "BETA": "b", "GAMMA": "rc", "FINAL": ""}
_HEADER_MAJOR = LazyPattern(
    r"^[ \t]*#[ \t]*define[ \t]+(?P<prefix>\w*?)MAJOR_VERSION[ \t]+\d+", re.M
)


def _header_patterns(prefix: str) -> dict[str, re.Pattern[str]]:
    define = r"^(?P<lhs>[ \t]*#[ \t]*define[ \t]+{name}[ \t]+)"
    p = re.escape(prefix)
    return {
        "major": re.compile(define.format(name=p + "MAJOR_VERSION") + r"(?P<value>\d+)", re.M),
        "minor": re.compile(define.format(name=p + "MINOR_VERSION") + r"(?P<value>\d+)", re.M),
        "micro": re.compile(define.format(name=p + "MICRO_VERSION") + r"(?P<value>\d+)", re.M),
        "level": re.compile(
            define.format(name=p + "RELEASE_LEVEL") + rf"(?P<value>{p}RELEASE_LEVEL_(?:\w+))",
            re.M,
        ),
        "serial": re.compile(define.format(name=p + "RELEASE_SERIAL") + r"(?P<value>\d+)", re.M),
        "string": re.compile(define.format(name=p + "VERSION") + r'"(?P<value>[^"\n]*)"', re.M),
    }


def _header_prefix(text: str) -> str:
    m = _HEADER_MAJOR.search(text)
    if not m:
        raise _Problem("no #define ..._MAJOR_VERSION found")
    return m.group("prefix")


def _read_patchlevel(text: str, source: VersionFile) -> str:
    from relman.versioning import next_version

    prefix = _header_prefix(text)
    pats = _header_patterns(prefix)
    values = {
        k: _one(p, text, f"#define {prefix}{k.upper()}").group("value") for k, p in pats.items()
    }
    level = values["level"].removeprefix(f"{prefix}RELEASE_LEVEL_")
    if level not in _LEVELS:
        raise _Problem(f"unknown release level {values['level']}")
    serial = int(values["serial"])
    base = f"{values['major']}.{values['minor']}.{values['micro']}"
    fields = base + (f"{_LEVELS[level]}{serial}" if _LEVELS[level] else "")
    string = values["string"]
    if string == fields + "+":  # development after the release `fields` (CPython)
        return next_version(fields, "dev")
    if string != fields:
        raise _Problem(f'{prefix}VERSION "{string}" disagrees with the fields ({fields})')
    if level == "ALPHA" and serial == 0:  # X.Y.0a0: development of X.Y.0 (CPython main)
        return base + ".dev0"
    return str(Version(fields))


def _header_fields(version: str) -> tuple[tuple[int, int, int], str, int, str]:
    """(X.Y.Z, level, serial, PY_VERSION) that hold ``version``."""
    v, numbers, _ = _split(version)
    if v.post is not None:
        raise _Problem(f"cannot hold a post-release ({version})")
    base = ".".join(map(str, numbers))
    if not v.is_devrelease:
        letter, serial = v.pre if v.pre else ("", 0)
        level = {v_: k for k, v_ in _LEVELS.items()}[letter]
        return numbers, level, serial, base + (f"{letter}{serial}" if letter else "")
    if v.dev != 0:
        raise _Problem(f"expresses development as <release>+ (.dev0 only), not {version}")
    hint = "development versions are the previous release plus '+'"
    if v.pre is not None:
        letter, n = v.pre
        if n < 2:
            raise _Problem(f"cannot hold {version}: {hint}, and no {letter}{n - 1} exists")
        level = {v_: k for k, v_ in _LEVELS.items()}[letter]
        return numbers, level, n - 1, f"{base}{letter}{n - 1}+"
    if numbers[2] == 0:
        return numbers, "ALPHA", 0, f"{base}a0"
    prev = (numbers[0], numbers[1], numbers[2] - 1)
    return prev, "FINAL", 0, ".".join(map(str, prev)) + "+"


def _write_patchlevel(text: str, source: VersionFile, version: str, ctx: _Context) -> str:
    _read_patchlevel(text, source)
    prefix = _header_prefix(text)
    pats = _header_patterns(prefix)
    numbers, level, serial, string = _header_fields(version)
    new = {
        "major": str(numbers[0]),
        "minor": str(numbers[1]),
        "micro": str(numbers[2]),
        "level": f"{prefix}RELEASE_LEVEL_{level}",
        "serial": str(serial),
        "string": string,
    }
    for key, pattern in pats.items():
        text = _set_value(pattern, text, new[key], key)
    return text


# -- CPython's README heading ---------------------------------------------------

#: "This is Python version 3.14.0 release candidate 2" and its "=" underline
_README_HEADING = LazyPattern(
    r"\A(?P<title>This is Python version [^\r\n]*)(?P<eol>\r?\n)=+[ \t]*(?=\r?\n)"
)
_README_WORDS = {"ALPHA": "alpha", "BETA": "beta", "GAMMA": "release candidate"}


def readme_heading(version: str) -> str | None:
    """CPython's README.rst title for ``version`` (``3.14.0 alpha 6``, ``3.14.0 release
    candidate 2``, ``3.14.1``, main's ``3.15.0 alpha 0``), as the release tools write
    it; None for a development version written as the release plus ``+``, whose
    README keeps the release's title."""
    try:
        numbers, level, serial, string = _header_fields(version)
    except _Problem:
        return None
    if string.endswith("+"):
        return None
    word = _README_WORDS.get(level)
    base = ".".join(map(str, numbers))
    return f"This is Python version {base}" + (f" {word} {serial}" if word else "")


def companion_changes(
    config: Config, version: str, read: Callable[[str], str | None]
) -> dict[str, str]:
    """Files that are not version sources but change with the version, as
    ``{path: new text}``: CPython's README.rst (or README) title and its
    underline of matching length, in a tree whose version is Include/patchlevel.h.
    ``read(path)`` gives a file's text (None when missing)."""
    if not any(kind_of(config.project_dir, s) == "patchlevel" for s in sources_of(config)):
        return {}
    title = readme_heading(version)
    if title is None:
        return {}
    for name in ("README.rst", "README"):
        text = read(name)
        m = _README_HEADING.match(text or "")
        if text is None or m is None:
            continue
        new = title + m.group("eol") + "=" * len(title) + text[m.end() :]
        return {name: new} if new != text else {}
    return {}


# -- SciPy-style generated version module -------------------------------------

_MODULE_KEYS = ("short_version", "version", "full_version", "git_revision", "release")
_MODULE = {
    key: LazyPattern(
        rf"^(?P<lhs>{key}\s*=\s*)(?P<value>True|False)\b"
        if key == "release"
        else rf"^(?P<lhs>{key}\s*=\s*)(?P<q>['\"])(?P<value>[^'\"\n]*)(?P=q)",
        re.M,
    )
    for key in _MODULE_KEYS
}

MODULE_TEMPLATE = """\
# THIS FILE IS GENERATED BY `relman version set`; DO NOT EDIT
short_version = '{short_version}'
version = '{version}'
full_version = '{full_version}'
git_revision = '{git_revision}'
release = {release}

if not release:
    version = full_version
"""


def _looks_like_module(text: str) -> bool:
    return all(_MODULE[k].search(text) for k in ("full_version", "git_revision", "release"))


def _read_module(text: str, source: VersionFile) -> str:
    values = {k: _one(p, text, f"{k} = ...").group("value") for k, p in _MODULE.items()}
    full = values["full_version"].split("+", 1)[0]
    from relman.versioning import normalize_or_suggest

    normalized = normalize_or_suggest(full)
    if normalized is None:
        raise _Problem(f"full_version {values['full_version']!r} is not PEP 440")
    released = values["release"] == "True"
    if released == Version(normalized).is_devrelease:
        raise _Problem(
            f"release = {values['release']} disagrees with full_version {values['full_version']!r}"
        )
    return normalized


def _module_values(version: str, revision: str) -> dict[str, str]:
    v = Version(version)
    base = str(Version(version.split(".dev", 1)[0])) if v.is_devrelease else version
    if v.is_devrelease and v.dev != 0:
        raise _Problem(f"expresses development as <version>.dev0+<git hash>, not {version}")
    return {
        "short_version": ".".join(map(str, (*v.release, 0, 0)[:3])),
        "version": base,
        "full_version": f"{base}.dev0+{revision[:7]}" if v.is_devrelease else version,
        "git_revision": revision,
        "release": "False" if v.is_devrelease else "True",
    }


def _write_module(text: str, source: VersionFile, version: str, ctx: _Context) -> str:
    values = _module_values(version, ctx.revision())
    if not text:
        return MODULE_TEMPLATE.format(**values)
    for key, pattern in _MODULE.items():
        text = _set_value(pattern, text, values[key], key)
    return text


# -- the table of kinds -------------------------------------------------------


class _Context:
    """What writers may need beyond the file: the git revision (looked up once)."""

    def __init__(self, project_dir: Path) -> None:
        self.project_dir = project_dir
        self._revision: str | None = None

    def revision(self) -> str:
        if self._revision is None:
            from relman.errors import RelmanError
            from relman.git import find_repo

            try:
                repo = find_repo(self.project_dir)
                self._revision = repo.head() if repo.has_commits() else "Unknown"
            except RelmanError:
                self._revision = "Unknown"
        return self._revision


_Reader = Callable[[str, VersionFile], str]
_Writer = Callable[[str, VersionFile, str, _Context], str]
_KINDS: dict[str, tuple[_Reader, _Writer]] = {
    "pyproject": (_read_pyproject, _write_pyproject),
    "python": (_read_python, _write_python),
    "setup": (_read_setup, _write_setup),
    "meson": (_read_meson, _write_meson),
    "patchlevel": (_read_patchlevel, _write_patchlevel),
    "regex": (_read_regex, _write_regex),
    "version-module": (_read_module, _write_module),
}


def kind_of(project_dir: Path, source: VersionFile) -> str:
    """The source kind of ``source``: its ``kind``, or detected from the file."""
    if source.kind:
        return source.kind
    if source.pattern:
        return "regex"
    path = project_dir / source.path
    name = path.name
    if name == "pyproject.toml":
        return "pyproject"
    if name == "meson.build":
        return "meson"
    if name.endswith((".h", ".hpp", ".hh")):
        return "patchlevel"
    if name.endswith(".py"):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = ""
        if _looks_like_setup(text):
            return "setup"
        if _looks_like_module(text):
            return "version-module"
    return "python"


def _is_generated(config: Config, source: VersionFile) -> bool:
    return config.version.module is not None and source.path == config.version.module


def sources_of(config: Config) -> list[VersionFile]:
    """The configured sources, plus the generated version module when one is configured."""
    sources = list(config.version.files)
    module = config.version.module
    if module and all(s.path != module for s in sources):
        sources.append(VersionFile(path=module, kind="version-module"))
    return sources


# -- detection ----------------------------------------------------------------

_DYNAMIC_BACKENDS = {
    "setuptools_scm": "setuptools_scm",
    "setuptools-scm": "setuptools_scm",
    "setuptools-git-versioning": "setuptools-git-versioning",
    "setuptools_git_versioning": "setuptools-git-versioning",
    "hatch-vcs": "hatch-vcs",
    "hatch_vcs": "hatch-vcs",
    "versioneer": "versioneer",
    "versioningit": "versioningit",
    "flit_scm": "flit_scm",
    "flit-scm": "flit_scm",
    "uv-dynamic-versioning": "uv-dynamic-versioning",
    "poetry-dynamic-versioning": "poetry-dynamic-versioning",
    "dunamai": "dunamai",
    "pdm-backend": None,
}


def _meson_dynamic(project_dir: Path) -> str | None:
    path = project_dir / "meson.build"
    if not path.is_file():
        return None
    text = path.read_bytes().decode("utf-8", errors="replace")
    try:
        _, _, literal = _meson_version(text)
    except _Problem:
        return None
    if literal is not None or _meson_version_file(text) is not None:
        return None
    return "meson vcs_tag" if "vcs_tag(" in text else "meson run_command"


def dynamic_backend(pyproject: Mapping[str, Any], project_dir: Path) -> str | None:
    """The tool that derives the version from git, when the version is dynamic."""
    project = pyproject.get("project", {})
    tool = pyproject.get("tool", {})
    pdv = tool.get("poetry-dynamic-versioning", {})
    if isinstance(pdv, Mapping) and pdv.get("enable") is True:
        # Poetry keeps a placeholder version; the plugin takes it from the tag
        return "poetry-dynamic-versioning"
    if "version" not in project.get("dynamic", []):
        if "version" in project:
            return None
        # no [project] version: setup.cfg/setup.py metadata (pytest 8: [tool.setuptools_scm]
        # beside setup.cfg, or setup.py's use_scm_version)
        if "setuptools_scm" in tool:
            return "setuptools_scm"
        setup = project_dir / "setup.py"
        if setup.is_file() and "use_scm_version" in _text_of(setup):
            return "setuptools_scm"
        return None
    build = pyproject.get("build-system", {})
    if "mesonpy" in str(build.get("build-backend", "")):
        return _meson_dynamic(project_dir)
    requires = " ".join(build.get("requires", []))
    for needle, name in _DYNAMIC_BACKENDS.items():
        if needle in requires and name:
            return name
    if "setuptools_scm" in tool:
        return "setuptools_scm"
    if tool.get("hatch", {}).get("version", {}).get("source") == "vcs":
        return "hatch-vcs"
    if tool.get("pdm", {}).get("version", {}).get("source") == "scm":
        return "pdm-backend (scm)"
    if (project_dir / "versioneer.py").is_file():
        return "versioneer"
    return None


def _package_dirs(project_dir: Path, pyproject: Mapping[str, Any]) -> list[Path]:
    tool = pyproject.get("tool", {})
    from relman.config import _legacy_name

    name = str(
        pyproject.get("project", {}).get("name")
        or tool.get("poetry", {}).get("name")
        or _legacy_name(project_dir)
        or project_dir.name
    )
    import_name = re.sub(r"[-.]+", "_", name).lower()
    flit_module = tool.get("flit", {}).get("module", {}).get("name")
    if isinstance(flit_module, str) and flit_module:
        import_name = flit_module.replace(".", "/")
    candidates = [project_dir / "src" / import_name, project_dir / import_name]
    found = [c for c in candidates if (c / "__init__.py").is_file()]
    if not found:
        # the import name differs from the distribution name: the single package in src/
        src = sorted(p.parent for p in (project_dir / "src").glob("*/__init__.py"))
        if len(src) == 1:
            found = src
    return found


def _text_of(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return ""


def _attr_source(
    project_dir: Path, attr: str, package_dir: Mapping[str, Any]
) -> VersionFile | None:
    """The file and pattern behind setuptools' ``version = {attr = "pkg.mod.NAME"}``."""
    module, _, name = attr.strip().rpartition(".")
    if not module or not re.fullmatch(r"[A-Za-z_]\w*", name):
        return None
    parts = module.split(".")
    bases: list[Path] = []
    mapped = package_dir.get(parts[0])
    if isinstance(mapped, str):
        bases.append(project_dir / mapped / Path(*parts[1:]))
    root = package_dir.get("")
    for folder in ([root] if isinstance(root, str) else []) + ["src", "."]:
        bases.append(project_dir / folder / Path(*parts))
    for base in bases:
        for candidate in (base / "__init__.py", base.with_suffix(".py")):
            if candidate.is_file():
                return _assignment_source(project_dir, candidate.resolve(), name)
    return None


def _assignment_source(project_dir: Path, path: Path, name: str) -> VersionFile | None:
    """A source for ``NAME = "X.Y"`` in ``path``: kind python for __version__, else a pattern."""
    rel = path.relative_to(project_dir).as_posix()
    text = _text_of(path)
    if name == "__version__" and _DUNDER.search(text):
        return VersionFile(path=rel, kind="python")
    pattern = rf"^{re.escape(name)}{_ASSIGN}(?P<q>['\"])v?(?P<version>[^'\"\n]+)(?P=q)"
    if len(re.findall(pattern, text, re.M)) != 1:
        return None
    return VersionFile(path=rel, kind="regex", pattern=pattern)


# hatch's default pattern for [tool.hatch.version] path
_HATCH_PATTERN = r"(?i)^(?:__version__|VERSION)[ \t]*=[ \t]*(?P<q>['\"])v?(?P<version>.+?)(?P=q)"
_PLAIN_FILE_PATTERN = r"\A\s*v?(?P<version>\d[^\s]*)"


def _declared_files(project_dir: Path, pyproject: Mapping[str, Any]) -> list[VersionFile]:
    """The version file a build backend's configuration names (hatch, setuptools, pdm)."""
    tool = pyproject.get("tool", {})
    if not isinstance(tool, Mapping):
        return []
    out: list[VersionFile] = []

    def file_source(rel: str, pattern: str | None = None) -> VersionFile | None:
        path = project_dir / rel
        if not path.is_file():
            return None
        text = _text_of(path)
        if pattern is None and path.suffix == ".py":
            if _DUNDER.search(text) and _PY["__version__"].search(text):
                return VersionFile(path=rel, kind="python")
            pattern = _HATCH_PATTERN
        pattern = pattern or _PLAIN_FILE_PATTERN
        try:
            if len(re.findall(pattern, text, re.M)) != 1:
                return None
        except re.error:
            return None
        return VersionFile(path=rel, kind="regex", pattern=pattern)

    hatch = tool.get("hatch", {}).get("version", {})
    if (
        isinstance(hatch, Mapping)
        and isinstance(hatch.get("path"), str)
        and hatch.get("source", "regex") == "regex"
    ):
        pattern = hatch.get("pattern")
        found = file_source(hatch["path"], pattern if isinstance(pattern, str) else None)
        if found:
            out.append(found)
    pdm = tool.get("pdm", {}).get("version", {})
    if (
        isinstance(pdm, Mapping)
        and pdm.get("source") == "file"
        and isinstance(pdm.get("path"), str)
    ):
        found = file_source(pdm["path"])
        if found:
            out.append(found)
    setuptools = tool.get("setuptools", {})
    dyn = setuptools.get("dynamic", {}).get("version") if isinstance(setuptools, Mapping) else None
    package_dir = setuptools.get("package-dir", {}) if isinstance(setuptools, Mapping) else {}
    if isinstance(dyn, Mapping):
        if isinstance(dyn.get("attr"), str):
            found = _attr_source(project_dir, dyn["attr"], package_dir)
            if found:
                out.append(found)
        elif isinstance(dyn.get("file"), (str, list)):
            files = [dyn["file"]] if isinstance(dyn["file"], str) else dyn["file"]
            if len(files) == 1 and isinstance(files[0], str):
                found = file_source(files[0], _PLAIN_FILE_PATTERN)
                if found:
                    out.append(found)
    cfg = _setup_cfg_source(project_dir)
    if cfg and not out:
        out.append(cfg)
    return out


_CFG_VERSION = r"^version[ \t]*[=:][ \t]*(?P<version>\d[^\s;#]*)"


def _setup_cfg_source(project_dir: Path) -> VersionFile | None:
    """setup.cfg ``[metadata] version``: a literal, ``attr: pkg.__version__`` or ``file: F``."""
    path = project_dir / "setup.cfg"
    if not path.is_file():
        return None
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(_text_of(path))
    except configparser.Error:
        return None
    value = parser.get("metadata", "version", fallback="").strip()
    if not value:
        return None
    if value.startswith("attr:"):
        package_dir: dict[str, str] = {}
        for line in parser.get("options", "package_dir", fallback="").splitlines():
            key, sep, folder = line.partition("=")
            if sep:
                package_dir[key.strip()] = folder.strip()
        return _attr_source(project_dir, value[len("attr:") :], package_dir)
    if value.startswith("file:"):
        rel = value[len("file:") :].strip()
        target = project_dir / rel
        if target.is_file() and len(re.findall(_PLAIN_FILE_PATTERN, _text_of(target))) == 1:
            return VersionFile(path=rel, kind="regex", pattern=_PLAIN_FILE_PATTERN)
        return None
    if len(re.findall(_CFG_VERSION, _text_of(path), re.M)) == 1:
        return VersionFile(path="setup.cfg", kind="regex", pattern=_CFG_VERSION)
    return None


def detect_files(project_dir: Path, pyproject: Mapping[str, Any]) -> list[VersionFile]:
    """Every version source found in a project, in the order relman checks them."""
    found: list[VersionFile] = []

    def add(path: Path, kind: str) -> None:
        found.append(VersionFile(path=path.relative_to(project_dir).as_posix(), kind=kind))

    project = pyproject.get("project", {})
    # a version that is not a string (version = 110) is a source too: reading it says why
    if project.get("version") is not None:
        found.append(VersionFile(path="pyproject.toml", kind="pyproject"))
    elif (
        "version" not in project.get("dynamic", [])
        and isinstance(pyproject.get("tool", {}).get("poetry", {}).get("version"), str)
        and dynamic_backend(pyproject, project_dir) is None
    ):
        # Poetry before PEP 621: [tool.poetry] version
        found.append(VersionFile(path="pyproject.toml", kind="pyproject"))
    setup = project_dir / "setup.py"
    if setup.is_file() and _looks_like_setup(_text_of(setup)):
        add(setup, "setup")
    # SciPy 1.9-1.14: MAJOR/MINOR/MICRO/ISRELEASED in tools/version_utils.py beside meson.build
    tools = project_dir / "tools" / "version_utils.py"
    if tools.is_file() and _looks_like_setup(_text_of(tools)):
        add(tools, "setup")
    meson = project_dir / "meson.build"
    if meson.is_file():
        try:
            literal = _meson_version(_text_of(meson))[2]
        except _Problem:
            literal = None
        if literal is not None:
            add(meson, "meson")
        version_file = _meson_version_file(_text_of(meson))
        if version_file and (project_dir / version_file).is_file():
            # project(version: files('VERSION')): the version lives in that file
            found.append(VersionFile(path=version_file, kind="regex", pattern=_PLAIN_FILE_PATTERN))
    header = project_dir / "Include" / "patchlevel.h"
    if header.is_file() and _HEADER_MAJOR.search(_text_of(header)):
        add(header, "patchlevel")
    declared = _declared_files(project_dir, pyproject)
    if declared:
        # the build backend names the file: trust it over guesses
        return found + declared
    # setuptools_scm and hatch-vcs generate _version.py: not a source
    dynamic = dynamic_backend(pyproject, project_dir) is not None
    for pkg in _package_dirs(project_dir, pyproject):
        names = (
            ("__init__.py", "version.py")
            if dynamic
            else ("__init__.py", "_version.py", "version.py")
        )
        for candidate in (pkg / n for n in names):
            text = _text_of(candidate) if candidate.is_file() else ""
            if _DUNDER.search(text) and _PY["__version__"].search(text):
                add(candidate, "python")
                break
        module = pkg / "version.py"
        if module.is_file() and _looks_like_module(_text_of(module)):
            add(module, "version-module")
    return found


# -- reading ------------------------------------------------------------------


def _read_one(config: Config, source: VersionFile) -> SourceValue:
    project_dir = config.project_dir
    path = project_dir / source.path
    kind = kind_of(project_dir, source)
    if kind not in _KINDS:
        return SourceValue(
            source,
            kind,
            None,
            f"{source.path}: unknown kind {kind!r} (one of {', '.join(SOURCE_KINDS)})",
        )
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        if _is_generated(config, source):
            return SourceValue(source, kind, None, note="generated; not written yet")
        return SourceValue(source, kind, None, f"{source.path} does not exist")
    except OSError as exc:
        return SourceValue(source, kind, None, f"cannot read {source.path}: {exc.strerror}")
    try:
        text = _decode(data, kind).text
        version = _KINDS[kind][0](text, source)
    except _Problem as exc:
        return SourceValue(source, kind, None, f"{source.path}: {exc}")
    note = "generated" if _is_generated(config, source) else None
    return SourceValue(source, kind, version, note=note)


def read_sources(config: Config) -> list[SourceValue]:
    """The version each source of the project holds, in configuration order."""
    return [_read_one(config, s) for s in sources_of(config)]


def check_consistency(config: Config, repo: Repo) -> list[str]:
    """Problems with the project's version: unreadable or disagreeing sources, or
    sources that differ from the release tag at HEAD. Empty when consistent."""
    problems: list[str] = []
    sources = read_sources(config)
    dynamic = dynamic_backend(config.pyproject, config.project_dir)
    for s in sources:
        if s.error:
            problems.append(s.error)
    valued = [s for s in sources if s.version]
    if not sources and not dynamic:
        problems.append("no version source found (pyproject [project] version, __version__, ...)")
    distinct = {str(Version(s.version)) for s in valued if s.version}
    if len(distinct) > 1:
        listing = ", ".join(f"{s.source.path} has {s.version}" for s in valued)
        problems.append(f"the version sources disagree: {listing}")
    if repo.has_commits():
        for tag in repo.tags_at("HEAD"):
            tagged = config.version_from_tag(tag)
            if tagged is None:
                continue
            for s in valued:
                assert s.version is not None
                if Version(s.version) != Version(tagged):
                    problems.append(
                        f"{s.source.path} has {s.version} but HEAD is tagged {tag} ({tagged})"
                    )
    return problems


# -- writing ------------------------------------------------------------------


def _writable(path: Path) -> str | None:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        parent = path.parent
        while not parent.exists():
            parent = parent.parent
        return None if os.access(parent, os.W_OK) else f"cannot create files in {parent}"
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(path, os.W_OK):
        return "is not writable"
    return None


def plan_version_change(config: Config, version: str) -> dict[Path, bytes]:
    """The new bytes of every file that changes when the version becomes ``version``.

    Writes nothing. Raises :class:`~relman.errors.VersionError` for a version
    that is not normalized PEP 440, and :class:`~relman.errors.UsageError`
    listing every file that cannot be updated (unreadable, not writable,
    pattern not found or found more than once, a version the file cannot
    express). A dynamic project (the tag is the version) has nothing to
    write: the result is empty.
    """
    from relman.versioning import parse_version

    target = str(parse_version(version))
    sources = sources_of(config)
    if not sources:
        if dynamic_backend(config.pyproject, config.project_dir):
            return {}
        raise UsageError(
            "this project has no version source relman knows",
            hint="add [[tool.relman.version.files]] entries (path, and kind or pattern)",
        )
    ctx = _Context(config.project_dir)
    changes: dict[Path, bytes] = {}
    problems: list[str] = []
    for source in sources:
        path = config.project_dir / source.path
        kind = kind_of(config.project_dir, source)
        if kind not in _KINDS:
            problems.append(f"{source.path}: unknown kind {kind!r}")
            continue
        reader, writer = _KINDS[kind]
        try:
            try:
                old = path.read_bytes()
            except FileNotFoundError:
                if not _is_generated(config, source):
                    raise _Problem("does not exist") from None
                old = b""
            except OSError as exc:
                raise _Problem(f"cannot be read: {exc.strerror}") from None
            why = _writable(path)
            if why:
                raise _Problem(why)
            decoded = _decode(old, kind)
            new_text = writer(decoded.text, source, target, ctx)
            new = decoded.encode(new_text)
            # read back what would be written: it must give the new version
            back = reader(_decode(new, kind).text, source)
            if Version(back) != Version(target):
                raise _Problem(f"would read back as {back}, not {target}")
        except _Problem as exc:
            problems.append(f"{source.path}: {exc}")
            continue
        except UnicodeEncodeError as exc:
            problems.append(f"{source.path}: cannot encode the new text: {exc}")
            continue
        if new != old:
            changes[path] = new
    if not problems:
        texts: dict[str, _Text] = {}

        def read(name: str) -> str | None:
            try:
                texts[name] = _decode((config.project_dir / name).read_bytes(), "regex")
            except (OSError, UnicodeDecodeError):
                return None
            return texts[name].text

        for name, text in companion_changes(config, target, read).items():
            why = _writable(config.project_dir / name)
            if why:
                problems.append(f"{name}: {why}")
            else:
                changes[config.project_dir / name] = texts[name].encode(text)
    if problems:
        raise UsageError(
            f"cannot set the version to {target}; no file was changed:\n"
            + "\n".join(f"  - {p}" for p in problems),
            hint="fix these files or the [tool.relman.version] files entries, then retry",
        )
    return changes


def set_version(config: Config, version: str) -> list[Path]:
    """Write ``version`` into every source, all files or none; the changed paths."""
    from relman import _atomic

    changes = plan_version_change(config, version)
    _atomic.write_many(changes)
    return sorted(changes)


def diff_changes(config: Config, changes: Mapping[Path, bytes]) -> str:
    """A unified diff (paths relative to the project) of planned changes."""
    import difflib

    out: list[str] = []
    for path in sorted(changes):
        rel = path.relative_to(config.project_dir).as_posix()
        old_bytes = path.read_bytes() if path.exists() else b""
        old = old_bytes.decode("utf-8", errors="replace").splitlines(keepends=True)
        new = changes[path].decode("utf-8", errors="replace").splitlines(keepends=True)
        for line in difflib.unified_diff(
            old, new, "/dev/null" if not old_bytes else f"a/{rel}", f"b/{rel}"
        ):
            out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def read_source_text(config: Config, source: VersionFile, text: str) -> str | None:
    """The version ``source`` holds when its file has ``text`` (for example at another commit)."""
    kind = kind_of(config.project_dir, source)
    if kind not in _KINDS:
        return None
    try:
        return _KINDS[kind][0](text, source)
    except _Problem:
        return None
