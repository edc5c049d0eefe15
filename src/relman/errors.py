"""relman's exceptions, one tree, each class with the exit code the CLI uses.

Exit codes:

=====  ==========================================================
0      success
1      a check failed (:class:`CheckFailed`)
2      usage or configuration error (:class:`UsageError`,
       :class:`ConfigError`, :class:`VersionError`)
3      nothing to do (:class:`NothingToDo`)
4      an external command failed (:class:`CommandError`,
       :class:`ToolNotFound`)
5      a remote service failed (:class:`RemoteError`)
130    interrupted (Ctrl-C or SIGTERM)
=====  ==========================================================

Tree::

    RelmanError
    ├── CheckFailed            1
    ├── UsageError             2
    │   ├── ConfigError        2
    │   ├── VersionError       2
    │   └── NotARepository     2
    ├── NothingToDo            3
    ├── CommandError           4
    │   └── ToolNotFound       4
    ├── RemoteError            5
    └── NotImplementedStep     3

Messages and hints are redacted when made (:mod:`relman._redact`): no
credential reaches them. Only the CLI catches these: it prints ``error: <message>`` and, when there is
one, ``hint: <hint>`` on stderr, and exits with :attr:`RelmanError.exit_code`.
"""

from __future__ import annotations

from collections.abc import Sequence

from relman import _redact

__all__ = [
    "CheckFailed",
    "CommandError",
    "ConfigError",
    "NotARepository",
    "NotImplementedStep",
    "NothingToDo",
    "RelmanError",
    "RemoteError",
    "ToolNotFound",
    "UsageError",
    "VersionError",
]

EXIT_OK = 0
EXIT_CHECK = 1
EXIT_USAGE = 2
EXIT_NOTHING = 3
EXIT_COMMAND = 4
EXIT_REMOTE = 5
EXIT_INTERRUPTED = 130


class RelmanError(Exception):
    """Base of every error relman raises on purpose."""

    exit_code = EXIT_CHECK

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        # no credential in any message: see relman._redact
        message = _redact.text(message)
        super().__init__(message)
        self.message = message
        self.hint = _redact.text(hint) if hint else hint

    def __str__(self) -> str:
        return self.message


class CheckFailed(RelmanError):
    """A check found a problem: the tree, the artifacts or the index are not ready."""

    exit_code = EXIT_CHECK


class UsageError(RelmanError):
    """The command line asks for something that cannot be done as asked."""

    exit_code = EXIT_USAGE


class ConfigError(UsageError):
    """The configuration is invalid. Carries every problem found, not just the first."""

    def __init__(
        self, message: str, *, problems: Sequence[str] = (), hint: str | None = None
    ) -> None:
        self.problems = list(problems)
        if self.problems:
            message = message + "\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(message, hint=hint)


class VersionError(UsageError):
    """A version is not valid PEP 440, or goes backwards, or is already released."""


class NotARepository(UsageError):
    """The project folder is not inside a git repository."""


class NothingToDo(RelmanError):
    """The command had nothing to do (already done, nothing matched)."""

    exit_code = EXIT_NOTHING


class NotImplementedStep(RelmanError):
    """A capability that this version of relman does not provide yet."""

    exit_code = EXIT_NOTHING


class CommandError(RelmanError):
    """An external command (git, gpg, pip, a build backend) failed."""

    exit_code = EXIT_COMMAND

    def __init__(
        self,
        message: str,
        *,
        command: Sequence[str] = (),
        returncode: int | None = None,
        stdout: str = "",
        stderr: str = "",
        hint: str | None = None,
    ) -> None:
        self.command = [_redact.text(str(c)) for c in command]
        self.returncode = returncode
        self.stdout = _redact.text(stdout)
        self.stderr = _redact.text(stderr)
        super().__init__(message, hint=hint)


class ToolNotFound(CommandError):
    """A program relman needs is not installed or not on PATH."""


class RemoteError(RelmanError):
    """A remote service (package index, GitHub, SMTP) failed or refused."""

    exit_code = EXIT_REMOTE
