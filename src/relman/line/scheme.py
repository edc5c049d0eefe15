"""The project's own version scheme: the next versions, and the development
version a branch moves to after a release.

:class:`Scheme` is learned from the tree's version and the release tags: how
many components a new minor or major release has (pip and packaging write
26.2 and 26.3.dev0, not 26.2.0), and whether the major number is a year
(CalVer ``YY.N``: the next major is the year of the newest commit).

The development version after a release (:func:`dev_version_after`), in this
order:

1. a bug-fix release made from a tree that was already at a later
   development version (pip releases 26.2.1 from a main at 26.3.dev0)
   returns the tree to that version;
2. ``[tool.relman.release] dev-after-pre`` (``none``: no post-release commit
   after a pre-release; ``dev``: one) and ``dev-version``, a template such as
   ``{major}.{minor}.{micro+1}`` or ``{major}.{minor+1}.dev0`` applied to the
   released version;
3. what the project's own previous post-release commits wrote, learned from
   history: the first commit after each recent release tag that changed the
   version (NumPy 2.x maintenance branches write 2.5.1 after 2.5.0; Sphinx
   9.1.1 in development after 9.1.0; pip 24.1.dev1 after 24.1b1; NumPy and
   Sphinx make none after a release candidate);
4. relman's default: the next micro's ``.dev0`` on a maintenance branch, the
   next minor's on main, the next pre-release's after a pre-release.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import re

from packaging.version import InvalidVersion, Version

from relman._record import record
from relman._regex import LazyPattern
from relman.config import Config
from relman.errors import VersionError
from relman.git import Repo
from relman.line.tags import ReleaseTag, release_tags
from relman.versioning import _LETTER, next_dev_version, next_version

__all__ = [
    "Scheme",
    "derive_template",
    "dev_version_after",
    "learn_scheme",
    "next_in_scheme",
    "render_template",
]


@record(kw_only=False)
class Scheme:
    """``parts``: components of a new X.Y release (2 or 3); ``calver``: YY.N majors;
    ``year``: two-digit year of the newest commit (for CalVer)."""

    parts: int = 3
    calver: bool = False
    year: int = 0
    #: CalVer: the minor number of a year's first release (attrs 26.1.0: 1; pip 26.0: 0)
    first_minor: int = 0


def learn_scheme(version: Version | None, tags: list[ReleaseTag], year: int = 0) -> Scheme:
    """The scheme the tree's ``version`` and the release ``tags`` follow."""
    finals = [t.version for t in tags if t.is_release and not t.version.is_prerelease]
    recent = finals[-10:]
    new_lines = [v for v in recent if len(v.release) <= 2 or v.release[2] == 0]
    short = sum(1 for v in new_lines if len(v.release) == 2)
    parts = 2 if new_lines and short * 2 > len(new_lines) else 3
    if version is not None and len(version.release) == 2 and version.release[1] != 0:
        parts = 2
    if version is not None and len(version.release) >= 3 and not new_lines:
        parts = 3
    majors = [v.release[0] for v in recent] + ([version.release[0]] if version else [])
    calver = bool(majors) and year > 0 and all(15 <= m <= year + 1 for m in majors[-3:])
    firsts = [
        (*b.release, 0)[1] for a, b in itertools.pairwise(finals) if b.release[0] > a.release[0]
    ]
    first_minor = 1 if firsts and firsts.count(1) > firsts.count(0) else 0
    return Scheme(parts=parts, calver=calver, year=year, first_minor=first_minor)


def head_year(repo: Repo) -> int:
    """The two-digit year of HEAD's commit (0 without commits)."""
    if not repo.has_commits():
        return 0
    when = _dt.datetime.fromtimestamp(repo.commit_time("HEAD"), tz=_dt.timezone.utc)
    return when.year % 100


def _reshape(result: str, scheme: Scheme) -> str:
    """26.3.0 -> 26.3 and 26.3.0.dev0 -> 26.3.dev0 in a two-part scheme."""
    v = Version(result)
    if scheme.parts != 2 or len(v.release) != 3 or v.release[2] != 0:
        return result
    text = re.sub(r"^((?:\d+!)?\d+\.\d+)\.0(?=\D|$)", r"\1", str(v))
    return str(Version(text))


def _pending_match(v: Version, kind: str) -> bool:
    """The untagged release ``v`` in the tree is itself the next release of ``kind``
    (an untagged 1.1.0rc1 is the next rc, as an untagged 1.0.1 is the next bug-fix)."""
    if v.is_devrelease or v.post is not None:
        return False
    if v.pre is not None:
        return _LETTER.get(kind) == v.pre[0]
    rel = (*v.release, 0, 0)
    if kind == "final":
        return True
    if kind == "micro":
        return rel[2] > 0
    if kind == "minor":
        return rel[2] == 0 and rel[1] > 0
    if kind == "major":
        return rel[1] == 0 and rel[2] == 0
    return False


def next_in_scheme(current: str | Version, kind: str, scheme: Scheme, *, pending: bool) -> str:
    """The next version of ``kind`` after ``current`` in the project's scheme.

    ``pending``: the tree names a release that is not tagged yet; that
    release is offered as the next one of its kind (2.5.2 on a maintenance
    branch at an untagged 2.5.2 is the next bug-fix, not 2.5.3).
    """
    v = Version(Version(str(current)).public)
    if pending and _pending_match(v, kind):
        return str(v)
    if kind == "major" and scheme.calver and scheme.year > v.release[0]:
        in_progress = v.pre is not None or (v.dev is not None and v.post is None)
        if not in_progress or v.release[1:] != (0,) * (len(v.release) - 1):
            return _reshape(f"{scheme.year}.{scheme.first_minor}.0", scheme)
    return _reshape(next_version(v, kind), scheme)


# -- the development version after a release --------------------------------

_FIELD = LazyPattern(r"\{(major|minor|micro)(?:\+(\d+))?\}")


def render_template(template: str, released: str | Version) -> str:
    """Fill ``{major}``, ``{minor}``, ``{micro}`` (each with an optional ``+N``) from
    the released version; the result must be a normalized PEP 440 version."""
    v = Version(str(released))
    values = dict(zip(("major", "minor", "micro"), (*v.release, 0, 0), strict=False))

    def fill(m: re.Match[str]) -> str:
        return str(values[m.group(1)] + int(m.group(2) or 0))

    text = _FIELD.sub(fill, template)
    try:
        out = str(Version(text))
    except InvalidVersion:
        raise VersionError(
            f"the development version template {template!r} gives {text!r}, not a PEP 440 version",
            hint="use fields like {major}.{minor}.{micro+1} or {major}.{minor+1}.dev0",
        ) from None
    return out


def derive_template(released: Version, dev: Version) -> str | None:
    """The template that turns ``released`` into ``dev`` (None when none fits)."""
    names = ("major", "minor", "micro")
    if dev.epoch != released.epoch or len(dev.release) > 3 or dev.post is not None:
        return None
    rel = (*released.release, 0, 0, 0)
    tokens: list[str] = []
    bumped = False
    for i, d in enumerate(dev.release):
        if bumped:
            if d != 0:
                return None
            tokens.append("0")
        elif d == rel[i]:
            tokens.append(f"{{{names[i]}}}")
        elif d == rel[i] + 1:
            tokens.append(f"{{{names[i]}+1}}")
            bumped = True
        else:
            return None
    text = ".".join(tokens)
    if dev.pre is not None:
        return None
    if dev.dev is not None:
        text += f".dev{dev.dev}"
    return text


def _first_version_change(
    config: Config, repo: Repo, tag: ReleaseTag, end: str, paths: list[str]
) -> tuple[str, Version] | None:
    """The first commit after ``tag`` (towards ``end``) that changed the version, and
    the version it wrote."""
    from relman import versionfiles

    raw = repo.git(
        "log", "--ancestry-path", "--format=%H", f"{tag.commit}..{end}", "--", *paths, check=False
    )
    commits = raw.split()
    if not commits:
        return None
    sources = versionfiles.sources_of(config)
    for sha in reversed(commits[-5:]):
        for source in sources:
            text = repo.show_file(sha, source.path)
            if text is None:
                continue
            found = versionfiles.read_source_text(config, source, text)
            if not found:
                continue
            try:
                v = Version(found)
            except InvalidVersion:
                continue
            if v != tag.version:
                return sha, v
    return None


def _version_at(config: Config, repo: Repo, rev: str) -> Version | None:
    """The version the first readable source holds at ``rev``."""
    from relman import versionfiles

    for source in versionfiles.sources_of(config):
        text = repo.show_file(rev, source.path)
        found = versionfiles.read_source_text(config, source, text) if text else None
        if found:
            try:
                return Version(found)
            except InvalidVersion:
                return None
    return None


def _history_end(config: Config, repo: Repo, tag: ReleaseTag, reachable: set[str]) -> str | None:
    if tag.name in reachable:
        return "HEAD"
    branch = config.maintenance_branch_for(str(tag.version))
    for ref in (f"refs/heads/{branch}", f"refs/remotes/{config.remote}/{branch}"):
        if repo.rev_parse(ref):
            return ref
    return None


def learned_after(
    config: Config, repo: Repo, released: Version, *, on_main: bool = True, limit: int = 3
) -> tuple[str | None, str] | None:
    """What the project's previous post-release commits did after releases like
    ``released``: (a template, or None for "no post-release commit", the tag it was
    learned from). None when history says nothing."""
    from relman import versionfiles

    paths = [s.path for s in versionfiles.sources_of(config)]
    if not paths or not repo.has_commits():
        return None
    is_pre = released.is_prerelease
    tags = [
        t
        for t in release_tags(config, repo)
        if t.is_release and t.version.is_prerelease == is_pre and t.version < released
    ]
    reachable = {t.name for t in release_tags(config, repo, merged_into="HEAD")}
    shape = (*released.release, 0, 0)[2] == 0

    def rank(t: ReleaseTag) -> tuple[bool, bool, Version]:
        # releases of the same shape first (a new X.Y.0, or a bug-fix), then this branch's
        return ((*t.version.release, 0, 0)[2] == 0) == shape, t.name in reachable, t.version

    ordered = sorted(tags, key=rank, reverse=True)
    tag_commits = {t.version: t.commit for t in release_tags(config, repo)}
    tried = 0
    for tag in ordered:
        if tried >= limit:
            break
        end = _history_end(config, repo, tag, reachable)
        if end is None:
            continue
        tried += 1
        change = _first_version_change(config, repo, tag, end, paths)
        if change is None:
            if (
                is_pre
                and end == "HEAD"
                and repo.rev_parse("HEAD") != tag.commit
                and _version_at(config, repo, "HEAD") == tag.version
            ):
                # work went on since this line's last pre-release and the tree still
                # names it: no post-release commit after it (Sphinx 9.1.0rc1 -> rc2)
                return None, tag.name
            continue
        sha, dev = change
        if dev == released and tag_commits.get(dev) == sha:
            if is_pre and _version_at(config, repo, tag.commit) == tag.version:
                # the release being made is the first change since the previous
                # pre-release: the project made no post-release commit after it
                return None, tag.name
            continue  # a final: no evidence either way
        if not dev.is_devrelease and (is_pre or tag_commits.get(dev) == sha):
            # the next change was the next release itself: no post-release commit
            if is_pre:
                return None, tag.name
            continue
        if not is_pre and dev.is_devrelease:
            dev = Version(f"{dev.base_version}.dev0")  # the counter is not part of the scheme
        template = derive_template(tag.version, dev)
        if template and template.startswith("{major+1}") and tag.version.release[0] >= 15:
            continue  # a CalVer year change, not the project's usual step
        if template is not None and (on_main or "{micro+" in template):
            # a maintenance branch never moves on to the next minor or major
            return template, tag.name
    return None


def dev_version_after(
    config: Config,
    repo: Repo,
    released: str | Version,
    *,
    on_main: bool,
    tree_before: str | None = None,
    scheme: Scheme | None = None,
) -> str | None:
    """The development version the branch moves to after releasing ``released``;
    None when the project makes no post-release commit after such a release."""
    r = Version(str(released))
    before = Version(Version(tree_before).public) if tree_before else None
    if before is not None and before.is_devrelease and before > r and not r.is_prerelease:
        return str(before)
    after_pre = config.release.dev_after_pre
    template = config.release.dev_version
    if r.is_prerelease:
        if after_pre == "none":
            return None
        learned = learned_after(config, repo, r, on_main=on_main) if after_pre is None else None
        if learned is not None and learned[0] is None:
            return None  # the project makes no post-release commit after a pre-release
        if (
            on_main
            and before is not None
            and before.is_devrelease
            and before.pre is None
            and Version(before.base_version) >= Version(r.base_version)
        ):
            # a pre-release made from main's development tree: the tree goes on
            # developing (pip: 24.1b1 from 24.1.dev0, then 24.1.dev1; packaging:
            # 26.0rc2 from 26.1.dev0, then 26.1.dev1)
            return str(Version(f"{before.base_version}.dev{(before.dev or 0) + 1}"))
        if learned is not None and learned[0]:
            return render_template(learned[0], r)
        return next_dev_version(r, on_main=on_main)
    if template:
        return render_template(template, r)
    learned = learned_after(config, repo, r, on_main=on_main)
    if learned is not None and learned[0]:
        return render_template(learned[0], r)
    result = next_dev_version(r, on_main=on_main)
    return _reshape(result, scheme) if scheme else result
