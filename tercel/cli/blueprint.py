"""`tercel blueprint list | show ID | use ID [--namespace NS] [--output FILE]`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from tercel.errors import NotFoundError

if TYPE_CHECKING:
    from tercel.blueprints import Blueprint

blueprint_app = typer.Typer(
    help="Ready-to-use flows: list them, read one, copy one into your namespace.",
    no_args_is_help=True,
)


@blueprint_app.command("list")
def list_command(
    tag: Annotated[str | None, typer.Option("--tag", help="Only blueprints with this tag.")] = None,
) -> None:
    """List the blueprints: id, title and tags."""
    from tercel.blueprints import all_blueprints

    table = Table("ID", "TITLE", "TAGS", box=None, header_style="bold")
    for blueprint in all_blueprints():
        if tag is None or tag in blueprint.tags:
            table.add_row(blueprint.id, blueprint.title, ", ".join(blueprint.tags))
    Console(width=160).print(table)


@blueprint_app.command("show")
def show_command(blueprint_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Describe a blueprint and print its flow(s)."""
    blueprint = _find(blueprint_id)
    typer.echo(f"# {blueprint.title}\n#")
    for line in blueprint.description.splitlines():
        typer.echo(f"# {line}".rstrip())
    typer.echo(f"#\n# tags: {', '.join(blueprint.tags)}\n")
    typer.echo(blueprint.text(), nl=False)


@blueprint_app.command("use")
def use_command(
    blueprint_id: Annotated[str, typer.Argument(metavar="ID")],
    namespace: Annotated[
        str | None, typer.Option("--namespace", "-n", help="Put the flow(s) in this namespace.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file (default: stdout).")
    ] = None,
) -> None:
    """Print the blueprint's flow(s), ready to save, validate and run."""
    blueprint = _find(blueprint_id)
    text = blueprint.text(namespace)
    if output is None:
        typer.echo(text, nl=False)
        return
    if output.exists():
        typer.echo(f"error: {output} exists; choose another file", err=True)
        raise typer.Exit(2)
    output.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {output} ({len(blueprint.files)} flow(s)); next: tercel validate {output}")


def _find(blueprint_id: str) -> Blueprint:
    from tercel.blueprints import get_blueprint

    try:
        return get_blueprint(blueprint_id)
    except NotFoundError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None


def register(app: typer.Typer) -> None:
    """Add `tercel blueprint ...`."""
    app.add_typer(blueprint_app, name="blueprint")
