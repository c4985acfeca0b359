"""One server process: store, storage, runtime (executor + workers), scheduler and API.

    server = Server.open(Settings.from_env())
    app = server.app          # FastAPI; its lifespan starts and stops everything

`ServerRuntime` adapts the runtime helper's `LocalRuntime` to what the API drives
(`tercel.api.context.ExecutionRuntime`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

from tercel.api.app import create_app
from tercel.config import Settings
from tercel.engine.api import Resume, Start
from tercel.engine.state import State
from tercel.errors import ConflictError
from tercel.runtime.services import SecretSource, secrets_from_env
from tercel.secrets.store import EncryptedSecrets

if TYPE_CHECKING:
    from datetime import datetime

    from tercel.engine.execution import Execution, ExecutionTrigger, Label
    from tercel.model.flow import Flow
    from tercel.runtime.local import LocalRuntime
    from tercel.store.api import Store

_log = logging.getLogger(__name__)

#: Under the home: the key of secrets in outputs when no encryption key is configured.
OUTPUT_KEY = "run/output.key"
#: How often `wait` re-reads an execution it does not drive itself.
POLL_SECONDS = 0.05


class ServerRuntime:
    """The executions API on top of a long-running `LocalRuntime`."""

    def __init__(self, runtime: LocalRuntime) -> None:
        self.runtime = runtime
        self.store: Store = runtime.store

    def start_now(
        self,
        flow: Flow,
        inputs: Mapping[str, Any],
        labels: list[Label],
        *,
        execution_id: str,
        tenant: str,
        trigger: ExecutionTrigger | None = None,
        schedule_date: datetime | None = None,
        require_inputs: bool = True,
    ) -> Execution:
        """Create (typed inputs, InputError when wrong) and start an execution."""
        execution = self.runtime.factory.new_execution(
            flow,
            inputs=inputs,
            labels=labels,
            trigger=trigger,
            execution_id=execution_id,
            tenant_id=tenant,
            require_inputs=require_inputs,
        )
        if schedule_date is not None:
            execution.schedule_date = schedule_date
        return self.launch(flow, execution)

    async def start(
        self,
        flow: Flow,
        inputs: Mapping[str, Any],
        labels: list[Label],
        *,
        execution_id: str,
        tenant: str,
        trigger: ExecutionTrigger | None = None,
    ) -> Execution:
        """See `start_now` (the API's async entry point); returns once it is stored."""
        execution = self.runtime.factory.new_execution(
            flow,
            inputs=inputs,
            labels=labels,
            trigger=trigger,
            execution_id=execution_id,
            tenant_id=tenant,
        )
        return await self.launch_grouped(flow, execution)

    def launch(self, flow: Flow, execution: Execution) -> Execution:
        """Store a new execution and have it driven (here: by this process's executor)."""
        return self.runtime.submit(flow, execution).execution

    async def launch_grouped(self, flow: Flow, execution: Execution) -> Execution:
        """`launch`, with requests that arrive together stored in one transaction."""
        tracked = await self.runtime.submit_grouped(flow, execution)
        return tracked.execution

    async def wait(self, execution_id: str, timeout: float | None = None) -> Execution:
        """Wait until the execution is terminated or paused for good."""
        tracked = self.runtime.executor.tracked(execution_id)
        if tracked is not None:
            return await self.runtime.wait(tracked, timeout)
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            execution = self.store.executions.get(execution_id)
            state = execution.state.current
            if state.is_terminated or state is State.PAUSED:
                return execution
            if deadline is not None and loop.time() >= deadline:
                raise TimeoutError(f"execution {execution_id} still {state.value}")
            await asyncio.sleep(POLL_SECONDS)

    async def kill(self, execution_id: str) -> None:
        """Kill an execution this process drives."""
        if not self.runtime.kill(execution_id):
            raise ConflictError(f"execution `{execution_id}` is not running in this server")

    async def resume(self, execution_id: str, inputs: Mapping[str, Any]) -> None:
        """Resume a paused execution; InputError (a 4xx) when an `onResume` input is wrong.

        The engine types the inputs again when it resumes; checking them here first lets
        the caller hear why a resume is refused instead of the execution staying PAUSED.
        """
        from tercel.engine.resume import resume_outputs

        if self.runtime.executor.tracked(execution_id) is None:
            raise ConflictError(f"execution `{execution_id}` is not paused in this server")
        execution = self.store.executions.get(execution_id)
        tasks = {task.id: task for task in self._flow_of(execution).all_tasks()}
        for task_run in execution.task_run_list:
            task = tasks.get(task_run.task_id)
            if task_run.state.current is State.PAUSED and task is not None:
                resume_outputs(task, inputs)
        self.runtime.executor.send(execution_id, Resume(inputs=dict(inputs)))
        self.runtime.executor.start()

    def _flow_of(self, execution: Execution) -> Flow:
        return self.runtime.flows.resolve(
            execution.namespace,
            execution.flow_id,
            execution.flow_revision,
            execution.tenant_id,
        )

    async def restart(self, execution_id: str) -> Execution:
        """Reset the failed task runs (same execution, next attempt) and run them again."""
        from tercel.engine.lifecycle import restart

        if self.runtime.executor.tracked(execution_id) is not None:
            raise ConflictError(f"execution `{execution_id}` is still being driven")
        execution = self.runtime.sealer.unseal_execution(self.store.executions.get(execution_id))
        flow = self._flow_of(execution)
        restart(flow, execution, self.runtime.executor.clock())
        # Task runs of error branches were dropped: rewrite them all.
        with self.runtime.sealer.sealed(execution):
            self.store.executions.save(execution, None)
        self.runtime.start()
        self.runtime.executor.track(flow, execution)
        self.runtime.executor.send(execution_id, Start())
        return execution

    async def replay(self, execution_id: str, task_run_id: str | None) -> Execution:
        """A new execution copying this one up to `task_run_id`, run from there."""
        return self.runtime.replay(execution_id, task_run_id)

    def recover(self) -> int:
        """Resume the executions a previous process left unfinished; how many."""
        return len(self.runtime.recover())


class Server:
    """Everything `tercel server local` runs, wired together."""

    def __init__(
        self,
        settings: Settings,
        runtime: LocalRuntime,
        *,
        scheduler: bool = True,
        server_runtime: ServerRuntime | None = None,
        drives: bool = True,
    ) -> None:
        from tercel.runtime.scheduler.flow_triggers import FlowTriggers
        from tercel.runtime.scheduler.launcher import TriggerIndex
        from tercel.runtime.scheduler.schedules import Scheduler

        self.settings = settings
        self.runtime = runtime
        key = settings.encryption_key_bytes()
        if key is not None:
            # Stored secrets first, then SECRET_* variables (Kestra's OSS behaviour).
            stored = EncryptedSecrets(runtime.store.secrets, key)
            runtime.secrets = SecretSource(secrets_from_env(), stored.lookup)
            runtime.factory.secrets = runtime.secrets
        self.server_runtime = server_runtime or ServerRuntime(runtime)
        #: False when executor processes drive the executions (`tercel server webserver`):
        #: this process then neither starts its executor nor resumes anything.
        self.drives = drives
        index = TriggerIndex(runtime.store)
        self.scheduler = (
            Scheduler(runtime.store, self.server_runtime, index=index) if scheduler else None
        )
        self.flow_triggers = FlowTriggers(runtime.store, self.server_runtime, index)
        runtime.executor.listeners.append(self.flow_triggers.on_step)
        #: Called once everything is started and requests are served.
        self.on_ready: list[Callable[[], None]] = []
        self.app: FastAPI = create_app(
            runtime.store,
            settings,
            storage=runtime.storage,
            runtime=self.server_runtime,
        )
        self.app.state.ctx.flow_listeners.append(index.invalidate)
        self.app.state.ctx.namespace_listeners.append(runtime.executor.namespaces.forget)
        self.flow_triggers.on_disabled.append(self.app.state.ctx.triggers_changed)
        self.app.state.ctx.secret_lookup = runtime.secrets.get
        self.app.state.ctx.masker = runtime.masker
        self.app.router.lifespan_context = self._lifespan

    @classmethod
    def open(cls, settings: Settings) -> Server:
        """A server on the settings' database and storage (SQLite under `home` by default)."""
        from tercel.runtime.local import LEDGER_DIR, LocalRuntime, open_store
        from tercel.secrets.sealing import home_key
        from tercel.storage import open_storage

        settings.home.mkdir(parents=True, exist_ok=True)
        storage = open_storage(settings.effective_storage_url)
        # Refuse to start on a storage that does not answer (wrong endpoint, bucket, keys).
        storage.check()
        store = open_store(settings.effective_database_url)
        runtime = LocalRuntime(
            store=store,
            storage=storage,
            concurrency=settings.workers,
            ledger_dir=settings.home / LEDGER_DIR,
            output_key=settings.encryption_key_bytes() or home_key(settings.home / OUTPUT_KEY),
        )
        runtime._owned.append(store.close)
        return cls(settings, runtime)

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: FastAPI) -> AsyncIterator[None]:
        del app
        if self.drives:
            self.runtime.start()
            recovered = self.server_runtime.recover()
            if recovered:
                _log.info("resumed %d unfinished execution(s)", recovered)
        ticking = (
            asyncio.get_running_loop().create_task(self.scheduler.run(), name="tercel-scheduler")
            if self.scheduler is not None
            else None
        )
        for callback in self.on_ready:
            callback()
        try:
            yield
        finally:
            if ticking is not None:
                ticking.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await ticking
            await self.runtime.close()
