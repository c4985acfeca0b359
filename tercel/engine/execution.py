"""Executions, task runs and attempts, and their wire JSON (Kestra §14).

These are plain mutable dataclasses: the engine updates an execution in place and reports
which task runs it touched, so that a store writes only those (a 10,000-item ForEach stays
linear). `to_wire()` gives the JSON a Kestra client reads.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tercel.engine.state import State, StateHistory, StateTrail
from tercel.model.durations import format_duration


@functools.lru_cache(maxsize=16384)
def format_instant(moment: datetime) -> str:
    """ISO-8601 UTC with milliseconds, e.g. ``2024-12-20T10:11:12.123Z``.

    Cached: every write of an execution formats all its state dates again, and `strftime`
    was a few percent of a short execution's cost.
    """
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_instant(text: str) -> datetime:
    """Inverse of `format_instant` (accepts any ISO-8601 instant)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _state_wire(trail: StateTrail, now: datetime | None = None) -> dict[str, Any]:
    start = trail.start_date
    end = trail.end_date
    wire: dict[str, Any] = {
        "current": trail.current.value,
        "histories": [
            {"state": h.state.value, "date": format_instant(h.date)} for h in trail.histories
        ],
    }
    if start is not None:
        wire["startDate"] = format_instant(start)
        last = end or now
        if last is not None:
            wire["duration"] = format_duration(last - start)
    if end is not None:
        wire["endDate"] = format_instant(end)
    return wire


def _state_from_wire(wire: dict[str, Any]) -> StateTrail:
    return StateTrail(
        State(wire["current"]),
        [StateHistory(State(h["state"]), parse_instant(h["date"])) for h in wire["histories"]],
    )


@dataclass(slots=True)
class Attempt:
    """One try of a task run; retries append attempts, never task runs."""

    state: StateTrail
    log_file: str | None = None

    def to_wire(self) -> dict[str, Any]:
        """Kestra's TaskRunAttempt JSON."""
        wire: dict[str, Any] = {"state": _state_wire(self.state)}
        if self.log_file:
            wire["logFile"] = self.log_file
        return wire


@dataclass(slots=True)
class TaskRun:
    """One run of one task (per loop value); flowable parents have task runs too."""

    id: str
    execution_id: str
    namespace: str
    flow_id: str
    task_id: str
    state: StateTrail
    parent_task_run_id: str | None = None
    value: str | None = None
    iteration: int | None = None
    attempts: list[Attempt] = field(default_factory=list)
    outputs: dict[str, Any] | None = None
    tenant_id: str = "main"
    dynamic: bool = False

    def to_wire(self) -> dict[str, Any]:
        """Kestra's TaskRun JSON (`outputs` always present, may be null)."""
        wire: dict[str, Any] = {
            "id": self.id,
            "executionId": self.execution_id,
            "namespace": self.namespace,
            "flowId": self.flow_id,
            "taskId": self.task_id,
            "tenantId": self.tenant_id,
            "attempts": [attempt.to_wire() for attempt in self.attempts],
            "outputs": self.outputs,
            "state": _state_wire(self.state),
        }
        if self.parent_task_run_id is not None:
            wire["parentTaskRunId"] = self.parent_task_run_id
        if self.value is not None:
            wire["value"] = self.value
        if self.iteration is not None:
            wire["iteration"] = self.iteration
        if self.dynamic:
            wire["dynamic"] = True
        return wire

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> TaskRun:
        """Read back what `to_wire` wrote."""
        return cls(
            id=wire["id"],
            execution_id=wire["executionId"],
            namespace=wire["namespace"],
            flow_id=wire["flowId"],
            task_id=wire["taskId"],
            state=_state_from_wire(wire["state"]),
            parent_task_run_id=wire.get("parentTaskRunId"),
            value=wire.get("value"),
            iteration=wire.get("iteration"),
            attempts=[
                Attempt(_state_from_wire(a["state"]), a.get("logFile"))
                for a in wire.get("attempts", [])
            ],
            outputs=wire.get("outputs"),
            tenant_id=wire.get("tenantId", "main"),
            dynamic=wire.get("dynamic", False),
        )


@dataclass(slots=True)
class Label:
    """An execution label; `system.*` keys are reserved."""

    key: str
    value: str


@dataclass(slots=True)
class ExecutionTrigger:
    """What created the execution: `trigger.*` in templates is `variables`."""

    id: str
    type: str
    variables: dict[str, Any] = field(default_factory=dict)
    log_file: str | None = None


@dataclass(slots=True)
class Execution:
    """One run of one flow revision."""

    id: str
    namespace: str
    flow_id: str
    flow_revision: int
    state: StateTrail
    tenant_id: str = "main"
    task_run_list: list[TaskRun] = field(default_factory=list)
    inputs: dict[str, Any] | None = None
    outputs: dict[str, Any] | None = None
    labels: list[Label] = field(default_factory=list)
    variables: dict[str, Any] | None = None
    parent_id: str | None = None
    original_id: str | None = None
    trigger: ExecutionTrigger | None = None
    deleted: bool = False
    attempt_number: int = 1
    original_created_date: datetime | None = None
    schedule_date: datetime | None = None
    #: The engine's derived index of this execution (rebuilt when absent; never persisted).
    engine_state: Any = field(default=None, repr=False, compare=False)

    def find_task_run(self, task_run_id: str) -> TaskRun:
        """The task run with this id (KeyError if none)."""
        for task_run in self.task_run_list:
            if task_run.id == task_run_id:
                return task_run
        raise KeyError(task_run_id)

    def task_runs_of(self, task_id: str) -> list[TaskRun]:
        """Task runs of one task, in creation order."""
        return [tr for tr in self.task_run_list if tr.task_id == task_id]

    def label_map(self) -> dict[str, str]:
        """Labels as a map (a later label overrides an earlier one with the same key)."""
        return {label.key: label.value for label in self.labels}

    def to_wire(self, now: datetime | None = None) -> dict[str, Any]:
        """Kestra's Execution JSON."""
        wire: dict[str, Any] = {
            "id": self.id,
            "namespace": self.namespace,
            "flowId": self.flow_id,
            "flowRevision": self.flow_revision,
            "tenantId": self.tenant_id,
            "state": _state_wire(self.state, now),
            "taskRunList": [task_run.to_wire() for task_run in self.task_run_list],
            "inputs": self.inputs,
            "outputs": self.outputs,
            "labels": [{"key": label.key, "value": label.value} for label in self.labels],
            "originalId": self.original_id or self.id,
            "deleted": self.deleted,
            "metadata": {
                "attemptNumber": self.attempt_number,
                "originalCreatedDate": format_instant(
                    self.original_created_date or self.state.start_date or datetime.now(UTC)
                ),
            },
        }
        if self.variables is not None:
            wire["variables"] = self.variables
        if self.parent_id is not None:
            wire["parentId"] = self.parent_id
        if self.trigger is not None:
            trigger: dict[str, Any] = {
                "id": self.trigger.id,
                "type": self.trigger.type,
                "variables": self.trigger.variables,
            }
            if self.trigger.log_file:
                trigger["logFile"] = self.trigger.log_file
            wire["trigger"] = trigger
        if self.schedule_date is not None:
            wire["scheduleDate"] = format_instant(self.schedule_date)
        return wire

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> Execution:
        """Read back what `to_wire` wrote."""
        metadata = wire.get("metadata") or {}
        trigger = wire.get("trigger")
        created = metadata.get("originalCreatedDate")
        schedule = wire.get("scheduleDate")
        return cls(
            id=wire["id"],
            namespace=wire["namespace"],
            flow_id=wire["flowId"],
            flow_revision=wire["flowRevision"],
            state=_state_from_wire(wire["state"]),
            tenant_id=wire.get("tenantId", "main"),
            task_run_list=[TaskRun.from_wire(tr) for tr in wire.get("taskRunList", [])],
            inputs=wire.get("inputs"),
            outputs=wire.get("outputs"),
            labels=[Label(lb["key"], lb["value"]) for lb in wire.get("labels", [])],
            variables=wire.get("variables"),
            parent_id=wire.get("parentId"),
            original_id=wire.get("originalId"),
            trigger=(
                ExecutionTrigger(
                    trigger["id"],
                    trigger["type"],
                    trigger.get("variables") or {},
                    trigger.get("logFile"),
                )
                if trigger
                else None
            ),
            deleted=wire.get("deleted", False),
            attempt_number=metadata.get("attemptNumber", 1),
            original_created_date=parse_instant(created) if created else None,
            schedule_date=parse_instant(schedule) if schedule else None,
        )


@dataclass(slots=True)
class LogEntry:
    """One log line of an execution (Kestra's LogEntry)."""

    namespace: str
    flow_id: str
    execution_id: str | None
    timestamp: datetime
    level: str
    message: str
    task_id: str | None = None
    task_run_id: str | None = None
    attempt_number: int | None = None
    trigger_id: str | None = None
    thread: str | None = None
    tenant_id: str = "main"

    def to_wire(self) -> dict[str, Any]:
        """Kestra's LogEntry JSON."""
        return {
            "tenantId": self.tenant_id,
            "namespace": self.namespace,
            "flowId": self.flow_id,
            "taskId": self.task_id,
            "executionId": self.execution_id,
            "taskRunId": self.task_run_id,
            "attemptNumber": self.attempt_number,
            "triggerId": self.trigger_id,
            "timestamp": format_instant(self.timestamp),
            "level": self.level,
            "thread": self.thread,
            "message": self.message,
        }
