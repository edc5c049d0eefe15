"""The version check: every version source agrees; the target follows the last tag."""

from __future__ import annotations

from collections.abc import Iterator

from relman.checks import CheckContext, Finding, get_check, register

ID = "version"


@register(ID, "version sources agree and the release version follows the last release tag")
def check_version(ctx: CheckContext) -> Iterator[Finding]:
    from packaging.version import InvalidVersion, Version

    from relman import versionfiles
    from relman.line import last_release, release_tags
    from relman.versioning import KINDS, next_version

    check = get_check(ID)
    config = ctx.config
    sources = versionfiles.read_sources(config)
    dynamic = versionfiles.dynamic_backend(config.pyproject, config.project_dir)
    if not sources and not dynamic:
        yield check.finding(
            "no version source found",
            file="pyproject.toml",
            hint="set [project] version, or list files in [tool.relman.version] files",
        )
    values: dict[str, list[str]] = {}
    for source in sources:
        if source.error or source.version is None:
            yield check.finding(
                source.error or "no version found",
                file=source.source.path,
                hint="fix the file or its entry in [tool.relman.version] files",
            )
            continue
        try:
            normalized = str(Version(source.version))
        except InvalidVersion:
            yield check.finding(
                f"{source.version!r} is not a valid PEP 440 version", file=source.source.path
            )
            continue
        values.setdefault(normalized, []).append(source.source.path)
    if len(values) > 1:
        listing = "; ".join(f"{v} in {', '.join(paths)}" for v, paths in sorted(values.items()))
        for paths in values.values():
            for path in paths:
                yield check.finding(
                    f"version sources disagree: {listing}",
                    file=path,
                    hint="`relman version set VERSION` writes one version everywhere",
                )
    if ctx.version is None:
        return
    target = Version(ctx.version)
    if len(values) == 1:
        current = Version(next(iter(values)))
        if current > target:
            yield check.finding(
                f"the tree is already at {current}, after the release version {target}",
                file=values[str(current)][0],
                hint="choose a version above the one in the tree",
            )
    if not ctx.repo.has_commits():
        return
    last = last_release(config, ctx.repo)
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
    if target not in nexts and Version(target.base_version) not in bases:
        # a later maintenance line's tag may be the real previous release
        higher = [t for t in release_tags(config, ctx.repo) if t.is_release]
        if not any(t.version < target and t.version > last.version for t in higher):
            steps = ", ".join(str(v) for v in sorted(bases))
            yield check.finding(
                f"{target} skips versions after the last release {last.name}",
                severity="warning",
                hint=f"the next release after {last.version} is one of {steps}",
            )
