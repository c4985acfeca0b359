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


# -- the components of a cluster (PostgreSQL) ------------------------------------------------
HealthPort = Annotated[
    int,
    typer.Option(
        "--health-port", help="Port of GET /health for this component (0: any free port)."
    ),
]
Liveness = Annotated[
    float,
    typer.Option(
        "--liveness-timeout",
        help="Seconds without a heartbeat after which a worker is dead (its tasks run again).",
    ),
]
Grace = Annotated[
    float,
    typer.Option(
        "--termination-grace-period",
        help="On SIGTERM, seconds running tasks get to finish before they are handed back.",
    ),
]
Threads = Annotated[int, typer.Option("--threads", help="Task runs at once on this worker.")]
Group = Annotated[
    str | None,
    typer.Option("--worker-group", help="Run only the tasks whose workerGroup.key is this."),
]
Port = Annotated[int | None, typer.Option("--port", "-p", help="API port (default 8080).")]
Host = Annotated[
    str | None, typer.Option("--host", help="Address to listen on (default 127.0.0.1).")
]


def run_components(
    roles: tuple[str, ...],
    *,
    port: int | None = None,
    host: str | None = None,
    health_port: int = 0,
    threads: int = 8,
    worker_group: str | None = None,
    grace: float = 60.0,
    liveness: float = 30.0,
) -> None:
    """Run `roles` in this process until SIGTERM/SIGINT; exit 1 when the database or the
    storage cannot be reached (said on stderr)."""
    import socket

    import uvicorn

    from tercel.cluster.process import ClusterOptions, ClusterProcess
    from tercel.config import Settings

    web = "webserver" in roles
    try:
        settings = Settings.from_env(port=port, host=host)
        if web:
            settings.check_bind()
        options = ClusterOptions(
            roles=roles,
            threads=threads,
            worker_group=worker_group,
            health_port=health_port,
            termination_grace=grace,
            liveness_timeout=liveness,
        )
        process = ClusterProcess.open(settings, options)
    except TercelError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from error
    if web:
        listen_host, listen_port = settings.host, settings.port
        process.health_url = f"{settings.base_url}/health"
        sock = None
    else:
        # Bound here so that the port (maybe chosen by the system) is known and registered.
        listen_host = options.health_host
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((listen_host, health_port))
        listen_port = sock.getsockname()[1]
        process.health_url = f"http://{listen_host}:{listen_port}/health"
    config = uvicorn.Config(
        process.app(),
        host=listen_host,
        port=listen_port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=int(grace) + 10,
    )
    server = uvicorn.Server(config)
    process.request_exit = lambda: setattr(server, "should_exit", True)
    typer.echo(
        f"tercel {options.label} {', '.join(roles)} ready; health on {process.health_url}",
        err=True,
    )
    try:
        server.run(sockets=[sock] if sock is not None else None)
    finally:
        process.close()
    if process.exit_code:
        raise typer.Exit(process.exit_code)


@server_app.command("standalone")
def standalone(  # noqa: PLR0917 - Typer maps each parameter to an option
    port: Port = None,
    host: Host = None,
    threads: Threads = 8,
    worker_group: Group = None,
    grace: Grace = 60.0,
    liveness: Liveness = 30.0,
) -> None:
    """Every component (executor, worker, scheduler, webserver) in one process, on the
    configured PostgreSQL database and storage (TERCEL_DATABASE_URL, TERCEL_STORAGE_DIR)."""
    run_components(
        ("executor", "worker", "scheduler", "webserver"),
        port=port,
        host=host,
        threads=threads,
        worker_group=worker_group,
        grace=grace,
        liveness=liveness,
    )


@server_app.command("executor")
def executor(health_port: HealthPort = 0, liveness: Liveness = 30.0) -> None:
    """Drive executions: any number of executors share them, one execution per executor."""
    run_components(("executor",), health_port=health_port, liveness=liveness)


@server_app.command("worker")
def worker(
    threads: Threads = 8,
    worker_group: Group = None,
    health_port: HealthPort = 0,
    grace: Grace = 60.0,
    liveness: Liveness = 30.0,
) -> None:
    """Run task attempts claimed from the database (of one worker group, if given)."""
    run_components(
        ("worker",),
        threads=threads,
        worker_group=worker_group,
        health_port=health_port,
        grace=grace,
        liveness=liveness,
    )


@server_app.command("scheduler")
def scheduler(health_port: HealthPort = 0, liveness: Liveness = 30.0) -> None:
    """Fire Schedule triggers; several schedulers never fire a date twice."""
    run_components(("scheduler",), health_port=health_port, liveness=liveness)


@server_app.command("webserver")
def webserver(port: Port = None, host: Host = None, liveness: Liveness = 30.0) -> None:
    """Serve the API and the UI; stateless, any number behind a load balancer."""
    run_components(("webserver",), port=port, host=host, liveness=liveness)


@server_app.command("status")
def status(
    liveness: Liveness = 30.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the live components of the cluster (from TERCEL_DATABASE_URL)."""
    import json
    from datetime import UTC, datetime, timedelta

    from tercel.cluster.process import check_database
    from tercel.config import Settings
    from tercel.store.sql.store import SqlStore

    try:
        store = SqlStore.open(check_database(Settings.from_env()))
    except TercelError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from error
    try:
        now = datetime.now(UTC)
        live = store.cluster.live(now - timedelta(seconds=liveness))
    finally:
        store.close()
    if as_json:
        rows = [
            {
                "id": c.id,
                "role": c.role,
                "host": c.host,
                "pid": c.pid,
                "workerGroup": c.worker_group,
                "threads": c.threads,
                "health": c.health_url,
                "waitingFor": c.waiting_for,
                "lastHeartbeat": c.heartbeat.isoformat(),
            }
            for c in live
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    if not live:
        typer.echo("no live component")
        return
    typer.echo(f"{'ROLE':<10} {'ID':<40} {'GROUP':<10} {'BEAT':>6}  WAITING FOR")
    for c in live:
        age = f"{(now - c.heartbeat).total_seconds():.0f}s"
        typer.echo(
            f"{c.role:<10} {c.id:<40} {c.worker_group or '-':<10} {age:>6}  {c.waiting_for or ''}"
        )
