"""Preparing a release: preflight checks, release notes, changelog, version, tag.

The steps that turn the tree into the release commit and tag it; nothing
leaves the machine yet.
"""

from __future__ import annotations

from packaging.version import Version

from relman import _report
from relman._fault import fault_point
from relman.errors import CheckFailed, UsageError
from relman.release.context import (
    RELEASE_KINDS,
    Context,
    Step,
    version_files_text,
)

__all__ = [
    "ChangelogStep",
    "ChecksStep",
    "NotesStep",
    "TagStep",
    "VersionStep",
    "create_release_tag",
    "ensure_signing_ready",
    "tag_kind",
]


class ChecksStep(Step):
    name = "checks"
    description = "preflight checks (tree, branch, upstream, tag, versions, notes, ...)"
    # an end of life releases nothing: its steps check the branch themselves
    kinds = RELEASE_KINDS | {"new-branch"}

    def is_done(self, ctx: Context) -> bool:
        # results of checks cannot be looked up later; once the release commit
        # exists the checks of the starting point are history
        return ctx.state.step(self.name).get("status") == "done"

    def plan(self, ctx: Context) -> list[str]:
        return ["run `relman check` for this version and kind; stop on any error"]

    def blockers(self, ctx: Context) -> list[str]:
        from relman.checks import run_checks

        report = run_checks(ctx.config, version=ctx.version, kind=ctx.kind, repo=ctx.repo)
        stops = [f"[{f.check}] {f.message}" for f in report.errors]
        if ctx.kind in RELEASE_KINDS:
            try:
                ensure_signing_ready(ctx)
            except UsageError as exc:
                stops.append(exc.message)
        return stops

    def run(self, ctx: Context) -> None:
        from relman.checks import run_checks

        report = run_checks(ctx.config, version=ctx.version, kind=ctx.kind, repo=ctx.repo)
        for finding in report.findings:
            where = finding.location()
            _report.info(
                f"  {finding.severity}: [{finding.check}] "
                + (f"{where}: " if where else "")
                + finding.message
                + (f" (hint: {finding.hint})" if finding.hint else "")
            )
        for skipped in report.skipped:
            _report.info(f"  skipped: [{skipped.id}] {skipped.reason}")
        if not report.ok:
            raise CheckFailed(
                f"{len(report.errors)} preflight check(s) failed; nothing was changed",
                hint="fix the problems above (or configure [tool.relman.checks]) and run again",
            )
        if ctx.kind in RELEASE_KINDS:  # the only kinds that make a signed tag
            ensure_signing_ready(ctx)


def ensure_signing_ready(ctx: Context) -> None:
    """A missing signing key must stop the release before anything changes."""
    mode = signing_mode(ctx)
    if mode == "none":
        return
    key = ctx.repo.config_get("user.signingkey")
    fmt = "ssh" if mode == "ssh" else "openpgp"
    if fmt == "ssh":
        if not key:
            raise UsageError(
                "tags are signed with ssh but git has no user.signingkey",
                hint="git config user.signingkey ~/.ssh/id_ed25519.pub, or set "
                "[tool.relman.release] sign = 'none' for unsigned tags",
            )
        return
    from relman import _proc

    args = ["gpg", "--batch", "--list-secret-keys", "--with-colons"]
    if key:
        args.append(key)
    out = _proc.run(args, cwd=ctx.repo.root, check=False)
    if out.returncode != 0 or "sec:" not in out.stdout:
        raise UsageError(
            "no gpg secret key is available to sign the release tag"
            + (f" (user.signingkey = {key})" if key else ""),
            hint="create or import a key (gpg --quick-gen-key), set git's user.signingkey, or set "
            "[tool.relman.release] sign = 'none' for unsigned tags",
        )


class NotesStep(Step):
    name = "notes"
    description = "release notes built from news fragments and committed"

    def skip_reason(self, ctx: Context) -> str | None:
        if ctx.config.notes.system == "none":
            return "not configured: no news fragment system found"
        return None

    def _message(self, ctx: Context, version: str | None = None) -> str:
        return ctx.config.notes.commit_message.format(
            version=version or ctx.version, name=ctx.config.name
        )

    def _keeps(self, ctx: Context) -> bool:
        """A pre-release writes the cycle's notes file and keeps the fragments for the final."""
        return ctx.notes_version != ctx.version

    def _base(self, ctx: Context, rel: str) -> tuple[bool, str | None]:
        """The notes file as it was before the cycle's first pre-release wrote to it.

        ``(False, None)`` when no earlier pre-release of the cycle exists (the
        file on disk is the start); else ``(True, text)``, ``text`` None when
        the file did not exist then. Found from git: the first pre-release's
        notes commit, the parent of which holds the file as it was.
        """
        from relman.line import release_tags

        if not ctx.notes_accumulate:
            return False, None
        cycle, mine = ctx.notes_version, Version(ctx.version)
        earlier = [
            t
            for t in release_tags(ctx.config, ctx.repo)
            if t.version.pre is not None and t.version.base_version == cycle and t.version < mine
        ]
        if not earlier:
            return False, None
        first = earlier[0]
        commits = list(ctx.repo.log(first.name, paths=[rel]))
        subject = self._message(ctx, str(first.version)).splitlines()[0]
        chosen = next((c for c in commits if c.subject == subject), None)
        if chosen is None:
            return False, None
        parent = chosen.parents[0] if chosen.parents else None
        return True, ctx.repo.show_file(parent, rel) if parent else None

    def is_done(self, ctx: Context) -> bool:
        from relman import notes

        if ctx.release_commit:
            return True
        home = notes.notes_home(ctx.config, ctx.notes_version)
        if home is None:
            return False
        target = home[0]
        rel = ctx.relpath(target)
        text = ctx.repo.show_file("HEAD", rel)
        if text is None and not (
            # a news file git ignores (NumPy's notes-towncrier.rst) is never committed
            target.exists() and ctx.repo.is_ignored(rel)
        ):
            return False
        pending = notes.pending_fragments(ctx.config)
        if self._keeps(ctx):
            # done when the notes file's last commit is this release's and every
            # pending fragment is the one it was written from
            last = next(iter(ctx.repo.log("HEAD", paths=[rel], extra=["-n1"])), None)
            if last is None or last.subject != self._message(ctx).splitlines()[0]:
                return False
            rels = [ctx.relpath(p) for p in pending]
            if not rels:
                return True
            at_last = ctx.repo.git("ls-tree", "-r", "--name-only", last.sha, "--", *rels)
            return set(at_last.splitlines()) == set(rels) and ctx.repo.git_ok(
                "diff", "--quiet", last.sha, "--", *rels
            )
        if pending:
            return False
        if text is not None and ctx.notes_accumulate:
            from relman.notes.towncrier import load_settings

            marker = load_settings(ctx.config.project_dir, ctx.config.pyproject).start_string
            _, found, rest = text.partition(marker)
            if found and not rest.strip():
                raise CheckFailed(
                    f"{rel} holds only its template and no news fragment is pending: "
                    f"{ctx.version} would ship notes without an entry",
                    hint="add news fragments (`relman notes new`), or write the notes below "
                    f"{marker.strip()!r} and commit them",
                )
        # done only when this release's notes are committed where the project
        # keeps them (NumPy: in X.Y.Z-notes.rst, in place of its include)
        return notes.notes_done(ctx.config, ctx.repo, ctx.notes_version)

    def plan(self, ctx: Context) -> list[str]:
        from relman import notes

        home = notes.notes_home(ctx.config, ctx.notes_version)
        target = home[0] if home else None
        where = ctx.relpath(target) if target else "the notes"
        if home and home[1]:
            where += f" (in place of its include of {home[1]})"
        pending = notes.pending_fragments(ctx.config)
        found = target is not None and self._base(ctx, ctx.relpath(target))[0]
        if self._keeps(ctx):
            actions = [
                f"write {where}, the notes of {ctx.notes_version}, from the cycle's "
                f"{len(pending)} fragment(s)",
                f"keep the fragments: the notes of {ctx.notes_version} carry the whole cycle",
            ]
        else:
            actions = [
                f"write {where} from {len(pending)} fragment(s)"
                + (" (every fragment since the cycle's first pre-release)" if found else ""),
                f"git rm the {len(pending)} fragment(s)",
            ]
        return [*actions, f"commit '{self._message(ctx)}'"]

    def run(self, ctx: Context) -> None:
        from relman import _atomic, notes

        home = notes.notes_home(ctx.config, ctx.notes_version)
        target = home[0] if home else None
        paths = [ctx.relpath(p) for p in notes.pending_fragments(ctx.config)]
        found, base = False, None
        if target is not None:
            paths.append(ctx.relpath(target))
            found, base = self._base(ctx, ctx.relpath(target))
        if ctx.config.notes.release_index:
            paths.append(ctx.config.notes.release_index)
        with ctx.editing(self.name, paths):
            if found and target is not None:
                # start again from the file as it was before the cycle: every
                # fragment of the cycle is still pending, each goes in once
                if base is None:
                    target.unlink(missing_ok=True)
                else:
                    _atomic.write_text(target, base)
            if self._keeps(ctx):
                plan = notes.plan_notes(ctx.config, ctx.notes_version)
                _atomic.write_many(plan.files)
                ctx.repo.add_paths([ctx.relpath(p) for p in plan.files])
            else:
                notes.build_notes(ctx.config, ctx.notes_version, commit=False)
            ctx.before_commit(self.name)
            ctx.repo.create_commit(self._message(ctx))


class ChangelogStep(Step):
    name = "changelog"
    description = "changelog with contributors and merged pull requests, committed"

    def skip_reason(self, ctx: Context) -> str | None:
        if not ctx.config.changelog.path:
            return "not configured: [tool.relman.changelog] path is not set"
        return None

    def _path(self, ctx: Context) -> str:
        assert ctx.config.changelog.path
        return ctx.config.changelog.path.format(version=ctx.version)

    def is_done(self, ctx: Context) -> bool:
        if ctx.release_commit:
            return True
        return ctx.repo.show_file("HEAD", self._path(ctx)) is not None

    def plan(self, ctx: Context) -> list[str]:
        from relman import history

        return [
            f"write {self._path(ctx)} for {history.default_range(ctx.config, ctx.repo, ctx.version)}",
            f"commit 'REL: changelog for {ctx.version}'",
        ]

    def run(self, ctx: Context) -> None:
        from relman import history

        path = self._path(ctx)
        with ctx.editing(self.name, [path]):
            written = history.write_changelog(ctx.config, ctx.repo, ctx.version)
            if written is None:
                raise CheckFailed("the changelog was not written")
            ctx.before_commit(self.name)
            ctx.repo.create_commit(f"REL: changelog for {ctx.version}", paths=[path])


class VersionStep(Step):
    name = "version"
    description = "version set to the release version in every file, committed"

    def skip_reason(self, ctx: Context) -> str | None:
        from relman import versionfiles

        backend = versionfiles.dynamic_backend(ctx.config.pyproject, ctx.config.project_dir)
        if backend and not ctx.config.version.files:
            return f"dynamic version ({backend}): the tag is the version"
        if not ctx.config.version.files:
            return "not configured: no version source found"
        return None

    def is_done(self, ctx: Context) -> bool:
        if ctx.release_commit:
            return True
        from relman import versionfiles

        values = version_files_text(ctx, "HEAD")
        if not values or any(v != ctx.version for v in values.values()):
            return False
        # files that change with the version (CPython's README title) must follow too
        stale = versionfiles.companion_changes(
            ctx.config, ctx.version, lambda path: ctx.repo.show_file("HEAD", path)
        )
        return not stale

    def plan(self, ctx: Context) -> list[str]:
        from relman import versionfiles

        changes = versionfiles.plan_version_change(ctx.config, ctx.version)
        files = ", ".join(ctx.relpath(p) for p in changes) or "no file"
        message = ctx.config.version.commit_message.format(version=ctx.version)
        return [f"set version {ctx.version} in {files}", f"commit '{message}'"]

    def run(self, ctx: Context) -> None:
        from relman import versionfiles

        changes = versionfiles.plan_version_change(ctx.config, ctx.version)
        paths = [ctx.relpath(p) for p in changes]
        message = ctx.config.version.commit_message.format(version=ctx.version)
        with ctx.editing(self.name, paths):
            versionfiles.set_version(ctx.config, ctx.version)
            ctx.before_commit(self.name)
            ctx.repo.create_commit(message, paths=paths, allow_empty=not paths)


class TagStep(Step):
    name = "tag"
    description = "annotated tag (signed as git or sign says) with the version in its message"

    def is_done(self, ctx: Context) -> bool:
        commit = ctx.release_commit
        if commit is None:
            return False
        recorded = ctx.state.get("release_commit")
        if recorded and recorded != commit:
            raise UsageError(
                f"tag {ctx.tag} points at {commit[:12]}, but this release tagged {recorded[:12]}",
                hint=f"someone moved the tag; check `git show {ctx.tag}` before going on",
            )
        return True

    def plan(self, ctx: Context) -> list[str]:
        return [f"create {tag_kind(ctx)} annotated tag {ctx.tag} at HEAD"]

    def blockers(self, ctx: Context) -> list[str]:
        try:
            ensure_signing_ready(ctx)
        except UsageError as exc:
            return [exc.message]
        return []

    def run(self, ctx: Context) -> None:
        if ctx.repo.is_dirty(untracked=False):
            raise CheckFailed(
                "the working tree has uncommitted changes; the tag would not match the files",
                hint="commit or stash them, then run `relman release --resume`",
            )
        message = ctx.config.release.tag_message.format(name=ctx.config.name, version=ctx.version)
        create_release_tag(ctx, ctx.tag, message, "HEAD")
        fault_point(f"{self.name}:mid")
        ctx.state.set("release_commit", ctx.repo.head())


def signing_mode(ctx: Context) -> str:
    """How this release's tags are signed: gpg, ssh or none (``sign = "auto"`` follows git)."""
    from relman.signing import tag_signing

    return tag_signing(ctx.config.release.sign, ctx.repo.config_get)


def tag_kind(ctx: Context) -> str:
    """How release tags are made: "unsigned" or "signed (gpg)"."""
    mode = signing_mode(ctx)
    if mode == "none":
        if ctx.config.release.sign == "auto":
            return "unsigned (git has no signing key: no tag.gpgSign, no user.signingkey)"
        return "unsigned"
    return f"signed ({mode})"


def create_release_tag(ctx: Context, tag: str, message: str, rev: str) -> None:
    """An annotated tag signed as ``[tool.relman.release] sign`` says, naming the version."""
    if ctx.version not in message:
        message = f"{message}\n\nVersion {ctx.version}"
    mode = signing_mode(ctx)
    sign = mode != "none"
    if not sign and ctx.config.release.sign == "auto":
        _report.warn(
            f"{tag} is an unsigned annotated tag: git has no signing key "
            "(set user.signingkey, or [tool.relman.release] sign = 'gpg' or 'ssh')"
        )
    extra: dict[str, str] = {}
    if sign:
        fmt = "openpgp" if mode == "gpg" else "ssh"
        extra = {
            "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_KEY_0": "gpg.format",
            "GIT_CONFIG_VALUE_0": fmt,
        }
    args = ["tag", "-s" if sign else "--no-sign", *([] if sign else ["-a"]), "-F", "-", tag, rev]
    ctx.repo.git(*args, input=message, env=extra or None, what=f"git tag {tag}")
