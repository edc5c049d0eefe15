"""Shipping a release: the manual gate, pushing commit and tag, uploading to the
index, the GitHub release, the docs archive and the announcement.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from packaging.version import Version

from relman._fault import fault_point
from relman.errors import CheckFailed, RelmanError, RemoteError, UsageError
from relman.release.context import (
    Context,
    Step,
    remote_ref,
)

__all__ = [
    "AnnounceStep",
    "DocsStep",
    "GateStep",
    "GitHubReleaseStep",
    "PublishStep",
    "PushStep",
]


class GateStep(Step):
    name = "gate"
    description = "manual confirmations (green lights) before anything is published"

    def skip_reason(self, ctx: Context) -> str | None:
        return None if ctx.config.release.gates else "no gates configured"

    def is_done(self, ctx: Context) -> bool:
        answers: dict[str, bool] = ctx.state.get("gates") or {}
        return all(answers.get(g) for g in ctx.config.release.gates)

    def plan(self, ctx: Context) -> list[str]:
        return [f"confirm: {g}" for g in ctx.config.release.gates]

    def run(self, ctx: Context) -> None:
        answers: dict[str, bool] = dict(ctx.state.get("gates") or {})
        for gate in ctx.config.release.gates:
            if answers.get(gate):
                continue
            if ctx.yes:
                ok = True
            elif ctx.confirm is None:
                raise CheckFailed(
                    f"gate not confirmed: {gate}",
                    hint="run on a terminal to answer it, or pass --yes",
                )
            else:
                ok = ctx.confirm(f"{gate}?")
            if not ok:
                raise CheckFailed(f"gate not confirmed: {gate}", hint="run again when it is")
            answers[gate] = True
            ctx.state.set("gates", answers)


class PushStep(Step):
    name = "push"
    description = "push the release commit and tag (after a git push --dry-run)"

    def skip_reason(self, ctx: Context) -> str | None:
        if not ctx.config.release.push:
            return "disabled: [tool.relman.release] push = false"
        remotes = ctx.repo.remotes()
        if not remotes:
            return "the repository has no remote (git remote add origin URL to push)"
        if ctx.config.remote not in remotes:
            return f"no remote named {ctx.config.remote!r} (remotes: {', '.join(remotes)})"
        return None

    def is_done(self, ctx: Context) -> bool:
        commit = ctx.release_commit
        if commit is None:
            return False
        remote_tag = remote_ref(ctx, f"refs/tags/{ctx.tag}")
        if remote_tag is None:
            return False
        local_tag_obj = ctx.repo.git("rev-parse", f"refs/tags/{ctx.tag}")
        if remote_tag != local_tag_obj:
            raise UsageError(
                f"the remote's tag {ctx.tag} is not the one made by this release",
                hint="someone pushed a different tag; resolve it by hand before going on",
            )
        remote_branch = remote_ref(ctx, f"refs/heads/{ctx.branch}")
        return (
            remote_branch is not None
            and ctx.repo.rev_parse(remote_branch) is not None
            and (ctx.repo.is_ancestor(commit, remote_branch))
        )

    def blockers(self, ctx: Context) -> list[str]:
        """The remote must answer (one bounded ``git ls-remote``): a release that
        cannot push stops here."""
        why = ctx.repo.remote_unreachable(ctx.config.remote)
        if why is None:
            return []
        return [f"the remote {ctx.config.remote!r} cannot be reached ({why})"]

    def plan(self, ctx: Context) -> list[str]:
        return [
            f"git push --dry-run {ctx.config.remote} {ctx.branch} {ctx.tag}",
            f"git push --atomic {ctx.config.remote} {ctx.branch} {ctx.tag}",
        ]

    def run(self, ctx: Context) -> None:
        commit = ctx.release_commit
        assert commit is not None
        refspecs = [f"{commit}:refs/heads/{ctx.branch}", f"refs/tags/{ctx.tag}:refs/tags/{ctx.tag}"]
        ctx.repo.push(ctx.config.remote, refspecs, dry_run=True)
        fault_point(f"{self.name}:mid")
        ctx.repo.push(ctx.config.remote, refspecs)


class PublishStep(Step):
    name = "publish"
    description = "upload to the package index: wheels first, sdist last, hashes verified"

    def skip_reason(self, ctx: Context) -> str | None:
        if not ctx.packaged:
            return "not a Python package here (no pyproject.toml, setup.py or setup.cfg)"
        return None

    def _target(self, ctx: Context) -> Any:
        from relman import index

        return index.resolve_target(ctx.config, None)

    def _expected(self, ctx: Context) -> dict[str, str]:
        """File name -> sha256 the index must hold.

        With ``publish.via = "github-actions"`` the workflow uploads what its
        own jobs built: the files fetched from the release's CI run.
        """
        recorded: dict[str, str] = dict(ctx.state.get("artifacts") or {})
        run = ctx.state.get("ci_run")
        if ctx.config.publish.via == "github-actions" and run is not None:
            from relman._atomic import sha256_file

            staged = ctx.repo.git_dir / "relman" / "ci-artifacts" / str(run) / "files"
            if staged.is_dir():
                return {p.name: sha256_file(p) for p in sorted(staged.iterdir()) if p.is_file()}
        return recorded

    def is_done(self, ctx: Context) -> bool:
        from relman import index

        expected = self._expected(ctx)
        if not expected:
            return False
        present = index.list_files(self._target(ctx), ctx.config.name)
        return all(present.get(name) == digest for name, digest in expected.items())

    def plan(self, ctx: Context) -> list[str]:
        target = ctx.config.publish.target
        n = len(ctx.state.get("artifacts") or {}) or "the"
        if ctx.config.publish.via == "github-actions":
            return [
                f"dispatch the CI workflow for {ctx.tag} with environment "
                f"{self._environment(ctx)} (trusted publishing) and follow its run",
                f"check that every file CI built is on {target} with its sha256",
            ]
        return [
            f"upload {n} file(s) to {target}: wheels in parallel, then the sdist; verify sha256"
        ]

    def _environment(self, ctx: Context) -> str:
        return "testpypi" if ctx.config.publish.target == "testpypi" else "pypi"

    def _publish_by_ci(self, ctx: Context) -> None:
        from relman import actions, index

        forge = actions.ci_forge(ctx.config, environ=ctx.environ)
        if forge is None:
            raise UsageError(
                "publish.via = 'github-actions' needs GitHub: no repository or no token",
                hint=f"set [tool.relman.github] repo (or ci.repo) and ${ctx.config.github.token_env}",
            )
        with forge:
            run_id = ctx.state.get("ci_publish_run")
            if run_id is None:
                run_id = actions.start_run(
                    forge,
                    ctx.config,
                    ref=ctx.tag,
                    head_sha=ctx.release_commit,
                    environment=self._environment(ctx),
                    poll=min(2.0, ctx.config.ci.poll),
                )
                ctx.state.set("ci_publish_run", int(run_id))
            run = actions.wait_for_run(
                forge, int(run_id), poll=ctx.config.ci.poll, timeout=ctx.config.ci.timeout
            )
        if not run.ok:
            raise CheckFailed(
                f"the CI upload (run {run.id}) {run.conclusion}",
                hint=f"`relman ci rerun-failed {run.id}`, then `relman release --resume`",
            )
        present = index.list_files(self._target(ctx), ctx.config.name)
        wrong = [
            f"{name} ({'missing' if name not in present else 'a different sha256'})"
            for name, digest in self._expected(ctx).items()
            if present.get(name) != digest
        ]
        if wrong:
            raise CheckFailed(
                f"after CI run {run.id} the index does not hold the release: " + ", ".join(wrong),
                hint="look at the run's publish job; `relman release --resume` checks again",
            )

    def run(self, ctx: Context) -> None:
        from relman import index

        if ctx.config.publish.via == "github-actions":
            self._publish_by_ci(ctx)
            return
        report = index.publish_files(ctx.config, ctx.artifacts(), self._target(ctx))
        if not report.ok:
            # the same error and exit code as `relman publish`
            raise index.failure_error(report, self._target(ctx).name)


class GitHubReleaseStep(Step):
    name = "github-release"
    description = "GitHub release with the notes and the files, pre-release for a/b/rc"

    def _forge(self, ctx: Context) -> Any:
        from relman.forge import forge_from_config

        return forge_from_config(ctx.config, environ=ctx.environ)

    def skip_reason(self, ctx: Context) -> str | None:
        if not ctx.config.github.repo:
            return "not configured: no GitHub repository ([tool.relman.github] repo)"
        if self._forge(ctx) is None:
            return f"not configured: no token in ${ctx.config.github.token_env}"
        return None

    def _assets(self, ctx: Context) -> list[Path]:
        extra = [ctx.dist_dir / n for n in ("SHA256SUMS", "README.md")]
        signatures = sorted(p for p in ctx.dist_dir.glob("*") if p.suffix in (".asc", ".sig"))
        return ctx.artifacts() + [p for p in extra if p.is_file()] + signatures

    def is_done(self, ctx: Context) -> bool:
        from relman.forge import find_release

        with self._forge(ctx) as forge:
            release = find_release(forge, ctx.tag)
        if release is None or release.get("draft"):
            return False
        have = {a.get("name") for a in release.get("assets", [])}
        return all(p.name in have for p in self._assets(ctx))

    def _title(self, ctx: Context) -> str:
        import datetime as _dt

        return ctx.config.github.release_title.format(
            tag=ctx.tag,
            version=ctx.version,
            name=ctx.config.name,
            date=_dt.datetime.now(_dt.timezone.utc).date().isoformat(),
        )

    def plan(self, ctx: Context) -> list[str]:
        pre = Version(ctx.version).is_prerelease
        return [
            f"create the release {ctx.tag} on {ctx.config.github.repo} as a draft, "
            f"titled {self._title(ctx)!r}" + (" (pre-release)" if pre else ""),
            f"upload {len(self._assets(ctx))} file(s) (artifacts, SHA256SUMS, README, signatures)",
            "check the uploaded names and sizes, then publish the release",
        ]

    def run(self, ctx: Context) -> None:
        from relman.errors import CheckFailed
        from relman.forge import (
            create_release,
            find_draft_release,
            find_release,
            publish_release,
            release_assets,
            upload_release_asset,
        )

        body = ctx.released_notes("markdown")
        assets = self._assets(ctx)
        with self._forge(ctx) as forge:
            # GitHub releases can be immutable once published: everything is
            # uploaded to a draft and checked before the release is published
            release = (
                find_release(forge, ctx.tag)
                or find_draft_release(forge, ctx.tag)
                or create_release(
                    forge,
                    ctx.tag,
                    name=self._title(ctx),
                    body=body,
                    prerelease=Version(ctx.version).is_prerelease,
                    draft=True,
                )
            )
            have = {a.get("name") for a in release.get("assets", [])}
            for n, path in enumerate(assets):
                if n == 1:
                    fault_point(f"{self.name}:mid")  # the draft exists, one file uploaded
                if path.name not in have:
                    upload_release_asset(forge, release, path)
            listed = {
                str(a.get("name")): int(a.get("size", -1)) for a in release_assets(forge, release)
            }
            wrong = [
                f"{p.name} ({'missing' if p.name not in listed else f'{listed[p.name]} bytes, not {p.stat().st_size}'})"
                for p in assets
                if listed.get(p.name) != p.stat().st_size
            ]
            if wrong:
                raise CheckFailed(
                    f"the draft release {ctx.tag} does not hold the release files: "
                    + ", ".join(wrong),
                    hint="delete the wrong assets from the draft on GitHub and run the release again",
                )
            if release.get("draft"):
                publish_release(forge, release)


class DocsStep(Step):
    name = "docs"
    description = "docs archive: versioned folder, `stable` link, version switcher"

    def skip_reason(self, ctx: Context) -> str | None:
        if not ctx.config.docs.archive_dir:
            return "not configured: [tool.relman.docs] archive-dir is not set"
        return None

    def is_done(self, ctx: Context) -> bool:
        from relman import docs

        return docs.docs_done(ctx.config, ctx.version)

    def plan(self, ctx: Context) -> list[str]:
        from relman import docs

        return docs.plan_docs(ctx.config, ctx.version).actions()

    def run(self, ctx: Context) -> None:
        from relman import docs

        docs.archive_docs(ctx.config, ctx.version)


class AnnounceStep(Step):
    name = "announce"
    description = "announcement rendered and sent by SMTP (or written to the outbox)"

    def _outbox(self, ctx: Context) -> Path:
        from relman import announce

        return (
            announce.outbox_dir(ctx.config, ctx.repo.git_dir)
            / f"{ctx.config.name}-{ctx.version}.eml"
        )

    def _wanted(self, ctx: Context) -> list[str]:
        from relman import announce

        to, bcc = announce.recipients(ctx.config, ctx.kind)
        return [*to, *bcc]

    def is_done(self, ctx: Context) -> bool:
        if ctx.config.announce.smtp_host:
            sent = set(ctx.state.step(self.name).get("sent_to") or [])
            wanted = self._wanted(ctx)
            return bool(wanted) and all(r in sent for r in wanted)
        return self._outbox(ctx).is_file()

    def plan(self, ctx: Context) -> list[str]:
        from relman import announce

        actions = ["render the announcement (notes, files and checksums, counts and links)"]
        if not ctx.config.announce.smtp_host:
            return [*actions, f"write {self._outbox(ctx)}"]
        to, bcc = announce.recipients(ctx.config, ctx.kind)
        sent = set(ctx.state.step(self.name).get("sent_to") or [])
        line = f"send to {', '.join(r for r in to if r not in sent) or '(nobody)'}"
        if bcc:
            line += f", Bcc {', '.join(r for r in bcc if r not in sent)}"
        return [*actions, f"{line} via {ctx.config.announce.smtp_host}"]

    def _context(self, ctx: Context) -> dict[str, Any]:
        """Counts and links for the template."""
        from relman import history, index

        out: dict[str, Any] = {"kind": ctx.kind}
        try:
            rev_range = history.default_range(ctx.config, ctx.repo, ctx.version)
            log = history.collect_changelog(ctx.config, ctx.repo, rev_range)
            out["contributors"] = len(log.authors)
            out["new_contributors"] = sum(1 for a in log.authors if a.new)
            out["pull_requests"] = len(log.pull_requests)
        except RelmanError:
            pass
        target = index.resolve_target(ctx.config, None)
        if target.kind != "local":
            out["index_url"] = f"{index.install_url(target)}{ctx.config.name}/"
        if ctx.config.docs.base_url and ctx.config.docs.archive_dir:
            from relman import docs

            folder = docs.plan_docs(ctx.config, ctx.version).target.name
            out["docs_url"] = f"{ctx.config.docs.base_url.rstrip('/')}/{folder}/"
        if ctx.config.changelog.path and ctx.config.github.repo and not ctx.config.github.api_url:
            path = ctx.config.changelog.path.format(version=ctx.version)
            out["changelog_url"] = (
                f"https://github.com/{ctx.config.github.repo}/blob/{ctx.tag}/{path}"
            )
        return out

    def run(self, ctx: Context) -> None:
        from relman import _report, announce

        notes_text = ctx.released_notes("text")
        commit = ctx.release_commit
        message = announce.render_announcement(
            ctx.config,
            ctx.version,
            notes=notes_text,
            files=ctx.state.get("artifacts") or {},
            tag=ctx.tag,
            commit=commit,
            context=self._context(ctx),
        )
        fault_point(f"{self.name}:mid")
        step = ctx.state.step(self.name)
        already = list(step.get("sent_to") or [])
        sent = announce.send_announcement(
            ctx.config,
            message,
            version=ctx.version,
            git_dir=ctx.repo.git_dir,
            kind=ctx.kind,
            skip=already,
        )
        if ctx.config.announce.smtp_host:
            step["sent_to"] = already + [r for r in sent.accepted if r not in already]
        else:
            step["outbox"] = sent.where
        ctx.state.save()
        for rcpt, reason in sent.refused.items():
            _report.warn(f"{sent.where} refused {rcpt}: {reason}")
        if sent.refused:
            raise RemoteError(
                f"the SMTP server refused {len(sent.refused)} recipient(s): "
                + ", ".join(f"{r} ({why})" for r, why in sent.refused.items())
                + (f"; sent to {', '.join(sent.accepted)}" if sent.accepted else ""),
                hint="fix the address in [tool.relman.announce], then `relman release --resume` "
                "sends to those not reached yet",
            )
