"""What happens to a task run right after it is created (Kestra's `handleWorkerTask`, §6.2).

`runIf` first (falsy ⇒ SKIPPED, render error ⇒ FAILED); then by kind and capability:
runnable tasks go to a worker (`RunTask`) unless the executor applies them itself
(`execution.Labels`, `execution.Exit`); flowables start their plan (a WorkingDirectory goes to
one worker with all its children, a Pause pauses); executables start child executions.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tercel.engine.api import (
    PlannedTaskRun,
    RunTask,
    RunWorkingDirectory,
    ScheduleTimer,
    StartSubflow,
    TimerFired,
)
from tercel.engine.execution import ExecutionTrigger, Label, TaskRun, parse_instant
from tercel.engine.index import SubflowTracking
from tercel.engine.plan import Looping, PauseSpec, Pausing, Plan
from tercel.engine.rendering import TaskPlanContext, is_truthy
from tercel.engine.scheduler import LaneRun
from tercel.engine.state import State
from tercel.engine.states import TASK_ERRORS
from tercel.model.durations import parse_duration
from tercel.model.task import Task, TaskKind

if TYPE_CHECKING:
    from tercel.engine.executor import Executor


def plan_context(executor: Executor, task_run: TaskRun, task: Task) -> TaskPlanContext:
    """A `PlanContext` for `task_run`."""
    return TaskPlanContext(
        executor.renderer, executor.index, task_run, executor.context_of(task_run, task)
    )


def _run_if_allows(executor: Executor, task_run: TaskRun, task: Task) -> bool:
    """Evaluate `runIf`; False when the task run was ended (SKIPPED or FAILED)."""
    condition = task.run_if
    if condition is None or condition is True:
        return True
    if condition is False:
        executor.end_task_run(task_run, State.SKIPPED)
        return False
    try:
        rendered = plan_context(executor, task_run, task).render(str(condition))
    except TASK_ERRORS as error:
        executor.fail(task_run, task, f"`runIf` of `{task.id}` failed: {error}")
        return False
    if not is_truthy(rendered):
        executor.end_task_run(task_run, State.SKIPPED)
        return False
    return True


def dispatch(executor: Executor, task_run: TaskRun, task: Task) -> None:
    """Send a freshly created (or retried) task run on its way."""
    if not _run_if_allows(executor, task_run, task):
        return
    if task.kind is TaskKind.EXECUTABLE:
        start_executable(executor, task_run, task)
    elif task.kind is TaskKind.FLOWABLE:
        if task.runs_children_on_worker:
            start_working_directory(executor, task_run, task)
        elif isinstance(task, Pausing):
            start_pause(executor, task_run, task)
        else:
            start_flowable(executor, task_run, task)
    elif task.updates_execution_labels:
        apply_labels(executor, task_run, task)
    elif task.ends_execution:
        apply_exit(executor, task_run, task)
    else:
        run_on_worker(executor, task_run, task)


def run_on_worker(executor: Executor, task_run: TaskRun, task: Task) -> None:
    """Emit `RunTask` for the next attempt (the task run stays CREATED until it starts)."""
    timeout: timedelta | None = None
    expression: str | None = None
    if task.timeout:
        try:
            timeout = parse_duration(task.timeout)
        except ValueError:
            expression = task.timeout
    executor.emit(
        RunTask(
            task_run=task_run,
            task=task,
            attempt_number=len(task_run.attempts) + 1,
            context=executor.context_of(task_run, task),
            timeout=timeout,
            timeout_expression=expression,
        )
    )


def start_flowable(
    executor: Executor, task_run: TaskRun, task: Task, *, iteration: int | None = None
) -> None:
    """RUNNING, plan the children, and queue the flowable for advancing."""
    executor.set_state(task_run, State.RUNNING)
    ctx = plan_context(executor, task_run, task)
    looping = isinstance(task, Looping)
    if looping:
        iteration = iteration or 1
        executor.set_outputs(task_run, {"iterationCount": iteration - 1})
        executor.index.loop_started.setdefault(task_run.id, executor.now)
        ctx = plan_context(executor, task_run, task)
    try:
        plan: Plan = task.plan(ctx)  # type: ignore[attr-defined]
    except TASK_ERRORS as error:
        executor.fail(task_run, task, str(error))
        return
    if looping:
        plan.iteration = iteration
    if plan.outputs:
        executor.set_outputs(task_run, plan.outputs)
    executor.index.runs[task_run.id] = LaneRun.of(plan)
    executor.enqueue(task_run.id)


def start_working_directory(executor: Executor, task_run: TaskRun, task: Task) -> None:
    """Hand the WorkingDirectory and every child to one worker."""
    executor.set_state(task_run, State.RUNNING)
    ctx = plan_context(executor, task_run, task)
    try:
        plan: Plan = task.plan(ctx)  # type: ignore[attr-defined]
    except TASK_ERRORS as error:
        executor.fail(task_run, task, str(error))
        return
    executor.index.runs[task_run.id] = LaneRun.of(plan, external=True)
    children = []
    for child in task.worker_children():  # type: ignore[attr-defined]
        child_id = executor.new_id()
        executor.index.planned[child_id] = (task_run.id, child)
        children.append(PlannedTaskRun(child_id, child, executor.retry_of(child)))
    executor.emit(
        RunWorkingDirectory(
            task_run=task_run,
            task=task,
            children=tuple(children),
            context=ctx.context,
            attempt_number=len(task_run.attempts) + 1,
        )
    )


def next_token(executor: Executor, task_run_id: str) -> int:
    """A new timer token for a task run (older timers become stale)."""
    token = executor.index.tokens.get(task_run_id, 0) + 1
    executor.index.tokens[task_run_id] = token
    return token


def start_pause(executor: Executor, task_run: TaskRun, task: Task) -> None:
    """RUNNING then PAUSED; the execution pauses; timers for `delay` and `timeout`."""
    executor.set_state(task_run, State.RUNNING)
    try:
        # `dispatch` sends only `Pausing` tasks here; any other task pauses with no timers.
        ctx = plan_context(executor, task_run, task)
        spec = task.pause_spec(ctx) if isinstance(task, Pausing) else PauseSpec()
    except TASK_ERRORS as error:
        executor.fail(task_run, task, str(error))
        return
    executor.set_state(task_run, State.PAUSED)
    if executor.execution.state.current is State.RUNNING:
        executor.set_execution_state(State.PAUSED)
    token = next_token(executor, task_run.id)
    if spec.delay is not None:
        executor.emit(
            ScheduleTimer(executor.now + spec.delay, TimerFired(task_run.id, "pause-delay", token))
        )
    if spec.timeout is not None:
        executor.emit(
            ScheduleTimer(
                executor.now + spec.timeout, TimerFired(task_run.id, "pause-timeout", token)
            )
        )


def apply_labels(executor: Executor, task_run: TaskRun, task: Task) -> None:
    """`execution.Labels`: merge the rendered labels into the execution's (same key wins)."""
    executor.set_state(task_run, State.RUNNING)
    try:
        labels: list[Label] = task.resolve_labels(executor.render_with(task_run, task))  # type: ignore[attr-defined]
    except TASK_ERRORS as error:
        executor.fail(task_run, task, str(error))
        return
    for label in labels:
        if label.key.startswith("system."):
            executor.fail(task_run, task, f"label `{label.key}`: `system.` labels are reserved")
            return
    merged = {label.key: label.value for label in executor.execution.labels}
    merged.update({label.key: label.value for label in labels})
    executor.execution.labels = [Label(key, value) for key, value in merged.items()]
    executor.invalidate_context()
    executor.end_task_run(task_run, State.SUCCESS)


def apply_exit(executor: Executor, task_run: TaskRun, task: Task) -> None:
    """`execution.Exit`: end the execution with the rendered state; nothing else starts."""
    executor.set_state(task_run, State.RUNNING)
    try:
        state: State = task.exit_state(executor.render_with(task_run, task))  # type: ignore[attr-defined]
    except TASK_ERRORS as error:
        executor.fail(task_run, task, str(error))
        return
    if state is State.KILLED:
        from tercel.engine.events import on_kill

        executor.end_task_run(task_run, State.KILLED)
        on_kill(executor)
        return
    executor.index.exit_state = state
    executor.end_task_run(task_run, state)


def _parse_schedule(text: str | None) -> datetime | None:
    if not text:
        return None
    return parse_instant(text)


def start_executable(executor: Executor, task_run: TaskRun, task: Task) -> None:
    """Start the child execution(s) of a Subflow / ForEachItem batch task."""
    executor.set_state(task_run, State.RUNNING)
    executor.start_attempt(task_run)
    try:
        requests = task.subflow_requests(plan_context(executor, task_run, task))  # type: ignore[attr-defined]
        schedules = [_parse_schedule(request.schedule_date) for request in requests]
    except TASK_ERRORS as error:
        executor.end_attempt(task_run, State.FAILED)
        executor.fail(task_run, task, str(error))
        return
    multiple = task.multiple_subflows
    wait = all(request.wait for request in requests) if requests else True
    tracking = SubflowTracking(
        expected=len(requests),
        wait=wait,
        transmit_failed=all(r.transmit_failed for r in requests) if requests else True,
        multiple=multiple,
    )
    executor.index.subflows[task_run.id] = tracking
    execution = executor.execution
    system = {lb.key: lb.value for lb in execution.labels if lb.key.startswith("system.")}
    inherited = {lb.key: lb.value for lb in execution.labels if not lb.key.startswith("system.")}
    for request, schedule in zip(requests, schedules, strict=True):
        child_id = executor.new_id()
        labels: dict[str, str] = dict(inherited) if request.inherit_labels else {}
        labels.update({key: str(value) for key, value in request.labels.items()})
        labels.update(system)
        labels.setdefault("system.correlationId", execution.id)
        executor.emit(
            StartSubflow(
                task_run=task_run,
                execution_id=child_id,
                namespace=request.namespace,
                flow_id=request.flow_id,
                revision=request.revision,
                inputs=request.inputs,
                labels=tuple(Label(key, value) for key, value in labels.items()),
                trigger=ExecutionTrigger(
                    id=task.id,
                    type=task.type,
                    variables={
                        "executionId": execution.id,
                        "namespace": execution.namespace,
                        "flowId": execution.flow_id,
                        "flowRevision": execution.flow_revision,
                    },
                ),
                wait=request.wait,
                schedule_date=schedule,
                iteration=request.iteration,
            )
        )
        tracking.execution_ids[request.iteration or 0] = child_id
    outputs: dict[str, Any] | None
    if multiple and not requests:
        outputs = None  # Kestra: no batches, no outputs
    elif multiple and wait:
        outputs = {
            "numberOfBatches": len(requests),
            "iterations": {"CREATED": 0, "RUNNING": len(requests)},
        }
    elif multiple:
        # Without waiting, every started child counts as a success of this task.
        outputs = {
            "numberOfBatches": len(requests),
            "iterations": {"RUNNING": 0, "SUCCESS": len(requests)},
        }
    else:
        outputs = {"executionId": tracking.execution_ids.get(0)}
    executor.set_outputs(task_run, outputs)
    if not wait or not requests:
        executor.end_attempt(task_run, State.SUCCESS)
        executor.end_task_run(task_run, executor.final_state(task, State.SUCCESS))
