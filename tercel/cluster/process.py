"""One process of a cluster: any set of the roles executor, worker, scheduler, webserver.

`ClusterProcess.open(settings, options)` checks the database (PostgreSQL) and the storage,
builds the runtime pieces each role needs and an ASGI app: the whole API for a webserver,
only ``GET /health`` otherwise. The app's lifespan registers the process in the
`components` table, starts each role's loop and, on SIGTERM, stops them in order (workers
finish or hand back their tasks within the grace period).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

from tercel.config import ConfigError
from tercel.errors import StoreError, TercelError
from tercel.store.sql.cluster import EVENTS_CHANNEL, ComponentRecord

if TYPE_CHECKING:
    from tercel.cluster.consumer import JobConsumer
    from tercel.cluster.ownership import Ownership
    from tercel.cluster.shared_runtime import SharedServerRuntime
    from tercel.config import Settings
    from tercel.runtime.local import LocalRuntime
    from tercel.runtime.scheduler.schedules import Scheduler
    from tercel.server import Server
    from tercel.storage.api import InternalStorage
    from tercel.store.sql.store import SqlStore

_log = logging.getLogger(__name__)

ROLES = ("executor", "worker", "scheduler", "webserver")


@dataclass(frozen=True, slots=True)
class ClusterOptions:
    """How a cluster process runs (CLI flags of `tercel server <role>`)."""

    roles: tuple[str, ...]
    threads: int = 8
    worker_group: str | None = None
    #: Port of ``GET /health`` for a process without the API (0: any free port).
    health_port: int = 0
    health_host: str = "127.0.0.1"
    #: SIGTERM: seconds running tasks get to finish before they are handed back.
    termination_grace: float = 60.0
    #: A worker silent for this long is dead: its running tasks run again elsewhere.
    liveness_timeout: float = 30.0
    #: Seconds between an executor's scans for executions nobody drives.
    scan_interval: float = 1.0

    @property
    def heartbeat(self) -> float:
        """Seconds between heartbeats: several per liveness timeout."""
        return max(0.2, min(5.0, self.liveness_timeout / 6))

    @property
    def label(self) -> str:
        """The role shown for the process (``standalone`` for every role at once)."""
        return "standalone" if set(self.roles) == set(ROLES) else "+".join(self.roles)


def check_database(settings: Settings) -> str:
    """The PostgreSQL URL the cluster shares; ConfigError naming what is wrong."""
    url = settings.database_url
    if not url:
        raise ConfigError(
            "no database configured: set TERCEL_DATABASE_URL=postgresql://USER:PASSWORD@HOST/DB "
            "(every component of a cluster must use the same PostgreSQL database)"
        )
    if not url.startswith(("postgresql", "postgres:")):
        raise ConfigError(
            f"the components of a cluster coordinate through PostgreSQL (row locks, LISTEN/"
            f"NOTIFY, advisory locks); `{url.split(':', 1)[0]}` cannot be shared by several "
            "processes or machines. Use TERCEL_DATABASE_URL=postgresql://..., or "
            "`tercel server local` for one process on SQLite."
        )
    return url


def check_storage(settings: Settings) -> InternalStorage:
    """The internal storage every component shares, checked to answer.

    `TERCEL_STORAGE_URL` (an S3 bucket: `s3://BUCKET?endpoint=...`) or `TERCEL_STORAGE_DIR`
    (a directory every host mounts) must be set: a default under one host's home would let a
    task on one worker miss the files a task on another wrote.
    """
    from tercel.storage import open_storage

    if settings.storage_url is None and settings.storage_dir is None:
        raise ConfigError(
            "no internal storage configured: set TERCEL_STORAGE_URL (an S3-compatible bucket, "
            "s3://BUCKET?endpoint=...) or TERCEL_STORAGE_DIR (a directory every component "
            "reaches), so that a task on one worker reads the files a task on another wrote"
        )
    storage = open_storage(settings.effective_storage_url)
    storage.check()  # StorageUnavailableError (a StoreError) says what is wrong
    return storage


def warm_up() -> None:
    """Import every plugin and build the flow models now, not when the first task comes
    (about a second and a half here): the first task of a fresh worker starts at once."""
    from tercel.model.loader import load_flow
    from tercel.model.registry import registry

    registry.names()
    load_flow(
        "id: warm\nnamespace: tercel.warm\ntasks:\n  - id: t\n"
        "    type: io.kestra.plugin.core.log.Log\n    message: hi\n"
    )


def component_id(role: str) -> str:
    """A unique id for one role of this process: role, host and pid."""
    return f"{role}-{socket.gethostname()}-{os.getpid()}"


class ClusterProcess:
    """The roles of one process, wired to one store and one storage."""

    def __init__(self, settings: Settings, options: ClusterOptions, store: SqlStore) -> None:
        self.settings = settings
        self.options = options
        self.store = store
        self.storage = check_storage(settings)
        self.host = socket.gethostname()
        self.exit_code = 0
        #: Set by the CLI: asks the HTTP server to stop (fatal errors).
        self.request_exit: Callable[[], None] = lambda: None
        self.health_url: str | None = None
        self.runtime = self._runtime(settings.workers)
        from tercel.cluster.shared_runtime import SharedServerRuntime

        self.shared: SharedServerRuntime = SharedServerRuntime(self.runtime, store.cluster)
        self.ownership: Ownership | None = None
        self.consumer: JobConsumer | None = None
        self.scheduler: Scheduler | None = None
        self.server: Server | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._stop_listening: list[Any] = []
        if "executor" in options.roles:
            self._build_executor()
        if "worker" in options.roles:
            self._build_worker()
        if "scheduler" in options.roles:
            from tercel.runtime.scheduler.schedules import Scheduler

            self.scheduler = Scheduler(store, self.shared, owner=component_id("scheduler"))

    @classmethod
    def open(cls, settings: Settings, options: ClusterOptions) -> ClusterProcess:
        """Check the settings and reach the database; ConfigError or StoreError."""
        url = check_database(settings)
        check_storage(settings)
        from tercel.store.sql.store import SqlStore

        store = SqlStore.open(url)
        try:
            if "executor" in options.roles or "worker" in options.roles:
                warm_up()
            return cls(settings, options, store)
        except BaseException:
            store.close()
            raise

    # -- building ------------------------------------------------------------------------
    def _runtime(self, concurrency: int) -> LocalRuntime:
        from tercel.runtime.local import LocalRuntime
        from tercel.runtime.services import SecretSource, secrets_from_env
        from tercel.secrets.store import EncryptedSecrets

        runtime = LocalRuntime(store=self.store, storage=self.storage, concurrency=concurrency)
        key = self.settings.encryption_key_bytes()
        if key is not None:
            stored = EncryptedSecrets(self.store.secrets, key)
            runtime.secrets = SecretSource(secrets_from_env(), stored.lookup)
            runtime.factory.secrets = runtime.secrets
        return runtime

    def _build_executor(self) -> None:
        from tercel.cluster.ownership import Ownership, TreeLocks, conninfo_of
        from tercel.cluster.remote import RemoteDispatcher, WorkerGroups
        from tercel.runtime.scheduler.flow_triggers import FlowTriggers

        runtime = self.runtime
        dispatcher = RemoteDispatcher(
            runtime.pool,
            store=self.store,
            storage=runtime.storage,
            logs=runtime.logs,
            clock=runtime.executor.clock,
            cluster=self.store.cluster,
            groups=WorkerGroups(self.store.cluster, self.options.liveness_timeout),
        )
        dispatcher.resume = runtime.executor.resume
        runtime.dispatcher = dispatcher
        runtime.executor.dispatcher = dispatcher
        flow_triggers = FlowTriggers(self.store, self.shared)
        runtime.executor.listeners.append(flow_triggers.on_step)
        self.ownership = Ownership(
            runtime.executor,
            runtime.flows,
            self.store,
            dispatcher,
            TreeLocks(conninfo_of(self.store)),
            liveness=self.options.liveness_timeout,
            scan_interval=self.options.scan_interval,
        )
        self.ownership.attach()

    def _build_worker(self) -> None:
        from tercel.cluster.consumer import JobConsumer

        # Its own runtime: tasks run on this pool (the executor's dispatcher enqueues).
        runtime = self._runtime(self.options.threads)
        self.consumer = JobConsumer(
            runtime,
            self.store,
            worker_id=component_id("worker"),
            threads=self.options.threads,
            worker_group=self.options.worker_group,
            heartbeat=self.options.heartbeat,
        )

    # -- health and status ---------------------------------------------------------------
    def waiting_for(self, role: str) -> str:
        """What a role of this process is waiting for."""
        if role == "executor" and self.ownership is not None:
            return self.ownership.waiting_for()
        if role == "worker" and self.consumer is not None:
            return self.consumer.waiting_for()
        if role == "scheduler":
            return "the next schedule date"
        return "requests"

    def health(self) -> dict[str, Any]:
        """What `GET /health` answers."""
        roles = self.options.roles
        answer: dict[str, Any] = {
            "status": "UP",
            "role": self.options.label,
            "id": component_id(self.options.label if len(roles) > 1 else roles[0]),
            "waitingFor": "; ".join(f"{r}: {self.waiting_for(r)}" for r in roles)
            if len(roles) > 1
            else self.waiting_for(roles[0]),
        }
        if self.options.worker_group:
            answer["workerGroup"] = self.options.worker_group
        return answer

    def _record(self, role: str, now: datetime) -> ComponentRecord:
        worker = role == "worker"
        return ComponentRecord(
            id=component_id(role),
            role=role,
            host=self.host,
            pid=os.getpid(),
            started=now,
            heartbeat=now,
            worker_group=self.options.worker_group if worker else None,
            threads=self.options.threads if worker else None,
            health_url=self.health_url,
            waiting_for=self.waiting_for(role),
        )

    # -- apps ----------------------------------------------------------------------------
    def app(self) -> FastAPI:
        """The API with its UI (webserver role) or only ``GET /health``."""
        if "webserver" in self.options.roles:
            from tercel.server import Server

            self.server = Server(
                self.settings,
                self.runtime,
                scheduler=False,
                server_runtime=self.shared,
                drives=False,
            )
            app = self.server.app
            app.state.ctx.health = self.health
            inner = app.router.lifespan_context
        else:
            app = FastAPI(title="Tercel component", docs_url=None, redoc_url=None)
            app.add_api_route("/health", self.health, methods=["GET"])
            inner = None

        @contextlib.asynccontextmanager
        async def lifespan(app_: FastAPI) -> AsyncIterator[None]:
            if inner is not None:
                async with inner(app_):
                    await self.start()
                    try:
                        yield
                    finally:
                        await self.stop()
            else:
                await self.start()
                try:
                    yield
                finally:
                    await self.stop()

        app.router.lifespan_context = lifespan
        return app

    # -- running -------------------------------------------------------------------------
    async def start(self) -> None:
        """Register the components and start every role's loop."""
        loop = asyncio.get_running_loop()
        now = datetime.now(UTC)
        for role in self.options.roles:
            self.store.cluster.register(self._record(role, now))
        self._spawn(self._heartbeat(), "heartbeat")
        if self.ownership is not None:
            from tercel.cluster.ownership import conninfo_of, listen

            ownership = self.ownership
            self.runtime.executor.start()

            def notified(payloads: list[str]) -> None:
                loop.call_soon_threadsafe(ownership.notified, payloads)

            self._stop_listening.append(listen(conninfo_of(self.store), EVENTS_CHANNEL, notified))
            self._spawn(ownership.run(), "executor")
        if self.consumer is not None:
            self._spawn(self.consumer.run(), "worker")
        if self.scheduler is not None:
            self._spawn(self.scheduler.run(), "scheduler")

    def _spawn(self, coroutine: Any, name: str) -> None:
        task = asyncio.get_running_loop().create_task(coroutine, name=f"tercel-{name}")
        task.add_done_callback(lambda done: self._ended(name, done))
        self._tasks.append(task)

    def _ended(self, name: str, task: asyncio.Task[None]) -> None:
        """A role's loop ended: fine when `stop` asked for it, fatal when it failed."""
        if task.cancelled() or task.exception() is None:
            return
        _log.error("the %s loop stopped: %s; exiting", name, task.exception())
        self.exit_code = 1
        self.request_exit()

    async def _heartbeat(self) -> None:
        """Keep the component rows (and the worker's jobs) fresh; exit when the database
        stays unreachable for the liveness timeout."""
        loop = asyncio.get_running_loop()
        last_ok = loop.time()
        while True:
            try:
                now = datetime.now(UTC)
                for role in self.options.roles:
                    if not self.store.cluster.beat(component_id(role), self.waiting_for(role), now):
                        self.store.cluster.register(self._record(role, now))
                if self.consumer is not None:
                    await self.consumer.beat()
                last_ok = loop.time()
            except TercelError as error:
                _log.warning("heartbeat failed: %s", error)
                if loop.time() - last_ok > self.options.liveness_timeout:
                    raise StoreError(
                        f"the database has been unreachable for more than "
                        f"{self.options.liveness_timeout:g} s"
                    ) from error
            await asyncio.sleep(self.options.heartbeat)

    async def stop(self) -> None:
        """Stop claiming, let tasks finish (grace period), stop the loops, deregister."""
        if self.consumer is not None:
            await self.consumer.stop(self.options.termination_grace)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        for stop in self._stop_listening:
            stop.set()
        if self.ownership is not None:
            await self.runtime.executor.stop()
            await self.runtime.pool.close()
            self.ownership.locks.close()
        with contextlib.suppress(TercelError):
            for role in self.options.roles:
                self.store.cluster.remove(component_id(role))

    def close(self) -> None:
        """Release the database connections."""
        self.store.close()
