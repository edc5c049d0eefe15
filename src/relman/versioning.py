"""PEP 440 versions and the next version for each release kind.

All arithmetic uses :mod:`packaging.version`; every version relman produces is
normalized (``str(Version(v)) == v``).

Release kinds and what they do to the current version ``X.Y.Z[pre][.devN]``:

=========  ==============================================================
major      (X+1).0.0
minor      X.(Y+1).0
micro      X.Y.(Z+1) from a final; the release itself from a .dev/pre
alpha      X.Y.ZaN+1 (a1 from a .dev or after a final's next micro)
beta       X.Y.Zb1, or bN+1 from a beta
rc         X.Y.Zrc1, or rcN+1 from a release candidate
final      X.Y.Z
dev        the next development version: X.Y.Z.devN+1 from a .dev,
           otherwise the next micro's .dev0 (.dev0 of the next minor on
           the main branch: see :func:`next_dev_version`)
post       X.Y.Z.postN+1
=========  ==============================================================
"""

from __future__ import annotations

from packaging.version import InvalidVersion, Version

from relman.errors import VersionError

__all__ = [
    "KINDS",
    "next_dev_version",
    "next_version",
    "normalize_or_suggest",
    "parse_version",
]

KINDS = ("major", "minor", "micro", "alpha", "beta", "rc", "final", "dev", "post")
_PRE_ORDER = {"a": 0, "b": 1, "rc": 2}


def _suggest(text: str) -> str | None:
    try:
        return str(Version(text))
    except InvalidVersion:
        return None


def normalize_or_suggest(text: str) -> str | None:
    """The normalized form of ``text`` when it is a PEP 440 version, else None."""
    return _suggest(text)


def parse_version(text: str, *, strict: bool = True) -> Version:
    """Parse ``text`` as PEP 440.

    With ``strict`` the text must already be in normalized form; otherwise the
    error names the normalized spelling, so ``1.2.0-RC1`` is refused with a
    hint to write ``1.2.0rc1``.
    """
    text = text.strip()
    normalized = _suggest(text)
    if normalized is None:
        raise VersionError(
            f"{text!r} is not a valid PEP 440 version",
            hint="versions look like 1.2.0, 1.2.0rc1, 1.2.0.dev0 or 1.2.0.post1",
        )
    if strict and normalized != text.lstrip("vV") and normalized != text:
        raise VersionError(
            f"{text!r} is not in normalized PEP 440 form",
            hint=f"write it as {normalized}",
        )
    return Version(normalized)


def _release(v: Version, size: int = 3) -> tuple[int, ...]:
    parts = tuple(v.release) + (0,) * size
    return parts[:size] if len(v.release) <= size else tuple(v.release)


def _fmt(release: tuple[int, ...], suffix: str = "") -> str:
    return str(Version(".".join(map(str, release)) + suffix))


def next_version(current: str | Version, kind: str) -> str:
    """The version that a release of ``kind`` made from ``current`` gets."""
    v = current if isinstance(current, Version) else parse_version(str(current), strict=False)
    if kind not in KINDS:
        raise VersionError(
            f"unknown release kind {kind!r}", hint="choose one of: " + ", ".join(KINDS)
        )
    rel = _release(v)
    in_progress = v.is_prerelease or v.is_devrelease  # the release `rel` is not out yet
    if v.is_postrelease and not v.is_devrelease:
        in_progress = False
    if kind == "major":
        if in_progress and rel[1:] == (0,) * (len(rel) - 1):
            return _fmt(rel)
        return _fmt((rel[0] + 1, 0, 0))
    if kind == "minor":
        if in_progress and rel[2:] == (0,) * (len(rel) - 2):
            return _fmt(rel)
        return _fmt((rel[0], rel[1] + 1, 0))
    if kind in ("micro", "final"):
        if in_progress and v.post is None:
            return _fmt(rel)
        if kind == "final" and v.post is not None and v.is_devrelease:
            return _fmt(rel, f".post{v.post}")
        if kind == "final":
            raise VersionError(
                f"{v} is already a final release",
                hint="use `micro`, `minor` or `major` for the next release",
            )
        return _fmt((*rel[:2], rel[2] + 1, *rel[3:]))
    if kind in ("alpha", "beta", "rc"):
        letter = {"alpha": "a", "beta": "b", "rc": "rc"}[kind]
        if v.pre is not None:
            cur_letter, number = v.pre
            if _PRE_ORDER[cur_letter] > _PRE_ORDER[letter]:
                raise VersionError(
                    f"cannot go from {v} back to a{'n' if kind == 'alpha' else ''} {kind}",
                    hint=f"the next pre-release after {v} is a later {cur_letter} or rc",
                )
            if cur_letter == letter:
                # 1.2.0rc1.dev0 -> 1.2.0rc1; 1.2.0rc1 -> 1.2.0rc2
                n = number if v.is_devrelease else number + 1
                return _fmt(rel, f"{letter}{n}")
            return _fmt(rel, f"{letter}1")
        if v.is_devrelease and v.post is None:
            return _fmt(rel, f"{letter}1")
        return _fmt((*rel[:2], rel[2] + 1, *rel[3:]), f"{letter}1")
    if kind == "dev":
        if v.is_devrelease:
            assert v.dev is not None
            base = str(v).rsplit(".dev", 1)[0]
            return str(Version(f"{base}.dev{v.dev + 1}"))
        return _fmt((*rel[:2], rel[2] + 1, *rel[3:]), ".dev0")
    # post
    if v.is_prerelease or (v.is_devrelease and v.post is None):
        raise VersionError(
            f"{v} is not a final release; a post-release follows a final one",
            hint="release the final version first",
        )
    n = 0 if v.post is None else v.post + (0 if v.is_devrelease else 1)
    if v.post is None:
        n = 1
    return _fmt(rel, f".post{n}")


def next_dev_version(released: str | Version, *, on_main: bool) -> str:
    """The development version after ``released``.

    On a maintenance branch it is the next micro (1.2.0 -> 1.2.1.dev0); on the
    main branch the next minor (1.2.0 -> 1.3.0.dev0). After a pre-release the
    branch keeps working towards the same release: 1.2.0rc1 -> 1.2.0rc2.dev0
    is not used by the projects in the seeds, so a pre-release also moves on
    to the next micro/minor development version only after its final.
    """
    v = released if isinstance(released, Version) else parse_version(str(released), strict=False)
    rel = _release(v)
    if v.is_prerelease:
        return _fmt(rel, ".dev0") if not on_main else _fmt((rel[0], rel[1] + 1, 0), ".dev0")
    if on_main:
        return _fmt((rel[0], rel[1] + 1, 0), ".dev0")
    return _fmt((*rel[:2], rel[2] + 1, *rel[3:]), ".dev0")
