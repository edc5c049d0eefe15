"""The docs archive: each release's HTML in its own folder, `stable`, a version switcher.

NumPy and CPython keep every release's documentation in an archive (a
checkout of the docs site): ``1.19/`` for the 1.19 line (a bug-fix release
replaces it), a ``stable`` link to the newest final release, and a version
switcher listing them. :func:`archive_docs` does all of it from the built
HTML; every change is made beside its target and moved into place, so a run
stopped half-way leaves the old archive or the new one, never a mix.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from relman import _atomic, _proc
from relman.config import Config
from relman.errors import ConfigError, UsageError

__all__ = ["MARKER", "DocsPlan", "archive_docs", "docs_done", "plan_docs"]

MARKER = ".relman-version"


@dataclass(frozen=True)
class DocsPlan:
    archive: Path
    html: Path
    target: Path
    move_stable: bool
    switcher: Path | None
    build_command: str | None
    commit: bool = False
    push: str | None = None  # the archive's upstream the commit is pushed to
    note: str | None = None  # why the release got a folder of its own

    def actions(self) -> list[str]:
        out = []
        if self.build_command:
            out.append(f"build the docs: {self.build_command}")
        out.append(f"copy {self.html} to {self.target}" + (f" ({self.note})" if self.note else ""))
        if self.move_stable:
            out.append(f"point {self.archive / 'stable'} at {self.target.name}")
        else:
            out.append(f"leave {self.archive / 'stable'} where it is")
        if self.switcher:
            out.append(f"add {self.target.name} to {self.switcher}")
        if self.commit:
            out.append(f"commit {', '.join(self.paths())} in {self.archive}")
        if self.push:
            out.append(f"push the archive to {self.push}")
        return out

    def paths(self) -> list[str]:
        """The archive's files this release changes, relative to the archive."""
        out = [self.target.name]
        if self.move_stable:
            out.append("stable")
        if self.switcher is not None:
            out.append(os.path.relpath(self.switcher, self.archive))
        return out


def _folder_name(config: Config, version: str) -> str:
    v = Version(version)
    major, minor = (*v.release, 0)[:2]
    return config.docs.version_dir.format(version=version, major=major, minor=minor)


def _marker(folder: Path) -> Version | None:
    try:
        return Version((folder / MARKER).read_text(encoding="utf-8").strip())
    except (OSError, InvalidVersion):
        return None


def _stable_version(archive: Path) -> Version | None:
    """The version `stable` shows: judged from the folder it points at.

    Its name (``1.2``) says the line, whatever made the archive; relman's
    marker in it, when there is one, says the release exactly.
    """
    link = archive / "stable"
    if not link.is_symlink() and not link.is_dir():
        return None
    folder = link.resolve()
    marker = _marker(folder)
    if marker is not None:
        return marker
    try:
        return Version(folder.name)
    except InvalidVersion:
        return None


def _newer_or_same(v: Version, stable: Version) -> bool:
    """``v`` is not older than ``stable`` (``1.2.1`` is not older than the folder ``1.2``)."""
    width = len(stable.release)
    return v >= stable or (
        stable.pre is None and stable.dev is None and tuple(v.release[:width]) == stable.release
    )


def plan_docs(config: Config, version: str) -> DocsPlan:
    """What archiving the docs of ``version`` would do; changes nothing.

    `stable` moves only to a final release not older than the one it shows. A
    pre-release never replaces the docs of a release: when its line's folder
    holds a final's docs (or `stable` points at it), it gets a folder named
    after its full version.
    """
    docs = config.docs
    if not docs.archive_dir or not docs.html_dir:
        raise ConfigError(
            "the docs archive needs [tool.relman.docs] archive-dir and html-dir",
            hint="set both, or leave archive-dir unset to skip the docs step",
        )
    archive = (config.project_dir / docs.archive_dir).resolve()
    target = archive / _folder_name(config, version)
    v = Version(version)
    note = None
    if v.is_prerelease and target.exists():
        held = _marker(target)
        stable_link = archive / "stable"
        is_stable = stable_link.exists() and stable_link.resolve() == target.resolve()
        if is_stable or held is None or not held.is_prerelease:
            note = f"{target.name}/ holds the docs of " + (
                str(held) if held is not None else "a release"
            )
            target = archive / version
    stable = _stable_version(archive)
    move_stable = (
        docs.stable and not v.is_prerelease and (stable is None or _newer_or_same(v, stable))
    )
    commit = docs.commit and (archive / ".git").exists()
    push = None
    if commit:
        from relman.git import Repo

        push = Repo(archive).upstream()
    return DocsPlan(
        archive=archive,
        html=(config.project_dir / docs.html_dir).resolve(),
        target=target,
        move_stable=move_stable,
        switcher=archive / docs.switcher if docs.switcher else None,
        build_command=docs.build_command,
        commit=commit,
        push=push,
        note=note,
    )


def docs_done(config: Config, version: str) -> bool:
    """The archive has this version's docs (and its switcher entry), committed and pushed."""
    plan = plan_docs(config, version)
    if _marker(plan.target) != Version(version):
        return False
    if plan.switcher is not None:
        entries = _read_switcher(plan.switcher)
        if not any(e.get("version") == plan.target.name for e in entries):
            return False
    if plan.move_stable and _stable_version(plan.archive) != Version(version):
        return False
    if plan.commit:
        from relman.git import Repo

        repo = Repo(plan.archive)
        if repo.is_dirty(untracked=True) and repo.git("status", "--porcelain", "--", *plan.paths()):
            return False
        if plan.push and repo.ahead_behind("HEAD", plan.push)[0]:
            return False
    return True


def _read_switcher(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise UsageError(
            f"the version switcher {path} is not valid JSON: {exc}",
            hint="fix or remove the file; relman writes a list of {name, version, url} entries",
        ) from None
    if not isinstance(data, list):
        raise UsageError(f"the version switcher {path} is not a JSON list")
    return [e for e in data if isinstance(e, dict)]


def _replace_tree(source: Path, target: Path, version: str) -> None:
    staging = target.with_name(f".{target.name}.relman-new")
    old = target.with_name(f".{target.name}.relman-old")
    for leftover in (staging, old):
        if leftover.exists():
            shutil.rmtree(leftover)
    shutil.copytree(source, staging, symlinks=True)
    (staging / MARKER).write_text(version + "\n", encoding="utf-8")
    if target.exists():
        os.replace(target, old)
    os.replace(staging, target)
    if old.exists():
        shutil.rmtree(old)


def _point_stable(archive: Path, folder: str) -> None:
    link = archive / "stable"
    if link.exists() and not link.is_symlink():
        raise UsageError(
            f"{link} exists and is not a link",
            hint="move it away; relman keeps `stable` as a link to the newest release",
        )
    tmp = archive / ".stable.relman-new"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    tmp.symlink_to(folder, target_is_directory=True)
    os.replace(tmp, link)


def _update_switcher(path: Path, config: Config, folder: str, version: str, stable: bool) -> None:
    entries = [e for e in _read_switcher(path) if e.get("version") != folder]
    base = (config.docs.base_url or "").rstrip("/")
    entry: dict[str, Any] = {
        "name": folder,
        "version": folder,
        "url": f"{base}/{folder}/" if base else f"/{folder}/",
    }
    previous = next((e for e in _read_switcher(path) if e.get("version") == folder), None)
    if previous is not None and not stable and previous.get("preferred"):
        entry["name"], entry["preferred"] = previous.get("name", folder), True
    if stable:
        for e in entries:
            e.pop("preferred", None)
            if str(e.get("name", "")).endswith(" (stable)"):
                e["name"] = str(e["name"]).removesuffix(" (stable)")
        entry["name"] = f"{folder} (stable)"
        entry["preferred"] = True
    entries.append(entry)

    def key(e: dict[str, Any]) -> Any:
        try:
            return (0, Version(str(e.get("version"))))
        except InvalidVersion:
            return (1, str(e.get("version")))

    ordered = sorted(entries, key=key, reverse=True)
    _atomic.write_text(path, json.dumps(ordered, indent=2) + "\n")


def archive_docs(config: Config, version: str) -> DocsPlan:
    """Build (when configured) and archive the docs of ``version``."""
    plan = plan_docs(config, version)
    if plan.build_command:
        _proc.run(shlex.split(plan.build_command), cwd=config.project_dir, what="the docs build")
    if not (plan.html / "index.html").is_file():
        raise UsageError(
            f"no built documentation in {plan.html} (index.html is missing)",
            hint="build the docs first, or set [tool.relman.docs] build-command",
        )
    if not plan.archive.is_dir():
        raise UsageError(
            f"the docs archive {plan.archive} does not exist",
            hint="clone the docs site there, or fix [tool.relman.docs] archive-dir",
        )
    _replace_tree(plan.html, plan.target, version)
    if plan.move_stable:
        _point_stable(plan.archive, plan.target.name)
    if plan.switcher is not None:
        _update_switcher(plan.switcher, config, plan.target.name, version, plan.move_stable)
    if plan.commit:
        from relman.git import Repo

        archive = Repo(plan.archive)
        paths = plan.paths()
        archive.git("add", "-A", "--", *paths)  # this release's files only
        if archive.git("diff", "--cached", "--name-only", "--", *paths):
            archive.commit_paths(f"Add the documentation of {config.name} {version}", paths)
        if plan.push:
            remote, _, branch = plan.push.partition("/")
            archive.push(remote, [f"HEAD:refs/heads/{branch}"], atomic=False)
    return plan
