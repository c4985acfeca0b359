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
from tercel.engine.api import Resume
from tercel.engine.state import State
from tercel.errors import ConflictError

if TYPE_CHECKING:
    from tercel.engine.execution import Execution, ExecutionTrigger, Label
    from tercel.model.flow import Flow
    from tercel.runtime.local import LocalRuntime
    from tercel.store.api import Store

_log = logging.getLogger(__name__)

#: How often `wait` re-reads an execution it does not drive itself.
POLL_SECONDS = 0.05


class ServerRuntime:
    """The executions API on top of a long-running `LocalRuntime`."""

    def __init__(self, runtime: LocalRuntime) -> None:
        self.runtime = runtime
        self.store: Store = runtime.store

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
        """Create (typed inputs, InputError when wrong) and start an execution."""
        execution = self.runtime.factory.new_execution(
            flow,
            inputs=inputs,
            labels=labels,
            trigger=trigger,
            execution_id=execution_id,
            tenant_id=tenant,
        )
        tracked = self.runtime.submit(flow, execution)
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
        """Resume a paused execution (typed `onResume` inputs are the engine's job)."""
        if self.runtime.executor.tracked(execution_id) is None:
            raise ConflictError(f"execution `{execution_id}` is not paused in this server")
        self.runtime.executor.send(execution_id, Resume(inputs=dict(inputs)))
        self.runtime.executor.start()

    async def restart(self, execution_id: str) -> Execution:
        """Not available until the runtime offers restart."""
        restart: Callable[[str], Execution] | None = getattr(self.runtime, "restart", None)
        if restart is None:
            raise ConflictError("restart is not supported by this server yet")
        return restart(execution_id)

    async def replay(self, execution_id: str, task_run_id: str | None) -> Execution:
        """Not available until the runtime offers replay."""
        replay: Callable[[str, str | None], Execution] | None = getattr(
            self.runtime, "replay", None
        )
        if replay is None:
            raise ConflictError("replay is not supported by this server yet")
        return replay(execution_id, task_run_id)

    def recover(self) -> int:
        """Resume the executions a previous process left unfinished (when the runtime can)."""
        recover: Callable[[], int] | None = getattr(self.runtime, "recover", None)
        if recover is None:
            return 0
        return recover()


class Server:
    """Everything `tercel server local` runs, wired together."""

    def __init__(self, settings: Settings, runtime: LocalRuntime) -> None:
        self.settings = settings
        self.runtime = runtime
        self.server_runtime = ServerRuntime(runtime)
        self.background: list[Callable[[], AsyncIterator[None]]] = []
        self.app: FastAPI = create_app(
            runtime.store,
            settings,
            storage=runtime.storage,
            runtime=self.server_runtime,
        )
        self.app.router.lifespan_context = self._lifespan

    @classmethod
    def open(cls, settings: Settings) -> Server:
        """A server on the settings' database and storage (SQLite under `home` by default)."""
        from tercel.runtime.local import LocalRuntime, open_store
        from tercel.storage.local import LocalStorage

        settings.home.mkdir(parents=True, exist_ok=True)
        store = open_store(settings.effective_database_url)
        runtime = LocalRuntime(
            store=store,
            storage=LocalStorage(settings.effective_storage_dir),
            concurrency=settings.workers,
        )
        runtime._owned.append(store.close)
        return cls(settings, runtime)

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: FastAPI) -> AsyncIterator[None]:
        del app
        self.runtime.start()
        recovered = self.server_runtime.recover()
        if recovered:
            _log.info("resumed %d unfinished execution(s)", recovered)
        async with contextlib.AsyncExitStack() as stack:
            for factory in self.background:
                await stack.enter_async_context(contextlib.asynccontextmanager(factory)())
            try:
                yield
            finally:
                await self.runtime.close()
