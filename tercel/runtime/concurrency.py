"""Flow `concurrency` in one process: who counts as running, who is next in the queue."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from tercel.engine.state import State

if TYPE_CHECKING:
    from tercel.engine.execution import Execution
    from tercel.model.flow import Flow
    from tercel.runtime.tracked import Tracked


def _key(execution: Execution) -> tuple[str, str, str]:
    return (execution.tenant_id, execution.namespace, execution.flow_id)


def running_count(flow: Flow, execution: Execution, tracked: Iterable[Tracked]) -> int:
    """Other executions of the same flow that are RUNNING or PAUSED (Kestra §13.15)."""
    if flow.concurrency is None:
        return 0
    key = _key(execution)
    return sum(
        1
        for other in tracked
        if other.execution.id != execution.id
        and _key(other.execution) == key
        and other.execution.state.current in (State.RUNNING, State.RETRYING, State.PAUSED)
    )


def next_queued(ended: Execution, tracked: Iterable[Tracked]) -> Execution | None:
    """The oldest QUEUED execution of the flow of `ended`, if any (FIFO)."""
    key = _key(ended)
    queued = [
        t.execution
        for t in tracked
        if _key(t.execution) == key and t.execution.state.current is State.QUEUED
    ]
    return min(queued, key=lambda e: e.state.histories[0].date) if queued else None
