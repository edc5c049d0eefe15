"""Where a project's version comes from: its files, or git.

A version kept in files is read with :mod:`relman.versionfiles` (every shape
it knows, development markers included). A version derived from git
(setuptools_scm in any of its configurations, hatch-vcs, pdm-backend's scm
source, flit_scm, versioneer, meson ``vcs_tag``, poetry-dynamic-versioning)
is computed the way the build backend would compute it now: by setuptools-scm
itself for the backends built on it or shaped like it (hatch-vcs passes its
``raw-options`` and ``tag-pattern`` to it), and from ``git describe`` for
versioneer's ``pep440`` style and dunamai's (poetry-dynamic-versioning,
uv-dynamic-versioning). Nothing here writes a file.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from packaging.version import InvalidVersion, Version

from relman import versionfiles
from relman.config import Config
from relman.git import Repo

__all__ = ["VersionSource", "git_version", "version_source"]

# backends whose version is setuptools-scm's guess-next-dev of the last tag
_SCM_LIKE = ("setuptools_scm", "hatch-vcs", "pdm-backend (scm)", "flit_scm", "versioningit")
_DUNAMAI_LIKE = ("poetry-dynamic-versioning", "uv-dynamic-versioning", "dunamai")


@dataclass(frozen=True)
class VersionSource:
    """Where the version comes from.

    ``origin`` is ``"files"`` (``files`` lists what each holds), ``"git"``
    (``backend`` names the tool; the tag is the version, no file is edited),
    or ``"none"`` when relman found no source at all.
    """

    origin: str
    backend: str | None
    files: tuple[versionfiles.SourceValue, ...]

    @property
    def from_git(self) -> bool:
        return self.origin == "git"


def version_source(config: Config) -> VersionSource:
    """The version source of the project (files win when both are configured)."""
    files = tuple(versionfiles.read_sources(config))
    backend = versionfiles.dynamic_backend(config.pyproject, config.project_dir)
    if files:
        return VersionSource("files", backend, files)
    if backend:
        return VersionSource("git", backend, ())
    return VersionSource("none", None, ())


_CACHE: dict[tuple[str, str, str], str | None] = {}


def git_version(config: Config, repo: Repo, backend: str) -> str | None:
    """The version ``backend`` would give the working tree now (None when it cannot).

    Computed once per project, commit and state of the tree in a process.
    """
    if not repo.has_commits():
        return None
    key = (str(config.project_dir), repo.head(), backend)
    if key not in _CACHE:
        if backend in _DUNAMAI_LIKE or backend == "versioneer":
            _CACHE[key] = _describe_version(config, repo, backend)
        else:
            _CACHE[key] = _remembered_scm_version(config, repo, backend)
    return _CACHE[key]


def _scm_key(config: Config, repo: Repo, backend: str) -> str | None:
    """What setuptools-scm's answer for a clean tree depends on, digested; None when
    the tree is not clean or the environment steers setuptools-scm (then it is asked).

    For a tree without changes to tracked files the version is a function of the
    commit, the tags and their commits, the branch (release-branch schemes), the
    configuration and setuptools-scm itself: no date enters it.
    """
    import hashlib
    import importlib.util
    import json
    import os

    if any(k.startswith(("SETUPTOOLS_SCM", "VCS_VERSIONING")) for k in os.environ):
        return None
    if repo.is_dirty(untracked=False):
        return None
    digest = hashlib.sha1()
    tags = repo.tags()
    for name in sorted(tags):
        digest.update(f"\0{name}\0{tags[name]}".encode())
    tool = config.pyproject.get("tool", {})
    for name in ("setuptools_scm", "vcs_versioning"):
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec is not None else None
        stamp = os.stat(origin).st_mtime_ns if origin else 0
        digest.update(f"\0{origin}\0{stamp}".encode())
    digest.update(
        json.dumps(
            [
                repo.head(),
                repo.current_branch(),
                str(config.project_dir.resolve().relative_to(repo.root.resolve())),
                backend,
                _scm_options(config, backend),
                tool if isinstance(tool, Mapping) else None,
                os.environ.get("SOURCE_DATE_EPOCH"),
            ],
            sort_keys=True,
            default=str,
        ).encode()
    )
    return digest.hexdigest()


def _remembered_scm_version(config: Config, repo: Repo, backend: str) -> str | None:
    """:func:`_scm_version`, remembered in the git directory for a clean tree
    (``<git-dir>/relman/cache/scm-version.json``; see :mod:`relman._cache`)."""
    from relman import _cache

    key = _scm_key(config, repo, backend)
    cache = repo.git_dir / "relman" / "cache" / "scm-version.json"
    if key is not None:
        known = _cache.recall(cache, key)
        if isinstance(known, list) and len(known) == 1:
            return known[0] if isinstance(known[0], str) or known[0] is None else None
    version = _scm_version(config, backend)
    if key is not None:
        _cache.remember(cache, key, [version])
    return version


def _scm_options(config: Config, backend: str) -> dict[str, Any]:
    tool = config.pyproject.get("tool", {})
    options: dict[str, Any] = {}
    if backend == "hatch-vcs":
        hatch = tool.get("hatch", {}).get("version", {}) if isinstance(tool, Mapping) else {}
        raw = hatch.get("raw-options", {})
        if isinstance(raw, Mapping):
            options.update({k.replace("-", "_"): v for k, v in raw.items()})
        if isinstance(hatch.get("tag-pattern"), str):
            options["tag_regex"] = hatch["tag-pattern"]
        if isinstance(hatch.get("fallback-version"), str):
            options["fallback_version"] = hatch["fallback-version"]
    elif backend == "pdm-backend (scm)":
        pdm = tool.get("pdm", {}).get("version", {}) if isinstance(tool, Mapping) else {}
        if isinstance(pdm.get("tag_regex"), str):
            options["tag_regex"] = pdm["tag_regex"]
        if isinstance(pdm.get("fallback_version"), str):
            options["fallback_version"] = pdm["fallback_version"]
    return options


def _scm_version(config: Config, backend: str) -> str | None:
    try:
        from setuptools_scm import Configuration, _get_version
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    pyproject = config.project_dir / "pyproject.toml"
    tool = config.pyproject.get("tool", {})
    anchor = pyproject if pyproject.is_file() else config.project_dir / "setup.py"
    with warnings.catch_warnings(), _quiet():
        warnings.simplefilter("ignore")
        try:
            options = _scm_options(config, backend)
            if isinstance(tool, Mapping) and "setuptools_scm" in tool and pyproject.is_file():
                scm = Configuration.from_file(str(pyproject), **options)
            else:
                scm = Configuration(relative_to=str(anchor), **options)
            # never write the version file: relman only asks
            scm = _without_writes(scm)
            version = _get_version(scm, force_write_version_files=False)
        except Exception:  # the backend's own failure: the version is unknown
            return None
    return _normalized(version)


def _without_writes(scm: Any) -> Any:
    import dataclasses

    with contextlib.suppress(TypeError, ValueError):
        return dataclasses.replace(scm, write_to=None, version_file=None)
    return scm


@contextlib.contextmanager
def _quiet() -> Any:
    names = ("setuptools_scm", "vcs_versioning")
    loggers = [logging.getLogger(n) for n in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def _describe_version(config: Config, repo: Repo, backend: str) -> str | None:
    """versioneer's pep440 style (TAG+N.gHASH) or dunamai's (TAG.postN.dev0+HASH)."""
    prefix = config.tag_format.partition("{version}")[0]
    described = repo.describe("HEAD", match=f"{prefix}[0-9]*")
    if not described:
        return None
    tag, distance, node = described.rsplit("-", 2)
    base = config.version_from_tag(tag)
    if base is None:
        return None
    n = int(distance)
    dirty = repo.is_dirty(untracked=False)
    if n == 0 and not dirty:
        return base
    if backend == "versioneer":
        local = f"{n}.{node}" + (".dirty" if dirty else "")
        return _normalized(f"{base}+{local}")
    return _normalized(f"{base}.post{n}.dev0+{node.removeprefix('g')}")


def _normalized(version: str | None) -> str | None:
    if not version:
        return None
    try:
        return str(Version(version))
    except InvalidVersion:
        return None
