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
    "EolDeleteStep",
    "EolTagStep",
    "MainDevStep",
    "PushBranchesStep",
]


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
    name = "main-dev-version"
    description = "main moves on to the next minor's .dev0 with a new notes file"
    kinds = frozenset({"new-branch"})

    def _dev(self, ctx: Context) -> str:
        v = Version(ctx.version)
        major, minor = (*v.release, 0)[:2]
        return f"{major}.{minor + 1}.0.dev0"

    def skip_reason(self, ctx: Context) -> str | None:
        if VersionStep().skip_reason(ctx):
            return "dynamic version: the .dev0 tag marks development"
        return None

    def is_done(self, ctx: Context) -> bool:
        values = version_files_text(ctx, f"refs/heads/{ctx.config.main_branch}")
        return bool(values) and all(v == self._dev(ctx) for v in values.values())

    def plan(self, ctx: Context) -> list[str]:
        return [
            f"on {ctx.config.main_branch}: set version {self._dev(ctx)}",
            f"commit 'REL: begin {self._dev(ctx).removesuffix('.0.dev0')} development'",
            f"tag {ctx.config.tag_for(self._dev(ctx))}",
        ]

    def run(self, ctx: Context) -> None:
        from relman import versionfiles

        if ctx.repo.current_branch() != ctx.config.main_branch:
            raise UsageError(f"check out {ctx.config.main_branch} to start a new branch")
        dev = self._dev(ctx)
        changes = versionfiles.plan_version_change(ctx.config, dev)
        paths = [ctx.relpath(p) for p in changes]
        with ctx.editing(self.name, paths):
            versionfiles.set_version(ctx.config, dev)
            if ctx.config.notes.template:
                from relman import notes

                paths += [
                    ctx.relpath(p) for p in notes.start_notes(ctx.config, dev.removesuffix(".dev0"))
                ]
            ctx.repo.create_commit(
                f"REL: begin {dev.removesuffix('.0.dev0')} development", paths=paths
            )
        tag = ctx.config.tag_for(dev)
        if not ctx.repo.tag_exists(tag):
            ctx.repo.create_tag(
                tag, f"Start of {dev.removesuffix('.dev0')} development", sign=False
            )


class PushBranchesStep(Step):
    name = "push-branches"
    description = "push the new maintenance branch, main and the .dev0 tag"
    kinds = frozenset({"new-branch"})

    def skip_reason(self, ctx: Context) -> str | None:
        return PushStep().skip_reason(ctx)

    def _refs(self, ctx: Context) -> list[str]:
        refs = [
            f"refs/heads/{ctx.config.maintenance_branch_for(ctx.version)}",
            f"refs/heads/{ctx.config.main_branch}",
        ]
        dev_tag = ctx.config.tag_for(MainDevStep()._dev(ctx))
        if ctx.repo.tag_exists(dev_tag):
            refs.append(f"refs/tags/{dev_tag}")
        return refs

    def is_done(self, ctx: Context) -> bool:
        for ref in self._refs(ctx):
            local = ctx.repo.git("rev-parse", ref, check=False)
            if remote_ref(ctx, ref) != local:
                return False
        return True

    def plan(self, ctx: Context) -> list[str]:
        return [f"git push --atomic {ctx.config.remote} " + " ".join(self._refs(ctx))]

    def run(self, ctx: Context) -> None:
        refs = [f"{r}:{r}" for r in self._refs(ctx)]
        ctx.repo.push(ctx.config.remote, refs, dry_run=True)
        ctx.repo.push(ctx.config.remote, refs)


def _eol_names(ctx: Context) -> tuple[str, str]:
    v = Version(ctx.version)
    major, minor = (*v.release, 0)[:2]
    return ctx.config.maintenance_branch_for(ctx.version), f"{major}.{minor}"


class EolTagStep(Step):
    name = "eol-tag"
    description = "tag the head of the maintenance branch as X.Y"
    kinds = frozenset({"end-of-life"})

    def is_done(self, ctx: Context) -> bool:
        return ctx.repo.tag_exists(_eol_names(ctx)[1])

    def plan(self, ctx: Context) -> list[str]:
        branch, tag = _eol_names(ctx)
        return [f"create tag {tag} at the head of {branch}"]

    def run(self, ctx: Context) -> None:
        branch, tag = _eol_names(ctx)
        head = ctx.repo.rev_parse(f"refs/heads/{branch}")
        if head is None:
            raise UsageError(
                f"there is no branch {branch} to end", hint="check the version and branch pattern"
            )
        ctx.repo.create_tag(
            tag, f"{ctx.config.name} {tag} reached its end of life", rev=head, sign=False
        )
        if not PushStep().skip_reason(ctx):
            ctx.repo.push(ctx.config.remote, [f"refs/tags/{tag}:refs/tags/{tag}"])


class EolDeleteStep(Step):
    name = "eol-delete-branch"
    description = "delete the maintenance branch (after confirmation)"
    kinds = frozenset({"end-of-life"})

    def is_done(self, ctx: Context) -> bool:
        return ctx.repo.rev_parse(f"refs/heads/{_eol_names(ctx)[0]}") is None

    def plan(self, ctx: Context) -> list[str]:
        branch, _ = _eol_names(ctx)
        return [f"delete branch {branch} locally and on {ctx.config.remote}"]

    def run(self, ctx: Context) -> None:
        branch, tag = _eol_names(ctx)
        question = f"delete branch {branch} (its head is tagged {tag})?"
        if not (ctx.yes or (ctx.confirm is not None and ctx.confirm(question))):
            raise CheckFailed(
                f"not confirmed: {question}", hint="answer on a terminal or pass --yes"
            )
        if ctx.repo.current_branch() == branch:
            raise UsageError(
                f"{branch} is checked out", hint=f"git checkout {ctx.config.main_branch} first"
            )
        ctx.repo.git("branch", "-D", branch)
        if not PushStep().skip_reason(ctx) and remote_ref(ctx, f"refs/heads/{branch}"):
            ctx.repo.git("push", ctx.config.remote, "--delete", branch)
