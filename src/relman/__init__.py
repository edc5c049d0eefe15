"""relman: the release manager's tool for Python projects.

The library behind the ``relman`` command. Import what you need from the
modules (``relman.versioning``, ``relman.git``, ...); the names below are the
stable entry points.
"""

from __future__ import annotations

from relman._lazy import on_first_use

# typing is not imported at run time: the CLI starts git before anything that
# needs it loads (mypy and ruff read this name as typing's)
TYPE_CHECKING = False

if TYPE_CHECKING:
    from relman.config import Config
    from relman.errors import (
        CheckFailed,
        CommandError,
        ConfigError,
        NothingToDo,
        RelmanError,
        RemoteError,
        ToolNotFound,
        UsageError,
        VersionError,
    )
    from relman.project import load_config
    from relman.versioning import next_version, parse_version

# the public names are imported on first use (PEP 562), so that importing a
# submodule (`relman.cli` for `relman --help`) does not load the whole library
_LAZY = {
    "Config": "relman.config",
    "load_config": "relman.project",
    "next_version": "relman.versioning",
    "parse_version": "relman.versioning",
    **dict.fromkeys(
        (
            "CheckFailed",
            "CommandError",
            "ConfigError",
            "NothingToDo",
            "RelmanError",
            "RemoteError",
            "ToolNotFound",
            "UsageError",
            "VersionError",
        ),
        "relman.errors",
    ),
}


__getattr__ = on_first_use(__name__, _LAZY, globals())


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "CheckFailed",
    "CommandError",
    "Config",
    "ConfigError",
    "NothingToDo",
    "RelmanError",
    "RemoteError",
    "ToolNotFound",
    "UsageError",
    "VersionError",
    "__version__",
    "load_config",
    "next_version",
    "parse_version",
]

__version__ = "0.1.0.dev0"
