"""The executions API of a process that does not drive executions itself.

Webservers and schedulers create executions (typed inputs, uploaded files) and write them
to the database; an executor takes them from there. Kill, resume and restart become events
in the execution's inbox, read by whichever executor drives it. Nothing is kept in memory,
so any number of webservers can serve the same API.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tercel.cluster.wire import event_to_wire
from tercel.engine.api import Kill, Resume, Start
from tercel.engine.state import State
from tercel.errors import ConflictError
from tercel.ids import short_id
from tercel.server import ServerRuntime

if TYPE_CHECKING:
    from tercel.engine.execution import Execution
    from tercel.model.flow import Flow
    from tercel.runtime.local import LocalRuntime
    from tercel.store.sql.cluster import SqlCluster


class SharedServerRuntime(ServerRuntime):
    """`ServerRuntime` whose executions are driven by executor processes."""

    def __init__(self, runtime: LocalRuntime, cluster: SqlCluster) -> None:
        super().__init__(runtime)
        self.cluster = cluster

    def launch(self, flow: Flow, execution: Execution) -> Execution:
        """Store the execution (CREATED) and tell the executors: one of them drives it."""
        with self.store.transaction():
            self.store.executions.create(execution)
            self.cluster.announce(execution.id)
        return execution

    async def launch_grouped(self, flow: Flow, execution: Execution) -> Execution:
        """`launch`: an executor process drives it, never this one (no group commit here)."""
        return self.launch(flow, execution)

    def _post(self, execution: Execution, event: Any) -> None:
        self.cluster.post(execution.id, event_to_wire(event), tenant=execution.tenant_id)

    async def kill(self, execution_id: str) -> None:
        """Ask the execution's executor to kill it."""
        execution = self.store.executions.get(execution_id)
        if execution.state.current.is_terminated:
            raise ConflictError(f"execution `{execution_id}` is already terminated")
        self._post(execution, Kill())

    async def resume(self, execution_id: str, inputs: Mapping[str, Any]) -> None:
        """Ask the execution's executor to resume it."""
        execution = self.store.executions.get(execution_id)
        if execution.state.current is not State.PAUSED:
            raise ConflictError(f"execution `{execution_id}` is not paused")
        self._post(execution, Resume(inputs=dict(inputs)))

    async def restart(self, execution_id: str) -> Execution:
        """Reset the failed task runs and let an executor run them again."""
        from tercel.engine.lifecycle import restart

        execution = self.store.executions.get(execution_id)
        if not execution.state.current.is_terminated:
            raise ConflictError(f"execution `{execution_id}` is still being driven")
        flow = self._flow_of(execution)
        restart(flow, execution, self.runtime.executor.clock())
        with self.store.transaction():
            self.store.executions.save(execution, None)
            self._post(execution, Start())
            self.cluster.announce(execution.id)
        return execution

    async def replay(self, execution_id: str, task_run_id: str | None) -> Execution:
        """A new execution copying this one up to `task_run_id`, for an executor to run."""
        from tercel.engine.lifecycle import replay

        execution = self.store.executions.get(execution_id)
        replayed = replay(execution, task_run_id, self.runtime.executor.clock(), new_id=short_id)
        with self.store.transaction():
            self.store.executions.create(replayed)
            self.cluster.announce(replayed.id)
        return replayed

    def recover(self) -> int:
        """Nothing to resume here: executors take over unfinished executions."""
        return 0
