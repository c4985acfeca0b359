"""Optional capabilities of a `TaskContext` that a few core tasks need.

`log.Fetch`, `log.PurgeLogs`, `execution.Count` and `execution.PurgeExecutions` read or
delete executions and logs: they need the context to expose the `Store` as ``ctx.store``.
`execution.Resume` needs ``ctx.resume_execution(execution_id, inputs)``, which the runtime
feeds to the engine as a `Resume` event. `tercel.testing.FakeTaskContext` has both; a
context without them makes these tasks fail with a message saying so.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from tercel.engine.execution import Execution
from tercel.engine.state import State
from tercel.errors import TaskError
from tercel.plugins.context import TaskContext
from tercel.plugins.core.templating.properties import render_list, render_str
from tercel.store.api import Store, iter_pages


@runtime_checkable
class CanResume(Protocol):
    """A context that can resume a paused execution."""

    def resume_execution(self, execution_id: str, inputs: Mapping[str, Any] | None) -> None:
        """Resume `execution_id` (ConflictError/NotFoundError when it cannot be)."""


def require_store(ctx: TaskContext, task_type: str) -> Store:
    """``ctx.store``, or a `TaskError` naming the task that needs it."""
    found = optional_store(ctx)
    if found is not None:
        return found
    raise TaskError(f"`{task_type}` needs access to the execution store, which is not available")


def optional_store(ctx: TaskContext) -> Store | None:
    """``ctx.store`` when the context has one (the attribute may exist and be None)."""
    found: Store | None = getattr(ctx, "store", None)
    return found


def require_resume(ctx: TaskContext, task_type: str) -> CanResume:
    """The context as a `CanResume`, or a `TaskError`."""
    if isinstance(ctx, CanResume):
        return ctx
    raise TaskError(f"`{task_type}` cannot resume executions in this context")


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
    ctx: TaskContext,
    store: Store,
    *,
    namespace: str | None,
    flow_id: str | None,
    states: list[State] | None,
    start: datetime | None,
    end: datetime | None,
) -> Iterator[Execution]:
    """Executions of the context's tenant matching the filters, page after page."""
    yield from iter_pages(
        store.executions.search,
        tenant=ctx.tenant_id,
        namespace=namespace,
        flow_id=flow_id,
        states=states,
        start_from=start,
        start_to=end,
        with_task_runs=False,
    )
