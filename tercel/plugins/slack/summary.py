"""What an execution notification says: link, namespace, flow, id, dates, state, failed task."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime

from tercel.engine.execution import Execution, format_instant
from tercel.engine.state import State
from tercel.model.durations import format_duration

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
        )


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
