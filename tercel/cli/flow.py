"""`tercel flow push FILE...` and `tercel flow list` against a server."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tercel.cli.client import ServerClient, ServerError

flow_app = typer.Typer(name="flow", help="Manage flows on a server.", no_args_is_help=True)

ServerOption = Annotated[
    str | None,
    typer.Option("--server", help="Server URL (default $TERCEL_SERVER or http://127.0.0.1:8080)."),
]
TenantOption = Annotated[
    str | None,
    typer.Option("--tenant", "-t", help="Tenant (default $TERCEL_TENANT or main)."),
]


@flow_app.command("push")
def push(
    paths: Annotated[list[Path], typer.Argument(help="Flow files or folders.")],
    server: ServerOption = None,
    tenant: TenantOption = None,
) -> None:
    """Create or update flows on the server; invalid ones are reported with positions."""
    from tercel.model.loader import flow_files, validate_file

    client = ServerClient.from_env(server, tenant=tenant)
    failed = 0
    try:
        for file in flow_files(paths):
            for result in validate_file(file):
                if not result.ok:
                    failed += 1
                    for problem in result.problems:
                        typer.echo(problem.format(), err=True)
                    continue
                try:
                    stored = client.push_flow(result.source)
                except ServerError as error:
                    failed += 1
                    typer.echo(f"{file}: {error}", err=True)
                    continue
                typer.echo(f"{stored['namespace']}.{stored['id']} revision {stored['revision']}")
    finally:
        client.close()
    if failed:
        raise typer.Exit(1)


@flow_app.command("list")
def list_flows(
    namespace: Annotated[
        str | None, typer.Option("--namespace", "-n", help="Namespace prefix.")
    ] = None,
    server: ServerOption = None,
    tenant: TenantOption = None,
) -> None:
    """List the flows of the server: namespace, id, revision."""
    client = ServerClient.from_env(server, tenant=tenant)
    try:
        flows = client.list_flows(namespace)
    except ServerError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from error
    finally:
        client.close()
    for flow in flows:
        typer.echo(f"{flow['namespace']}\t{flow['id']}\t{flow['revision']}")


def register(app: typer.Typer) -> None:
    """Add `tercel flow ...`."""
    app.add_typer(flow_app, name="flow")
