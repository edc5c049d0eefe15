"""Building a release: the sdist and wheels, their verification in clean
environments, and the checksums (and signatures) beside them.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from relman import _report
from relman._atomic import sha256_file
from relman._fault import fault_point
from relman.errors import CheckFailed, UsageError
from relman.release.context import (
    Context,
    Step,
)

__all__ = [
    "BuildStep",
    "ChecksumsStep",
    "VerifyStep",
]


class BuildStep(Step):
    name = "build"
    description = "sdist and wheels built from a clean export of the tag"

    def skip_reason(self, ctx: Context) -> str | None:
        if not ctx.packaged:
            return "not a Python package here (no pyproject.toml, setup.py or setup.cfg)"
        return None

    def is_done(self, ctx: Context) -> bool:
        recorded: dict[str, str] = ctx.state.get("artifacts") or {}
        if not recorded:
            return False
        if ctx.state.get("built_from") != ctx.release_commit:
            return False  # the tag was made again at another commit: build again
        for name, digest in recorded.items():
            path = ctx.dist_dir / name
            if not path.is_file():
                return False
            if sha256_file(path) != digest:
                raise UsageError(
                    f"{path} changed since it was built (sha256 differs from the release state)",
                    hint="the published release must be the built one; remove the file to rebuild it",
                )
        return True

    def plan(self, ctx: Context) -> list[str]:
        what = "the sdist" if ctx.source_only() else "the sdist and wheels"
        src = ctx.config.build.wheels_from
        if src == "github-actions" and not ctx.source_only():
            from relman.actions import workflow_id

            run = ctx.state.get("ci_run")
            return [
                f"build the sdist of {ctx.tag} into {ctx.dist_dir}",
                f"push the tag {ctx.tag} to {ctx.config.remote} so that CI can build it",
                f"follow run {run}"
                if run
                else f"find or start the run of {workflow_id(ctx.config)} for {ctx.tag}"
                f" on {ctx.config.ci.repo or ctx.config.github.repo}",
                "wait for it, fetch its wheels and check them against the expected matrix",
            ]
        if src and not ctx.source_only():
            return [f"build the sdist of {ctx.tag} into {ctx.dist_dir}", f"fetch wheels from {src}"]
        return [f"build {what} of {ctx.tag} into {ctx.dist_dir}"]

    def run(self, ctx: Context) -> None:
        from relman import artifacts

        if ctx.dist_dir.exists():
            for stale in ctx.dist_dir.iterdir():
                if stale.is_file():
                    stale.unlink()
        fetch = bool(ctx.config.build.wheels_from) and not ctx.source_only()
        files = artifacts.build_artifacts(
            ctx.config,
            ctx.repo,
            rev=ctx.tag,
            outdir=ctx.dist_dir,
            sdist=True,
            wheel=not ctx.source_only() and not fetch,
            version=ctx.version,
        )
        if fetch and ctx.config.build.wheels_from == "github-actions":
            from_ci = _wheels_from_actions(ctx)
            if any(p.name.endswith(".tar.gz") for p in from_ci):
                # CI uploads what it built (publish.via): the release is CI's sdist
                for local in files:
                    if local.name.endswith(".tar.gz") and local not in from_ci:
                        local.unlink()
                files = []
            files += from_ci
        elif fetch:
            from relman import index

            assert ctx.config.build.wheels_from
            fetched = index.fetch_files(
                ctx.config.build.wheels_from,
                ctx.config.name,
                ctx.version,
                dest=ctx.dist_dir,
                config=ctx.config,
            )
            files += [f.path for f in fetched.files if f.filename.endswith(".whl")]
        fault_point(f"{self.name}:mid")
        ctx.state.data["built_from"] = ctx.release_commit
        ctx.state.set("artifacts", {p.name: sha256_file(p) for p in files})


def _wheels_from_actions(ctx: Context) -> list[Path]:
    """Push the tag, find or start its CI run (its id kept in the state), wait, fetch the wheels.

    With ``publish.via = "github-actions"`` the run's sdist is taken too: it is
    the one the workflow will upload.

    A relman killed during the hour-long wait finds the run again from the
    state (or, without it, by the tag's commit) instead of starting another.
    """
    import shutil

    from relman import actions
    from relman.ci import project_matrix

    forge = actions.ci_forge(ctx.config, environ=ctx.environ)
    if forge is None:
        raise UsageError(
            "build.wheels-from = 'github-actions' needs GitHub: no repository or no token",
            hint=f"set [tool.relman.github] repo (or ci.repo) and ${ctx.config.github.token_env}",
        )
    commit = ctx.release_commit
    assert commit is not None
    if ctx.config.remote in ctx.repo.remotes():
        ctx.repo.push(ctx.config.remote, [f"refs/tags/{ctx.tag}:refs/tags/{ctx.tag}"])
    workflow = actions.workflow_id(ctx.config)
    with forge:
        run_id = ctx.state.get("ci_run")
        if run_id is None and not actions.separate_repo(ctx.config):
            found = actions.find_run(forge, workflow, head_sha=commit)
            run_id = found.id if found is not None else None
        if run_id is None:
            run_id = actions.start_run(
                forge,
                ctx.config,
                ref=ctx.tag,
                head_sha=commit,
                environment="none",
                poll=min(2.0, ctx.config.ci.poll),
            )
        ctx.state.set("ci_run", int(run_id))
        _report.info(f"CI run {run_id} of {workflow} for {ctx.tag}")
        fault_point("build:ci-wait")
        run = actions.wait_for_run(
            forge, int(run_id), poll=ctx.config.ci.poll, timeout=ctx.config.ci.timeout
        )
        if not run.ok:
            failed = [j.name for j in run.jobs if j.state == "failed"]
            raise CheckFailed(
                f"CI run {run.id} for {ctx.tag} {run.conclusion}"
                + (f": {', '.join(failed)} failed" if failed else ""),
                hint=f"`relman ci rerun-failed {run.id}`, then run the release again",
            )
        staging = ctx.repo.git_dir / "relman" / "ci-artifacts" / str(run.id)
        report = actions.fetch_artifacts(
            forge,
            run.id,
            dest=staging / "files",
            cache=staging,
            name=ctx.config.name,
            version=ctx.version,
            expected=project_matrix(ctx.config).identifiers,
            workers=ctx.config.ci.workers,
        )
    by_ci = ctx.config.publish.via == "github-actions"
    wheels: list[Path] = []
    for f in report.files:
        if f.filename.endswith(".whl") or (by_ci and f.filename.endswith(".tar.gz")):
            target = ctx.dist_dir / f.filename
            shutil.copyfile(staging / "files" / f.filename, target)
            wheels.append(target)
    return wheels


class VerifyStep(Step):
    name = "verify"
    description = "artifacts inspected and verified in clean environments"

    def skip_reason(self, ctx: Context) -> str | None:
        if not ctx.packaged:
            return "not a Python package here (no pyproject.toml, setup.py or setup.cfg)"
        return None

    def _key(self, ctx: Context) -> str:
        return hashlib.sha256(
            json.dumps(ctx.state.get("artifacts") or {}, sort_keys=True).encode()
        ).hexdigest()

    def is_done(self, ctx: Context) -> bool:
        step = ctx.state.step(self.name)
        return step.get("status") == "done" and step.get("artifacts_key") == self._key(ctx)

    def plan(self, ctx: Context) -> list[str]:
        if ctx.source_only():
            return [
                "inspect metadata and contents (the sdist alone: no wheel is expected)",
                "build and test the sdist in a fresh environment",
            ]
        return [
            "inspect metadata, contents and the expected wheel matrix",
            "build and test the sdist in a fresh environment; install and test each wheel",
        ]

    def run(self, ctx: Context) -> None:
        from relman import artifacts, index, verify

        files = ctx.artifacts()
        # the release is held to the rules of where it goes: the public index's
        # upload rules are errors there and warnings for a private or local index;
        # a security release ships the sdist alone: no wheel is expected of it
        inspected = artifacts.inspect_artifacts(
            ctx.config,
            files,
            version=ctx.version,
            allow_missing_wheels=True if ctx.source_only() else None,
            matrix=True,
            public=index.resolve_target(ctx.config, None).public,
        )
        if not inspected.ok:
            for problem in inspected.problems:
                _report.info(f"  {problem}")
            raise CheckFailed(
                "the artifacts have problems (above); nothing was published",
                hint="the tag is not pushed yet: fix the project, delete the local tag "
                f"(git tag -d {ctx.tag}), then run `relman release --resume`",
            )
        fault_point(f"{self.name}:mid")
        verified = verify.verify_artifacts(
            ctx.config, files, version=ctx.version, logdir=ctx.workdir / "logs"
        )
        if not verified.ok:
            raise CheckFailed(
                "verification in a clean environment failed; nothing was published",
                hint=f"see the logs in {ctx.workdir / 'logs'}",
            )
        ctx.state.step(self.name)["artifacts_key"] = self._key(ctx)
        ctx.state.save()


class ChecksumsStep(Step):
    name = "checksums"
    description = "SHA256SUMS, optional detached signatures and the release README"

    def skip_reason(self, ctx: Context) -> str | None:
        if not ctx.packaged:
            return "not a Python package here (no pyproject.toml, setup.py or setup.cfg)"
        return None

    def is_done(self, ctx: Context) -> bool:
        sums = ctx.dist_dir / "SHA256SUMS"
        if not sums.is_file():
            return False
        recorded: dict[str, str] = ctx.state.get("artifacts") or {}
        listed = {}
        for line in sums.read_text(encoding="utf-8").splitlines():
            digest, _, name = line.partition("  ")
            listed[name.strip().lstrip("*")] = digest
        return all(listed.get(n) == d for n, d in recorded.items()) and bool(
            ctx.state.step(self.name).get("status") == "done"
        )

    def plan(self, ctx: Context) -> list[str]:
        actions = [
            f"write {ctx.dist_dir / 'SHA256SUMS'} and README.rst/README.md with sizes and hashes"
        ]
        if ctx.config.build.sign != "none":
            actions.append(f"sign each file with {ctx.config.build.sign} (.asc/.sig beside it)")
        return actions

    def run(self, ctx: Context) -> None:
        from relman import artifacts

        files = ctx.artifacts()
        artifacts.write_checksums(ctx.dist_dir)
        fault_point(f"{self.name}:mid")
        artifacts.write_release_readme(ctx.dist_dir, ctx.version)
        if ctx.config.build.sign != "none":
            from relman import signing

            signing.sign_files(ctx.config, files)
