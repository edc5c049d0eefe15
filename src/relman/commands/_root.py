"""The top-level click group: commands loaded from their modules only when run.

The commands and their one-line help come from :mod:`relman.commands._table`,
so listing them imports none of them.
"""

from __future__ import annotations

import importlib

import click

from relman.commands._common import global_options
from relman.commands._table import COMMANDS, GROUP_HELP

__all__ = ["cli"]


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
    pass


cli.help = GROUP_HELP
