"""Finishing an owner: a flowable task run's final state, or the execution's end (§6.2).

A flowable's state is `guessFinalState` over its normal children, with its allowances; a loop
(LoopUntil/WaitFor) may instead start another iteration. The flow's end renders and types
the flow `outputs` (failure ⇒ FAILED and no outputs), emits `ExecutionEnded`, then starts
the `afterExecution` tasks and those of the deprecated `listeners` whose conditions hold,
which never change the state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tercel.engine.api import RetryExecution, ScheduleTimer, TimerFired
from tercel.engine.dispatch import next_token, plan_context
from tercel.engine.plan import FinalOutputs, Looping, Plan, Slot
from tercel.engine.rendering import render_value
from tercel.engine.scheduler import LaneRun
from tercel.engine.state import State
from tercel.engine.states import TASK_ERRORS, worst_state
from tercel.engine.typed import parse_typed
from tercel.errors import TercelError

if TYPE_CHECKING:
    from tercel.engine.executor import Executor
    from tercel.model.flow import Listener


def finish_owner(executor: Executor, owner: str | None, run: LaneRun) -> None:
    """`run` is complete: end its owner."""
    from tercel.engine.executor import AFTER

    index = executor.index
    index.finished_owners.add(owner)
    if owner == AFTER:
        return
    if owner is None:
        end_execution(executor, run)
        return
    task_run = index.by_id[owner]
    task = executor.task_of(task_run)
    if task is None or task_run.state.current.is_terminated:
        return
    state = run.normal_state()
    external = index.external_states.pop(owner, None)
    if external is not None:
        state = worst_state((state, external))
    if executor.killing:
        state = State.KILLED
    elif (
        state not in (State.FAILED, State.KILLED)
        and index.exit_state is None
        and isinstance(task, Looping)
    ):
        iteration = run.plan.iteration or 1
        started = index.loop_started.get(owner, executor.now)
        try:
            step = task.next_iteration(
                plan_context(executor, task_run, task), iteration, executor.now - started
            )
        except TASK_ERRORS as error:
            executor.fail(task_run, task, str(error))
            return
        if step.outputs:
            executor.set_outputs(task_run, step.outputs)
        if step.again:
            index.finished_owners.discard(owner)
            token = next_token(executor, owner)
            executor.emit(
                ScheduleTimer(executor.now + step.delay, TimerFired(owner, "loop", token))
            )
            return
        state = worst_state((state, step.state))
    if isinstance(task, FinalOutputs):
        try:
            outputs = task.final_outputs(plan_context(executor, task_run, task))
        except TASK_ERRORS as error:
            executor.fail(task_run, task, str(error))
            return
        executor.set_outputs(task_run, outputs)
    executor.end_task_run(task_run, executor.final_state(task, state, plan=run.plan))


def render_flow_outputs(executor: Executor) -> dict[str, Any]:
    """The flow `outputs`, rendered in the execution's context and typed."""
    context = executor.base_context()
    rendered: dict[str, Any] = {}
    for output in executor.flow.outputs:
        declared: Any = output
        if isinstance(declared, dict):
            output_id, output_type, value = declared["id"], declared["type"], declared.get("value")
        else:
            output_id, output_type, value = declared.id, declared.type, declared.value
        value = render_value(executor.renderer, value, context)
        rendered[output_id] = parse_typed(str(getattr(output_type, "value", output_type)), value)
    return rendered


def end_execution(executor: Executor, run: LaneRun) -> None:
    """Every top-level list is done: the execution's final state, outputs, afterExecution."""
    index = executor.index
    if index.forced_state is not None:
        state = index.forced_state
    elif executor.killing:
        state = State.KILLED
    elif index.exit_state is not None:
        state = index.exit_state
    else:
        state = run.normal_state()
    if not executor.killing and executor.flow.outputs:
        try:
            executor.execution.outputs = render_flow_outputs(executor)
        except TASK_ERRORS as error:
            executor.log("ERROR", f"Failed to render the flow outputs: {error}")
            executor.execution.outputs = None
            state = State.FAILED
    if state is State.FAILED and index.retry_execution_at is not None:
        state = State.RETRIED
        executor.emit(
            RetryExecution(
                index.retry_execution_at,
                executor.execution.id,
                executor.execution.attempt_number + 1,
            )
        )
    executor.execution_ended(state)
    start_after_execution(executor)


def start_after_execution(executor: Executor) -> None:
    """Queue the `afterExecution` tasks, then those of the deprecated `listeners` whose
    conditions hold; one after the other, they see the final `execution.state`."""
    from tercel.engine.executor import AFTER

    if executor.index.after_run is not None:
        return
    tasks = [task for task in executor.flow.after_execution if not task.disabled]
    for listener in executor.flow.listeners:
        if _listener_holds(executor, listener):
            tasks += [task for task in listener.tasks if not task.disabled]
    if not tasks:
        return
    executor.index.after_run = LaneRun.of(Plan(slots=[Slot(task) for task in tasks]))
    executor.enqueue(AFTER)


def _listener_holds(executor: Executor, listener: Listener) -> bool:
    """Whether a listener's conditions hold for the ended execution (none: always)."""
    if not listener.conditions:
        return True
    if executor.conditions is None:
        executor.log("WARN", "listener conditions cannot be evaluated here: listener skipped")
        return False
    try:
        return executor.conditions(listener.conditions, executor.flow, executor.execution)
    except TercelError as error:
        # As in Kestra, a condition that cannot be evaluated is false (and said in the logs).
        executor.log("WARN", f"listener condition not evaluated: {error}")
        return False
