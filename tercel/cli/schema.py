"""`tercel schema`: print the JSON Schema of flows (for yaml-language-server / VS Code)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def schema(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Print the JSON Schema of flow files, built from every registered type."""
    from tercel.model.schema import flow_schema_json  # every plugin: only when asked for

    text = flow_schema_json()
    if output is None:
        typer.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"wrote {output}", err=True)


def register(app: typer.Typer) -> None:
    """Add the `schema` command."""
    app.command("schema")(schema)
