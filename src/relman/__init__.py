"""relman: the release manager's tool for Python projects.

The library behind the ``relman`` command. Import what you need from the
modules (``relman.versioning``, ``relman.git``, ...); the names below are the
stable entry points.
"""

from __future__ import annotations

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
