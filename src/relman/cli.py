"""relman's command line: turns argv into calls of the library.

Commands live in :mod:`relman.commands` and are imported only when run, so
``relman --help`` stays fast: it is printed from the command table
(:mod:`relman.commands._table`) by :func:`render_help`, laid out as click lays
out the group's help, without importing click at all; a plain ``relman status``
(``--json``) and ``relman notes draft`` run without click too (:func:`_plain`).
What a command waits on is started before click and the commands load: ``changelog``'s git passes
(:func:`_early_changelog`) and ``publish``'s index listing
(:func:`_early_publish`). Errors from the library are printed as
``error: …`` (and ``hint: …``) on stderr with the exit code of their class
(see :mod:`relman.errors`); tracebacks only with ``-v`` or ``RELMAN_DEBUG=1``.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # (not imported at run time: git starts before they would load)
    from collections.abc import Callable, Sequence
    from typing import Any

_HELP_ARGS = (["--help"], ["-h"])


def _wrap(text: str, width: int, indent: str = "", subsequent: str | None = None) -> list[str]:
    import textwrap

    wrapper = textwrap.TextWrapper(
        width,
        initial_indent=indent,
        subsequent_indent=indent if subsequent is None else subsequent,
        replace_whitespace=False,
    )
    return wrapper.wrap(text.expandtabs())


def _definitions(rows: Sequence[tuple[str, str]], width: int, indent: int = 2) -> list[str]:
    """A two-column list: terms, then their text wrapped beside them (click's layout)."""
    first_col = min(max(len(term) for term, _ in rows), 30) + 2
    text_width = max(width - first_col - 2, 10)
    lines = []
    for term, text in rows:
        wrapped = _wrap(text, text_width) or [""]
        if len(term) <= first_col - 2:
            lines.append(" " * indent + term + " " * (first_col - len(term)) + wrapped[0])
        else:
            lines.append(" " * indent + term)
            lines.append(" " * (first_col + indent) + wrapped[0])
        lines += [" " * (first_col + indent) + line for line in wrapped[1:]]
    return lines


def render_help(width: int | None = None) -> str:
    """``relman --help``: usage, the group's text, the global options, the commands.

    ``width`` defaults to the terminal's, kept between 50 and 78 columns.
    """
    import shutil

    from relman.commands._table import COMMANDS, GROUP_HELP, OPTION_ROWS

    if width is None:
        width = max(min(shutil.get_terminal_size().columns, 80) - 2, 50)
    usage = "Usage: relman "
    lines = _wrap("[OPTIONS] COMMAND [ARGS]...", width, usage, " " * len(usage))
    for paragraph in GROUP_HELP.split("\n\n"):
        lines.append("")
        lines += _wrap(" ".join(paragraph.splitlines()), width, "  ")
    lines += ["", "Options:", *_definitions(OPTION_ROWS, width)]
    commands = [(name, help_) for name, (_, _, help_) in COMMANDS.items()]
    lines += ["", "Commands:", *_definitions(commands, width)]
    return "\n".join(lines) + "\n"


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C: the run stops where it is and resumes later."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


def _handle_sigterm() -> None:
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_sigterm)


_GLOBAL_FLAGS = frozenset({"--json", "-v", "--verbose", "-vv", "-y", "--yes", "--dry-run"})
_CHANGELOG_VALUES = frozenset(
    {"--release", "--format", "--mailmap-rev", "--style", "-o", "--output", "--project"}
)
_CHANGELOG_FLAGS = _GLOBAL_FLAGS | {"--offline"}


def _read_args(
    args: Sequence[str], valued: frozenset[str], flags: frozenset[str]
) -> tuple[dict[str, str], list[str]] | None:
    """The values ``args`` gives the options of ``valued`` (each flag of ``flags`` it
    gives maps to ""), and its positional arguments; None when it holds an option that
    is in neither ``valued`` nor ``flags``, or one without its value (the command then
    reads its arguments itself)."""
    values: dict[str, str] = {}
    positional: list[str] = []
    tokens = iter(args)
    for token in tokens:
        name, eq, value = token.partition("=")
        if name in valued:
            given = value if eq else next(tokens, None)
            if given is None:
                return None
            values[name] = given
        elif token.startswith("-"):
            if token not in flags:
                return None
            values[token] = ""
        else:
            positional.append(token)
    return values, positional


def _early_changelog(args: Sequence[str]) -> Any:
    """``relman changelog RANGE``'s ``git log`` pass, started before click and the commands load.

    On a big history git then reads while Python imports and loads the
    configuration. A plain range (``A..B``, ``B``) is given to git as written,
    before relman's modules are imported, and checked while git reads.
    Returns (the folder it was started for, the started pass, what it
    reported: the command passes it on once ``-v`` is known). Anything but a
    plain ``changelog RANGE`` (``--write``, ``--help``, an option this does
    not know) returns None and the command starts the pass itself, as it does
    when starting here fails: the command then reports the problem.
    """
    read = _read_args(args, _CHANGELOG_VALUES, _CHANGELOG_FLAGS)
    if read is None:
        return None
    values, positional = read
    if len(positional) != 2 or positional[0] != "changelog" or not positional[1]:
        return None
    spawned = spawned_before = None
    try:
        from relman import _spawn
        from relman.history._fields import RANGE_FIELDS, likely_before_fields, plain_range

        where = os.path.realpath(values.get("--project") or os.getcwd())
        text = positional[1].strip()
        before_fields = likely_before_fields(values.get("--style"), where)
        if not values.get("--mailmap-rev") and plain_range(text):
            # git starts now, with the range as written (checked below, while git reads),
            # and the pass over the history before it, for the "+" marks
            for argv in (
                _spawn.log_argv([text], RANGE_FIELDS),
                _spawn.log_argv([text.partition("..")[0] or "HEAD"], before_fields),
            ):
                started_now = _spawn.Spawned(
                    argv, cwd=where, env=_spawn.git_env(_spawn.LOG_ENV), git_cwd=True
                )
                if spawned is None:
                    spawned = started_now
                else:
                    spawned_before = started_now
                if ".." not in text:
                    break  # the whole history: nothing before it
        from pathlib import Path

        from relman import _report  # (loaded once git runs)

        recorder = _report.Recorder()
        for running in (spawned, spawned_before):
            if running is not None:
                recorder.message("debug", "$ " + " ".join(running.argv))

        from relman.git import find_repo
        from relman.history._log import start_log

        with _report.use_reporter(recorder):
            started = start_log(
                find_repo(where),
                positional[1],
                mailmap_rev=values.get("--mailmap-rev") or None,
                spawned=spawned,
                before_fields=before_fields,
                spawned_before=spawned_before,
            )
        return Path(where), started, recorder.messages
    except Exception:  # the command starts them again and reports what went wrong
        for running in (spawned, spawned_before):
            if running is not None:
                running.close()
        return None


_PUBLISH_VALUES = frozenset({"--to", "--workers", "--project"})


def _early_publish(args: Sequence[str]) -> Any:
    """``relman publish DIR``'s listing, asked for before click and the commands load.

    The index answers while Python imports the rest, and the uploads reuse the
    connection the listing opened. ``publish DIR`` with ``--to``,
    ``--workers``, ``--project`` and the global flags but ``--dry-run`` is
    read here; anything else (``--help``, an option this does not know), a
    local target, or a failure here returns None, and the command asks for
    the listing itself (and reports what failed). Returns (the configuration,
    the ``--to`` value, the folder, the target, the started listing).
    """
    read = _read_args(args, _PUBLISH_VALUES, _GLOBAL_FLAGS - {"--dry-run"})
    if read is None:
        return None
    values, positional = read
    if len(positional) != 2 or positional[0] != "publish" or not positional[1]:
        return None
    workers = values.get("--workers")
    if workers is not None and not (workers.isdigit() and int(workers) >= 1):
        return None
    try:
        from pathlib import Path

        from relman.index.dists import find_dist_files
        from relman.index.publish import start_listing
        from relman.index.targets import resolve_target
        from relman.project import load_config

        project = values.get("--project")
        config = load_config(Path(project) if project else None)
        folder, to = Path(positional[1]), values.get("--to")
        if (to or config.publish.target) == "local":
            return None  # the embedded index: no answer to wait for (and git finds it)
        target = resolve_target(config, to)
        listing = start_listing(
            config, target, find_dist_files(folder), workers=int(workers) if workers else None
        )
    except Exception:  # the command does it again and reports what went wrong
        return None
    return None if listing is None else (config, to, folder, target, listing)


# what `relman status` is given most often, and `relman notes draft`'s options: these
# run before click is imported (_plain)
_PLAIN_STATUS = (["status"], ["status", "--json"], ["--json", "status"])
_DRAFT_VALUES = frozenset({"--version", "--name", "--date"})


def _write(text: str, *, err: bool = False, nl: bool = True) -> None:
    """``text`` and a newline as ``click.echo`` writes them (flushed); one with an ANSI
    escape goes through click itself, which strips it where no terminal shows it."""
    if "\x1b" in text:
        import click

        click.echo(text, err=err, nl=nl)
        return
    stream = sys.stderr if err else sys.stdout
    stream.write(text + "\n" if nl else text)
    stream.flush()


class _PlainReporter:
    """The CLI's reporter for :func:`_plain` (no -v there: no debug lines)."""

    def message(self, level: str, text: str) -> None:
        from relman import _redact

        if level != "debug":
            _write(("warning: " if level == "warning" else "") + _redact.text(text), err=True)

    def progress(self, description: str, total: float | None) -> Any:
        from relman._report import NullReporter

        return NullReporter().progress(description, total)


def _start_status_reads() -> None:
    """In a project's own checkout (``.git`` and the project file here), the git calls
    status makes first are started now, before relman loads: git reads the refs and
    the tree on the other core meanwhile."""
    try:
        here = os.getcwd()
    except OSError:
        return
    if os.path.exists(os.path.join(here, ".git")) and any(
        os.path.isfile(os.path.join(here, name)) for name in ("pyproject.toml", "setup.py")
    ):
        from relman import _spawn

        _spawn.start_early(here, _spawn.STATUS_READS)


def _plain_command(args: list[str]) -> Callable[[], None] | None:
    """What runs ``args`` without click: ``relman status`` as :data:`_PLAIN_STATUS`
    lists it, ``relman notes draft`` with no option beyond ``--version``, ``--name``,
    ``--date`` and ``--json``; None for any other command line."""
    if args in _PLAIN_STATUS:
        return lambda: _status("--json" in args)
    if args[:2] != ["notes", "draft"]:
        return None
    read = _read_args(args[2:], _DRAFT_VALUES, frozenset({"--json"}))
    if read is None or read[1]:
        return None
    values = read[0]
    return lambda: _draft(values)


def _status(json_: bool) -> None:
    from relman import _redact
    from relman.commands._output import json_text
    from relman.commands._status import gather_status, render_status
    from relman.project import load_config

    def echo(text: str = "") -> None:
        _write(_redact.text(text))

    data = gather_status(lambda: load_config(None, overrides={}))
    if json_:
        _write(json_text(data))
    else:
        render_status(data, echo)


def _draft(values: dict[str, str]) -> None:
    from relman import _redact
    from relman.commands._notes import draft
    from relman.commands._output import json_text
    from relman.project import load_config

    data, newline = draft(
        load_config(None, overrides={}),
        values.get("--version"),
        date=values.get("--date"),
        name=values.get("--name"),
    )
    if "--json" in values:
        _write(json_text(data))
    else:
        _write(_redact.text(data["notes"]), nl=newline)


def _plain(args: list[str]) -> int | None:
    """A command of :func:`_plain_command` run without click: its exit code, with the
    output, messages and errors click's run gives; None when click must run it
    (another command line, ``RELMAN_DEBUG``, shell completion, a standard stream click
    would re-encode).

    Importing click and building the command line is a sixth of a status's time, and
    a third of the fixed cost of a draft.
    """
    import codecs

    debug = os.environ.get("RELMAN_DEBUG", "") not in ("", "0")
    command = _plain_command(args)
    if command is None or debug or "_RELMAN_COMPLETE" in os.environ:
        return None
    for stream in (sys.stdout, sys.stderr):
        try:  # click writes through a UTF-8 wrapper of a stream that says it is ASCII
            if codecs.lookup(getattr(stream, "encoding", None) or "ascii").name == "ascii":
                return None
        except LookupError:
            return None
    if args[0] == "status":
        _start_status_reads()
    import errno
    import types

    from relman import _redact, _report, _spawn
    from relman.errors import EXIT_INTERRUPTED, RelmanError

    _handle_sigterm()
    _LAST[:] = [types.SimpleNamespace(done_at_once=True)]  # as the command says (see run)
    try:
        with _report.use_reporter(_PlainReporter()):
            command()
        return 0
    except RelmanError as exc:
        _write(f"error: {_redact.text(exc.message)}", err=True)
        if exc.hint:
            _write(f"hint: {_redact.text(exc.hint)}", err=True)
        return exc.exit_code
    except (EOFError, KeyboardInterrupt) as exc:
        _write("", err=True)  # click's own empty line before it aborts
        terminated = isinstance(exc, Terminated)
        _write("error: terminated (SIGTERM)" if terminated else "error: interrupted", err=True)
        return EXIT_INTERRUPTED
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        import click.utils  # what click does when the reader has gone

        pacify: Any = click.utils.PacifyFlushWrapper
        sys.stdout, sys.stderr = pacify(sys.stdout), pacify(sys.stderr)
        sys.exit(1)
    finally:
        _spawn.drop_early()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `relman` command; returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args in _HELP_ARGS:
        try:
            sys.stdout.write(render_help())
            sys.stdout.flush()
        except BrokenPipeError:
            pass
        return 0
    plain = _plain(args)
    if plain is not None:
        return plain
    early_log = _early_changelog(args)
    early_publish = None if early_log is not None else _early_publish(args)
    import click

    from relman import _redact, _report
    from relman.commands._common import CliReporter, State
    from relman.commands._root import cli
    from relman.errors import EXIT_INTERRUPTED, EXIT_USAGE, RelmanError

    _handle_sigterm()
    state = State(early_log=early_log)
    if early_publish is not None:
        state._config, state.early_publish = early_publish[0], early_publish[1:]
    _LAST[:] = [state]
    debug = os.environ.get("RELMAN_DEBUG", "") not in ("", "0")
    try:
        with _report.use_reporter(CliReporter(state, debug=debug)):
            result: Any = cli.main(args, prog_name="relman", obj=state, standalone_mode=False)
        return int(result or 0) if isinstance(result, int) else 0
    except RelmanError as exc:
        if debug or state.verbose:
            import traceback

            traceback.print_exc()
        click.echo(f"error: {_redact.text(exc.message)}", err=True)
        if exc.hint:
            click.echo(f"hint: {_redact.text(exc.hint)}", err=True)
        return exc.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt) as exc:
        terminated = isinstance(exc, Terminated) or isinstance(exc.__cause__, Terminated)
        click.echo("error: terminated (SIGTERM)" if terminated else "error: interrupted", err=True)
        if args and args[0] == "release":
            click.echo(
                "hint: `relman release --resume` continues where it stopped "
                "(`relman release --status` shows how far it got)",
                err=True,
            )
        return EXIT_INTERRUPTED
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE if exc.exit_code == 2 else exc.exit_code
    except BrokenPipeError:
        return 0


# the State of the invocation main() ran last, for run()
_LAST: list[Any] = []


def run() -> None:
    """The console script: exit with :func:`main`'s code.

    A command that has written and closed all it writes (``State.done_at_once``:
    ``relman changelog``, ``relman status``) ends the process once its output is
    flushed, without the interpreter's teardown, which would only free what it read
    one object at a time (300,000 objects, ~50 ms, on a 30,000-commit history).
    relman registers no exit handlers; those of whoever runs it are run first.
    """
    code = main()
    if _LAST and _LAST[0].done_at_once:
        import atexit
        import contextlib

        atexit._run_exitfuncs()  # what the teardown would run first
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing to show
                stream.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
