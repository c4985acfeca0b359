"""`tercel logs EXECUTION_ID [--follow]` against a server."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from tercel.cli.client import ServerClient, ServerError
from tercel.cli.flow import ServerOption, TenantOption


def format_log(entry: dict[str, Any]) -> str:
    """One log line: ``time LEVEL task message``."""
    where = entry.get("taskId") or "execution"
    return (
        f"{entry.get('timestamp', '')} {entry.get('level', ''):<5} {where} {entry.get('message')}"
    )


def print_logs(
    client: ServerClient, execution_id: str, *, follow: bool, level: str | None
) -> str | None:
    """Print the logs (following them until the end); the final state when followed."""
    if not follow:
        for entry in client.logs(execution_id, level):
            typer.echo(format_log(entry))
        return None
    state = None
    for item in client.follow_logs(execution_id, level):
        if item.get("_event") == "end":
            state = item.get("state")
        else:
            typer.echo(format_log(item))
    return state


def logs(
    execution_id: Annotated[str, typer.Argument(help="The execution's id.")],
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing until the execution ends.")
    ] = False,
    level: Annotated[
        str | None, typer.Option("--level", help="Minimum level (DEBUG, INFO, WARN, ERROR).")
    ] = None,
    server: ServerOption = None,
    tenant: TenantOption = None,
) -> None:
    """Print the logs of an execution."""
    client = ServerClient.from_env(server, tenant=tenant)
    try:
        print_logs(client, execution_id, follow=follow, level=level)
    except ServerError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from error
    finally:
        client.close()


def register(app: typer.Typer) -> None:
    """Add `tercel logs`."""
    app.command("logs")(logs)
