"""The git check: clean tree, right branch, in sync with upstream, not already released."""

from __future__ import annotations

from collections.abc import Iterator

from relman.checks import CheckContext, Finding, get_check, register

ID = "git"


@register(
    ID,
    "clean tree, expected branch, in sync with upstream, tag and HEAD not already released",
)
def check_git(ctx: CheckContext) -> Iterator[Finding]:
    check = get_check(ID)
    repo, config = ctx.repo, ctx.config
    if not repo.has_commits():
        yield check.finding("the repository has no commits", hint="commit the project first")
        return
    if repo.is_shallow():
        yield check.finding(
            "shallow clone: tags and history are incomplete (last release, changelog, tag format)",
            hint="git fetch --unshallow --tags",
        )
    # clean working tree, untracked files listed
    entries = repo.status()
    untracked = [e.path for e in entries if e.code == "??"]
    changed = [e for e in entries if e.code != "??"]
    for entry in changed:
        yield check.finding(
            f"uncommitted change ({entry.code.strip()})",
            file=entry.path,
            hint="commit or stash it: a release is made from committed files only",
        )
    for path in untracked:
        yield check.finding(
            "untracked file",
            file=path,
            hint="add it, delete it or list it in .gitignore",
        )
    # expected branch for this release kind
    branch = repo.current_branch()
    if branch is None:
        yield check.finding(
            "HEAD is detached",
            hint=f"check out {config.main_branch} or the maintenance branch of the release",
        )
    elif ctx.version is not None:
        maintenance = config.maintenance_branch_for(ctx.version)
        if ctx.kind in ("bug-fix", "security", "end-of-life"):
            # projects that keep maintenance branches release fixes from them;
            # projects that have none release everything from the main branch
            known = set(repo.branches()) | {
                b.split("/", 1)[1] for b in repo.remote_branches() if "/" in b
            }
            expected = [maintenance] if maintenance in known else [config.main_branch, maintenance]
        elif ctx.kind == "new-branch":
            expected = [config.main_branch]
        else:
            expected = [config.main_branch, maintenance]
        if branch not in expected:
            yield check.finding(
                f"on branch {branch!r}, but a {ctx.kind} release of {ctx.version} is made from "
                + " or ".join(repr(b) for b in expected),
                hint=f"git checkout {expected[-1]}",
            )
    # in sync with the upstream remote
    if branch is not None:
        upstream = repo.upstream()
        remotes = repo.remotes()
        if upstream is None and not remotes:
            yield check.finding(
                "the repository has no remote: nothing to check the branch against, "
                "and the release will not be pushed",
                severity="warning",
                hint="git remote add origin URL (then git push -u origin " + branch + ")",
            )
        elif upstream is None:
            remote = config.remote if config.remote in remotes else remotes[0]
            yield check.finding(
                f"branch {branch!r} has no upstream branch",
                severity="warning",
                hint=f"git push -u {remote} {branch} (or git branch --set-upstream-to="
                f"{remote}/{branch} if it is there already)",
            )
        else:
            ahead, behind = repo.ahead_behind("HEAD", upstream)
            if behind:
                yield check.finding(
                    f"{branch} is {behind} commit{'s' if behind > 1 else ''} behind {upstream}",
                    hint=f"git pull --ff-only {upstream.replace('/', ' ', 1)}",
                )
            if ahead:
                yield check.finding(
                    f"{branch} is {ahead} commit{'s' if ahead > 1 else ''} ahead of {upstream}",
                    severity="warning",
                    hint="push them first if they should be reviewed by CI before the release",
                )
    # release tag not already present, HEAD not already released
    target_tag = config.tag_for(ctx.version) if ctx.version is not None else None
    if ctx.version is not None and target_tag is not None:
        tag = target_tag
        if repo.tag_exists(tag):
            yield check.finding(
                f"tag {tag} already exists: {ctx.version} is already released",
                hint="choose the next version (`relman status` lists them)",
            )
        elif config.remote in repo.remotes() and repo.remote_has_tag(config.remote, tag):
            # caught now, not at the push after commits, a tag, builds and checks
            yield check.finding(
                f"tag {tag} exists on {config.remote} (not here): "
                f"{ctx.version} is already released there",
                hint=f"git fetch {config.remote} --tags, then choose the next version",
            )
    for tag in repo.tags_at("HEAD"):
        released = config.version_from_tag(tag)
        if released is None or ".dev" in released or tag == target_tag:
            continue
        yield check.finding(
            f"HEAD is already released as {tag}",
            hint="commit the changes of the new release first",
        )
