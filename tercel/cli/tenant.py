"""`tercel tenant list|create|rename|delete` against a server (super-admins)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from tercel.cli.client import ServerClient, ServerError
from tercel.cli.flow import ServerOption

tenant_app = typer.Typer(name="tenant", help="Manage tenants on a server.", no_args_is_help=True)


def with_client(
    server: str | None, tenant: str | None, action: Callable[[ServerClient], Any]
) -> Any:
    """Run `action` with a client; a server's refusal exits 1 with its message."""
    client = ServerClient.from_env(server, tenant=tenant)
    try:
        return action(client)
    except ServerError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from error
    finally:
        client.close()


@tenant_app.command("list")
def list_tenants(server: ServerOption = None) -> None:
    """The tenants you can see: id and name."""
    body = with_client(server, None, lambda c: c.call("GET", "/tenants", tenant_path=False))
    for tenant in body["results"]:
        typer.echo(f"{tenant['id']}\t{tenant['name']}")


@tenant_app.command("create")
def create(
    tenant_id: Annotated[str, typer.Argument(metavar="ID", help="Lower-case id (in every path).")],
    name: Annotated[str | None, typer.Option("--name", help="Display name.")] = None,
    server: ServerOption = None,
) -> None:
    """Create a tenant."""
    body = {"id": tenant_id, "name": name}
    with_client(server, None, lambda c: c.call("POST", "/tenants", tenant_path=False, json=body))
    typer.echo(f"tenant {tenant_id} created")


@tenant_app.command("rename")
def rename(
    tenant_id: Annotated[str, typer.Argument(metavar="ID")],
    name: Annotated[str, typer.Argument(metavar="NAME")],
    server: ServerOption = None,
) -> None:
    """Change a tenant's display name."""
    path = f"/tenants/{tenant_id}"
    with_client(server, None, lambda c: c.call("PUT", path, tenant_path=False, json={"name": name}))
    typer.echo(f"tenant {tenant_id} renamed {name}")


@tenant_app.command("delete")
def delete(
    tenant_id: Annotated[str, typer.Argument(metavar="ID")],
    force: Annotated[
        bool, typer.Option("--force", help="Delete its flows and executions too.")
    ] = False,
    server: ServerOption = None,
) -> None:
    """Delete a tenant (refused while it holds flows or executions, unless --force)."""
    params = {"force": str(force).lower()}
    path = f"/tenants/{tenant_id}"
    with_client(server, None, lambda c: c.call("DELETE", path, tenant_path=False, params=params))
    typer.echo(f"tenant {tenant_id} deleted")


def register(app: typer.Typer) -> None:
    """Add `tercel tenant ...`."""
    app.add_typer(tenant_app, name="tenant")
