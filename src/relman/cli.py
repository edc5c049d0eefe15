"""relman's command line: turns argv into calls of the library.

Commands live in :mod:`relman.commands` and are imported only when run, so
``relman --help`` stays fast. Errors from the library are printed as
``error: …`` (and ``hint: …``) on stderr with the exit code of their class
(see :mod:`relman.errors`); tracebacks only with ``-v`` or ``RELMAN_DEBUG=1``.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any

import click

from relman.commands._common import CliReporter, State, global_options

# name -> (module, attribute, short help). Help text lives here so that
# `relman --help` does not import every command.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "status": (
        "relman.commands.status",
        "status",
        "Project, version, last release and next versions.",
    ),
    "config": (
        "relman.commands.status",
        "config_cmd",
        "Resolved configuration and where each value came from.",
    ),
    "init": ("relman.commands.status", "init", "Show (or write) the detected [tool.relman] table."),
    "version": ("relman.commands.version", "version", "Show, check, bump and set the version."),
    "notes": ("relman.commands.notes", "notes", "Release notes from news fragments."),
    "changelog": (
        "relman.commands.history",
        "changelog",
        "Contributors and merged pull requests of a release.",
    ),
    "authors": ("relman.commands.history", "authors", "Authors of a range with commit counts."),
    "mailmap": ("relman.commands.history", "mailmap", "Find duplicate identities for .mailmap."),
    "backports": (
        "relman.commands.history",
        "backports",
        "Pull requests marked for backport and where they are.",
    ),
    "check": ("relman.commands.check", "check", "Preflight checks before a release."),
    "support": ("relman.commands.check", "support", "NEP 29 / SPEC 0 support windows."),
    "build": ("relman.commands.artifacts", "build", "Build sdist and wheels from a clean export."),
    "inspect": (
        "relman.commands.artifacts",
        "inspect",
        "Inspect metadata and contents of artifacts.",
    ),
    "verify": (
        "relman.commands.artifacts",
        "verify",
        "Install and test artifacts in clean environments.",
    ),
    "checksums": (
        "relman.commands.artifacts",
        "checksums",
        "Write SHA256SUMS, signatures and a release README.",
    ),
    "verify-signatures": (
        "relman.commands.artifacts",
        "verify_signatures",
        "Check detached signatures.",
    ),
    "wheels": ("relman.commands.wheels", "wheels", "Fetch wheels built elsewhere."),
    "ci": ("relman.commands.ci", "ci", "The CI workflow that builds every wheel (GitHub Actions)."),
    "publish": (
        "relman.commands.publish",
        "publish",
        "Upload artifacts to a package index, wheels first.",
    ),
    "schedule": (
        "relman.commands.schedule",
        "schedule",
        "Propose a feature release's dates: branch cut, betas, rcs, final.",
    ),
    "plan": ("relman.commands.release", "plan", "Show every release step and its state."),
    "release": ("relman.commands.release", "release", "Run (or resume) a whole release."),
    "demo": ("relman.commands.release", "demo", "A full release of the example project, offline."),
}


class _NotBuilt(click.Command):
    def __init__(self, name: str) -> None:
        super().__init__(
            name, callback=self._fail, help="Not implemented in this version of relman."
        )

    def _fail(self) -> None:
        from relman.errors import NotImplementedStep

        raise NotImplementedStep(f"`relman {self.name}` is not implemented in this version")


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, attr, _ = COMMANDS[cmd_name]
        try:
            module = importlib.import_module(module_name)
            command = getattr(module, attr)
        except (ImportError, AttributeError) as exc:
            if isinstance(exc, ImportError) and exc.name not in (module_name, None):
                raise
            return _NotBuilt(cmd_name)
        assert isinstance(command, click.Command)
        return command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if args and name not in COMMANDS and not name.startswith("-"):
            import difflib

            close = difflib.get_close_matches(name, list(COMMANDS), n=1, cutoff=0.6)
            hint = f"did you mean `relman {close[0]}`?" if close else "`relman --help` lists them"
            raise click.UsageError(f"no such command {name!r}; {hint}", ctx)
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_) for name, (_, _, help_) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="relman", prog_name="relman")
@global_options()
def cli() -> None:
    """relman: the release manager's tool for Python projects.

    Every step of a release as one verified command, and the whole release
    as one resumable command: `relman release VERSION`.

    Exit codes: 0 ok, 1 a check failed, 2 usage or configuration error,
    3 nothing to do, 4 an external command failed, 5 a remote service
    failed, 130 interrupted (Ctrl-C or SIGTERM).
    """


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C: the run stops where it is and resumes later."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


def _handle_sigterm() -> None:
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_sigterm)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `relman` command; returns the exit code."""
    from relman import _redact, _report
    from relman.errors import EXIT_INTERRUPTED, EXIT_USAGE, RelmanError

    args = list(sys.argv[1:] if argv is None else argv)
    _handle_sigterm()
    state = State()
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


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()
