"""The release pipeline: which steps a release kind runs, and planning, running
and resuming them.

A release is an ordered list of :class:`~relman.release.context.Step` chosen by
the release kind (:func:`steps_for`). Each step can tell from the world whether
it is already done (``is_done``: is the tag there, at this commit? is every file
on the index with this hash?), can describe what it would change (``plan``), and
does it (``run``). ``--dry-run`` prints the plans (:func:`plan_release`) and
never calls ``run``; :func:`run_release` runs what is not done, in order, under
the release lock, re-checking every step against the world on a resume.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from typing import Any

from relman import _proc
from relman._fault import fault_point
from relman.config import Config
from relman.errors import ConfigError, NotImplementedStep, RelmanError, UsageError, VersionError
from relman.git import Repo
from relman.release.context import (
    KINDS,
    RELEASE_KINDS,
    Context,
    ReleaseState,
    Step,
    StepPlan,
    _now,
    clear_stale_index_lock,
    detect_kind,
    repository_lock,
)
from relman.release.steps.after import ForwardPortStep, InstallCheckStep, PostReleaseStep
from relman.release.steps.branches import (
    BranchStep,
    EolChecksStep,
    EolDeleteStep,
    EolTagStep,
    MainDevStep,
    PushBranchesStep,
    check_branch_version,
)
from relman.release.steps.build import BuildStep, ChecksumsStep, VerifyStep
from relman.release.steps.prepare import ChangelogStep, ChecksStep, NotesStep, TagStep, VersionStep
from relman.release.steps.ship import (
    AnnounceStep,
    DocsStep,
    GateStep,
    GitHubReleaseStep,
    PublishStep,
    PushStep,
)

__all__ = ["open_context", "plan_release", "run_release", "steps_for"]


def steps_for(kind: str) -> list[Step]:
    """The ordered steps of a release of ``kind``."""
    if kind not in KINDS:
        raise UsageError(
            f"unknown release kind {kind!r}", hint="choose one of: " + ", ".join(KINDS)
        )
    every: list[Step] = [
        ChecksStep(),
        NotesStep(),
        ChangelogStep(),
        VersionStep(),
        TagStep(),
        BuildStep(),
        VerifyStep(),
        ChecksumsStep(),
        GateStep(),
        PushStep(),
        PublishStep(),
        GitHubReleaseStep(),
        DocsStep(),
        AnnounceStep(),
        PostReleaseStep(),
        ForwardPortStep(),
        InstallCheckStep(),
        BranchStep(),
        MainDevStep(),
        PushBranchesStep(),
        EolChecksStep(),
        EolTagStep(),
        EolDeleteStep(),
    ]
    out = []
    for step in every:
        if kind in step.kinds:
            out.append(step)
    return out


# -- running ----------------------------------------------------------------


def _select(
    steps: list[Step], *, from_step: str | None, only: Sequence[str], skip: Sequence[str]
) -> set[str]:
    names = [s.name for s in steps]
    for name in [from_step, *only, *skip]:
        if name and name not in names:
            raise UsageError(
                f"no step named {name!r} in this release",
                hint="steps: " + ", ".join(names),
            )
    chosen = set(names)
    if from_step:
        chosen = set(names[names.index(from_step) :])
    if only:
        chosen &= set(only)
    chosen -= set(skip)
    return chosen


def _forget_if_untouched(ctx: Context) -> None:
    """A release that failed before changing anything leaves no state behind."""
    steps: dict[str, dict[str, Any]] = ctx.state.data.get("steps", {})
    if any(s.get("status") == "done" for s in steps.values()):
        return
    if any(set(s) - {"status", "at", "detail"} for s in steps.values()):
        return  # a step recorded what it did before failing (an announcement half sent)
    if ctx.repo.head() != ctx.state.get("start_commit"):
        return
    ctx.state.path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        ctx.state.path.parent.rmdir()  # only when empty


def plan_release(
    ctx: Context,
    *,
    from_step: str | None = None,
    only: Sequence[str] = (),
    skip: Sequence[str] = (),
) -> list[StepPlan]:
    """Every step with done / pending / skipped / blocked and what it would change.

    A step is blocked when the release would stop there: its ``is_done`` cannot
    tell, or its read-only ``blockers`` (preflight checks, signing readiness)
    name what would stop it.
    """
    steps = steps_for(ctx.kind)
    chosen = _select(steps, from_step=from_step, only=only, skip=skip)
    plans = []
    for step in steps:
        reason = step.skip_reason(ctx)
        if reason:
            plans.append(StepPlan(step.name, "skipped", step.description, reason=reason))
            continue
        if step.name not in chosen:
            plans.append(StepPlan(step.name, "skipped", step.description, reason="not selected"))
            continue
        try:
            done = step.is_done(ctx)
        except RelmanError as exc:
            plans.append(StepPlan(step.name, "blocked", step.description, reason=exc.message))
            continue
        if done:
            plans.append(StepPlan(step.name, "done", step.description))
            continue
        try:
            stops = step.blockers(ctx)
        except RelmanError as exc:
            stops = [exc.message]
        if stops:
            plans.append(StepPlan(step.name, "blocked", step.description, reason="; ".join(stops)))
            continue
        try:
            actions = tuple(step.plan(ctx))
        except NotImplementedStep as exc:
            plans.append(StepPlan(step.name, "skipped", step.description, reason=exc.message))
            continue
        except RelmanError as exc:
            actions = (f"(cannot plan yet: {exc.message})",)
        plans.append(StepPlan(step.name, "pending", step.description, actions))
    return plans


def run_release(
    ctx: Context,
    *,
    from_step: str | None = None,
    only: Sequence[str] = (),
    skip: Sequence[str] = (),
    on_step: Callable[[str, str, str], None] | None = None,
) -> list[StepPlan]:
    """Run every pending step in order; stop at the first failure.

    ``on_step(name, status, detail)`` is told of each step's outcome. The state
    file records it; a later run re-checks every step against the world and
    resumes at the first one that is not done.
    """
    steps = steps_for(ctx.kind)
    chosen = _select(steps, from_step=from_step, only=only, skip=skip)
    outcomes: list[StepPlan] = []
    with repository_lock(ctx.repo, f"relman release {ctx.version}"):
        if ctx.state.get("branch"):
            clear_stale_index_lock(ctx.repo)
        ctx.repo.check_can_commit()
        if not ctx.state.get("branch"):
            ctx.state.data.update(
                {
                    "version": ctx.version,
                    "kind": ctx.kind,
                    "branch": ctx.repo.current_branch(),
                    "start_commit": ctx.repo.head(),
                    "started": _now(),
                }
            )
            ctx.state.save()
        elif ctx.state.get("kind") != ctx.kind:
            raise UsageError(
                f"this release was started as {ctx.state.get('kind')}, not {ctx.kind}",
                hint=f"resume it with --kind {ctx.state.get('kind')}, or remove {ctx.state.path}",
            )
        ctx.recover()
        for step in steps:
            reason = step.skip_reason(ctx)
            if reason or step.name not in chosen:
                detail = reason or "not selected"
                outcomes.append(StepPlan(step.name, "skipped", step.description, reason=detail))
                if reason:
                    ctx.state.mark(step.name, "skipped", detail)
                if on_step:
                    on_step(step.name, "skipped", detail)
                continue
            if step.is_done(ctx):
                ctx.state.mark(step.name, "done", ctx.state.step(step.name).get("detail", ""))
                outcomes.append(StepPlan(step.name, "done", step.description))
                if on_step:
                    on_step(step.name, "done", "already done")
                continue
            if on_step:
                on_step(step.name, "running", step.description)
            ctx.state.mark(step.name, "running")
            fault_point(f"{step.name}:start")
            started, external = time.perf_counter(), _proc.external_seconds()
            try:
                step.run(ctx)
            except RelmanError as exc:
                ctx.state.mark(step.name, "failed", exc.message)
                _forget_if_untouched(ctx)
                raise
            seconds = time.perf_counter() - started
            external = _proc.external_seconds() - external
            fault_point(f"{step.name}:end")
            ctx.state.step(step.name).update(
                {"seconds": round(seconds, 3), "external_seconds": round(external, 3)}
            )
            ctx.state.mark(step.name, "done")
            outcomes.append(
                StepPlan(
                    step.name,
                    "done",
                    step.description,
                    seconds=seconds,
                    external_seconds=external,
                )
            )
            if on_step:
                on_step(step.name, "done", "")
        ctx.state.set("finished", _now())
    return outcomes


def open_context(
    config: Config,
    repo: Repo,
    version: str | None,
    *,
    kind: str | None = None,
    yes: bool = False,
    confirm: Callable[[str], bool] | None = None,
    force: bool = False,
    resume: bool = False,
    last: bool = False,
) -> Context:
    """Validate the version and build the context of a release (new or resumed).

    Without a version, ``resume`` takes the unfinished release; ``last`` (for
    ``release --status``) the most recent release, finished or not.
    """
    state_dir = repo.git_dir / "relman"
    if version is None:
        if not resume:
            raise UsageError("give the version to release", hint="relman release 1.2.0")
        unfinished: list[tuple[float, dict[str, Any]]] = []
        finished: list[tuple[float, dict[str, Any]]] = []
        for path in sorted(state_dir.glob("*.json")) if state_dir.is_dir() else []:
            data = ReleaseState(path).data
            if data.get("version"):
                found = finished if data.get("finished") else unfinished
                found.append((path.stat().st_mtime, data))
        if not unfinished and last:
            unfinished = finished
        if not unfinished:
            raise UsageError(
                "there is no unfinished release to resume", hint="start one: relman release VERSION"
            )
        data = max(unfinished, key=lambda item: item[0])[1]
        version, kind = str(data["version"]), kind or data.get("kind")
    from relman.versioning import parse_version

    parsed = parse_version(version)
    normalized = str(parsed)
    if parsed.local and (kind or detect_kind(normalized)) in RELEASE_KINDS:
        from relman.index import resolve_target

        if resolve_target(config, None).kind == "remote":
            raise VersionError(
                f"{normalized} is a local version (+{parsed.local}): "
                "package indexes refuse to store local versions",
                hint=f'release {parsed.public}, or publish to a local index (publish.target = "local")',
            )
    kind = kind or detect_kind(normalized)
    if kind not in KINDS:
        raise UsageError(
            f"unknown release kind {kind!r}", hint="choose one of: " + ", ".join(KINDS)
        )
    # a new branch or an end of life is not a release of that version: its own state file
    stem = normalized if kind in RELEASE_KINDS else f"{normalized}.{kind}"
    state = ReleaseState(state_dir / f"{stem}.json")
    ctx = Context(config, repo, normalized, kind, state, yes=yes, confirm=confirm, force=force)
    if (
        kind == "new-branch"
        and not state.exists
        and repo.rev_parse(f"refs/heads/{config.maintenance_branch_for(normalized)}") is None
    ):
        check_branch_version(ctx)
    if kind in RELEASE_KINDS and config.announce.smtp_host:
        # an announcement nobody receives would fail only after publishing
        from relman import announce

        to, bcc = announce.recipients(config, kind)
        if not to and not bcc:
            raise ConfigError(
                f"an SMTP server is configured but an announcement of a {kind} release has "
                "no recipients",
                hint="set [tool.relman.announce] to (or to-by-kind), or unset smtp-host",
            )
    if kind in RELEASE_KINDS and not state.exists:
        from relman.line import check_new_version

        check_new_version(config, repo, normalized, force=force)
    return ctx
