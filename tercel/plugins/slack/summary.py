"""What an execution notification says: link, namespace, flow, id, dates, state, failed task.

Every `*Execution` notification task (Slack, e-mail, Teams, Discord, Google Chat, Telegram,
PagerDuty, Opsgenie) reports this summary, each in its vendor's message format.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime

from tercel.engine.execution import Execution, format_instant
from tercel.engine.state import State
from tercel.errors import TaskError
from tercel.model.durations import format_duration
from tercel.plugins.context import TaskContext

#: Where links point when no server URL is configured (the server's default address).
DEFAULT_UI_URL = "http://localhost:8080"


@dataclass(frozen=True, slots=True)
class ExecutionSummary:
    """The facts a notification reports about one execution."""

    id: str
    namespace: str
    flow_id: str
    state: str
    link: str
    start_date: str | None
    duration: str | None
    failed_task: str | None
    #: The id of the last task run (Kestra's "final task"), if any.
    last_task: str | None = None

    @classmethod
    def of(cls, execution: Execution, *, now: datetime | None = None) -> ExecutionSummary:
        """Summarize `execution`; a running one's duration counts up to `now`."""
        start = execution.state.start_date
        end = execution.state.end_date or (now or datetime.now(UTC))
        return cls(
            id=execution.id,
            namespace=execution.namespace,
            flow_id=execution.flow_id,
            state=execution.state.current.value,
            link=execution_link(execution),
            start_date=format_instant(start) if start else None,
            duration=format_duration(end - start) if start else None,
            failed_task=first_failed_task(execution),
            last_task=execution.task_run_list[-1].task_id if execution.task_run_list else None,
        )

    @property
    def headline(self) -> str:
        """``[namespace] flow ➛ STATE``."""
        return f"[{self.namespace}] {self.flow_id} ➛ {self.state}"

    @property
    def outcome(self) -> str:
        """``Succeeded after PT2M`` or ``Failed on task `load` after PT2M``, as Kestra says it."""
        told = f"Failed on task `{self.failed_task}`" if self.failed_task else "Succeeded"
        return f"{told} after {self.duration}" if self.duration else told


def load_summary(ctx: TaskContext, execution_id: str, task_type: str) -> ExecutionSummary:
    """The summary of the execution `execution_id` of this tenant; `TaskError` if unknown."""
    from tercel.plugins.core.execution.access import require_executions

    execution = require_executions(ctx, task_type).find(execution_id)
    if execution is None:
        raise TaskError(f"execution `{execution_id}` not found")
    return ExecutionSummary.of(execution)


def ui_base_url() -> str:
    """The server's public URL (``TERCEL_PUBLIC_URL``), else the default local address."""
    return (os.environ.get("TERCEL_PUBLIC_URL") or DEFAULT_UI_URL).rstrip("/")


def execution_link(execution: Execution) -> str:
    """The execution's page in the UI."""
    return (
        f"{ui_base_url()}/ui/{execution.tenant_id}/executions/"
        f"{execution.namespace}/{execution.flow_id}/{execution.id}"
    )


def first_failed_task(execution: Execution) -> str | None:
    """The id of the first task run that failed (Kestra's "failed task"), if any."""
    for task_run in execution.task_run_list:
        if task_run.state.current is State.FAILED:
            return task_run.task_id
    return None
