"""One handler per event: start, worker results, subflow ends, timers, kill, resume."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from tercel.engine.api import (
    KillSubflow,
    KillTaskRun,
    Resume,
    ScheduleTimer,
    Start,
    SubflowEnded,
    TaskRunResult,
    TaskRunStarted,
    TimerFired,
)
from tercel.engine.dispatch import dispatch, next_token, start_flowable
from tercel.engine.execution import Label, TaskRun
from tercel.engine.index import SubflowTracking
from tercel.engine.plan import Executable, Pausing
from tercel.engine.retry import next_attempt_at
from tercel.engine.state import State, StateTrail
from tercel.engine.states import subflow_state, worst_state
from tercel.errors import ConflictError, InputError, TemplateError
from tercel.model.task import Task, TaskKind

if TYPE_CHECKING:
    from tercel.engine.executor import Executor

CORRELATION_ID = "system.correlationId"


def on_start(executor: Executor, event: Start) -> None:
    """CREATED/QUEUED → RUNNING (or QUEUED/CANCELLED/FAILED under `concurrency`)."""
    execution = executor.execution
    if execution.state.current is State.RESTARTED:
        continue_restarted(executor)
        return
    if execution.state.current not in (State.CREATED, State.QUEUED):
        return
    if not any(label.key == CORRELATION_ID for label in execution.labels):
        execution.labels.append(Label(CORRELATION_ID, execution.id))
        executor.invalidate_context()
    concurrency = executor.flow.concurrency
    if concurrency is not None and event.running_count >= concurrency.limit:
        behavior = str(getattr(concurrency.behavior, "value", concurrency.behavior)).upper()
        if behavior == "CANCEL":
            executor.execution_ended(State.CANCELLED)
        elif behavior == "FAIL":
            executor.log("ERROR", "Flow is FAILED due to concurrency limit exceeded")
            executor.execution_ended(State.FAILED)
        else:
            executor.set_execution_state(State.QUEUED)
        return
    executor.set_execution_state(State.RUNNING)
    # Kestra's executor logs this line on the execution (log.Fetch counts it).
    executor.log("INFO", "Flow started")
    if executor.flow.sla:
        from tercel.engine.sla import arm_deadlines

        arm_deadlines(executor)
    executor.enqueue(None)


def continue_restarted(executor: Executor) -> None:
    """RESTARTED → RUNNING: restarted task runs run again (flowables re-plan their children).

    A restart leaves reset flowable parents RUNNING (and older restarts, or a WorkingDirectory,
    RESTARTED): both are advanced again; reset runnable task runs are dispatched.
    """
    executor.set_execution_state(State.RUNNING)
    for task_run in list(executor.execution.task_run_list):
        task = executor.task_of(task_run)
        if task is None:
            continue
        if task_run.state.current is State.RUNNING and task.kind is TaskKind.FLOWABLE:
            executor.enqueue(task_run.id)
            continue
        if task_run.state.current is not State.RESTARTED:
            continue
        if task.kind is TaskKind.FLOWABLE:
            executor.set_state(task_run, State.RUNNING)
            executor.enqueue(task_run.id)
        else:
            executor.set_state(task_run, State.CREATED)
            dispatch(executor, task_run, task)
    executor.enqueue(None)


def on_task_run_started(executor: Executor, event: TaskRunStarted) -> None:
    """A worker picked up an attempt (or a WorkingDirectory child began)."""
    task_run = executor.index.by_id.get(event.task_run_id)
    if task_run is None:
        planned = executor.index.planned.get(event.task_run_id)
        if planned is None:
            return
        task_run = _adopt_planned(executor, event.task_run_id, *planned)
    if task_run.state.current.is_terminated:
        return
    executor.set_state(task_run, State.RUNNING)
    _end_retrying(executor)
    executor.start_attempt(task_run, event.attempt_number)


def _end_retrying(executor: Executor) -> None:
    """RETRYING → RUNNING once no task run waits for a retry any more."""
    if executor.execution.state.current is State.RETRYING and not any(
        other.state.current is State.RETRYING for other in executor.execution.task_run_list
    ):
        executor.set_execution_state(State.RUNNING)


def _retrying_on_worker(executor: Executor, task_run: TaskRun) -> None:
    """A WorkingDirectory child failed and its worker will try it again after the delay."""
    executor.set_state(task_run, State.RETRYING)
    if executor.execution.state.current is State.RUNNING:
        executor.set_execution_state(State.RETRYING)


def _adopt_planned(executor: Executor, task_run_id: str, parent_id: str, task: Task) -> TaskRun:
    """Create the task run of a WorkingDirectory child its worker is starting."""
    task_run = TaskRun(
        id=task_run_id,
        execution_id=executor.execution.id,
        namespace=executor.execution.namespace,
        flow_id=executor.execution.flow_id,
        task_id=task.id,
        state=StateTrail.start(executor.now),
        parent_task_run_id=parent_id,
        # Kestra keeps the loop value on the WorkingDirectory only; its children render
        # `taskrun.value` from it (see `context.child_context`).
        tenant_id=executor.execution.tenant_id,
        dynamic=True,
    )
    executor.execution.task_run_list.append(task_run)
    executor.index.add(task_run)
    executor.touch(task_run)
    run = executor.run_of(parent_id)
    if run is not None:
        run.adopted(task_run_id)
    return task_run


def retry_if_possible(executor: Executor, task_run: TaskRun, task: Task) -> bool:
    """Schedule another attempt of a FAILED task run; True when one was scheduled."""
    retry = executor.retry_of(task)
    if retry is None or executor.killing or task_run.dynamic:
        return False
    first = task_run.attempts[0].state.start_date if task_run.attempts else None
    first = first or task_run.state.start_date or executor.now
    if retry.behavior.upper() == "CREATE_NEW_EXECUTION":
        execution = executor.execution
        at = next_attempt_at(
            retry,
            attempts_done=execution.attempt_number,
            first_started=execution.original_created_date
            or execution.state.start_date
            or executor.now,
            last_ended=executor.now,
            draw=executor.draw(),
        )
        if at is not None and executor.index.retry_execution_at is None:
            executor.index.retry_execution_at = at
        return False
    at = next_attempt_at(
        retry,
        attempts_done=len(task_run.attempts),
        first_started=first,
        last_ended=executor.now,
        draw=executor.draw(),
    )
    if at is None:
        return False
    executor.set_state(task_run, State.RETRYING)
    # While an attempt waits for its delay the execution is RETRYING too (as in Kestra).
    if executor.execution.state.current is State.RUNNING:
        executor.set_execution_state(State.RETRYING)
    token = next_token(executor, task_run.id)
    executor.emit(ScheduleTimer(at, TimerFired(task_run.id, "retry", token)))
    return True


def on_task_run_result(executor: Executor, event: TaskRunResult) -> None:
    """A worker finished an attempt: retry, or end the task run with its final state."""
    index = executor.index
    task_run = index.by_id.get(event.task_run_id)
    if task_run is None or task_run.state.current.is_terminated:
        return
    task = executor.task_of(task_run)
    if task is None:
        return
    if task_run.state.current is State.CREATED:
        executor.set_state(task_run, State.RUNNING)
    executor.end_attempt(task_run, event.state)
    executor.set_outputs(task_run, event.outputs)
    if task.runs_children_on_worker and task.kind is TaskKind.FLOWABLE:
        index.external_states[task_run.id] = event.state
        run = executor.run_of(task_run.id)
        if run is not None:
            run.external_done = True
        executor.enqueue(task_run.id)
        return
    state = event.state
    if state is State.FAILED and event.retrying and task_run.dynamic and not executor.killing:
        _retrying_on_worker(executor, task_run)
        return
    if state is State.FAILED and retry_if_possible(executor, task_run, task):
        return
    retry = executor.retry_of(task)
    if state is State.SUCCESS and retry and retry.warning_on_retry and len(task_run.attempts) > 1:
        state = State.WARNING
    if executor.killing and not state.is_terminated:
        state = State.KILLED
    executor.end_task_run(task_run, executor.final_state(task, state))


def on_subflow_ended(executor: Executor, event: SubflowEnded) -> None:
    """A child execution ended (or could not start)."""
    index = executor.index
    task_run = index.by_id.get(event.task_run_id)
    if task_run is None or task_run.state.current.is_terminated:
        return
    task = executor.task_of(task_run)
    if task is None:
        return
    tracking = index.subflows.get(task_run.id) or _rebuilt_tracking(executor, task_run, task)
    child_state = State.FAILED if event.error else event.state
    if event.error:
        executor.log("ERROR", event.error, task_run)
    if not tracking.multiple:
        transmit = tracking.transmit_failed
        outputs: dict[str, Any] = {
            "executionId": event.execution_id,
            "state": event.state.value,
        }
        if event.outputs is not None:
            outputs["outputs"] = dict(event.outputs)
        executor.set_outputs(task_run, outputs)
        state = (
            State.FAILED if event.error else subflow_state(child_state, transmit_failed=transmit)
        )
        executor.end_attempt(task_run, state)
        if state is State.FAILED and retry_if_possible(executor, task_run, task):
            return
        executor.end_task_run(task_run, executor.final_state(task, state))
        return
    iteration = event.iteration or 0
    if iteration in tracking.ended:
        return
    tracking.ended[iteration] = child_state
    if event.outputs:
        tracking.outputs[str(iteration)] = dict(event.outputs)
    counts: dict[str, int] = {"CREATED": 0, "RUNNING": tracking.expected - len(tracking.ended)}
    for ended in tracking.ended.values():
        counts[ended.value] = counts.get(ended.value, 0) + 1
    batch_outputs: dict[str, Any] = {"numberOfBatches": tracking.expected, "iterations": counts}
    if tracking.outputs:
        batch_outputs["subflowOutputs"] = tracking.outputs
    executor.set_outputs(task_run, batch_outputs)
    if len(tracking.ended) < tracking.expected:
        return
    state = worst_state(tracking.ended.values()) if tracking.transmit_failed else State.SUCCESS
    if state is State.PAUSED:
        state = State.SUCCESS
    executor.end_attempt(task_run, state)
    executor.end_task_run(task_run, executor.final_state(task, state))


def _rebuilt_tracking(executor: Executor, task_run: TaskRun, task: Task) -> SubflowTracking:
    """The children bookkeeping of an executable task run of a reloaded execution."""
    multiple = task.multiple_subflows
    outputs = task_run.outputs or {}
    executable = task if isinstance(task, Executable) else None
    tracking = SubflowTracking(
        expected=int(outputs.get("numberOfBatches", 1)) if multiple else 1,
        wait=executable.wait if executable is not None else True,
        transmit_failed=executable.transmit_failed if executable is not None else True,
        multiple=multiple,
    )
    if multiple:
        # Children that ended before the reload are known only by their counts.
        synthetic = itertools.count(-1, -1)
        for name, count in (outputs.get("iterations") or {}).items():
            if name in ("CREATED", "RUNNING"):
                continue
            for _ in range(int(count)):
                tracking.ended[next(synthetic)] = State(name)
        tracking.outputs.update(outputs.get("subflowOutputs") or {})
    executor.index.subflows[task_run.id] = tracking
    return tracking


def on_timer(executor: Executor, event: TimerFired) -> None:
    """A retry delay, pause delay/timeout or loop interval is due."""
    index = executor.index
    if event.task_run_id is None and event.purpose == "sla":
        from tercel.engine.sla import on_deadline

        on_deadline(executor, event.token)
        return
    if event.task_run_id is None or executor.killing:
        return
    task_run = index.by_id.get(event.task_run_id)
    if task_run is None:
        return
    known = index.tokens.get(task_run.id)
    if known is None:
        # A reloaded execution does not know its timers' tokens: adopt this one (the state
        # checks below still reject a timer that no longer applies).
        index.tokens[task_run.id] = event.token
    elif known != event.token:
        return
    task = executor.task_of(task_run)
    if task is None:
        return
    if event.purpose == "retry" and task_run.state.current is State.RETRYING:
        executor.set_state(task_run, State.CREATED)
        _end_retrying(executor)
        dispatch(executor, task_run, task)
    elif event.purpose == "pause-delay" and task_run.state.current is State.PAUSED:
        resume_task_run(executor, task_run, task, None)
        _unpause_execution(executor, restarted=False)
    elif event.purpose == "pause-timeout" and task_run.state.current is State.PAUSED:
        next_token(executor, task_run.id)
        # PAUSED → FAILED directly (Kestra's history: RUNNING, PAUSED, FAILED).
        executor.index.paused.discard(task_run.id)
        _unpause_execution(executor, restarted=False)
        timeout_state = State(task.timeout_state() if isinstance(task, Pausing) else "FAILED")
        executor.log("WARN", f"Pause `{task.id}` timed out", task_run)
        executor.end_task_run(task_run, executor.final_state(task, timeout_state))
    elif event.purpose == "loop" and task_run.state.current is State.RUNNING:
        run = executor.run_of(task_run.id)
        if run is None or not run.complete():
            return
        index.finished_owners.discard(task_run.id)
        start_flowable(executor, task_run, task, iteration=(run.plan.iteration or 1) + 1)


def on_kill(executor: Executor) -> None:
    """KILLING: created/paused/retrying task runs are KILLED, running ones are stopped."""
    execution = executor.execution
    current = execution.state.current
    if current.is_terminated or current is State.KILLING:
        return
    if current in (State.CREATED, State.QUEUED):
        executor.execution_ended(executor.index.forced_state or State.KILLED)
        return
    executor.set_execution_state(State.KILLING)
    index = executor.index
    for task_run in list(execution.task_run_list):
        state = task_run.state.current
        if state.is_terminated:
            continue
        task = executor.task_of(task_run)
        if task is None:
            continue
        if task_run.id in index.subflows:
            for child_id in index.subflows[task_run.id].execution_ids.values():
                executor.emit(KillSubflow(child_id))
            executor.end_task_run(task_run, State.KILLED)
        elif task.kind is TaskKind.FLOWABLE and state is State.RUNNING:
            if task.runs_children_on_worker:
                executor.emit(KillTaskRun(task_run.id))
        elif state is State.RUNNING:
            executor.emit(KillTaskRun(task_run.id))
        else:
            if state is State.CREATED and task.kind is TaskKind.RUNNABLE:
                executor.emit(KillTaskRun(task_run.id))
            executor.end_task_run(task_run, State.KILLED)
    for owner, run in list(index.runs.items()):
        run.stop()
        executor.enqueue(owner)
    executor.enqueue(None)


def resume_task_run(
    executor: Executor, task_run: TaskRun, task: Task, outputs: dict[str, object] | None
) -> None:
    """PAUSED → RUNNING, then the Pause's (deprecated) children run."""
    next_token(executor, task_run.id)
    if outputs is not None:
        executor.set_outputs(task_run, outputs)
    start_flowable(executor, task_run, task)


def _unpause_execution(executor: Executor, *, restarted: bool) -> None:
    if executor.execution.state.current is State.PAUSED and not executor.index.paused:
        if restarted:
            executor.set_execution_state(State.RESTARTED)
        executor.set_execution_state(State.RUNNING)
        executor.enqueue(None)


def _input_renderer(
    executor: Executor, task_run: TaskRun, task: Task
) -> Callable[[str, Mapping[str, Any]], Any]:
    """Typed rendering of `onResume` expressions in the Pause's context.

    The executor's renderer adds the template's YAML position to a failure, which becomes
    the InputError that refuses the resume.
    """
    base = executor.context_of(task_run, task)

    def render(expression: str, context: Mapping[str, Any]) -> Any:
        try:
            return executor.renderer.render_typed(expression, {**base, **context})
        except TemplateError as error:
            raise InputError(f"cannot render `{expression}`: {error}") from error

    return render


def on_resume(executor: Executor, event: Resume) -> None:
    """Resume paused task runs; `onResume` inputs are typed into `outputs.<id>.onResume`."""
    from tercel.engine.resume import resume_outputs

    execution = executor.execution
    if execution.state.current is not State.PAUSED:
        raise ConflictError(
            f"execution {execution.id} is {execution.state.current.value}, not PAUSED: "
            "only a paused execution can be resumed"
        )
    targets = [
        executor.index.by_id[task_run_id]
        for task_run_id in sorted(executor.index.paused)
        if event.task_run_id in (None, task_run_id)
    ]
    if not targets:
        raise ConflictError(f"no paused task run `{event.task_run_id}` to resume")
    resolved = []
    for task_run in targets:
        task = executor.task_of(task_run)
        if task is None:
            continue
        # Validate every target before changing anything: a bad input rejects the resume.
        render = _input_renderer(executor, task_run, task)
        resolved.append((task_run, task, resume_outputs(task, event.inputs, render)))
    for task_run, task, outputs in resolved:
        resume_task_run(executor, task_run, task, outputs)
    _unpause_execution(executor, restarted=True)
