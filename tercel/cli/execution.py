"""`tercel execution start NS FLOW [--input K=V] [--wait] [--follow]` against a server.

Exit codes, as `tercel run`: 0 SUCCESS or WARNING (or started, without --wait/--follow),
1 FAILED, KILLED, CANCELLED or a refused request, 2 bad inputs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from tercel.cli.client import ServerClient, ServerError
from tercel.cli.flow import ServerOption, TenantOption
from tercel.cli.logs import print_logs
from tercel.model.names import namespace_problem

execution_app = typer.Typer(
    name="execution", help="Start and inspect executions on a server.", no_args_is_help=True
)

OK_STATES = ("SUCCESS", "WARNING")


def split_inputs(values: list[str]) -> tuple[dict[str, str], dict[str, Path]]:
    """``KEY=VALUE`` inputs; ``KEY=@path`` sends a local file."""
    fields: dict[str, str] = {}
    files: dict[str, Path] = {}
    for value in values:
        key, found, rest = value.partition("=")
        if not found or not key:
            typer.echo(f"error: input `{value}` must look like KEY=VALUE", err=True)
            raise typer.Exit(2)
        if rest.startswith("@"):
            path = Path(rest[1:]).expanduser()
            if not path.is_file():
                typer.echo(f"error: input `{key}`: file `{path}` does not exist", err=True)
                raise typer.Exit(2)
            files[key] = path
        else:
            fields[key] = rest
    return fields, files


@execution_app.command("start")
def start(  # noqa: PLR0917 - Typer maps each parameter to an option
    namespace: Annotated[str, typer.Argument(help="The flow's namespace.")],
    flow_id: Annotated[str, typer.Argument(help="The flow's id.", metavar="FLOW")],
    input_: Annotated[
        list[str] | None,
        typer.Option("--input", "-i", help="An input, KEY=VALUE (a file: KEY=@path)."),
    ] = None,
    label: Annotated[
        list[str] | None, typer.Option("--label", "-l", help="A label, KEY:VALUE.")
    ] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Wait for the end.")] = False,
    follow: Annotated[bool, typer.Option("--follow", help="Print logs until the end.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the execution as JSON.")] = False,
    server: ServerOption = None,
    tenant: TenantOption = None,
) -> None:
    """Start an execution of NAMESPACE FLOW on the server."""
    problem = namespace_problem(namespace)
    if problem is not None:
        typer.echo(f"error: NAMESPACE: {problem}", err=True)
        raise typer.Exit(2)
    fields, files = split_inputs(input_ or [])
    client = ServerClient.from_env(server, tenant=tenant)
    try:
        execution = client.start_execution(
            namespace, flow_id, fields, files, label or [], wait=wait and not follow
        )
        if not as_json:
            typer.echo(f"execution {execution['id']} {execution['state']['current']}", err=True)
        if follow:
            print_logs(client, execution["id"], follow=True, level=None)
            execution = client.execution(execution["id"])
    except ServerError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2 if error.status == 422 else 1) from error
    finally:
        client.close()
    state = execution["state"]["current"]
    if as_json:
        typer.echo(json.dumps(execution, indent=2))
    elif wait or follow:
        typer.echo(f"execution {execution['id']} ended {state}")
    else:
        typer.echo(execution["id"])
    if (wait or follow) and state not in OK_STATES:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add `tercel execution ...`."""
    app.add_typer(execution_app, name="execution")
