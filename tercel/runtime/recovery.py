"""Crash recovery: resume every execution a stopped runtime left unfinished.

Everything needed is in the store, because the executor persists before it acts: task runs
with their attempts, timers (`store.delays`), child executions (`parent_id`). On start:

* CREATED / QUEUED executions are started again (`Start`); KILLING ones are killed.
* A RUNNING runnable task run had an attempt on a worker that died with the process: that
  attempt is marked RESUBMITTED and the task runs again as a new attempt (at-least-once,
  and its logs say so). Flowable task runs need nothing: the engine re-derives them.
* Stored timers are re-armed; a waiting Subflow task run is re-linked to its child.

Before any attempt is resubmitted, the process groups and containers the previous process
started and could not stop (it was killed) are stopped (`tercel.runners.ledger`): otherwise
the old script would still be running beside its new attempt.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from tercel.engine.api import Kill, RunTask, Start, SubflowEnded, TaskRunStarted, TimerFired
from tercel.engine.state import State
from tercel.errors import NotFoundError
from tercel.model.task import TaskKind
from tercel.runners.ledger import Reaped
from tercel.runtime.concurrency import running_count
from tercel.runtime.tracked import ParentLink, Tracked

if TYPE_CHECKING:
    from tercel.engine.execution import Execution, TaskRun
    from tercel.model.flow import Flow
    from tercel.model.task import Task
    from tercel.runtime.executor import Executor
    from tercel.runtime.flows import FlowResolver

_log = logging.getLogger(__name__)

UNFINISHED = (
    State.CREATED,
    State.QUEUED,
    State.RUNNING,
    State.PAUSED,
    State.RESTARTED,
    State.KILLING,
    State.RETRYING,
)


def _find_task(flow: Flow, task_id: str) -> Task | None:
    return next((task for task in flow.all_tasks() if task.id == task_id), None)


#: Why an attempt runs again after this process (or a previous one) was restarted.
RESTART_REASON = "was interrupted by a restart of Tercel"


def _reap_orphans(executor: Executor) -> dict[str, Reaped]:
    """Stop what the previous run left running; by owner label (`execution/taskrun attempt n`)."""
    ledger = executor.dispatcher.pool.ledger
    if ledger is None:
        return {}
    from tercel.runners.docker import remove_orphan

    reaped = ledger.reap(remove_container=remove_orphan)
    for item in reaped:
        if item.stopped:
            _log.warning(
                "stopped %s %s of %s, left running by the previous run",
                item.entry.kind,
                item.entry.ident,
                item.entry.owner,
            )
    return {item.entry.owner: item for item in reaped}


def _orphan_note(reaped: Reaped | None) -> str:
    if reaped is None or not reaped.stopped:
        return ""
    if reaped.entry.kind == "container":
        return f" (its container {reaped.entry.ident[:12]}, still there, was removed first)"
    return (
        f" (its process group {reaped.entry.ident}, still running, was stopped first: "
        f"{reaped.stopped} process(es))"
    )


def _resubmit(
    executor: Executor,
    tracked: Tracked,
    task_run: TaskRun,
    task: Task,
    *,
    reason: str = RESTART_REASON,
    reaped: dict[str, Reaped] | None = None,
) -> None:
    execution = tracked.execution
    now = executor.clock()
    previous = len(task_run.attempts)
    if task_run.attempts:
        task_run.attempts[-1].state.set(State.RESUBMITTED, now)
    attempt = previous + 1
    effect = attempt_effect(tracked, task_run, task, attempt)
    note = _orphan_note((reaped or {}).get(f"{execution.id}/{task_run.id} attempt {previous}"))
    executor.log(
        tracked,
        task_run.id,
        "WARN",
        f"attempt {previous} {reason}{note}; running it again as attempt {attempt}",
    )
    executor.send(execution.id, TaskRunStarted(task_run.id, attempt))
    tracked.jobs.add(task_run.id)
    executor.dispatcher.run_task(tracked, effect, executor.job_done)


def attempt_effect(tracked: Tracked, task_run: TaskRun, task: Task, attempt: int) -> RunTask:
    """The `RunTask` of one attempt rebuilt from the stored execution (what the engine
    decided when it first dispatched it): a restarted runtime or a remote worker runs it."""
    from tercel.engine.context import execution_context, task_context
    from tercel.engine.index import ExecutionIndex
    from tercel.model.durations import parse_duration

    index = ExecutionIndex.of(tracked.flow, tracked.execution)
    base = execution_context(tracked.flow, tracked.execution, index, tracked.environment)
    context = task_context(base, index, task_run, task)
    timeout = None
    timeout_expression = None
    if task.timeout:
        try:
            timeout = parse_duration(task.timeout)
        except ValueError:
            timeout_expression = task.timeout
    return RunTask(task_run, task, attempt, context, timeout, timeout_expression)


def find_task(flow: Flow, task_id: str) -> Task | None:
    """The task of `flow` with this id (None when the flow no longer has it)."""
    return _find_task(flow, task_id)


def _relink_children(executor: Executor, flows: FlowResolver, parent: Execution) -> None:
    """Subflow task runs of `parent` waiting for a child: report the child's end again."""
    for task_run in parent.task_run_list:
        if task_run.state.current is not State.RUNNING or not task_run.outputs:
            continue
        child_id = task_run.outputs.get("executionId")
        if not isinstance(child_id, str):
            continue
        child = executor.tracked(child_id)
        tracked_parent = executor.tracked(parent.id)
        if tracked_parent is None:
            continue
        if child is not None:
            child.parent = ParentLink(parent.id, task_run.id, task_run.iteration, True)
            tracked_parent.waiting_children.add(child_id)
            continue
        # The child ended but the process died before the parent heard of it.
        ended = executor.store.executions.find(child_id)
        if ended is not None and ended.state.current.is_terminated:
            executor.sealer.unseal_execution(ended)
            executor.send(
                parent.id,
                SubflowEnded(task_run.id, child_id, ended.state.current, outputs=ended.outputs),
            )


def _start_in_order(executor: Executor, startable: list[Tracked], resumed: list[str]) -> None:
    """Start CREATED/QUEUED executions oldest first, counting the ones started here.

    `Start` events are processed later, so the states of executions started in this loop have
    not changed yet: each start counts as running for the next ones of the same flow. Without
    this, every queued execution of a `concurrency: {limit: 1}` flow would start at once.
    """
    # Paused-for-good executions are not `active()` but still hold a slot (Kestra §13.15).
    known = {t.execution.id: t for t in executor.active()}
    for execution_id in resumed:
        found = executor.tracked(execution_id)
        if found is not None:
            known[execution_id] = found
    started: dict[tuple[str, str, str], int] = {}
    startable.sort(key=lambda t: t.execution.state.histories[0].date)
    for tracked in startable:
        execution = tracked.execution
        key = (execution.tenant_id, execution.namespace, execution.flow_id)
        count = running_count(tracked.flow, execution, known.values()) + started.get(key, 0)
        limit = tracked.flow.concurrency.limit if tracked.flow.concurrency else None
        if limit is not None and count >= limit and execution.state.current is State.QUEUED:
            continue  # stays QUEUED: dequeued when a running execution of its flow ends
        executor.send(execution.id, Start(running_count=count))
        started[key] = started.get(key, 0) + 1


def resubmit(executor: Executor, tracked: Tracked, task_run: TaskRun, reason: str) -> bool:
    """Run a RUNNING runnable task run again as a new attempt, its logs saying `reason`
    (e.g. its worker died); False when the flow no longer has the task."""
    task = _find_task(tracked.flow, task_run.task_id)
    if task is None or task.kind is not TaskKind.RUNNABLE:
        return False
    _resubmit(executor, tracked, task_run, task, reason=reason)
    return True


def recover(
    executor: Executor,
    flows: FlowResolver,
    ids: list[str] | None = None,
    in_flight: Callable[[Tracked, TaskRun], bool] | None = None,
    reason: str = RESTART_REASON,
) -> list[str]:
    """Resume every unfinished execution in the store (only `ids` when given); return their
    ids. A RUNNING task run for which `in_flight` is true still has a live attempt (another
    process runs it): it is waited for, not run again."""
    store = executor.store
    reaped = _reap_orphans(executor)
    resumed: list[str] = []
    startable: list[Tracked] = []
    for execution_id in store.executions.ids_in_states(UNFINISHED) if ids is None else ids:
        execution = store.executions.find(execution_id)
        if execution is None or executor.tracked(execution_id) is not None:
            continue
        if execution.state.current not in UNFINISHED:
            continue
        try:
            flow = flows.resolve(
                execution.namespace, execution.flow_id, execution.flow_revision, execution.tenant_id
            )
        except NotFoundError:
            _log.warning("cannot resume execution %s: its flow is gone", execution_id)
            continue
        # Secrets in inputs and outputs were stored encrypted: the engine needs their values.
        executor.sealer.unseal_execution(execution)
        tracked = executor.track(flow, execution)
        resumed.append(execution_id)
        state = execution.state.current
        if state in (State.CREATED, State.QUEUED):
            # Started once every execution is tracked, so that `concurrency` counts them all.
            startable.append(tracked)
            continue
        if state is State.KILLING:
            executor.send(execution_id, Kill())
            continue
        for task_run in execution.task_run_list:
            if task_run.state.current is not State.RUNNING:
                continue
            task = _find_task(flow, task_run.task_id)
            if task is None or task.kind is not TaskKind.RUNNABLE:
                continue
            if in_flight is not None and in_flight(tracked, task_run):
                tracked.jobs.add(task_run.id)
                continue
            _resubmit(executor, tracked, task_run, task, reason=reason, reaped=reaped)
        for delay in store.delays.list(execution_id):
            payload = delay.payload
            event = TimerFired(
                payload.get("task_run_id"),
                str(payload.get("purpose", delay.kind)),
                int(payload.get("token", 0)),
            )
            executor.arm_timer(tracked, delay.due, event, delay.id)
        if state is State.PAUSED and not tracked.timers:
            tracked.settled.set()  # paused for good: only a user's resume continues it
    _start_in_order(executor, startable, resumed)
    for execution_id in resumed:
        found = executor.tracked(execution_id)
        if found is not None:
            _relink_children(executor, flows, found.execution)
    return resumed
