"""The one channel from the library to the user.

The library never prints: it calls :func:`info`, :func:`warn`, :func:`debug`
and :func:`progress`, which go to the reporter the CLI installs with
:func:`use_reporter`. Without one, messages are dropped, so the library is
quiet when used from Python. Every message is redacted on the way
(:func:`relman._redact.text`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Protocol

from relman import _redact

__all__ = [
    "NullReporter",
    "Progress",
    "Recorder",
    "Reporter",
    "debug",
    "info",
    "progress",
    "use_reporter",
    "warn",
]


class Progress(Protocol):
    def advance(self, amount: float = 1) -> None: ...


class Reporter(Protocol):
    def message(self, level: str, text: str) -> None: ...

    def progress(
        self, description: str, total: float | None
    ) -> contextlib.AbstractContextManager[Progress]: ...


class _NullProgress:
    def advance(self, amount: float = 1) -> None:
        pass


class NullReporter:
    """Drops everything."""

    def message(self, level: str, text: str) -> None:
        pass

    @contextlib.contextmanager
    def progress(self, description: str, total: float | None) -> Iterator[Progress]:
        yield _NullProgress()


class Recorder:
    """Keeps the messages of work started before the reporter that should show them
    is installed (the CLI's early starts); :meth:`replay` passes them on."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []

    def message(self, level: str, text: str) -> None:
        self.messages.append((level, text))

    def progress(
        self, description: str, total: float | None
    ) -> contextlib.AbstractContextManager[Progress]:
        return NullReporter().progress(description, total)

    def replay(self) -> None:
        """Pass the messages kept so far, in order, to this context's reporter."""
        kept, self.messages = self.messages, []
        reporter = _reporter.get()
        for level, text in kept:
            reporter.message(level, text)


_reporter: ContextVar[Reporter] = ContextVar("relman_reporter", default=NullReporter())  # noqa: B039 (stateless)


@contextlib.contextmanager
def use_reporter(reporter: Reporter) -> Iterator[None]:
    token = _reporter.set(reporter)
    try:
        yield
    finally:
        _reporter.reset(token)


def info(text: str) -> None:
    _reporter.get().message("info", _redact.text(text))


def warn(text: str) -> None:
    _reporter.get().message("warning", _redact.text(text))


def debug(text: str) -> None:
    _reporter.get().message("debug", _redact.text(text))


def progress(
    description: str, total: float | None = None
) -> contextlib.AbstractContextManager[Progress]:
    """A progress bar on a terminal, nothing when piped."""
    return _reporter.get().progress(description, total)
