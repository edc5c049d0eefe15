"""The single door to subprocesses.

Every external program relman runs goes through :func:`run`: the program is
resolved with :func:`shutil.which` (a missing tool is a :class:`ToolNotFound`
with an install hint), ``cwd`` is explicit, ``shell`` is never used, and a
failure raises :class:`CommandError` carrying the command, exit code, stdout
and stderr.

:func:`external_seconds` tells how long relman has spent waiting for external
programs (the union of the intervals in which at least one ran, so programs
run in parallel threads count once): the release's timing line uses it to tell
relman's own work from the builds, environments and git it waits for.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from relman import _report
from relman._record import record
from relman._spawn import Spawned
from relman.errors import CommandError, ToolNotFound

__all__ = ["Completed", "external_seconds", "find_program", "run", "stream"]

_INSTALL_HINTS = {
    "git": "install git (for example `apt-get install git`) and make sure it is on PATH",
    "gpg": "install GnuPG (`apt-get install gnupg`) or configure ssh signing",
    "ssh-keygen": "install OpenSSH (`apt-get install openssh-client`)",
    "uv": "install uv (`pip install uv`); relman falls back to venv and pip without it",
}


class _Clock:
    """The union of the intervals in which at least one external program ran."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active = 0
        self._since = 0.0
        self._total = 0.0

    @contextmanager
    def running(self) -> Iterator[None]:
        with self._lock:
            if self._active == 0:
                self._since = time.perf_counter()
            self._active += 1
        try:
            yield
        finally:
            with self._lock:
                self._active -= 1
                if self._active == 0:
                    self._total += time.perf_counter() - self._since

    def seconds(self) -> float:
        with self._lock:
            ongoing = time.perf_counter() - self._since if self._active else 0.0
            return self._total + ongoing


_CLOCK = _Clock()


def external_seconds() -> float:
    """Seconds this process has spent waiting for external programs so far."""
    return _CLOCK.seconds()


@record(kw_only=False)
class Completed:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str


def find_program(name: str) -> str:
    """Absolute path of ``name`` on PATH, or :class:`ToolNotFound`."""
    found = shutil.which(name)
    if found is None:
        raise ToolNotFound(
            f"{name} was not found on PATH",
            command=[name],
            hint=_INSTALL_HINTS.get(name, f"install {name} and make sure it is on PATH"),
        )
    return found


def run(
    args: Sequence[str | os.PathLike[str]],
    *,
    cwd: str | os.PathLike[str],
    env: Mapping[str, str] | None = None,
    input: str | bytes | None = None,
    check: bool = True,
    text: bool = True,
    timeout: float | None = None,
    what: str | None = None,
) -> Completed:
    """Run ``args`` in ``cwd``; raise :class:`CommandError` when it fails and ``check``.

    ``env`` replaces the environment when given. ``what`` names the action in
    the error message ("git commit failed"). Output is captured; with
    ``text=False`` stdout is decoded as latin-1 so bytes survive round trips.
    """
    argv = [os.fspath(a) for a in args]
    program = argv[0]
    if os.sep not in program:
        argv[0] = find_program(program)
    _report.debug("$ " + " ".join(argv))
    try:
        with _CLOCK.running():
            proc = subprocess.run(
                argv,
                cwd=os.fspath(cwd),
                env=dict(env) if env is not None else None,
                input=input.encode() if isinstance(input, str) and not text else input,
                capture_output=True,
                text=text,
                timeout=timeout,
                check=False,
            )
    except FileNotFoundError as exc:
        if not Path(cwd).is_dir():
            raise CommandError(f"folder {cwd} does not exist", command=argv) from exc
        raise ToolNotFound(f"{program} could not be started: {exc}", command=argv) from exc
    except subprocess.TimeoutExpired as exc:
        raise CommandError(
            f"{what or Path(program).name} did not finish within {timeout} seconds",
            command=argv,
        ) from exc
    stdout = proc.stdout if text else proc.stdout.decode("latin-1")
    stderr = proc.stderr if text else proc.stderr.decode("utf-8", "replace")
    done = Completed(argv, proc.returncode, stdout, stderr)
    if check and proc.returncode != 0:
        name = what or f"{Path(program).name} {' '.join(argv[1:3])}".strip()
        detail = (stderr or stdout).strip()
        last = detail.splitlines()[-1] if detail else "no output"
        raise CommandError(
            f"{name} failed (exit {proc.returncode}): {last}",
            command=argv,
            returncode=proc.returncode,
            stdout=stdout,
            stderr=stderr,
        )
    return done


def stream(
    args: Sequence[str | os.PathLike[str]],
    *,
    cwd: str | os.PathLike[str],
    env: Mapping[str, str] | None = None,
    what: str | None = None,
    chunk_size: int = 1 << 16,
    spawned: Spawned | None = None,
) -> Iterator[str]:
    """Run ``args`` and yield its stdout (UTF-8) in chunks as it is produced.

    For long outputs (``git log`` over a big history) that the caller parses
    while the program still runs. Same rules as :func:`run`: the program is
    resolved on PATH, no shell, and a non-zero exit raises
    :class:`CommandError` (with stderr) once the output is consumed. A
    consumer that stops early terminates the program.

    The program runs as a :class:`relman._spawn.Spawned`: a thread reads
    its output ahead, so the program never waits for the caller (who may
    start it, take the first chunk, and do other work meanwhile); each chunk
    is everything read since the caller took the last one. ``spawned`` is
    that program already started (with ``args``): its output is read from
    here on.
    """
    argv = [os.fspath(a) for a in args]
    program = argv[0]
    if spawned is None:
        if os.sep not in program:
            argv[0] = find_program(program)
        _report.debug("$ " + " ".join(argv))  # (who started ``spawned`` said so then)
    with _CLOCK.running():
        if spawned is None:
            try:
                spawned = Spawned(argv, cwd=cwd, env=env, chunk_size=chunk_size)
            except FileNotFoundError as exc:
                if not Path(cwd).is_dir():
                    raise CommandError(f"folder {cwd} does not exist", command=argv) from exc
                raise ToolNotFound(f"{program} could not be started: {exc}", command=argv) from exc
        try:
            yield from spawned.chunks()
        finally:
            returncode, stderr = spawned.close()
        if spawned.finished and returncode != 0:
            name = what or f"{Path(program).name} {' '.join(argv[1:3])}".strip()
            lines = stderr.strip().splitlines()
            raise CommandError(
                f"{name} failed (exit {returncode}): {lines[-1] if lines else 'no output'}",
                command=argv,
                returncode=returncode,
                stderr=stderr,
            )
