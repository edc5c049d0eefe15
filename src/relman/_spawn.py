"""A program started with its output read ahead, from as few imports as possible.

:class:`Spawned` starts a program (stdin closed, or a pipe that
:meth:`Spawned.send` writes to; stderr to a temporary file) and a thread
that reads its stdout as fast as it writes, into a 1 MiB pipe where Linux
allows it, so the program never waits for its reader.
:meth:`Spawned.chunks` yields the output decoded as UTF-8, each chunk
everything read since the last one. Only the standard library is imported
here, and :mod:`subprocess` only when a program is started with it: the CLI
starts ``relman changelog``'s ``git log`` passes, and the first questions of
``relman status`` (:func:`start_early`), with :func:`os.posix_spawn` before
loading anything else (see :mod:`relman.cli`);
:func:`relman._proc.stream` runs every streamed program through it and owns
the error handling.
"""

from __future__ import annotations

import codecs
import io
import os
import threading

try:  # what queue.SimpleQueue is, without the imports of the queue module (heapq, ...)
    from _queue import SimpleQueue
except ImportError:  # pragma: no cover (an interpreter without the C module)
    from queue import SimpleQueue  # type: ignore[assignment]

# Neither typing, collections.abc, contextlib nor tempfile is imported at run time: git
# starts before they would have loaded (a tenth of a big changelog's time).
TYPE_CHECKING = False
if TYPE_CHECKING:
    import subprocess
    from collections.abc import Iterator, Mapping, Sequence
    from typing import IO

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


# What ``relman status`` asks git first, each with the ``check`` its caller gives
# relman.git's _run: the CLI starts them (start_early) before relman's modules load,
# and relman.git.reading answers those questions from them (take_early).
TOPLEVEL_ARGV = (
    "git",
    "rev-parse",
    "--show-toplevel",
    "--path-format=absolute",
    "--git-common-dir",
    "--is-shallow-repository",
)
REF_FORMAT = "%(refname)%09%(refname:short)%09%(symref)%09%(HEAD)%09%(objectname)%09%(objecttype)"
REFS_ARGV = ("git", "for-each-ref", f"--format={REF_FORMAT}", "refs/heads", "refs/remotes")
TAGS_ARGV = ("git", "show-ref", "--tags", "--dereference")
TREE_ARGV = ("git", "status", "--porcelain=v1", "-z", "--untracked-files=all")
STATUS_READS = ((TOPLEVEL_ARGV, True), (REFS_ARGV, True), (TAGS_ARGV, False), (TREE_ARGV, True))

# (folder, argv, check) -> the git call started early in that folder
_EARLY: dict[tuple[str, tuple[str, ...], bool], Spawned] = {}


def start_early(cwd: str, calls: Sequence[tuple[Sequence[str], bool]]) -> None:
    """Start each git call of ``calls`` (argv, check) in ``cwd`` now; :func:`take_early`
    hands each to whoever asks that question there. One git cannot start: no matter,
    the question is asked again when it comes (and fails as it then does)."""
    env = git_env()
    for argv, check in calls:
        try:
            _EARLY[(cwd, tuple(argv), check)] = Spawned(argv, cwd=cwd, env=env, git_cwd=True)
        except OSError:
            return


def take_early(key: tuple[str, tuple[str, ...], bool]) -> Spawned | None:
    """The call :func:`start_early` started for ``(folder, argv, check)``, if any (once)."""
    return _EARLY.pop(key, None) if _EARLY else None


def drop_early() -> None:
    """Stop and forget the early calls nobody asked for."""
    while _EARLY:
        _EARLY.popitem()[1].close()


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment relman runs git in: C locale, never a credential prompt."""
    env = dict(os.environ)
    env["LC_ALL"] = "C"
    env["LANG"] = "C"
    env["GIT_TERMINAL_PROMPT"] = "0"
    if extra:
        env.update(extra)
    return env


def _stderr_file() -> IO[bytes]:
    """A file for a program's stderr, gone when closed: an anonymous memory file
    where Linux has them (no folder to find, no name to remove), else a temporary file."""
    if hasattr(os, "memfd_create"):
        try:
            return open(os.memfd_create("relman-stderr", os.MFD_CLOEXEC), "w+b")
        except OSError:
            pass  # (a kernel without memfd, or a seccomp filter refusing it)
    import tempfile

    return tempfile.TemporaryFile()


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


class _Child:
    """What :class:`Spawned` uses of a :class:`subprocess.Popen`, for a program started
    with :func:`os.posix_spawn`."""

    def __init__(self, pid: int, stdout: io.BufferedReader) -> None:
        self.pid = pid
        self.stdout = stdout
        self.stdin: IO[bytes] | None = None
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self) -> int:
        if self.returncode is None:
            _, status = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def kill(self) -> None:
        if self.poll() is None:
            import signal

            try:  # noqa: SIM105 (contextlib is not loaded here)
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _program(name: str, env: Mapping[str, str] | None) -> str:
    """``name``'s path on the PATH the program gets (as Popen finds it), or ``name``."""
    if os.sep in name:
        return name
    for folder in os.get_exec_path(dict(env) if env is not None else None):
        path = os.path.join(folder, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    raise FileNotFoundError(2, "No such file or directory", name)


def _start(
    argv: list[str],
    cwd: str,
    env: Mapping[str, str] | None,
    stdin: bool,
    err: IO[bytes],
    git_cwd: bool,
) -> subprocess.Popen[bytes] | _Child:
    """``argv`` started in ``cwd`` (see :class:`Spawned`), its stdout a pipe."""
    if git_cwd and not stdin and hasattr(os, "posix_spawn"):
        import _signal  # type: ignore[import-not-found]  # (signal's C part, without its enums)

        program = _program(argv[0], env)
        read, write = os.pipe()  # (neither end is inherited: only the dup2 to fd 1 is)
        try:
            pid = os.posix_spawn(
                program,
                argv,
                dict(env) if env is not None else dict(os.environ),
                file_actions=[
                    (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                    (os.POSIX_SPAWN_DUP2, write, 1),
                    (os.POSIX_SPAWN_DUP2, err.fileno(), 2),
                ],
                # what Python ignores, the program gets as its default (as Popen does)
                setsigdef=[
                    getattr(_signal, n) for n in ("SIGPIPE", "SIGXFSZ") if hasattr(_signal, n)
                ],
            )
        except BaseException:
            os.close(read)
            raise
        finally:
            os.close(write)
        return _Child(pid, open(read, "rb"))
    import subprocess

    return subprocess.Popen(
        argv,
        cwd=cwd,
        env=dict(env) if env is not None else None,
        stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=err,
    )


class Spawned:
    """A running program whose stdout a thread reads ahead (see the module's text).

    ``argv[0]`` must be a path (or a name the OS finds on PATH); a program
    that cannot be started raises :class:`OSError` from here. With
    ``git_cwd`` the program is git, told its folder with ``-C`` rather than
    started in it: it is then started with :func:`os.posix_spawn` where the
    platform has it, which needs no :mod:`subprocess` (the CLI's early start
    is on its way before that module is imported).
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        cwd: str | os.PathLike[str],
        env: Mapping[str, str] | None = None,
        chunk_size: int = 1 << 16,
        stdin: bool = False,
        git_cwd: bool = False,
    ) -> None:
        self.cwd = os.fspath(cwd)
        self.argv = list(argv) if not git_cwd else [argv[0], "-C", self.cwd, *argv[1:]]
        self.err: IO[bytes] = _stderr_file()
        try:
            self.proc: subprocess.Popen[bytes] | _Child = _start(
                self.argv, self.cwd, env, stdin, self.err, git_cwd
            )
        except BaseException:
            self.err.close()
            raise
        stdout: io.BufferedReader = self.proc.stdout  # type: ignore[assignment]
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
            try:  # noqa: SIM105 (contextlib is not loaded here)
                self.proc.stdin.close()
            except OSError:  # it stopped reading: its output is still read
                pass

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
