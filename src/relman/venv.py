"""Fresh virtual environments, isolated from the user's installer configuration.

:func:`create_env` makes a new environment with uv when it is available (much
faster) and with :mod:`venv` and pip otherwise. Every command run in or for
the environment gets :func:`isolated_environ`: the user's pip configuration
is ignored (``PIP_CONFIG_FILE=/dev/null``, every other ``PIP_*`` variable
removed), uv's configuration files and ``UV_*`` variables are ignored
(``UV_NO_CONFIG=1``), and ``PYTHONPATH``, ``PYTHONHOME``, ``VIRTUAL_ENV`` and
user site-packages are out of the way. Only the download caches
(``PIP_CACHE_DIR``, ``UV_CACHE_DIR``) are kept: they change how fast, never
what, gets installed.

An index for build backends (``[tool.relman.build] extra-index``) can be
given explicitly; nothing else of the machine's configuration leaks in.
:func:`user_indexes` reads, for the one install meant to be a user's (the
release's install check), the indexes the user's pip is configured with.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from relman import _proc
from relman.errors import UsageError

__all__ = ["Env", "create_env", "find_uv", "isolated_environ", "user_indexes"]

_KEEP = ("PIP_CACHE_DIR", "UV_CACHE_DIR")
_DROP = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "CONDA_PREFIX", "__PYVENV_LAUNCHER__")


_uv_lock = threading.Lock()
_uv_found: dict[str, str | None] = {}


def find_uv() -> str | None:
    """The uv executable to use, or None when uv is not installed.

    ``RELMAN_NO_UV=1`` forces the venv + pip fallback. The answer is cached
    (looking it up is not thread-safe in every Python).
    """
    if os.environ.get("RELMAN_NO_UV", "") not in ("", "0"):
        return None
    path = os.environ.get("PATH", "")
    with _uv_lock:
        if path not in _uv_found:
            _uv_found[path] = _locate_uv()
        return _uv_found[path]


def _locate_uv() -> str | None:
    try:
        import uv  # type: ignore[import-not-found,unused-ignore]

        found = str(uv.find_uv_bin())
        if found:
            return found
    except Exception:  # not installed, or a broken install: try PATH
        pass
    return shutil.which("uv")


def isolated_environ(
    base: Mapping[str, str] | None = None,
    *,
    extra_index: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """A copy of ``base`` (default: ``os.environ``) without installer configuration.

    ``extra_index`` is the only index added to the defaults (for build
    backends); ``extra`` is applied last.
    """
    src = dict(os.environ if base is None else base)
    env = {
        k: v
        for k, v in src.items()
        if k in _KEEP or (not k.startswith(("PIP_", "UV_")) and k not in _DROP)
    }
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    env["UV_NO_CONFIG"] = "1"
    env["PYTHONNOUSERSITE"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if extra_index:
        env["PIP_EXTRA_INDEX_URL"] = extra_index
        env["UV_EXTRA_INDEX_URL"] = extra_index
    if extra:
        env.update(extra)
    return env


def _pip_config_files(env: Mapping[str, str]) -> list[Path]:
    """pip's configuration files in the order pip reads them (later ones win)."""
    chosen = env.get("PIP_CONFIG_FILE")
    if chosen == os.devnull:
        return []  # pip reads no file at all then
    home = Path(env.get("HOME") or os.path.expanduser("~"))
    xdg = [Path(p) / "pip" / "pip.conf" for p in env.get("XDG_CONFIG_DIRS", "/etc/xdg").split(":")]
    files = [*xdg, Path("/etc/pip.conf"), home / ".pip" / "pip.conf"]
    files.append(Path(env.get("XDG_CONFIG_HOME") or home / ".config") / "pip" / "pip.conf")
    if env.get("VIRTUAL_ENV"):
        files.append(Path(env["VIRTUAL_ENV"]) / "pip.conf")
    if chosen:
        files.append(Path(chosen))
    return files


def user_indexes(environ: Mapping[str, str] | None = None) -> tuple[str | None, tuple[str, ...]]:
    """The index URL and extra index URLs a user's ``pip install`` would use.

    ``PIP_INDEX_URL`` and ``PIP_EXTRA_INDEX_URL`` first, else the ``[install]``
    and ``[global]`` sections of pip's configuration files; ``None`` for the
    index means pip's default.
    """
    import configparser

    env = os.environ if environ is None else environ
    index = env.get("PIP_INDEX_URL") or None
    extras = env.get("PIP_EXTRA_INDEX_URL", "").split()
    if index is None or not extras:
        parser = configparser.RawConfigParser()
        for path in _pip_config_files(env):
            with contextlib.suppress(OSError, configparser.Error, UnicodeDecodeError):
                parser.read(path, encoding="utf-8")
        for section in ("install", "global"):
            if index is None and parser.has_option(section, "index-url"):
                index = parser.get(section, "index-url").strip() or None
            if not extras and parser.has_option(section, "extra-index-url"):
                extras = parser.get(section, "extra-index-url").split()
    return index, tuple(extras)


@dataclass(frozen=True)
class Env:
    """A virtual environment relman created.

    ``install`` and ``run`` raise :class:`~relman.errors.CommandError` (with
    the command's output) when the command fails, unless ``check=False``.
    """

    path: Path
    python: Path
    uv: str | None = None
    extra_index: str | None = None

    @property
    def bin_dir(self) -> Path:
        return self.python.parent

    def environ(self) -> dict[str, str]:
        """The environment commands in this venv run with."""
        env = isolated_environ(extra_index=self.extra_index)
        env["VIRTUAL_ENV"] = str(self.path)
        env["PATH"] = str(self.bin_dir) + os.pathsep + env.get("PATH", "")
        return env

    def install(
        self,
        *requirements: str,
        index_url: str | None = None,
        extra_index_urls: tuple[str, ...] = (),
        cwd: Path | None = None,
        check: bool = True,
        timeout: float | None = 900,
    ) -> _proc.Completed:
        """Install ``requirements`` (names, files or folders) into the environment."""
        if not requirements:
            raise UsageError("nothing to install")
        if self.uv:
            args: list[str] = [self.uv, "pip", "install", "--python", str(self.python)]
        else:
            args = [str(self.python), "-m", "pip", "install", "--no-input"]
        if index_url:
            args += ["--index-url", index_url]
        for url in extra_index_urls:
            args += ["--extra-index-url", url]
        args += list(requirements)
        return _proc.run(
            args,
            cwd=cwd or self.path,
            env=self.environ(),
            check=check,
            timeout=timeout,
            what=f"installing {', '.join(requirements)}",
        )

    def run(
        self,
        *args: str,
        cwd: Path | None = None,
        check: bool = True,
        timeout: float | None = 900,
        what: str | None = None,
    ) -> _proc.Completed:
        """Run ``args`` with this environment active; ``python`` and scripts resolve here."""
        if not args:
            raise UsageError("no command to run")
        argv = list(args)
        head = argv[0]
        if head in ("python", "python3"):
            argv[0] = str(self.python)
        elif os.sep not in head and (self.bin_dir / head).exists():
            argv[0] = str(self.bin_dir / head)
        elif os.sep not in head:
            found = shutil.which(head, path=self.environ()["PATH"])
            if found:
                argv[0] = found
        return _proc.run(
            argv, cwd=cwd or self.path, env=self.environ(), check=check, timeout=timeout, what=what
        )


def _python_in(path: Path) -> Path:
    if sys.platform == "win32":
        return path / "Scripts" / "python.exe"
    return path / "bin" / "python"


def create_env(
    path: Path,
    *,
    python: str | None = None,
    use_uv: bool | None = None,
    extra_index: str | None = None,
) -> Env:
    """Create a fresh virtual environment at ``path`` (which must not exist or be empty).

    ``python`` is the interpreter to base it on (default: the running one).
    ``use_uv=None`` uses uv when available; ``False`` forces venv + pip.
    """
    path = Path(path).absolute()
    if path.exists() and any(path.iterdir()):
        raise UsageError(f"{path} is not empty", hint="give a new folder for the environment")
    interpreter = python or sys.executable
    uv = find_uv() if use_uv in (None, True) else None
    if use_uv and uv is None:
        _proc.find_program("uv")  # raises ToolNotFound with the install hint
    env = isolated_environ(extra_index=extra_index)
    if uv:
        _proc.run(
            [uv, "venv", "--quiet", "--python", interpreter, str(path)],
            cwd=path.parent,
            env=env,
            what="uv venv",
        )
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        _proc.run([interpreter, "-m", "venv", str(path)], cwd=path.parent, env=env, what="venv")
    exe = _python_in(path)
    if not exe.exists():
        raise UsageError(f"the environment at {path} has no interpreter at {exe}")
    return Env(path=path, python=exe, uv=uv, extra_index=extra_index)
