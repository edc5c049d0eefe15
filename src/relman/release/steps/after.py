"""After a release: the next development version, the forward-port of notes and
changelog to the main branch, and the install check from the index.
"""

from __future__ import annotations

from pathlib import Path

from packaging.version import Version

from relman import _redact
from relman._fault import fault_point
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
    "ForwardPortStep",
    "InstallCheckStep",
    "PostReleaseStep",
]


class PostReleaseStep(Step):
    name = "post-release"
    description = (
        "next development version and notes file, committed (and pushed when the release is)"
    )
    kinds = frozenset({"alpha", "beta", "rc", "final", "bug-fix", "security"})

    def _dev_version(self, ctx: Context) -> str:
        dev = self._learned(ctx)
        if dev is None:  # pragma: no cover - skip_reason says so first
            raise UsageError(f"the project makes no post-release commit after {ctx.version}")
        return dev

    def _learned(self, ctx: Context) -> str | None:
        """The release line's development version after this release (None: none)."""
        from relman.line import dev_version_after, release_line, version_at

        start = ctx.state.get("start_commit")
        before = version_at(ctx.config, ctx.repo, start) if start else None
        line = release_line(ctx.config, ctx.repo)
        return dev_version_after(
            ctx.config,
            ctx.repo,
            ctx.version,
            on_main=ctx.on_main,
            tree_before=before,
            scheme=line.scheme,
        )

    def skip_reason(self, ctx: Context) -> str | None:
        if VersionStep().skip_reason(ctx):
            return "dynamic version: nothing to reset"
        if self._learned(ctx) is None:
            return (
                f"the project makes no post-release commit after a release like {ctx.version} "
                "(its history, or [tool.relman.release] dev-after-pre)"
            )
        return None

    def _committed(self, ctx: Context) -> str | None:
        """The post-release commit on the branch, when it is there already."""
        commit = ctx.release_commit
        if commit is None:
            return None
        head = ctx.repo.rev_parse(f"refs/heads/{ctx.branch}")
        if head is None or head == commit or not ctx.repo.is_ancestor(commit, head):
            return None
        values = version_files_text(ctx, head)
        ok = bool(values) and all(v == self._dev_version(ctx) for v in values.values())
        return head if ok else None

    def is_done(self, ctx: Context) -> bool:
        head = self._committed(ctx)
        if head is None:
            return False
        if PushStep().skip_reason(ctx):
            return True
        remote = remote_ref(ctx, f"refs/heads/{ctx.branch}")
        return (
            remote is not None
            and ctx.repo.rev_parse(remote) is not None
            and ctx.repo.is_ancestor(head, remote)
        )

    def _message(self, ctx: Context) -> str:
        # the series the branch now works towards: 1.1.x on its maintenance branch after
        # 1.1.0, 1.2.x on main when main moves on to 1.2.0.dev0
        dev = self._dev_version(ctx)
        major, minor = (*Version(dev).release, 0)[:2]
        return ctx.config.release.post_release_message.format(
            major=major, minor=minor, version=ctx.version, dev_version=dev
        )

    def plan(self, ctx: Context) -> list[str]:
        actions = [f"set version {self._dev_version(ctx)}"]
        starts = self._starts_notes(ctx)
        if starts:
            first, *index = starts
            entry = f" and its entry in {', '.join(index)}" if index else ""
            actions.append(f"start {first}{entry}")
        actions.append(f"commit '{self._message(ctx)}'")
        not_pushed = PushStep().skip_reason(ctx)
        if not_pushed:
            actions.append(f"not pushed: {not_pushed}")
        else:
            actions.append(f"push {ctx.branch} to {ctx.config.remote}")
        return actions

    def _starts_notes(self, ctx: Context) -> list[str]:
        """The files the commit starts: the next notes file, the release index it joins.

        None when the project starts none, or the notes file is there already
        (a pre-release wrote it: the cycle's notes go on in it).
        """
        if not (ctx.config.notes.template or ctx.config.notes.release_index):
            return []
        from relman import notes

        next_release = str(Version(self._dev_version(ctx)).base_version)
        planned = [ctx.relpath(p) for p in notes.plan_start_notes(ctx.config, next_release)]
        if not planned or ctx.repo.show_file(ctx.release_commit or "HEAD", planned[0]):
            return []
        return planned

    def run(self, ctx: Context) -> None:
        if self._committed(ctx) is None:
            self._commit(ctx)
        fault_point(f"{self.name}:pushing")
        not_pushed = PushStep().skip_reason(ctx)
        if not_pushed:
            from relman import _report

            _report.info(f"  committed on {ctx.branch}, not pushed ({not_pushed})")
        else:
            ctx.repo.push(ctx.config.remote, [f"refs/heads/{ctx.branch}:refs/heads/{ctx.branch}"])

    def _commit(self, ctx: Context) -> None:
        from relman import versionfiles

        dev = self._dev_version(ctx)
        if ctx.repo.current_branch() != ctx.branch:
            raise UsageError(
                f"the post-release commit goes on {ctx.branch}, but {ctx.repo.current_branch()} is checked out",
                hint=f"git checkout {ctx.branch}, then `relman release --resume`",
            )
        changes = versionfiles.plan_version_change(ctx.config, dev)
        paths = [ctx.relpath(p) for p in changes]
        next_release = str(Version(dev).base_version)
        notes_paths = self._starts_notes(ctx)
        with ctx.editing(self.name, paths + notes_paths):
            versionfiles.set_version(ctx.config, dev)
            if notes_paths:
                from relman import notes

                written = notes.start_notes(ctx.config, next_release)
                paths += [ctx.relpath(p) for p in written]
            ctx.before_commit(self.name)
            ctx.repo.create_commit(self._message(ctx), paths=sorted(set(paths)))


class ForwardPortStep(Step):
    name = "forward-port"
    description = (
        "branch for main with this release's notes, changelog and .mailmap merged in, "
        "the other files its own commits changed picked, and the fragments it consumed removed"
    )
    kinds = frozenset({"alpha", "beta", "rc", "final", "bug-fix", "security"})

    def _branch(self, ctx: Context) -> str:
        return ctx.config.release.forward_port_branch.format(version=ctx.version)

    def _paths(self, ctx: Context) -> list[str]:
        core = self._core_paths(ctx)
        if ctx.release_commit is None:
            return core
        commit = ctx.release_commit
        extra = [p for p in self._released_files(ctx) if p not in core]
        return core + [p for p in extra if ctx.repo.show_file(commit, p) is not None]

    def _core_paths(self, ctx: Context) -> list[str]:
        """The release's notes, release index, changelog and .mailmap."""
        commit = ctx.release_commit or "HEAD"
        paths = []
        if ctx.config.notes.system != "none":
            from relman import notes

            home = notes.notes_home(ctx.config, ctx.notes_version)
            if home is not None:
                paths.append(ctx.relpath(home[0]))
            if ctx.config.notes.release_index:
                paths.append(ctx.config.notes.release_index)
        if ctx.config.changelog.path:
            paths.append(ctx.config.changelog.path.format(version=ctx.version))
        paths.append(".mailmap")
        if ctx.release_commit is None:
            # planned before the release: the notes and changelog steps will write theirs
            made = paths[: len(paths) - 1]
            return made + [p for p in paths[-1:] if ctx.repo.show_file(commit, p) is not None]
        return [p for p in paths if ctx.repo.show_file(commit, p) is not None]

    def _released_files(self, ctx: Context) -> list[str]:
        """Files the release's own commits changed (pytest's announcement and regenerated
        docs), but not the version files: main has its own version.

        The release's commits run from the commit it started at to the tag; without a
        record of the start, the tag's commit alone (pytest's "Prepare release version"
        commit, astropy's merge of the changelog pull request).
        """
        from relman import versionfiles

        commit = ctx.release_commit
        assert commit is not None
        start = self._start(ctx)
        if start is None:
            return []
        own = {source.path for source in versionfiles.sources_of(ctx.config)}
        dirs = self._fragment_dirs(ctx)
        changed = ctx.repo.git(
            "diff", "--name-only", "--no-renames", "-z", start, commit, strip=False
        )
        return [
            p
            for p in changed.split("\0")
            if p and p not in own and not any(p.startswith(d) for d in dirs)
        ]

    def _start(self, ctx: Context) -> str | None:
        """The commit the release's own commits start from (what a cherry-pick takes).

        The commit the release started at, when relman recorded it; otherwise the
        parent of the commit that consumed the fragments (pytest's "Prepare release
        version", astropy's merge of the changelog pull request), else the tag's
        parent.
        """
        commit = ctx.release_commit
        assert commit is not None
        start = ctx.state.get("start_commit")
        if start and start != commit and ctx.repo.is_ancestor(start, commit):
            return str(start)
        dirs = self._fragment_dirs(ctx)
        built = ""
        if dirs:
            built = ctx.repo.git(
                "log",
                "--first-parent",
                "--diff-filter=D",
                "-n1",
                "--format=%H",
                commit,
                "--",
                *dirs,
            )
        return ctx.repo.rev_parse(f"{built or commit}^1")

    def _built_away(self, ctx: Context, base: str, commit: str, dirs: list[str]) -> set[str]:
        """Fragments that notes builds on the branch deleted (commits that also wrote the
        notes file): a release of the line consumed them, a revert did not."""
        home = self._core_paths(ctx)[:1]
        if not home or ctx.config.notes.system == "none":
            return set()
        out: set[str] = set()
        builds = ctx.repo.git(
            "log", "--first-parent", "--format=%H", f"{base}..{commit}", "--", *home
        )
        for sha in builds.split():
            raw = ctx.repo.git(
                "diff",
                "--name-only",
                "--no-renames",
                "--diff-filter=D",
                "-z",
                f"{sha}^1",
                sha,
                "--",
                *dirs,
                strip=False,
            )
            out |= set(raw.split("\0")) - {""}
        return out

    def _fragment_dirs(self, ctx: Context) -> list[str]:
        if ctx.config.notes.system == "none":
            return []
        from relman import notes

        return [ctx.relpath(d).rstrip("/") + "/" for d in notes.fragment_dirs(ctx.config)]

    def skip_reason(self, ctx: Context) -> str | None:
        if ctx.on_main:
            return "released from the main branch: nothing to forward-port"
        if ctx.repo.rev_parse(f"refs/heads/{ctx.config.main_branch}") is None:
            return f"no local {ctx.config.main_branch} branch"
        return None

    def is_done(self, ctx: Context) -> bool:
        return ctx.repo.rev_parse(f"refs/heads/{self._branch(ctx)}") is not None

    def plan(self, ctx: Context) -> list[str]:
        return [
            f"create branch {self._branch(ctx)} from {ctx.config.main_branch} with "
            + (", ".join(self._paths(ctx)) or "the release files"),
            "(the working tree is not touched; push it and open a pull request)",
        ]

    def _changes(self, ctx: Context) -> tuple[dict[str, tuple[str, str]], list[str]]:
        """What the branch changes on main: path -> (mode, blob), and paths to remove.

        A file main lacks, or has unchanged since the maintenance branch left
        it, is taken from the release; one both sides changed is merged (lines
        of ``.mailmap`` from both; the release's section inserted into a single
        news file); a conflict in those stops the step and names the file.
        Other files the release's own commits changed (pytest's announcement,
        astropy's what's new) follow a cherry-pick of them: one that does not
        merge keeps main's text, with a warning. Fragments the release consumed
        are removed from main.
        """
        from relman import _report

        commit = ctx.release_commit
        assert commit is not None
        main = ctx.config.main_branch
        base = ctx.repo.merge_base(main, commit)
        pick = self._start(ctx)
        start = ""
        if ctx.config.notes.system == "towncrier":
            from relman.notes.towncrier import load_settings

            start = load_settings(ctx.config.project_dir, ctx.config.pyproject).start_string
        put: dict[str, tuple[str, str]] = {}
        conflicts: list[str] = []
        core = set(self._core_paths(ctx))
        for line in ctx.repo.git("ls-tree", "-r", commit, "--", *self._paths(ctx)).splitlines():
            meta, _, path = line.partition("\t")
            mode, _, sha = meta.split()
            ours = ctx.repo.show_file(main, path)
            theirs = ctx.repo.show_file(commit, path) or ""
            old = ctx.repo.show_file(base, path) if base else None
            if ours is None or ours == old:
                put[path] = (mode, sha)
                continue
            if ours == theirs:
                continue
            # the release's own change, as a cherry-pick takes it: from the commit the
            # release started at (the branch point may be far older than main's copy);
            # .mailmap takes every line the branch added since it left main
            mailmap = path.endswith(".mailmap")
            picked = ctx.repo.show_file(pick, path) if pick and not mailmap else None
            merged, clean = ctx.repo.merge_texts(
                ours,
                (picked if picked is not None else old) or "",
                theirs,
                union=mailmap,
            )
            if not clean and start:
                from relman.notes.forwardport import insert_section

                inserted = insert_section(ours, old, theirs, start_string=start)
                merged, clean = (inserted, True) if inserted is not None else (merged, False)
            if not clean and path not in core:
                _report.warn(
                    f"forward-port: {path} changed on both branches and does not merge; "
                    f"{main}'s is kept"
                )
                continue
            if not clean:
                conflicts.append(path)
                continue
            if merged != ours:
                put[path] = (mode, ctx.repo.write_blob(merged))
        if conflicts:
            raise CheckFailed(
                f"forward-port to {main}: {', '.join(conflicts)} changed on both branches "
                "and do not merge; nothing was written",
                hint=f"merge {ctx.tag} into {main} by hand, or edit {main} first and resume",
            )
        remove: list[str] = []
        dirs = self._fragment_dirs(ctx)
        if base and dirs:
            # the fragments the release consumed: those its own commits deleted (a
            # backport's fragment added after the branch left main included), and
            # those gone from the branch since it left main; not one a revert on the
            # branch took away before the release began
            main_files = set(ctx.repo.tree_files(main))
            earlier = self._built_away(ctx, base, commit, dirs) & set(
                ctx.repo.deleted_files(base, commit)
            )
            own: set[str] = set()
            if pick:
                raw = ctx.repo.git(
                    "log",
                    "--diff-filter=D",
                    "--no-renames",
                    "--name-only",
                    "-z",
                    "--format=",
                    f"{pick}..{commit}",
                    "--",
                    *dirs,
                    strip=False,
                )
                own = {p.strip("\n") for p in raw.split("\0")} - {""}
            for path in sorted(earlier | own):
                inside = any(path.startswith(d) for d in dirs)
                if not inside or path not in main_files or ctx.repo.show_file(commit, path):
                    continue
                # one an earlier release consumed must be that fragment, not a later
                # one of main's under the same name
                if path in own or ctx.repo.show_file(main, path) == ctx.repo.show_file(base, path):
                    remove.append(path)
        return put, remove

    def run(self, ctx: Context) -> None:
        commit = ctx.release_commit
        assert commit is not None
        put, remove = self._changes(ctx)
        index_file = ctx.workdir / "forward-port.index"
        index_file.parent.mkdir(parents=True, exist_ok=True)
        env = {"GIT_INDEX_FILE": str(index_file)}
        main = ctx.config.main_branch
        ctx.repo.git("read-tree", main, env=env)
        for path, (mode, sha) in put.items():
            ctx.repo.git("update-index", "--add", "--cacheinfo", f"{mode},{sha},{path}", env=env)
        for path in remove:
            ctx.repo.git("update-index", "--force-remove", "--", path, env=env)
        fault_point(f"{self.name}:mid")
        tree = ctx.repo.git("write-tree", env=env)
        message = f"REL: forward-port the {ctx.version} release notes and changelog"
        if remove:
            message += f"\n\nRemove the {len(remove)} news fragment(s) {ctx.version} consumed."
        new = ctx.repo.git("commit-tree", tree, "-p", main, "-F", "-", input=message)
        ctx.repo.git("branch", self._branch(ctx), new)
        index_file.unlink(missing_ok=True)


class InstallCheckStep(Step):
    name = "install-check"
    description = (
        "install the release from the index into a fresh environment and check its version"
    )

    def skip_reason(self, ctx: Context) -> str | None:
        if not ctx.packaged:
            return "not a Python package here (no pyproject.toml, setup.py or setup.cfg)"
        return None

    def is_done(self, ctx: Context) -> bool:
        return ctx.state.step(self.name).get("status") == "done"

    def plan(self, ctx: Context) -> list[str]:
        return [
            f"download {ctx.config.name} {ctx.version} from {ctx.config.publish.target} "
            "(sha256 checked)",
            "install it in a new venv, its dependencies and build backend from the index "
            "the user's pip is configured with (PIP_INDEX_URL, pip.conf; else the default)"
            + (f" and {ctx.config.build.extra_index}" if ctx.config.build.extra_index else ""),
            f"check that {ctx.config.name} reports version {ctx.version}",
        ]

    def run(self, ctx: Context) -> None:
        import shutil

        from relman import index, venv

        target = index.resolve_target(ctx.config, None)
        where = ctx.workdir / "install-check"
        if where.exists():  # left by an interrupted run
            shutil.rmtree(where)
        # the release from the target alone; everything else from where a user's
        # installer finds it (a target index rarely holds the build backend)
        fetched = index.fetch_files(
            index.install_url(target),
            ctx.config.name,
            ctx.version,
            dest=where / "files",
            config=ctx.config,
        )
        chosen = _installable([f.path for f in fetched.files])
        env = venv.create_env(where / "env", extra_index=ctx.config.build.extra_index)
        fault_point(f"{self.name}:mid")
        # the dependencies from where the user's pip finds them (its configured index)
        user_index, extras = venv.user_indexes()
        extra_index = ctx.config.build.extra_index
        done = env.install(
            str(chosen),
            index_url=user_index,
            extra_index_urls=(*extras, *([extra_index] if extra_index else [])),
            check=False,
        )
        if done.returncode != 0:
            where_from = _redact.url(user_index) if user_index else "the default index"
            raise CheckFailed(
                f"installing {chosen.name} (downloaded from {target.name}) failed, its "
                f"dependencies taken from {where_from}"
                + (f" and {', '.join(_redact.url(u) for u in extras)}" if extras else "")
                + f":\n{_resolver_reason(done.stderr or done.stdout)}",
                hint="the release is published; make its dependencies installable from the "
                "index your pip uses (PIP_INDEX_URL or pip.conf), then run "
                "`relman release --resume`",
            )
        out = env.run(
            "python",
            "-c",
            f"import importlib.metadata as m; print(m.version({ctx.config.name!r}))",
        )
        text = out.stdout.strip()
        installed = text.splitlines()[-1] if text else ""
        if installed != ctx.version:
            raise CheckFailed(f"installed {ctx.config.name} {installed!r}, expected {ctx.version}")
        ctx.state.step(self.name)["installed"] = installed
        ctx.state.step(self.name)["file"] = chosen.name
        ctx.state.save()


def _resolver_reason(output: str) -> str:
    """The resolver's explanation from an installer's output: pip's ERROR lines and
    uv's "No solution found" tree, else the last lines."""
    lines = [line.rstrip() for line in output.strip().splitlines()]
    for i, line in enumerate(lines):
        if "No solution found" in line or "Because " in line:
            return "\n".join(lines[i : i + 20])
    errors = [line for line in lines if line.startswith("ERROR:")]
    return "\n".join(errors[-10:] or lines[-15:])


def _installable(files: list[Path]) -> Path:
    """The file a user's installer would pick here: a compatible wheel, else the sdist."""
    from packaging.tags import sys_tags
    from packaging.utils import parse_wheel_filename

    supported = list(sys_tags())
    wheels = []
    for f in files:
        if f.name.endswith(".whl"):
            tags = parse_wheel_filename(f.name)[3]
            ranks = [supported.index(t) for t in tags if t in supported]
            if ranks:
                wheels.append((min(ranks), f))
    if wheels:
        return min(wheels)[1]
    sdists = [f for f in files if f.name.endswith((".tar.gz", ".zip"))]
    if not sdists:
        raise CheckFailed(
            "the index has no file of this release that installs here",
            hint="publish the sdist, or a wheel for this platform",
        )
    return sdists[0]


# -- new branch and end of life ---------------------------------------------
