"""`tercel flow push FILE...`, `list`, `export` and `import` against a server."""

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
    from tercel.flowtests.loader import is_test_file
    from tercel.model.loader import flow_files, validate_file

    client = ServerClient.from_env(server, tenant=tenant)
    failed = 0
    try:
        for file in flow_files(paths):
            if is_test_file(file):
                continue  # a flow unit test beside the flows (`tercel test`)
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


@flow_app.command("export")
def export_flows(
    out: Annotated[Path, typer.Option("--out", "-o", help="The zip file to write.")],
    namespace: Annotated[
        str | None, typer.Option("--namespace", "-n", help="Namespace prefix.")
    ] = None,
    server: ServerOption = None,
) -> None:
    """Save the server's flows as a zip of YAML files (one per flow)."""
    client = ServerClient.from_env(server)
    try:
        archive = client.export_flows(namespace)
    except ServerError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from error
    finally:
        client.close()
    out.write_bytes(archive)
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(archive)) as bundle:
        count = len(bundle.namelist())
    typer.echo(f"{count} flow(s) exported to {out}")


@flow_app.command("import")
def import_flows(
    archive: Annotated[Path, typer.Argument(help="A zip of YAML flows, or a YAML file.")],
    server: ServerOption = None,
) -> None:
    """Create or update the flows of a zip (or multi-document YAML) on the server."""
    client = ServerClient.from_env(server)
    try:
        refused = client.import_flows(archive.read_bytes(), archive.name)
    except (OSError, ServerError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from error
    finally:
        client.close()
    for name in refused:
        typer.echo(f"not imported (invalid): {name}", err=True)
    typer.echo(f"imported {archive}" + (f", {len(refused)} refused" if refused else ""))
    if refused:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add `tercel flow ...`."""
    app.add_typer(flow_app, name="flow")
