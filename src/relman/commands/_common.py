"""What every command shares: global options, the state they set, output.

Global options (``--project``, ``--json``, ``-v``, ``--dry-run``, ``--yes``) are
accepted on the top-level group and on every command, so ``relman --json
status`` and ``relman status --json`` mean the same. Results go to stdout
(JSON with ``--json``), everything else to stderr.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from relman import _redact
from relman._regex import LazyPattern
from relman.commands._table import OPTION_HELP

if TYPE_CHECKING:
    from relman.config import Config

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class State:
    """Global options of one invocation (the click context object)."""

    project: Path | None = None
    json: bool = False
    verbose: int = 0
    dry_run: bool = False
    yes: bool = False
    overrides: dict[str, Any] = field(default_factory=dict)
    early_log: Any = None  # (folder, StartedLog, messages): a changelog pass started early
    early_publish: Any = None  # (--to, folder, Target, StartedListing): a publish's listing
    # the command has written and closed all it writes: the process may end without
    # the interpreter's teardown (see relman.cli.run)
    done_at_once: bool = False
    kept: Any = None  # what the command read, left for the process's end to free
    _config: Config | None = None

    def config(self) -> Config:
        if self._config is None:
            from relman.project import load_config

            self._config = load_config(self.project, overrides=self.overrides)
        return self._config


def get_state() -> State:
    ctx = click.get_current_context()
    obj = ctx.find_root().obj
    if not isinstance(obj, State):
        obj = State()
        ctx.find_root().obj = obj
    return obj


def _set(name: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        root = ctx.find_root()
        if not isinstance(root.obj, State):
            root.obj = State()
        state: State = root.obj
        if name == "verbose":
            state.verbose += value or 0
        elif name == "project":
            if value is not None:
                state.project = Path(value)
        elif value:
            setattr(state, name, True)

    return callback


def global_options(*, dry_run: bool = True) -> Callable[[F], F]:
    """Add the global options to a command or group."""

    def decorate(f: F) -> F:
        opts = [
            click.option(
                "--project",
                type=click.Path(file_okay=False, path_type=Path),
                expose_value=False,
                is_eager=True,
                callback=_set("project"),
                help=OPTION_HELP["--project"],
            ),
            click.option(
                "--json",
                "json_",
                is_flag=True,
                expose_value=False,
                callback=_set("json"),
                help=OPTION_HELP["--json"],
            ),
            click.option(
                "-v",
                "--verbose",
                count=True,
                expose_value=False,
                callback=_set("verbose"),
                help=OPTION_HELP["--verbose"],
            ),
            click.option(
                "-y",
                "--yes",
                is_flag=True,
                expose_value=False,
                callback=_set("yes"),
                help=OPTION_HELP["--yes"],
            ),
        ]
        if dry_run:
            opts.append(
                click.option(
                    "--dry-run",
                    is_flag=True,
                    expose_value=False,
                    callback=_set("dry_run"),
                    help=OPTION_HELP["--dry-run"],
                )
            )
        for opt in reversed(opts):
            f = opt(f)
        return f

    return decorate


# -- output -----------------------------------------------------------------


def emit(data: Any, render: Callable[[], None] | None = None) -> None:
    """Print a command's result: JSON with --json, otherwise ``render()``.

    Every string of the JSON goes through :func:`relman._redact.data`; the text
    renderings use :func:`echo` and :func:`table`, which redact too.
    """
    state = get_state()
    if state.json:
        from relman.commands._output import json_text

        click.echo(json_text(data))
    elif render is not None:
        render()


def echo(text: str = "", *, nl: bool = True) -> None:
    """Result text (stdout), redacted."""
    text = _redact.text(text)
    # click strips ANSI escapes from what goes to a pipe or file: only look for them
    # (a regex over the whole text, long for a big changelog) where there is one
    click.echo(text, nl=nl, color=None if "\x1b" in text else True)


def message(text: str) -> None:
    """A line of commentary (stderr), redacted."""
    click.echo(_redact.text(text), err=True)


def _color_enabled(stream: Any) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def console(stderr: bool = False) -> Any:
    """A rich Console on stdout (or stderr) that honours NO_COLOR and pipes."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    color = _color_enabled(stream)
    return Console(
        file=stream,
        no_color=not color,
        color_system="auto" if color else None,
        highlight=False,
        soft_wrap=not color,
        width=None if color else 200,
    )


def table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], *, title: str | None = None
) -> None:
    """A table on stdout; plain aligned columns when piped.

    Piped, a table of plain ASCII text that fits the width is laid out here as
    rich lays it out (``tests/test_cli.py`` compares the two), without importing
    rich: publishing 61 files spent a fifth of its time printing their table.
    """
    cells = [["" if v is None else _redact.text(str(v)) for v in row] for row in rows]
    if not _color_enabled(sys.stdout):
        plain = plain_table(headers, cells, title=title)
        if plain is not None:
            click.echo(plain, nl=False)
            return
    rich_table(headers, cells, title=title)


def rich_table(
    headers: Sequence[str], cells: Sequence[Sequence[str]], *, title: str | None = None
) -> None:
    """:func:`table` drawn by rich (cells already redacted)."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    t = Table(
        *headers,
        title=title,
        box=box.SIMPLE if _color_enabled(sys.stdout) else box.ASCII2,
        show_edge=False,
        pad_edge=False,
    )
    for row in cells:
        t.add_row(*(escape(v) for v in row))
    console().print(t)


_PLAIN_WIDTH = 200  # console()'s width when piped
# rich replaces :name: (or :name-emoji: / :name-text:) by an emoji when it knows the
# name; its names are spelt with these characters (a URL's "://host:" is none)
_EMOJI_CODE = LazyPattern(r"(:(\S*?)(?:(?:\-)(emoji|text))?:)")
_EMOJI_NAME = LazyPattern(r"[!#&()*+\-.0-9_a-z]+")


def _may_be_emoji(text: str) -> bool:
    return any(_EMOJI_NAME.fullmatch(m.group(2).lower()) for m in _EMOJI_CODE.finditer(text))


def plain_table(
    headers: Sequence[str], cells: Sequence[Sequence[str]], *, title: str | None = None
) -> str | None:
    """The piped table as text; None when rich has to lay it out (text that is not
    printable ASCII or holds what rich reads as an emoji code, ``:name:``, a row of
    another length, or a table wider than the console)."""
    rows = [list(headers), *(list(r) for r in cells)]
    n = len(headers)
    texts = [cell for r in rows for cell in r] + ([title] if title else [])
    if n == 0 or any(len(r) != n for r in rows):
        return None
    if any("[" in t for t in [*headers, title or ""]):
        return None  # rich reads the brackets of a title or a header as markup
    if not all(t.isascii() and t.isprintable() and not _may_be_emoji(t) for t in texts):
        return None
    widths = [max(len(r[i]) for r in rows) for i in range(n)]
    if sum(widths) + 3 * (n - 1) > _PLAIN_WIDTH or not all(widths):
        return None

    def line(values: Sequence[str]) -> str:
        if n == 1:
            return values[0].ljust(widths[0])
        parts = [values[0].ljust(widths[0]) + " "]
        parts += [" " + v.ljust(w) + " " for v, w in zip(values[1:-1], widths[1:-1], strict=True)]
        parts.append(" " + values[-1].ljust(widths[-1]))
        return "|".join(parts)

    if n == 1:
        rule = "-" * widths[0]
    else:
        rule = "+".join(
            ["-" * (widths[0] + 1), *("-" * (w + 2) for w in widths[1:-1]), "-" * (widths[-1] + 1)]
        )
    out = ([title] if title else []) + [line(headers), rule] + [line(r) for r in cells]
    return "\n".join(out) + "\n"


class CliReporter:
    """The reporter the CLI installs: messages on stderr, rich progress on a terminal."""

    def __init__(self, state: State, *, debug: bool = False) -> None:
        self.state = state
        self.debug = debug

    def message(self, level: str, text: str) -> None:
        if level == "debug" and not (self.state.verbose or self.debug):
            return
        prefix = {"warning": "warning: ", "debug": "debug: "}.get(level, "")
        click.echo(prefix + _redact.text(text), err=True)

    @contextmanager
    def progress(self, description: str, total: float | None) -> Iterator[Any]:
        if self.state.json or not _color_enabled(sys.stderr):
            from relman._report import NullReporter

            with NullReporter().progress(description, total) as p:
                yield p
            return
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=console(stderr=True),
            transient=True,
        ) as bar:
            task = bar.add_task(description, total=total)

            class _Advance:
                def advance(self, amount: float = 1) -> None:
                    bar.advance(task, amount)

            yield _Advance()


def confirm(question: str) -> bool:
    """Ask yes/no on a terminal; --yes answers yes; no terminal and no --yes is no."""
    state = get_state()
    if state.yes:
        return True
    if not sys.stdin.isatty():
        return False
    return click.confirm(question, default=False, err=True)


def as_plain(obj: Any) -> Any:
    """Dataclasses, paths and mappings as JSON-ready data."""
    from relman.commands._output import as_plain as plain

    return plain(obj)
