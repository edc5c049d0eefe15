"""Where a project's version comes from: its files, or git.

A version kept in files is read with :mod:`relman.versionfiles` (every shape
it knows, development markers included). A version derived from git
(setuptools_scm in any of its configurations, hatch-vcs, pdm-backend's scm
source, flit_scm, versioneer, meson ``vcs_tag``, poetry-dynamic-versioning)
is computed the way the build backend would compute it now: by setuptools-scm
itself for the backends built on it or shaped like it (hatch-vcs passes its
``raw-options`` and ``tag-pattern`` to it), from ``git describe`` for
versioneer's ``pep440`` style and dunamai's (poetry-dynamic-versioning,
uv-dynamic-versioning), and from their own configuration for versioningit
(``[tool.versioningit]``: tag2version, next-version, format) and
setuptools-git-versioning (``template``, ``dev_template``,
``dirty_template``); a method or callback of the project's own is not run
(the version is then unknown). A meson ``project(version: run_command(...))``
is what meson would compute at configure time: the command's standard output,
stripped, with a ``git`` command run through git and a Python script of the
project run with this interpreter (NumPy's ``gitversion.py``), in the project
folder, within 30 seconds; an expression relman cannot read (a program found
some other way, a ``vcs_tag`` build) is guessed with setuptools-scm. Nothing
here writes a file.
"""

from __future__ import annotations

import contextlib
import re
import warnings
from collections.abc import Mapping
from typing import Any

from packaging.version import InvalidVersion, Version

from relman import versionfiles
from relman._record import record
from relman._regex import LazyPattern
from relman.config import Config
from relman.git import Repo

__all__ = ["VersionSource", "git_version", "meson_version_command", "version_source"]

# backends whose version is setuptools-scm's guess-next-dev of the last tag
_SCM_LIKE = ("setuptools_scm", "hatch-vcs", "pdm-backend (scm)", "flit_scm")
_DUNAMAI_LIKE = ("poetry-dynamic-versioning", "uv-dynamic-versioning", "dunamai")


@record(kw_only=False)
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
        elif backend == "versioningit":
            _CACHE[key] = _versioningit_version(config, repo)
        elif backend == "setuptools-git-versioning":
            _CACHE[key] = _sgv_version(config, repo)
        elif backend.startswith("meson") and (command := meson_version_command(config)):
            _CACHE[key] = _meson_command_version(config, repo, command)
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
    digest = hashlib.sha1(repo.tags_fingerprint())
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
    import logging  # setuptools-scm's loggers: only when it runs

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


# -- versioningit and setuptools-git-versioning: their configuration, read ----------

_VIG_FORMATS = {
    "distance": "{base_version}.post{distance}+{vcs}{rev}",
    "dirty": "{base_version}+d{build_date:%Y%m%d}",
    "distance-dirty": "{base_version}.post{distance}+{vcs}{rev}.d{build_date:%Y%m%d}",
}


def _method(section: Any, default: str) -> tuple[str | None, Mapping[str, Any]]:
    """A versioningit step's method name and parameters (None: not a built-in one)."""
    if section is None:
        return default, {}
    if isinstance(section, str):
        return section, {}
    if not isinstance(section, Mapping):
        return None, {}
    method = section.get("method", default)
    return (method if isinstance(method, str) else None), section


def _vig_next(version: str, method: str) -> str | None:
    v = Version(version)
    released = not (v.is_prerelease or v.is_devrelease)
    epoch = f"{v.epoch}!" if v.epoch else ""
    if method == "null":
        return version
    if method in ("minor-release", "smallest-release") and not released:
        return v.base_version
    if method in ("minor", "minor-release"):
        return f"{epoch}{v.major}.{v.minor + 1}.0"
    if method in ("smallest", "smallest-release"):
        release = list(v.release)
        release[-1] += 1
        return epoch + ".".join(map(str, release))
    return None


def _versioningit_version(config: Config, repo: Repo) -> str | None:
    """versioningit's built-in methods, configured by ``[tool.versioningit]``: ``vcs``
    (git; ``match``, ``exclude``, ``default-tag``), ``tag2version`` (``rmprefix``,
    ``rmsuffix``, ``regex``), ``next-version`` (``minor``, ``minor-release``,
    ``smallest``, ``smallest-release``, ``null``) and ``format`` (the templates of
    the ``distance``, ``dirty`` and ``distance-dirty`` states). A method of the
    project's own (a function or an entry point) is not computed: None."""
    import datetime as _dt
    import os

    tool = config.pyproject.get("tool", {})
    table = tool.get("versioningit", {}) if isinstance(tool, Mapping) else {}
    if not isinstance(table, Mapping):
        return None
    vcs, vcs_params = _method(table.get("vcs"), "git")
    t2v, t2v_params = _method(table.get("tag2version"), "basic")
    nxt, _ = _method(table.get("next-version"), "minor")
    fmt, fmt_params = _method(table.get("format"), "basic")
    if vcs != "git" or t2v != "basic" or fmt != "basic" or nxt is None:
        return None
    args = ["describe", "--tags", "--long", "--always"]
    for flag, key in (("--match", "match"), ("--exclude", "exclude")):
        values = vcs_params.get(key, [])
        for value in [values] if isinstance(values, str) else values:
            args += [flag, str(value)]
    described = repo.git(*args, check=False)
    full = repo.head()
    m = re.fullmatch(r"(?P<tag>.+)-(?P<n>\d+)-g(?P<rev>[0-9a-f]+)", described)
    if m:
        tag, distance, rev = m["tag"], int(m["n"]), m["rev"]
    elif isinstance(vcs_params.get("default-tag"), str):
        tag = vcs_params["default-tag"]
        distance = int(repo.git("rev-list", "--count", "HEAD", check=False) or 0)
        rev = described or full[:7]
    else:
        return None
    for key, strip in (("rmprefix", str.removeprefix), ("rmsuffix", str.removesuffix)):
        if isinstance(t2v_params.get(key), str):
            tag = strip(tag, t2v_params[key])
    if isinstance(t2v_params.get("regex"), str):
        found = re.search(t2v_params["regex"], tag)
        if found is None and t2v_params.get("require-match"):
            return None
        if found is not None:
            tag = found.groupdict().get("version") or found[0]
    base = tag.lstrip("v")
    dirty = repo.is_dirty(untracked=False)
    state = (
        ("distance-dirty" if dirty else "distance") if distance else ("dirty" if dirty else None)
    )
    if state is None:
        return _normalized(base)
    try:
        next_version = _vig_next(base, nxt)
    except InvalidVersion:
        return None
    if next_version is None:
        return None
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    now = (
        _dt.datetime.fromtimestamp(int(epoch), tz=_dt.timezone.utc)
        if epoch and epoch.isdigit()
        else _dt.datetime.now(tz=_dt.timezone.utc)
    )
    branch = repo.current_branch()
    fields = {
        "base_version": base,
        "version": base,
        "next_version": next_version,
        "distance": distance,
        "vcs": "g",
        "rev": rev,
        "revision": full,
        "branch": re.sub(r"[^A-Za-z0-9.]", ".", branch) if branch else None,
        "build_date": now,
        "author_date": _dt.datetime.fromtimestamp(repo.commit_time("HEAD"), tz=_dt.timezone.utc),
        "committer_date": _dt.datetime.fromtimestamp(repo.commit_time("HEAD"), tz=_dt.timezone.utc),
        "vcs_name": "git",
    }
    template = {**_VIG_FORMATS, **{k: v for k, v in fmt_params.items() if k != "method"}}.get(state)
    if not isinstance(template, str):
        return None
    try:
        return _normalized(template.format_map(fields))
    except (KeyError, ValueError, IndexError):
        return None


_SGV_TEMPLATES = ("{tag}", "{tag}.post{ccount}+git.{sha}", "{tag}.post{ccount}+git.{sha}.dirty")


def _sgv_version(config: Config, repo: Repo) -> str | None:
    """setuptools-git-versioning from ``[tool.setuptools-git-versioning]``: the newest
    tag merged into HEAD (by creator date), ``template`` on it, ``dev_template``
    with commits after it, ``dirty_template`` with uncommitted changes (fields
    ``{tag}``, ``{ccount}``, ``{sha}``, ``{full_sha}``, ``{branch}``),
    ``starting_version`` without a tag, a ``tag_formatter`` regular expression
    with a ``tag`` group. A ``version_file``, ``version_callback`` or a function
    as formatter is the project's own: None."""
    tool = config.pyproject.get("tool", {})
    table = tool.get("setuptools-git-versioning", {}) if isinstance(tool, Mapping) else {}
    if not isinstance(table, Mapping) or table.get("enabled") is False:
        return None
    if table.get("version_file") or table.get("version_callback"):
        return None
    template, dev_template, dirty_template = (
        str(table.get(key, default))
        for key, default in zip(
            ("template", "dev_template", "dirty_template"), _SGV_TEMPLATES, strict=True
        )
    )
    sort_by = str(table.get("sort_by", "creatordate"))
    names = repo.git("tag", f"--sort=-{sort_by}", "--merged", "HEAD", check=False).split()
    if not names:
        return _normalized(str(table.get("starting_version", "0.0.1")))
    tag = names[0]
    tag_sha = repo.rev_parse(tag) or ""
    formatter = table.get("tag_formatter")
    if formatter is not None:
        if not isinstance(formatter, str) or ":" in formatter:
            return None
        try:
            found = re.match(formatter, tag)
        except re.error:
            return None
        if found is None or "tag" not in found.groupdict():
            return None
        tag = found["tag"]
    full = repo.head()
    ccount = int(repo.git("rev-list", "--count", f"{tag_sha}..HEAD", check=False) or 0)
    dirty = repo.is_dirty(untracked=False)
    chosen = dirty_template if dirty else (dev_template if full != tag_sha else template)
    if re.search(r"\{(?:env|timestamp)", chosen):
        return None
    try:
        text = chosen.format(
            tag=tag, ccount=ccount, sha=full[:8], full_sha=full, branch=repo.current_branch()
        )
    except (KeyError, ValueError, IndexError):
        return None
    public, sep, local = text.partition("+")
    return _normalized(
        re.sub(r"^[^\d]+", "", public) + sep + re.sub(r"[^a-z\d.]+", ".", local, flags=re.I)
    )


def _normalized(version: str | None) -> str | None:
    if not version:
        return None
    try:
        return str(Version(version))
    except InvalidVersion:
        return None


# -- meson: project(version: run_command(...)) -------------------------------------

_MESON_STRING = LazyPattern(r"'((?:[^'\\\n]|\\.)*)'")


def _meson_code(text: str) -> str:
    """meson.build with its comments blanked (strings kept), offsets unchanged."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "'":
            m = _MESON_STRING.match(text, i)
            end = m.end() if m else i + 1
            out.append(text[i:end])
            i = end
        elif ch == "#":
            end = text.find("\n", i)
            end = len(text) if end < 0 else end
            out.append(" " * (end - i))
            i = end
        else:
            out.append(ch)
            i += 1
    return "".join(out)


_MESON_PROGRAM = LazyPattern(
    r"import\s*\(\s*'python'\s*\)\s*\.\s*find_installation\s*\([^()]*\)"
    r"|find_program\s*\(\s*'(?P<program>[^']+)'[^()]*\)"
)
_MESON_FILES = LazyPattern(r"files\s*\(\s*'(?P<path>[^']+)'\s*\)")
_MESON_PROJECT = LazyPattern(r"\bproject\s*\(")
_MESON_RUN_COMMAND = LazyPattern(r"\bversion\s*:\s*run_command\s*\(")
_MESON_KEYWORD = LazyPattern(r"[A-Za-z_]\w*\s*:")


def meson_version_command(config: Config) -> list[str] | None:
    """The command of meson.build's ``project(version: run_command(...))``, when every
    part of it can be read: string literals, lists of them, ``files('x')``,
    ``find_program('x')`` and ``import('python').find_installation()`` (project()
    comes first in a meson.build, so no variable can be used). None otherwise."""
    path = config.project_dir / "meson.build"
    if not path.is_file():
        return None
    code = _meson_code(path.read_bytes().decode("utf-8", errors="replace"))
    project = _MESON_PROJECT.search(code)
    if project is None:
        return None
    start = _MESON_RUN_COMMAND.search(code, project.end())
    if start is None:
        return None
    args: list[str] = []
    i = start.end()
    while i < len(code):
        if code[i] in " \t\r\n,[]":
            i += 1
            continue
        if code[i] == ")" or _MESON_KEYWORD.match(code, i):
            return args or None  # the end, or its keyword arguments (check:, env:)
        m = _MESON_STRING.match(code, i) or _MESON_FILES.match(code, i)
        m = m or _MESON_PROGRAM.match(code, i)
        if m is None:
            return None  # something relman does not evaluate
        if m.re is _MESON_STRING.compiled():
            args.append(m[1].replace("\\'", "'"))
        elif m.re is _MESON_FILES.compiled():
            args.append(m["path"])
        else:
            args.append(m["program"] or "python")
        i = m.end()
    return None


def _meson_command_version(config: Config, repo: Repo, command: list[str]) -> str | None:
    """What meson's ``run_command`` prints for ``command``, as a version (None: it
    fails, takes over 30 s, or prints no version)."""
    import os
    import sys

    from relman import _proc
    from relman.errors import RelmanError

    program, rest = command[0], command[1:]
    try:
        if program == "git":
            out = repo.git(*rest, check=False)
        else:
            script = config.project_dir / program
            if program == "python" or program.startswith("python3"):
                argv = [sys.executable, *rest]
            elif script.suffix == ".py" and script.is_file():
                argv = [sys.executable, str(script), *rest]
            elif script.is_file() and os.access(script, os.X_OK):
                argv = [str(script), *rest]
            else:
                return None
            env = {**os.environ, "MESON_SOURCE_ROOT": str(config.project_dir)}
            done = _proc.run(argv, cwd=config.project_dir, env=env, check=False, timeout=30)
            if done.returncode != 0:
                return None
            out = done.stdout
    except RelmanError:
        return None
    lines = out.strip().splitlines()
    return _normalized(lines[0].strip()) if len(lines) == 1 else None
