"""PEP 440 versions and the next version for each release kind.

All arithmetic uses :mod:`packaging.version`; every version relman produces is
normalized (``str(Version(v)) == v``) and strictly greater than the version it
was computed from (a kind that cannot move forward raises
:class:`~relman.errors.VersionError`). Epochs are kept; local labels
(``+abc``) are dropped.

Release kinds and what they do to the current version ``X.Y.Z[pre][.devN]``:

=========  ==============================================================
major      (X+1).0.0; X.0.0 itself from a X.0.0 .dev or pre-release
minor      X.(Y+1).0; X.Y.0 itself from a X.Y.0 .dev or pre-release
micro      X.Y.(Z+1) from a final; the release itself from a .dev/pre
alpha      X.Y.ZaN+1 (a1 from a .dev, the next micro's a1 after a final)
beta       X.Y.Zb1, or bN+1 from a beta
rc         X.Y.Zrc1, or rcN+1 from a release candidate
final      X.Y.Z from a .dev or pre-release (refused from a final)
dev        the next development version: .devN+1 from a .dev; after a
           pre-release the next pre-release's .dev0 (1.2.0rc1 ->
           1.2.0rc2.dev0); after a final the next micro's .dev0
post       X.Y.Z.postN+1 (only after a final)
=========  ==============================================================

After a release, :func:`next_dev_version` gives the development version a
branch moves to: the next micro on a maintenance branch (1.2.0 ->
1.2.1.dev0), the next minor on the main branch (1.2.0 -> 1.3.0.dev0).
:func:`is_release` says whether a version is a release (final, pre or post:
``ISRELEASED = True``) or development (``.devN``: ``ISRELEASED = False``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from packaging.version import InvalidVersion, Version

from relman.errors import VersionError

if TYPE_CHECKING:
    pass

__all__ = [
    "KINDS",
    "is_release",
    "next_dev_version",
    "next_version",
    "next_version_on_branch",
    "normalize_or_suggest",
    "parse_version",
    "tag_version",
]

KINDS = ("major", "minor", "micro", "alpha", "beta", "rc", "final", "dev", "post")
_LETTER = {"alpha": "a", "beta": "b", "rc": "rc"}
_PRE_ORDER = {"a": 0, "b": 1, "rc": 2}
_HINT = "versions look like 1.2.0, 1.2.0rc1, 1.2.0.dev0 or 1.2.0.post1"


def normalize_or_suggest(text: str) -> str | None:
    """The normalized form of ``text`` when it is a PEP 440 version, else None."""
    try:
        return str(Version(text.strip()))
    except InvalidVersion:
        return None


# longer versions are valid PEP 440 but no project has one, and file names (the
# release's state file) cannot hold them
MAX_LENGTH = 200


_TAG_VERSIONS: dict[str, Version | None] = {}


def tag_version(text: str) -> Version | None:
    """``Version(text)``, or None when ``text`` is not a version.

    For the version part of tag names, read several times a run (to detect the tag
    format, then as release tags) on histories of thousands of tags: each text is
    parsed once per process (a :class:`~packaging.version.Version` never changes).
    """
    try:
        return _TAG_VERSIONS[text]
    except KeyError:
        pass
    try:
        version: Version | None = Version(text)
    except InvalidVersion:
        version = None
    _TAG_VERSIONS[text] = version
    return version


def parse_version(text: str, *, strict: bool = True) -> Version:
    """Parse ``text`` as PEP 440.

    With ``strict`` the text must already be in normalized form; otherwise the
    error names the normalized spelling, so ``1.2.0-RC1`` is refused with a
    hint to write ``1.2.0rc1``.
    """
    if len(text) > MAX_LENGTH:
        raise VersionError(
            f"the version is {len(text)} characters long; relman takes at most {MAX_LENGTH}",
            hint=_HINT,
        )
    if strict and text != text.strip():
        raise VersionError(
            f"{text!r} has spaces around it", hint=f"write it as {text.strip()!r}, without spaces"
        )
    text = text.strip()
    normalized = normalize_or_suggest(text)
    if normalized is None:
        raise VersionError(f"{text!r} is not a valid PEP 440 version", hint=_HINT)
    if strict and normalized != text:
        raise VersionError(
            f"{text!r} is not in normalized PEP 440 form (it means {normalized})",
            hint=f"write it as {normalized}",
        )
    return Version(normalized)


def is_release(version: str | Version) -> bool:
    """True for a version that is released (final, pre or post); False for a ``.devN``.

    This is the ``ISRELEASED`` flag of NumPy-era setup.py files and the
    ``release`` flag of SciPy-style version modules.
    """
    v = version if isinstance(version, Version) else parse_version(str(version), strict=False)
    return not v.is_devrelease


def _make(v: Version, release: tuple[int, ...], suffix: str = "") -> str:
    epoch = f"{v.epoch}!" if v.epoch else ""
    return str(Version(epoch + ".".join(map(str, release)) + suffix))


def _pad(release: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(release) + (0,) * max(0, 3 - len(release))


def _compute(v: Version, kind: str) -> str:
    release = tuple(v.release)
    rel = _pad(release)
    # the release `release` is not out yet (a .dev of it, or one of its pre-releases)
    in_progress = v.pre is not None or (v.dev is not None and v.post is None)
    next_micro = (rel[0], rel[1], rel[2] + 1)
    if kind == "major":
        if in_progress and all(x == 0 for x in release[1:]):
            return _make(v, release)
        return _make(v, (rel[0] + 1, 0, 0))
    if kind == "minor":
        if in_progress and all(x == 0 for x in release[2:]):
            return _make(v, release)
        return _make(v, (rel[0], rel[1] + 1, 0))
    if kind == "micro":
        return _make(v, release) if in_progress else _make(v, next_micro)
    if kind == "final":
        if in_progress:
            return _make(v, release)
        if v.post is not None and v.dev is not None:
            return _make(v, release, f".post{v.post}")
        raise VersionError(
            f"{v} is already a final release",
            hint="use `micro`, `minor` or `major` for the next release",
        )
    if kind in _LETTER:
        letter = _LETTER[kind]
        if v.pre is not None:
            current, number = v.pre
            if _PRE_ORDER[current] > _PRE_ORDER[letter]:
                article = "an" if kind == "alpha" else "a"
                raise VersionError(
                    f"cannot go from {v} back to {article} {kind}",
                    hint=f"the next pre-release after {v} is {_later(current)}",
                )
            if current != letter:
                return _make(v, release, f"{letter}1")
            # 1.2.0rc2.dev0 -> 1.2.0rc2; 1.2.0rc1 -> 1.2.0rc2
            working_towards = v.dev is not None and v.post is None
            return _make(v, release, f"{letter}{number if working_towards else number + 1}")
        if in_progress:
            return _make(v, release, f"{letter}1")
        return _make(v, next_micro, f"{letter}1")
    if kind == "dev":
        if v.dev is not None:
            pre = f"{v.pre[0]}{v.pre[1]}" if v.pre else ""
            post = f".post{v.post}" if v.post is not None else ""
            return _make(v, release, f"{pre}{post}.dev{v.dev + 1}")
        if v.pre is not None:
            return _make(v, release, f"{v.pre[0]}{v.pre[1] + 1}.dev0")
        return _make(v, next_micro, ".dev0")
    # post
    if in_progress:
        raise VersionError(
            f"{v} is not a final release; a post-release follows a final one",
            hint="release the final version first",
        )
    if v.post is not None and v.dev is not None:
        return _make(v, release, f".post{v.post}")
    return _make(v, release, f".post{(v.post or 0) + 1}")


def next_version(current: str | Version, kind: str) -> str:
    """The version that a release of ``kind`` made from ``current`` gets.

    The result is normalized and strictly greater than ``current``.
    """
    if kind not in KINDS:
        raise VersionError(
            f"unknown release kind {kind!r}", hint="choose one of: " + ", ".join(KINDS)
        )
    v = current if isinstance(current, Version) else parse_version(str(current), strict=False)
    result = _compute(v, kind)
    if Version(result) <= v:  # pragma: no cover - guarded by the property tests
        raise VersionError(f"no {kind} release follows {v}")
    return result


def next_dev_version(released: str | Version, *, on_main: bool) -> str:
    """The development version a branch moves to after releasing ``released``.

    After a final (or post) release: the next micro on a maintenance branch
    (1.2.0 -> 1.2.1.dev0), the next minor on the main branch (1.2.0 ->
    1.3.0.dev0). After a pre-release the branch keeps working towards the
    same release, on either branch: 1.2.0rc1 -> 1.2.0rc2.dev0 (CPython cuts
    its alphas on main).
    """
    v = released if isinstance(released, Version) else parse_version(str(released), strict=False)
    if v.is_devrelease:
        return next_version(v, "dev")
    if v.pre is not None:
        return next_version(v, "dev")
    rel = _pad(tuple(v.release))
    if on_main:
        return _make(v, (rel[0], rel[1] + 1, 0), ".dev0")
    return _make(v, (rel[0], rel[1], rel[2] + 1), ".dev0")


def next_version_on_branch(current: str | Version, kind: str, *, on_main: bool) -> str:
    """:func:`next_version`, except that ``dev`` after a final release follows the
    branch (:func:`next_dev_version`): the next minor's .dev0 on the main branch,
    the next micro's on a maintenance branch."""
    v = current if isinstance(current, Version) else parse_version(str(current), strict=False)
    if kind == "dev" and not v.is_devrelease and v.pre is None:
        return next_dev_version(v, on_main=on_main)
    return next_version(v, kind)


def _later(current: str) -> str:
    """What may follow a pre-release of letter ``current``: ``a later beta, an rc or the final``."""
    if current == "rc":
        return "a later release candidate, or the final"
    name = {"a": "alpha", "b": "beta"}[current]
    rest = "a beta, a release candidate" if current == "a" else "a release candidate"
    return f"a later {name}, {rest} or the final"
