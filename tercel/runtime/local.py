"""`LocalRuntime`: a store, internal storage, an executor and a worker pool in one process.

`tercel run` uses it to run one flow to its end; the server uses the same object and keeps
it running. Typical use::

    async with LocalRuntime.open(home) as runtime:
        execution = await runtime.run(flow, {"user": "Tercel"})
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast

from tercel.engine.execution import Execution, ExecutionTrigger, Label, LogEntry
from tercel.errors import ConflictError
from tercel.runners.ledger import ProcessLedger
from tercel.runtime.creation import ExecutionFactory, envs_from
from tercel.runtime.dispatch import Dispatcher
from tercel.runtime.executor import Executor
from tercel.runtime.flows import ChainedFlows, FlowResolver, FlowSet, StoreFlows
from tercel.runtime.logs import LogWriter
from tercel.runtime.namespaces import NamespaceSettings
from tercel.runtime.services import SecretSource, secrets_from_env
from tercel.runtime.tracked import Tracked, utc_now
from tercel.runtime.worker import WorkerPool
from tercel.secrets.masking import SecretMasker
from tercel.secrets.sealing import OutputSealer

if TYPE_CHECKING:
    from tercel.model.flow import Flow
    from tercel.storage.api import InternalStorage
    from tercel.store.api import Store
    from tercel.store.records import NamespaceRecord

DB_NAME = "tercel.db"
STORAGE_DIR = "storage"
#: Under the home: the process groups and containers running tasks started (`ProcessLedger`).
LEDGER_DIR = "run/processes"


class LocalRuntime:
    """Runs executions in-process until they end; see the module docstring."""

    def __init__(
        self,
        *,
        store: Store,
        storage: InternalStorage,
        flows: FlowResolver | None = None,
        environ: Mapping[str, str] | None = None,
        globals_: Mapping[str, Any] | None = None,
        concurrency: int = 64,
        files_root: Path | None = None,
        work_root: Path | None = None,
        clock: Callable[[], datetime] = utc_now,
        log_echo: Callable[[LogEntry], None] | None = None,
        secret_lookup: Callable[[str, str, str], str | None] | None = None,
        namespace_files: Mapping[str, NamespaceRecord] | None = None,
        ledger_dir: Path | None = None,
        output_key: bytes | None = None,
    ) -> None:
        self.store = store
        self.storage = storage
        self.local_flows = FlowSet()
        self.flows: FlowResolver = ChainedFlows(self.local_flows, flows or StoreFlows(store))
        self.masker = SecretMasker()
        # Secrets in inputs and outputs are encrypted at rest with `output_key` (one drawn
        # for this process when None: what it sealed is unreadable after a restart).
        self.sealer = OutputSealer(self.masker, output_key)
        # `secret_lookup(tenant, namespace, NAME)`: stored secrets, before SECRET_* variables.
        self.secrets = SecretSource(secrets_from_env(environ), secret_lookup)
        self.logs = LogWriter(store.logs, self.masker, echo=log_echo)
        # Scripts' process groups are recorded there, so a restart after a crash stops them.
        ledger = ProcessLedger(ledger_dir) if ledger_dir is not None else None
        self.pool = WorkerPool(concurrency, ledger)
        self.factory = ExecutionFactory(
            store=store,
            storage=storage,
            flows=self.flows,
            secrets=self.secrets,
            masker=self.masker,
            clock=clock,
            files_root=files_root,
        )
        self.dispatcher = Dispatcher(
            self.pool,
            store=store,
            storage=storage,
            logs=self.logs,
            clock=clock,
            work_root=work_root,
        )
        environment: dict[str, Any] = {"envs": envs_from(environ), "globals": dict(globals_ or {})}
        self.executor = Executor(
            store=store,
            factory=self.factory,
            dispatcher=self.dispatcher,
            logs=self.logs,
            clock=clock,
            environment=environment,
            # `namespace.*`: flows-as-code namespace files (`tercel run --flows`) over the store.
            namespaces=NamespaceSettings(store, namespace_files),
            sealer=self.sealer,
        )
        self.dispatcher.resume = self.executor.resume
        # Input expressions see envs, globals and namespace.* as task templates do.
        self.factory.environment_of = self.executor.environment_of
        # Templates and tasks that read logs (errorLogs(), log.Fetch) see every line so far.
        self.factory.before_log_read = self.logs.flush
        self._owned: list[Callable[[], None]] = []

    @classmethod
    def open(
        cls,
        home: Path | None = None,
        *,
        database_url: str | None = None,
        storage: InternalStorage | None = None,
        **options: Any,
    ) -> LocalRuntime:
        """A runtime on SQLite (WAL) under `home` (a temp dir when None), files under it
        (or in `storage`, e.g. `tercel.storage.open_storage("s3://...")`)."""
        from tercel.storage.local import LocalStorage

        owned_tmp: tempfile.TemporaryDirectory[str] | None = None
        if home is None:
            owned_tmp = tempfile.TemporaryDirectory(prefix="tercel-run-")
            home = Path(owned_tmp.name)
        home.mkdir(parents=True, exist_ok=True)
        store = open_store(database_url or f"sqlite:///{home / DB_NAME}")
        if owned_tmp is None:
            options.setdefault("ledger_dir", home / LEDGER_DIR)
        files = storage if storage is not None else LocalStorage(home / STORAGE_DIR)
        runtime = cls(store=store, storage=files, **options)
        runtime._owned.append(store.close)
        if owned_tmp is not None:
            runtime._owned.append(owned_tmp.cleanup)
        return runtime

    async def __aenter__(self) -> LocalRuntime:
        self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    def start(self) -> None:
        """Start the executor loop on the running event loop."""
        self.executor.start()

    async def close(self) -> None:
        """Kill running jobs, stop the loop, flush logs, release what `open` created."""
        await self.pool.close()
        await self.executor.stop()
        for release in reversed(self._owned):
            release()
        self._owned.clear()

    def add_flows(self, flows: Iterable[Flow]) -> None:
        """Make flows resolvable as subflows (ahead of the store)."""
        for flow in flows:
            self.local_flows.add(flow)

    def create(
        self,
        flow: Flow,
        inputs: Mapping[str, Any] | None = None,
        labels: Iterable[Label] = (),
        *,
        trigger: ExecutionTrigger | None = None,
        local_files: bool = False,
        tenant: str = "main",
    ) -> Execution:
        """A new execution of `tenant` with typed inputs (InputError when they are wrong),
        not started."""
        return self.factory.new_execution(
            flow,
            inputs=inputs,
            labels=labels,
            trigger=trigger,
            local_files=local_files,
            tenant_id=tenant,
        )

    def submit(self, flow: Flow, execution: Execution) -> Tracked:
        """Persist and start an execution created by `create`."""
        self.start()
        self.local_flows.add(flow)
        return self.executor.submit(flow, execution)

    async def submit_grouped(self, flow: Flow, execution: Execution) -> Tracked:
        """`submit`, persisted with the executor's next transaction (see the executor)."""
        self.start()
        self.local_flows.add(flow)
        return await self.executor.submit_grouped(flow, execution)

    async def run(
        self,
        flow: Flow,
        inputs: Mapping[str, Any] | None = None,
        labels: Iterable[Label] = (),
        *,
        local_files: bool = False,
        timeout: float | None = None,
    ) -> Execution:
        """Create, start and wait for an execution (until it ends, or pauses for good)."""
        execution = self.create(flow, inputs, labels, local_files=local_files)
        tracked = self.submit(flow, execution)
        await self.wait(tracked, timeout)
        return tracked.execution

    async def wait(self, tracked: Tracked, timeout: float | None = None) -> Execution:
        """Wait until an execution ends or pauses with nothing that can resume it."""
        if timeout is None:
            await tracked.settled.wait()
        else:
            await asyncio.wait_for(tracked.settled.wait(), timeout)
        # Let the jobs of killed tasks report, so their task runs are final too.
        while tracked.jobs and tracked.finished:
            await asyncio.sleep(0.01)
        self.executor.flush()
        return tracked.execution

    def kill(self, execution_id: str) -> bool:
        """Kill a running execution."""
        return self.executor.kill(execution_id)

    def _load(self, execution_id: str) -> tuple[Flow, Execution]:
        tracked = self.executor.tracked(execution_id)
        if tracked is not None:
            return tracked.flow, tracked.execution
        execution = self.sealer.unseal_execution(self.store.executions.get(execution_id))
        flow = self.flows.resolve(
            execution.namespace, execution.flow_id, execution.flow_revision, execution.tenant_id
        )
        return flow, execution

    def restart(self, execution_id: str) -> Execution:
        """Restart a terminated (or paused) execution from its failed task runs, same id."""
        from tercel.engine.api import Start
        from tercel.engine.lifecycle import restart

        flow, execution = self._load(execution_id)
        if (
            self.executor.tracked(execution_id) is not None
            and not execution.state.current.is_terminated
        ):
            raise ConflictError(f"execution `{execution_id}` is still running")
        restart(flow, execution, self.executor.clock())
        with self.sealer.sealed(execution):
            self.store.executions.save(execution, None)
        self.start()
        self.executor.track(flow, execution)
        self.executor.send(execution.id, Start())
        return execution

    def replay(self, execution_id: str, task_run_id: str | None = None) -> Execution:
        """A new execution that replays this one from a task run (from scratch if None)."""
        from tercel.engine.lifecycle import replay
        from tercel.ids import short_id
        from tercel.runtime.creation import CORRELATION_ID, merge_labels

        flow, execution = self._load(execution_id)
        replayed = replay(execution, task_run_id, self.executor.clock(), new_id=short_id, flow=flow)
        correlation = execution.label_map().get(CORRELATION_ID, replayed.id)
        replayed.labels = merge_labels(replayed.labels, [Label(CORRELATION_ID, correlation)])
        self.submit(flow, replayed)
        return replayed

    def recover(self) -> list[Tracked]:
        """Resume every execution the store holds unfinished (after a crash or a restart)."""
        from tercel.runtime.recovery import recover

        self.start()
        resumed = recover(self.executor, self.flows)
        return [t for t in (self.executor.tracked(i) for i in resumed) if t is not None]

    async def crash(self) -> None:
        """Stop as a killed process would: nothing more is decided or written (for tests)."""
        await self.executor.stop()
        await self.pool.close()
        for release in reversed(self._owned):
            release()
        self._owned.clear()


def open_store(url: str) -> Store:
    """The SQL store at `url` (SQLite or PostgreSQL); the memory store for ``memory://``."""
    from tercel.store.memory import MemoryStore

    if url.startswith("memory:"):
        return cast("Store", MemoryStore())
    try:
        from tercel.store.sql import SqlStore
    except ImportError:  # the SQL store is not there yet: keep `tercel run` usable
        return cast("Store", MemoryStore())
    return cast("Store", SqlStore.open(url))
