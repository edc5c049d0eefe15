"""A program started with its output read ahead, from as few imports as possible.

:class:`Spawned` starts a program (stdin closed, or a pipe that
:meth:`Spawned.send` writes to; stderr to a temporary file) and a thread that reads its stdout as fast as it writes, into a 1 MiB
pipe where Linux allows it, so the program never waits for its reader.
:meth:`Spawned.chunks` yields the output decoded as UTF-8, each chunk
everything read since the last one. Only the standard library is imported
here: the CLI starts ``relman changelog``'s ``git log`` pass with it before
loading anything else (see :mod:`relman.cli`); :func:`relman._proc.stream`
runs every streamed program through it and owns the error handling.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import os
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence

try:  # what queue.SimpleQueue is, without the imports of the queue module (heapq, ...)
    from _queue import SimpleQueue
except ImportError:  # pragma: no cover (an interpreter without the C module)
    from queue import SimpleQueue  # type: ignore[assignment]
from typing import IO, cast

_PIPE_SIZE = 1 << 20  # what Linux lets any user ask for (/proc/sys/fs/pipe-max-size)
FS = "\x1f"  # between the fields of a git log record
RS = "\x1e"  # after each record


# git writes a log into a pipe a buffer at a time, not a write(2) for each commit
# (what it does for a pipe by default: a tenth of git's time on a big history)
LOG_ENV = {"GIT_FLUSH": "0"}


def log_argv(revs: Sequence[str], fields: Sequence[str]) -> list[str]:
    """The ``git log`` of ``fields`` (placeholders) that ``Repo.iter_log`` runs and parses.

    It runs with :data:`LOG_ENV` added to :func:`git_env`.
    """
    return ["git", "log", f"--format={FS.join(fields)}{RS}", *revs, "--"]


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment relman runs git in: C locale, never a credential prompt."""
    env = dict(os.environ)
    env["LC_ALL"] = "C"
    env["LANG"] = "C"
    env["GIT_TERMINAL_PROMPT"] = "0"
    if extra:
        env.update(extra)
    return env


def _drain(stdout: io.BufferedReader, size: int, out: SimpleQueue[bytes]) -> None:
    """Read a pipe to its end into ``out`` (b"" last), so the writer never waits on us.

    The first chunk is whatever is there (a caller may wait for it to know
    the program runs); then ``size`` bytes at a time, which the reader
    gathers while the program writes (a few large chunks cost the caller
    less than many small ones).
    """
    try:
        data = stdout.read1(size)
        while data:
            out.put(data)
            data = stdout.read(size)
        out.put(b"")
    except (OSError, ValueError):  # the pipe was closed: the consumer stopped early
        out.put(b"")


class Spawned:
    """A running program whose stdout a thread reads ahead (see the module's text).

    ``argv[0]`` must be a path (or a name the OS finds on PATH); a program
    that cannot be started raises :class:`OSError` from here.
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        cwd: str | os.PathLike[str],
        env: Mapping[str, str] | None = None,
        chunk_size: int = 1 << 16,
        stdin: bool = False,
    ) -> None:
        self.argv = list(argv)
        self.cwd = os.fspath(cwd)
        self.err: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        try:
            self.proc = subprocess.Popen(
                self.argv,
                cwd=self.cwd,
                env=dict(env) if env is not None else None,
                stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=self.err,
            )
        except BaseException:
            self.err.close()
            raise
        stdout = cast("io.BufferedReader", self.proc.stdout)
        try:
            import fcntl

            fcntl.fcntl(stdout.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_SIZE)
        except (ImportError, AttributeError, OSError):
            pass  # not Linux, or a lower limit: the default pipe
        self._queue: SimpleQueue[bytes] = SimpleQueue()
        self._reader = threading.Thread(
            target=_drain,
            args=(stdout, chunk_size, self._queue),
            daemon=True,
        )
        self._reader.start()
        self.finished = False  # the whole output was read
        self._closed: tuple[int, str] | None = None

    def send(self, text: str) -> None:
        """Write ``text`` to the program's input (started with ``stdin=True``)."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(text.encode("utf-8", "surrogateescape"))
        self.proc.stdin.flush()

    def end_input(self) -> None:
        """Close the program's input: it reads to its end and finishes its output."""
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            with contextlib.suppress(OSError):  # it stopped reading: its output is still read
                self.proc.stdin.close()

    def chunks(self) -> Iterator[str]:
        """The output, decoded, as it arrives; then :attr:`finished` is True."""
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        chunks = self._queue
        while True:
            data = chunks.get()
            if data and not chunks.empty():  # what arrived while the caller worked
                parts = [data]
                while parts[-1] and not chunks.empty():
                    parts.append(chunks.get())
                data = b"".join(parts)
                if not parts[-1]:
                    chunks.put(b"")  # the end, seen on the next round
            if not data:
                break
            yield decoder.decode(data)
        tail = decoder.decode(b"", final=True)
        if tail:
            yield tail
        self.finished = True

    def close(self) -> tuple[int, str]:
        """Stop the program unless it finished, wait for it; (exit code, its stderr).

        Closing again answers the same.
        """
        if self._closed is not None:
            return self._closed
        proc = self.proc
        if not self.finished and proc.poll() is None:
            proc.kill()
        self.end_input()
        self._reader.join()
        assert proc.stdout is not None
        proc.stdout.close()
        returncode = proc.wait()
        self.err.seek(0)
        stderr = self.err.read().decode("utf-8", "replace")
        self.err.close()
        self._closed = (returncode, stderr)
        return self._closed
