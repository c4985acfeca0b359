"""`tercel server local`: API, scheduler, executor and workers in one process on SQLite.

It listens on 127.0.0.1 by default; another address is refused unless authentication is
configured (`tercel.config.Settings.check_bind`). ``GET /health`` answers 200 once ready.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tercel.errors import FlowValidationError, TercelError

if TYPE_CHECKING:
    from tercel.config import Settings
    from tercel.server import Server

server_app = typer.Typer(
    name="server", help="Run a Tercel server.", no_args_is_help=True, add_completion=False
)


def load_flows_into(server: Server, flows_dir: Path) -> int:
    """Store every valid flow of a folder (invalid ones are reported and skipped)."""
    from tercel.flowtests.loader import is_test_file
    from tercel.model.loader import flow_files, validate_file

    count = 0
    for file in flow_files([flows_dir]):
        if is_test_file(file):
            continue  # a flow unit test beside the flows (`tercel test`)
        for result in validate_file(file):
            if not result.ok or result.flow is None:
                for problem in result.problems:
                    typer.echo(problem.format(), err=True)
                continue
            server.runtime.store.flows.save(result.source, result.flow)
            count += 1
    return count


def ready_message(settings: Settings) -> str:
    """What to open once the server is up."""
    url = settings.base_url
    return (
        f"Tercel is ready on {url} (data in {settings.home})\n"
        f"  open:       {url}/ui/\n"
        f"  API docs:   {url}/api/docs\n"
        f"  flows:      curl {url}/api/v1/main/flows/search\n"
        f"  run one:    curl -X POST '{url}/api/v1/main/executions/company.team/hello-world"
        "?wait=true'\n"
        f"  from the CLI: tercel execution start company.team hello-world --follow"
    )


@server_app.command("local")
def local(  # noqa: PLR0917 - Typer maps each parameter to an option
    port: Annotated[int | None, typer.Option("--port", "-p", help="Port (default 8080).")] = None,
    home: Annotated[
        Path | None, typer.Option("--home", help="Data directory (default .tercel/).")
    ] = None,
    host: Annotated[
        str | None,
        typer.Option("--host", help="Address to listen on (default 127.0.0.1)."),
    ] = None,
    flows: Annotated[
        Path | None, typer.Option("--flows", help="Load the flows of this folder at start.")
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Task runs at once (default 8).")
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url", help="SQLite or PostgreSQL URL (default SQLite under --home)."
        ),
    ] = None,
) -> None:
    """Serve the API with a scheduler, an executor and workers on SQLite."""
    import uvicorn

    from tercel.config import Settings
    from tercel.server import Server

    try:
        settings = Settings.from_env(
            port=port, home=home, host=host, workers=workers, database_url=database_url
        )
        settings.check_bind()
        server = Server.open(settings)
        if flows is not None:
            loaded = load_flows_into(server, flows)
            typer.echo(f"loaded {loaded} flow(s) from {flows}", err=True)
    except FlowValidationError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from error
    except TercelError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
    server.on_ready.append(lambda: typer.echo(ready_message(settings), err=True))
    config = uvicorn.Config(
        server.app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,
        lifespan="on",
    )
    uvicorn.Server(config).run()


def register(app: typer.Typer) -> None:
    """Add `tercel server ...` to the application."""
    app.add_typer(server_app, name="server")
