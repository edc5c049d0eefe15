"""The version check: every version source agrees; the target follows the last
release of this line.

A version derived from git is checked as the build backend computes it; when it
cannot be computed the check is skipped, never reported as passed. A bug-fix
release of the previous minor may be made from a main branch that has moved on
to the next minor's development (pip releases 26.2.1 from a main at 26.3.dev0).
"""

from __future__ import annotations

from collections.abc import Iterator

from relman.checks import CheckContext, Finding, Skip, get_check, register

ID = "version"


@register(ID, "version sources agree and the release version follows the last release tag")
def check_version(ctx: CheckContext) -> Iterator[Finding]:
    from packaging.version import InvalidVersion, Version

    from relman.line import current_version, last_release, release_tags, version_source
    from relman.versioning import KINDS, next_version

    check = get_check(ID)
    config = ctx.config
    source = version_source(config)
    if source.origin == "none":
        yield check.finding(
            "no version source found",
            file="pyproject.toml",
            hint="set [project] version, or list files in [tool.relman.version] files",
        )
    values: dict[str, list[str]] = {}
    for value in source.files:
        if value.error or value.version is None:
            yield check.finding(
                value.error or "no version found",
                file=value.source.path,
                hint="fix the file or its entry in [tool.relman.version] files",
            )
            continue
        try:
            normalized = str(Version(value.version))
        except InvalidVersion:
            yield check.finding(
                f"{value.version!r} is not a valid PEP 440 version", file=value.source.path
            )
            continue
        values.setdefault(normalized, []).append(value.source.path)
    if len(values) > 1:
        listing = "; ".join(f"{v} in {', '.join(paths)}" for v, paths in sorted(values.items()))
        for paths in values.values():
            for path in paths:
                yield check.finding(
                    f"version sources disagree: {listing}",
                    file=path,
                    hint="`relman version set VERSION` writes one version everywhere",
                )
    if source.from_git and current_version(config, ctx.repo) is None:
        raise Skip(f"the version comes from git ({source.backend}) and could not be computed here")
    if ctx.version is None:
        if source.origin == "none" or len(values) != 1 or any(v.error for v in source.files):
            return  # the findings above say why there is no version
        raise Skip("no release version (pass --version)")
    target = Version(ctx.version)
    if len(values) == 1:
        current = Version(next(iter(values)))
        # main at the next minor's development releases a bug-fix (or a pre-release, as
        # packaging's 26.0rc3 from 26.1.dev1) of the previous minor
        fix_from_main = current.is_devrelease and tuple((*target.release, 0, 0)[:2]) < tuple(
            (*current.release, 0, 0)[:2]
        )
        if current > target and not fix_from_main:
            yield check.finding(
                f"the tree is already at {current}, after the release version {target}",
                file=values[str(current)][0],
                hint="choose a version above the one in the tree",
            )
    if not ctx.repo.has_commits():
        return
    every = [t for t in release_tags(config, ctx.repo) if t.is_release]
    last = last_release(config, ctx.repo)
    series = tuple((*target.release, 0, 0)[:2])
    same_series = [t for t in every if tuple((*t.version.release, 0, 0)[:2]) == series]
    if same_series and (last is None or same_series[-1].version < target):
        # a bug-fix follows its own series' last release
        last = max(same_series)
    if last is None:
        return
    if target <= last.version:
        yield check.finding(
            f"{target} does not follow the last release {last.name} ({last.version})",
            hint=f"choose a version above {last.version}",
        )
        return
    # the target must be one step after the last release on this line
    nexts: set[Version] = set()
    for kind in KINDS:
        try:
            nexts.add(Version(next_version(last.version, kind)))
        except Exception:
            continue
    bases = {Version(v.base_version) for v in nexts}
    # a later maintenance line's tag may be the real previous release
    if (
        target not in nexts
        and Version(target.base_version) not in bases
        and not any(last.version < t.version < target for t in every)
    ):
        steps = ", ".join(str(v) for v in sorted(bases))
        yield check.finding(
            f"{target} skips versions after the last release {last.name}",
            severity="warning",
            hint=f"the next release after {last.version} is one of {steps}",
        )
