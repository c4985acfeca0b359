"""The Typer application; each command module adds its commands with `register(app)`.

Command modules are imported only when their command runs (or when `--help` lists them), so
`tercel version` starts without the model, the store or an HTTP client: the `COMMANDS` table
says which module registers each top-level command.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

import typer
from typer.core import TyperGroup

from tercel import __version__

if TYPE_CHECKING:
    # Typer vendors click; annotating with the stand-alone package would import it at start.
    from typer._click import Command, Context

#: Top-level command -> module under `tercel.cli` whose `register(app)` adds it.
COMMANDS: dict[str, str] = {
    "run": "run",
    "validate": "validate",
    "test": "flowtest",
    "schema": "schema",
    "server": "server",
    "flow": "flow",
    "execution": "execution",
    "logs": "logs",
    "blueprint": "blueprint",
    "plan": "ascode",
    "apply": "ascode",
    "tenant": "tenant",
    "user": "access",
    "access": "access",
    "audit": "access",
}


class LazyCommands(TyperGroup):
    """A command group that imports a command's module the first time the command is used."""

    def list_commands(self, ctx: Context) -> list[str]:
        """Built-in commands plus every command of the table, in the table's order."""
        return [
            *super().list_commands(ctx),
            *(name for name in COMMANDS if name not in self.commands),
        ]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        """The command `cmd_name`, importing the module that registers it if needed."""
        found = super().get_command(ctx, cmd_name)
        if found is not None or cmd_name not in COMMANDS:
            return found
        holder = typer.Typer()
        importlib.import_module(f"tercel.cli.{COMMANDS[cmd_name]}").register(holder)
        group = typer.main.get_group(holder)
        command = group.get_command(ctx, cmd_name)
        if command is not None:
            self.add_command(command, cmd_name)
        return command


app = typer.Typer(
    name="tercel",
    cls=LazyCommands,
    help="Tercel runs Kestra-compatible YAML flows: validate, run, serve.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Tercel runs Kestra-compatible YAML flows: validate, run, serve."""


@app.command()
def version() -> None:
    """Print Tercel's version."""
    typer.echo(__version__)


def main() -> None:
    """Console-script entry point."""
    app()
