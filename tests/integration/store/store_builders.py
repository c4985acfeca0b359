"""Builders of executions and task runs for the store tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tercel.engine.execution import Attempt, Execution, Label, TaskRun
from tercel.engine.state import State, StateTrail
from tercel.ids import short_id

T0 = datetime(2025, 1, 2, 3, 4, 5, 123000, tzinfo=UTC)


def make_task_run(
    execution: Execution,
    task_id: str,
    *,
    state: State = State.CREATED,
    value: str | None = None,
    at: datetime = T0,
) -> TaskRun:
    task_run = TaskRun(
        id=short_id(),
        execution_id=execution.id,
        namespace=execution.namespace,
        flow_id=execution.flow_id,
        task_id=task_id,
        state=StateTrail.start(at, state),
        value=value,
        tenant_id=execution.tenant_id,
    )
    execution.task_run_list.append(task_run)
    return task_run


def make_execution(
    namespace: str = "company.team",
    flow_id: str = "hello",
    *,
    state: State = State.CREATED,
    start: datetime = T0,
    tasks: int = 0,
    labels: dict[str, str] | None = None,
    tenant: str = "main",
    parent_id: str | None = None,
) -> Execution:
    execution = Execution(
        id=short_id(),
        namespace=namespace,
        flow_id=flow_id,
        flow_revision=1,
        state=StateTrail.start(start, State.CREATED),
        tenant_id=tenant,
        labels=[Label(k, v) for k, v in (labels or {}).items()],
        parent_id=parent_id,
        inputs={"name": "Ada"},
    )
    if state is not State.CREATED:
        execution.state.set(state, start + timedelta(milliseconds=5))
    for index in range(tasks):
        make_task_run(execution, f"t{index}")
    return execution


def finish(task_run: TaskRun, at: datetime, state: State = State.SUCCESS) -> TaskRun:
    task_run.state.set(State.RUNNING, at)
    task_run.attempts.append(Attempt(StateTrail.start(at, State.RUNNING)))
    task_run.attempts[-1].state.set(state, at + timedelta(milliseconds=1))
    task_run.state.set(state, at + timedelta(milliseconds=1))
    task_run.outputs = {"value": task_run.task_id}
    return task_run
