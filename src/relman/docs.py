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

    def actions(self) -> list[str]:
        out = []
        if self.build_command:
            out.append(f"build the docs: {self.build_command}")
        out.append(f"copy {self.html} to {self.target}")
        if self.move_stable:
            out.append(f"point {self.archive / 'stable'} at {self.target.name}")
        if self.switcher:
            out.append(f"add {self.target.name} to {self.switcher}")
        return out


def _folder_name(config: Config, version: str) -> str:
    v = Version(version)
    major, minor = (*v.release, 0)[:2]
    return config.docs.version_dir.format(version=version, major=major, minor=minor)


def _stable_version(archive: Path) -> Version | None:
    link = archive / "stable"
    marker = link / MARKER
    if not marker.is_file():
        return None
    try:
        return Version(marker.read_text(encoding="utf-8").strip())
    except InvalidVersion:
        return None


def plan_docs(config: Config, version: str) -> DocsPlan:
    """What archiving the docs of ``version`` would do; changes nothing."""
    docs = config.docs
    if not docs.archive_dir or not docs.html_dir:
        raise ConfigError(
            "the docs archive needs [tool.relman.docs] archive-dir and html-dir",
            hint="set both, or leave archive-dir unset to skip the docs step",
        )
    archive = (config.project_dir / docs.archive_dir).resolve()
    target = archive / _folder_name(config, version)
    v = Version(version)
    stable = _stable_version(archive)
    move_stable = docs.stable and not v.is_prerelease and (stable is None or v >= stable)
    return DocsPlan(
        archive=archive,
        html=(config.project_dir / docs.html_dir).resolve(),
        target=target,
        move_stable=move_stable,
        switcher=archive / docs.switcher if docs.switcher else None,
        build_command=docs.build_command,
    )


def docs_done(config: Config, version: str) -> bool:
    """The archive has this version's docs (and its switcher entry)."""
    plan = plan_docs(config, version)
    marker = plan.target / MARKER
    if not marker.is_file() or marker.read_text(encoding="utf-8").strip() != version:
        return False
    if plan.switcher is not None:
        entries = _read_switcher(plan.switcher)
        if not any(e.get("version") == plan.target.name for e in entries):
            return False
    return not (plan.move_stable and _stable_version(plan.archive) != Version(version))


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
    if config.docs.commit and (plan.archive / ".git").exists():
        from relman.git import Repo

        archive = Repo(plan.archive)
        archive.git("add", "-A", ".")
        if archive.is_dirty(untracked=False):
            archive.create_commit(f"Add the documentation of {config.name} {version}")
    return plan
