"""Capabilities of a `TaskContext` that a few core tasks need, or a clear failure.

`log.Fetch`, `log.PurgeLogs`, `execution.Count` and `execution.PurgeExecutions` read or
delete executions and logs through ``ctx.executions`` and ``ctx.execution_logs``; the git
tasks read and change flows through ``ctx.flows``. Both `TaskContext`s of Tercel (the
runtime's and `tercel.testing.FakeTaskContext`) have them when they have an execution store;
without one, these tasks fail with a message saying so.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

from tercel.engine.execution import Execution
from tercel.engine.state import State
from tercel.errors import TaskError
from tercel.plugins.context import ExecutionQueries, FlowQueries, LogQueries, TaskContext
from tercel.plugins.core.templating.properties import render_list, render_str

_Capability = TypeVar("_Capability")


def require(capability: _Capability | None, task_type: str) -> _Capability:
    """`capability` (e.g. ``ctx.executions``), or a `TaskError` naming the task that needs it."""
    if capability is not None:
        return capability
    raise TaskError(f"`{task_type}` needs access to the execution store, which is not available")


def require_executions(ctx: TaskContext, task_type: str) -> ExecutionQueries:
    """``ctx.executions``, or a `TaskError` naming the task that needs it."""
    return require(ctx.executions, task_type)


def require_logs(ctx: TaskContext, task_type: str) -> LogQueries:
    """``ctx.execution_logs``, or a `TaskError` naming the task that needs it."""
    return require(ctx.execution_logs, task_type)


def require_flows(ctx: TaskContext, task_type: str) -> FlowQueries:
    """``ctx.flows``, or a `TaskError` naming the task that needs it."""
    return require(ctx.flows, task_type)


def render_instant(ctx: TaskContext, value: Any, name: str) -> datetime | None:
    """Render an ISO-8601 date-time property (``2024-01-02T03:04:05Z``); naive means UTC."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    rendered = render_str(ctx, value)
    if rendered is None or not rendered.strip():
        return None
    try:
        moment = datetime.fromisoformat(rendered.strip().replace("Z", "+00:00"))
    except ValueError:
        raise TaskError(
            f"property `{name}` must be an ISO-8601 date-time, got `{rendered}`"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def render_states(ctx: TaskContext, value: Any) -> list[State] | None:
    """Render a `states` list property into `State`s (None when unset)."""
    if value is None:
        return None
    states: list[State] = []
    for item in render_list(ctx, value, "states"):
        try:
            states.append(State(str(item).strip().upper()))
        except ValueError:
            raise TaskError(f"`states` holds an unknown state `{item}`") from None
    return states


def matching_executions(
    executions: ExecutionQueries,
    *,
    namespace: str | None,
    flow_id: str | None,
    states: list[State] | None,
    start: datetime | None,
    end: datetime | None,
) -> Iterator[Execution]:
    """Executions of the context's tenant matching the filters, page after page."""
    yield from executions.search(
        namespace=namespace,
        flow_id=flow_id,
        states=states,
        start_from=start,
        start_to=end,
    )
