"""Why an execution failed, in a few lines: the failing task runs and their last errors.

The UI shows this on a FAILED or WARNING execution's page without a click, and a one-line
`reason` next to each failed run of the executions list. The failing task runs are the
innermost ones in the problem state (a Sequential that failed because its child failed is
not news); their last ERROR lines (WARN and above for a WARNING execution) say why. When no
task run says anything, the execution's own error lines do (bad inputs, outputs, SLA...).
Log lines are stored masked, so no secret is shown here.
"""

from __future__ import annotations

from typing import Any

from tercel.engine.execution import Execution, LogEntry, TaskRun
from tercel.engine.state import State
from tercel.store.api import LogRepository

#: Lines kept per task run, task runs reported, characters of a line and of a reason.
MAX_LINES = 3
MAX_TASK_RUNS = 5
MAX_LINE = 500
MAX_REASON = 160
PROBLEM_STATES = {
    State.FAILED: ({State.FAILED}, "ERROR"),
    State.WARNING: ({State.WARNING, State.FAILED}, "WARN"),
}


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def failing_task_runs(execution: Execution, states: set[State]) -> list[TaskRun]:
    """The innermost task runs in `states` (none of their children is in `states` too)."""
    problems = [run for run in execution.task_run_list if run.state.current in states]
    parents = {run.parent_task_run_id for run in problems if run.parent_task_run_id}
    return [run for run in problems if run.id not in parents]


def _last_lines(lines: list[LogEntry]) -> list[str]:
    return [_shorten(line.message, MAX_LINE) for line in lines[-MAX_LINES:]]


def failure_summary(execution: Execution, logs: LogRepository) -> dict[str, Any]:
    """``{"state", "reason", "taskRuns": [{"taskRunId", "taskId", "value", "state",
    "errors"}], "errors"}``; empty lists and a null reason for other states."""
    state = execution.state.current
    summary: dict[str, Any] = {"state": state.value, "reason": None, "taskRuns": [], "errors": []}
    if state not in PROBLEM_STATES:
        return summary
    states, level = PROBLEM_STATES[state]
    tenant = execution.tenant_id
    for run in failing_task_runs(execution, states)[:MAX_TASK_RUNS]:
        lines = logs.list(execution.id, task_run_id=run.id, min_level=level, tenant=tenant)
        summary["taskRuns"].append(
            {
                "taskRunId": run.id,
                "taskId": run.task_id,
                "value": run.value,
                "state": run.state.current.value,
                "errors": _last_lines(lines),
            }
        )
    if not any(item["errors"] for item in summary["taskRuns"]):
        own = [
            line
            for line in logs.list(execution.id, min_level=level, tenant=tenant)
            if line.task_run_id is None
        ]
        summary["errors"] = _last_lines(own)
    summary["reason"] = _reason(summary)
    return summary


def _reason(summary: dict[str, Any]) -> str | None:
    for item in summary["taskRuns"]:
        if item["errors"]:
            return _shorten(f"{item['taskId']}: {item['errors'][-1]}", MAX_REASON)
    if summary["errors"]:
        return _shorten(summary["errors"][-1], MAX_REASON)
    if summary["taskRuns"]:
        first = summary["taskRuns"][0]
        return f"{first['taskId']} {first['state']}"
    return None
