"""Branch releases: cutting a new maintenance branch (and moving main to the next
development cycle), and ending a maintenance line (end-of-life tag, branch deleted).
"""

from __future__ import annotations

from packaging.version import Version

from relman.errors import CheckFailed, UsageError
from relman.release.context import (
    Context,
    Step,
    remote_ref,
    version_files_text,
)
from relman.release.steps.prepare import VersionStep
from relman.release.steps.ship import PushStep

__all__ = [
    "BranchStep",
    "EolChecksStep",
    "EolDeleteStep",
    "EolTagStep",
    "MainDevStep",
    "PushBranchesStep",
    "check_branch_version",
]


def check_branch_version(ctx: Context) -> None:
    """Refuse a new branch whose version is unrelated to the one main heads for.

    With the version in files, main must be at a version of the same X.Y
    (1.2.0.dev0, 1.2.0rc1, ...): ``--kind new-branch 1.5.0`` on a main at
    1.2.0.dev0 would cut ``maintenance/1.5.x`` holding 1.2.0.dev0. With a
    dynamic version (the tag is the version) it must be later than the last
    release. Nothing has changed when this stops.
    """
    from relman.line import current_version, last_release

    target = Version(ctx.version)
    series = (*target.release, 0)[:2]
    if VersionStep().skip_reason(ctx) is None:
        current = current_version(ctx.config, ctx.repo)
        if current is None:
            return
        if (*Version(current).release, 0)[:2] != series:
            raise UsageError(
                f"{ctx.config.main_branch} is at {current}, not on the way to {ctx.version}: "
                f"a branch {ctx.config.maintenance_branch_for(ctx.version)} would hold {current}",
                hint=f"branch for the release {ctx.config.main_branch} heads for "
                f"(relman release {Version(current).base_version} --kind new-branch)",
            )
        return
    last = last_release(ctx.config, ctx.repo) if ctx.repo.has_commits() else None
    if last is not None and target <= last.version:
        raise UsageError(
            f"{ctx.version} is not later than the last release {last.version} ({last.name})",
            hint="give the version the new branch will release first",
        )


class BranchStep(Step):
    name = "branch"
    description = "create the maintenance branch at this point"
    kinds = frozenset({"new-branch"})

    def _branch(self, ctx: Context) -> str:
        return ctx.config.maintenance_branch_for(ctx.version)

    def is_done(self, ctx: Context) -> bool:
        return ctx.repo.rev_parse(f"refs/heads/{self._branch(ctx)}") is not None

    def plan(self, ctx: Context) -> list[str]:
        return [f"create branch {self._branch(ctx)} at {ctx.branch}"]

    def run(self, ctx: Context) -> None:
        start = ctx.state.get("start_commit") or ctx.repo.head()
        ctx.repo.create_branch(self._branch(ctx), start)


class MainDevStep(Step):
    """Prepare main for the next development, as NumPy's commit after branching does:
    the next minor's ``.dev0`` in the version files, the fragments the branch took
    removed (the branch's release notes hold them), the next notes file started, a
    ``.dev0`` tag on that commit."""

    name = "main-dev-version"
    description = (
        "main moves on to the next minor's .dev0: fragments the branch took removed, "
        "a new notes file, the .dev0 tag"
    )
    kinds = frozenset({"new-branch"})

    def _dev(self, ctx: Context) -> str:
        v = Version(ctx.version)
        major, minor = (*v.release, 0)[:2]
        return f"{major}.{minor + 1}.0.dev0"

    def _message(self, ctx: Context) -> str:
        return f"REL: begin {self._dev(ctx).removesuffix('.0.dev0')} development"

    def _files_version(self, ctx: Context) -> bool:
        return VersionStep().skip_reason(ctx) is None

    def _fragments(self, ctx: Context) -> list[str]:
        """The news fragments at the branch point: the branch's release uses them."""
        if ctx.config.notes.system == "none":
            return []
        from relman import notes

        start = ctx.state.get("start_commit") or "HEAD"
        pending = [ctx.relpath(p) for p in notes.pending_fragments(ctx.config)]
        if not pending:
            return []
        tracked = ctx.repo.git("ls-tree", "-r", "--name-only", start, "--", *pending)
        return sorted(set(tracked.splitlines()))

    def _notes_files(self, ctx: Context) -> list[str]:
        """The files main's commit starts: the next minor's notes file, the release index entry.

        Empty unless the project keeps one notes file per release (towncrier's
        ``{version}`` file names, or a release index such as SciPy's), or when
        the notes file is there already.
        """
        if not (ctx.notes_accumulate or ctx.config.notes.release_index):
            return []
        from relman import notes

        next_minor = self._dev(ctx).removesuffix(".dev0")
        return [ctx.relpath(p) for p in notes.plan_start_notes(ctx.config, next_minor)]

    def _committed(self, ctx: Context) -> bool:
        main = f"refs/heads/{ctx.config.main_branch}"
        if self._files_version(ctx):
            values = version_files_text(ctx, main)
            return bool(values) and all(v == self._dev(ctx) for v in values.values())
        subject = next(iter(ctx.repo.log(main, extra=["-n1"])), None)
        return subject is not None and subject.subject == self._message(ctx)

    def is_done(self, ctx: Context) -> bool:
        tag = ctx.config.tag_for(self._dev(ctx))
        return self._committed(ctx) and ctx.repo.tag_exists(tag)

    def plan(self, ctx: Context) -> list[str]:
        main, actions = ctx.config.main_branch, []
        if not self._committed(ctx):
            if self._files_version(ctx):
                actions.append(f"on {main}: set version {self._dev(ctx)}")
            fragments = self._fragments(ctx)
            if fragments:
                actions.append(
                    f"on {main}: git rm the {len(fragments)} news fragment(s) "
                    f"{ctx.config.maintenance_branch_for(ctx.version)} releases"
                )
            started = self._notes_files(ctx)
            if started:
                first, *index = started
                entry = f" and its entry in {', '.join(index)}" if index else ""
                actions.append(f"on {main}: start {first}{entry}")
            actions.append(f"commit '{self._message(ctx)}'")
        actions.append(f"tag {ctx.config.tag_for(self._dev(ctx))} (unsigned, marks development)")
        return actions

    def run(self, ctx: Context) -> None:
        from relman import versionfiles

        if ctx.repo.current_branch() != ctx.config.main_branch:
            raise UsageError(f"check out {ctx.config.main_branch} to start a new branch")
        dev = self._dev(ctx)
        if not self._committed(ctx):
            fragments = self._fragments(ctx)
            started = self._notes_files(ctx)
            paths: list[str] = []
            changes = {}
            if self._files_version(ctx):
                changes = versionfiles.plan_version_change(ctx.config, dev)
                paths += [ctx.relpath(p) for p in changes]
            edited = paths + fragments + started
            with ctx.editing(self.name, edited):
                if changes:
                    versionfiles.set_version(ctx.config, dev)
                if fragments:
                    ctx.repo.remove_paths(fragments)
                if started:
                    from relman import notes

                    written = notes.start_notes(ctx.config, dev.removesuffix(".dev0"))
                    paths += [ctx.relpath(p) for p in written]
                ctx.before_commit(self.name)
                ctx.repo.add_paths(paths)
                ctx.repo.create_commit(self._message(ctx), allow_empty=not (paths or fragments))
        tag = ctx.config.tag_for(dev)
        if not ctx.repo.tag_exists(tag):
            ctx.repo.create_tag(
                tag, f"Start of {dev.removesuffix('.dev0')} development", sign=False
            )


class PushBranchesStep(Step):
    name = "push-branches"
    description = "push the new maintenance branch (set as its upstream), main and the .dev0 tag"
    kinds = frozenset({"new-branch"})

    def skip_reason(self, ctx: Context) -> str | None:
        return PushStep().skip_reason(ctx)

    def _branch(self, ctx: Context) -> str:
        return ctx.config.maintenance_branch_for(ctx.version)

    def _refs(self, ctx: Context) -> list[str]:
        dev_tag = ctx.config.tag_for(MainDevStep()._dev(ctx))
        return [
            f"refs/heads/{self._branch(ctx)}",
            f"refs/heads/{ctx.config.main_branch}",
            f"refs/tags/{dev_tag}",
        ]

    def is_done(self, ctx: Context) -> bool:
        for ref in self._refs(ctx):
            local = ctx.repo.git("rev-parse", ref, check=False)
            if remote_ref(ctx, ref) != local:
                return False
        return ctx.repo.upstream(self._branch(ctx)) == f"{ctx.config.remote}/{self._branch(ctx)}"

    def plan(self, ctx: Context) -> list[str]:
        return [
            f"git push --atomic {ctx.config.remote} " + " ".join(self._refs(ctx)),
            f"set the upstream of {self._branch(ctx)} to {ctx.config.remote}/{self._branch(ctx)}",
        ]

    def run(self, ctx: Context) -> None:
        refs = [f"{r}:{r}" for r in self._refs(ctx)]
        ctx.repo.push(ctx.config.remote, refs, dry_run=True)
        ctx.repo.push(ctx.config.remote, refs)
        ctx.repo.git("fetch", "-q", ctx.config.remote, self._branch(ctx))
        ctx.repo.set_upstream(self._branch(ctx), f"{ctx.config.remote}/{self._branch(ctx)}")


# -- end of life --------------------------------------------------------------


def _eol_names(ctx: Context) -> tuple[str, str]:
    v = Version(ctx.version)
    major, minor = (*v.release, 0)[:2]
    return ctx.config.maintenance_branch_for(ctx.version), f"{major}.{minor}"


def _pushes(ctx: Context) -> bool:
    return PushStep().skip_reason(ctx) is None


def _eol_heads(ctx: Context) -> tuple[str | None, str | None]:
    """The line's branch head here and on the remote (None where it is missing).

    A fresh clone has no local branch: its remote-tracking branch stands for it.
    """
    branch, _ = _eol_names(ctx)
    local = ctx.repo.rev_parse(f"refs/heads/{branch}")
    remote = remote_ref(ctx, f"refs/heads/{branch}") if _pushes(ctx) else None
    if local is None and remote is None and _pushes(ctx):
        local = ctx.repo.rev_parse(f"refs/remotes/{ctx.config.remote}/{branch}")
    return local, remote


def _subjects(ctx: Context, rev_range: str) -> str:
    lines = [f"{c.sha[:10]} {c.subject}" for c in ctx.repo.log(rev_range, extra=["-n5"])]
    return "; ".join(lines)


def _open_forward_ports(ctx: Context) -> list[str]:
    """Forward-port branches of this line's releases that main has not merged."""
    import fnmatch

    _, line = _eol_names(ctx)
    pattern = ctx.config.release.forward_port_branch.format(version=f"{line}.*")
    main = f"refs/heads/{ctx.config.main_branch}"
    if ctx.repo.rev_parse(main) is None:
        return []
    found = []
    names = [*ctx.repo.branches(), *ctx.repo.remote_branches()]
    for name in sorted(set(names)):
        short = name.split("/", 1)[1] if name in ctx.repo.remote_branches() else name
        if fnmatch.fnmatchcase(short, pattern) and not ctx.repo.is_ancestor(name, main):
            found.append(name)
    return found


class EolChecksStep(Step):
    """End of life's preflight: nothing may be lost when the branch goes."""

    name = "eol-checks"
    description = (
        "preflight: clean tree, the branch in sync with the remote's, "
        "no unreleased commit, signing ready"
    )
    kinds = frozenset({"end-of-life"})

    def is_done(self, ctx: Context) -> bool:
        return ctx.state.step(self.name).get("status") == "done"

    def plan(self, ctx: Context) -> list[str]:
        branch, _ = _eol_names(ctx)
        actions = []
        if _pushes(ctx):
            actions += [
                f"git fetch {ctx.config.remote} {branch}",
                f"refuse when {ctx.config.remote}/{branch} and {branch} differ "
                "(a commit only one of them has would be lost)",
            ]
        actions.append(
            f"refuse when {branch} has commits after its last release (--force ends it anyway)"
        )
        for name in _open_forward_ports(ctx):
            actions.append(f"warn: {name} is not merged into {ctx.config.main_branch}")
        return actions

    def run(self, ctx: Context) -> None:
        from relman import _report
        from relman.line import last_release
        from relman.release.steps.prepare import ensure_signing_ready

        branch, _ = _eol_names(ctx)
        if ctx.repo.is_dirty(untracked=False):
            raise CheckFailed(
                "the working tree has uncommitted changes",
                hint="commit or stash them before ending a line",
            )
        if ctx.repo.current_branch() == branch:
            raise UsageError(
                f"{branch} is checked out: it cannot be deleted",
                hint=f"git checkout {ctx.config.main_branch} first",
            )
        if _pushes(ctx):
            # the remote branch's commits, so that they can be compared and tagged
            ctx.repo.git(
                "fetch",
                "-q",
                ctx.config.remote,
                f"+refs/heads/{branch}:refs/remotes/{ctx.config.remote}/{branch}",
                check=False,
            )
        local, remote = _eol_heads(ctx)
        if local is None and remote is None:
            raise UsageError(
                f"there is no branch {branch} here"
                + (f" or on {ctx.config.remote}" if _pushes(ctx) else "")
                + " to end",
                hint="check the version and [tool.relman] maintenance-branch",
            )
        if local is not None and remote is not None and local != remote:
            tracking = f"refs/remotes/{ctx.config.remote}/{branch}"
            if ctx.repo.rev_parse(tracking) != remote:
                raise CheckFailed(
                    f"{ctx.config.remote}/{branch} could not be fetched; it is at {remote[:12]}",
                    hint=f"git fetch {ctx.config.remote} {branch}, then run again",
                )
            only_remote, only_local = (
                ctx.repo.count_commits(f"{local}..{remote}"),
                ctx.repo.count_commits(f"{remote}..{local}"),
            )
            if only_remote:
                raise CheckFailed(
                    f"{ctx.config.remote}/{branch} has {only_remote} commit(s) that {branch} "
                    f"lacks ({_subjects(ctx, f'{local}..{remote}')}): tagging {branch} and "
                    "deleting the remote branch would leave them in no branch and no tag",
                    hint=f"git checkout {branch} && git pull --ff-only, then run again "
                    "(release them first if they should ship)",
                )
            if only_local:
                raise CheckFailed(
                    f"{branch} has {only_local} commit(s) that {ctx.config.remote}/{branch} "
                    f"lacks ({_subjects(ctx, f'{remote}..{local}')})",
                    hint=f"push them (git push {ctx.config.remote} {branch}) or drop them, "
                    "then run again",
                )
        head = local or remote
        assert head is not None
        last = last_release(ctx.config, ctx.repo, head)
        if last is not None:
            after = [
                c
                for c in ctx.repo.log(f"{last.name}..{head}")
                if not _is_post_release(ctx, c.subject, str(last.version))
            ]
            if after and not ctx.force:
                raise CheckFailed(
                    f"{branch} has {len(after)} commit(s) after its last release {last.name} "
                    f"that were never released ({_subjects(ctx, f'{last.name}..{head}')})",
                    hint="release them first, or pass --force to end the line without them",
                )
        for name in _open_forward_ports(ctx):
            _report.warn(
                f"{name} is not merged into {ctx.config.main_branch}: its notes and "
                "changelog are not on main yet"
            )
        ensure_signing_ready(ctx)
        ctx.state.set("eol_head", head)


def _is_post_release(ctx: Context, subject: str, version: str) -> bool:
    """The commit that moved the branch to its next .dev0 after ``version``."""
    from relman.versioning import next_dev_version

    v = Version(version)
    major, minor = (*v.release, 0)[:2]
    expected = ctx.config.release.post_release_message.format(
        major=major,
        minor=minor,
        version=version,
        dev_version=next_dev_version(version, on_main=False),
    )
    return subject == expected.splitlines()[0]


class EolTagStep(Step):
    name = "eol-tag"
    description = "tag the head of the maintenance branch as X.Y (signed like a release tag)"
    kinds = frozenset({"end-of-life"})

    def is_done(self, ctx: Context) -> bool:
        return ctx.repo.tag_exists(_eol_names(ctx)[1])

    def plan(self, ctx: Context) -> list[str]:
        from relman.release.steps.prepare import tag_kind

        branch, tag = _eol_names(ctx)
        return [f"create {tag_kind(ctx)} annotated tag {tag} at the head of {branch} (not pushed)"]

    def run(self, ctx: Context) -> None:
        from relman.release.steps.prepare import create_release_tag

        branch, tag = _eol_names(ctx)
        head = ctx.state.get("eol_head")
        if not head:
            raise UsageError(
                "the end-of-life preflight has not run", hint="run without --only/--from"
            )
        create_release_tag(
            ctx, tag, f"{ctx.config.name} {tag} reached its end of life ({branch})", head
        )


class EolDeleteStep(Step):
    name = "eol-delete-branch"
    description = (
        "after one confirmation: push the X.Y tag and delete the branch on the remote and here"
    )
    kinds = frozenset({"end-of-life"})

    def is_done(self, ctx: Context) -> bool:
        branch, tag = _eol_names(ctx)
        if ctx.repo.rev_parse(f"refs/heads/{branch}") is not None:
            return False
        if not _pushes(ctx):
            return True
        local_tag = ctx.repo.git("rev-parse", f"refs/tags/{tag}", check=False)
        return (
            remote_ref(ctx, f"refs/heads/{branch}") is None
            and remote_ref(ctx, f"refs/tags/{tag}") == local_tag
        )

    def plan(self, ctx: Context) -> list[str]:
        branch, tag = _eol_names(ctx)
        actions = [f"ask: end {branch}?"]
        if _pushes(ctx):
            actions.append(
                f"git push --atomic {ctx.config.remote} refs/tags/{tag} :refs/heads/{branch} "
                "(only if the remote branch has not moved)"
            )
        if ctx.repo.rev_parse(f"refs/heads/{branch}") is not None:
            actions.append(f"git branch -D {branch}")
        return actions

    def run(self, ctx: Context) -> None:
        branch, tag = _eol_names(ctx)
        head = ctx.repo.rev_parse(f"refs/tags/{tag}")
        assert head is not None
        subject = next(iter(ctx.repo.log(head, extra=["-n1"]))).subject
        where = f" here and on {ctx.config.remote}" if _pushes(ctx) else ""
        question = (
            f"end {branch}: push tag {tag} ({head[:12]} {subject!r}) and delete {branch}{where}?"
        )
        if not (ctx.yes or (ctx.confirm is not None and ctx.confirm(question))):
            raise CheckFailed(
                f"not confirmed: {question}", hint="answer on a terminal or pass --yes"
            )
        if _pushes(ctx):
            remote_head = remote_ref(ctx, f"refs/heads/{branch}")
            refs = [f"refs/tags/{tag}:refs/tags/{tag}"]
            lease = []
            if remote_head is not None:
                if remote_head != head:
                    raise CheckFailed(
                        f"{ctx.config.remote}/{branch} moved to {remote_head[:12]} since it "
                        f"was checked; {tag} is at {head[:12]}",
                        hint=f"git tag -d {tag}, then run again: the preflight compares anew",
                    )
                refs.append(f":refs/heads/{branch}")
                lease = [f"--force-with-lease=refs/heads/{branch}:{head}"]
            ctx.repo.git("push", "--atomic", "--porcelain", *lease, ctx.config.remote, *refs)
        if ctx.repo.rev_parse(f"refs/heads/{branch}") is not None:
            ctx.repo.git("branch", "-D", branch)
        ctx.repo.git("update-ref", "-d", f"refs/remotes/{ctx.config.remote}/{branch}", check=False)
