"""The Typer application; each command module adds its commands with `register(app)`."""

from __future__ import annotations

import importlib

import typer

from tercel import __version__

#: Command modules under `tercel.cli`, each exposing `register(app: typer.Typer) -> None`.
COMMAND_MODULES: tuple[str, ...] = (
    "run",
    "validate",
    "schema",
    "server",
    "flow",
    "execution",
    "logs",
    "blueprint",
    "tenant",
    "access",
)

app = typer.Typer(
    name="tercel",
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


for _name in COMMAND_MODULES:
    importlib.import_module(f"tercel.cli.{_name}").register(app)


def main() -> None:
    """Console-script entry point."""
    app()
