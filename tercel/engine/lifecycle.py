"""Restart and replay (§6.4, §13.19): pure functions on an execution.

* `restart` keeps the execution id: FAILED and PAUSED task runs (not KILLED ones, as in
  Kestra) are reset with their ancestors, error/finally/afterExecution branch task runs and
  WorkingDirectory children of reset task runs are dropped, `attemptNumber` + 1.
* `replay` makes a new execution whose `parentId` is the replayed one (same `originalId`)
  and copies the task runs before the chosen one; the chosen one and its ancestors are
  reset. Without a task run it starts from scratch (CREATED, no task runs, new histories).

A reset task run is RESTARTED when it runs itself (a runnable task, a WorkingDirectory) and
RUNNING when it is a flowable that plans children again; the execution keeps its state
histories and adds RESTARTED. Feed `Start()` to continue.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import TYPE_CHECKING

from tercel.engine.api import NewId
from tercel.engine.execution import Execution, TaskRun
from tercel.engine.state import State, StateTrail
from tercel.errors import ConflictError, NotFoundError
from tercel.model.task import TaskKind

if TYPE_CHECKING:
    from tercel.model.flow import Flow
    from tercel.model.task import Task

#: What a restart runs again. KILLED task runs stay as they are: a kill was asked for.
_RESETTABLE = (State.FAILED, State.PAUSED)


def _reset_state(tasks: dict[str, Task], task_run: TaskRun) -> State:
    """RESTARTED for a task run that runs itself, RUNNING for a flowable parent."""
    task = tasks.get(task_run.task_id)
    if (
        task is not None
        and not task_run.dynamic
        and task.kind is TaskKind.FLOWABLE
        and not task.runs_children_on_worker
    ):
        return State.RUNNING
    return State.RESTARTED


def _branch_task_ids(flow: Flow) -> set[str]:
    """Ids of tasks in an `errors`/`finally`/`afterExecution` list (anywhere in the flow) or
    of a listener: a restart runs them again."""
    ids: set[str] = set()

    def add_tree(tasks: list) -> None:  # type: ignore[type-arg]
        for task in tasks:
            ids.add(task.id)
            for children in task.child_task_lists().values():
                add_tree(children)

    for top in (flow.errors, flow.finally_, flow.after_execution):
        add_tree(list(top))
    for listener in flow.listeners:
        add_tree(list(listener.tasks))
    for task in flow.all_tasks():
        lists = task.child_task_lists()
        for name in ("errors", "finally"):
            add_tree(lists.get(name, []))
    return ids


def restart(flow: Flow, execution: Execution, now: datetime) -> list[TaskRun]:
    """Restart `execution` in place; return the task runs that were reset.

    ConflictError unless the execution is terminated or paused.
    """
    current = execution.state.current
    if not (current.is_terminated or current is State.PAUSED):
        raise ConflictError(
            f"execution {execution.id} is {current.value}: only a terminated or paused "
            "execution can be restarted"
        )
    by_id = {task_run.id: task_run for task_run in execution.task_run_list}
    reset: dict[str, TaskRun] = {}
    for task_run in execution.task_run_list:
        if task_run.state.current in _RESETTABLE and not task_run.dynamic:
            node: TaskRun | None = task_run
            while node is not None and node.id not in reset:
                reset[node.id] = node
                node = by_id.get(node.parent_task_run_id or "")
    branch_ids = _branch_task_ids(flow)
    dropped: set[str] = set()
    for task_run in execution.task_run_list:
        parent_dropped = task_run.parent_task_run_id in dropped
        in_branch = task_run.task_id in branch_ids and task_run.id not in reset
        dynamic_child = task_run.dynamic and task_run.parent_task_run_id in reset
        if parent_dropped or in_branch or dynamic_child:
            dropped.add(task_run.id)
    tasks = {task.id: task for task in flow.all_tasks()}
    for task_run in reset.values():
        task_run.state.set(_reset_state(tasks, task_run), now)
        task_run.outputs = None
    execution.task_run_list = [tr for tr in execution.task_run_list if tr.id not in dropped]
    execution.state.set(State.RESTARTED, now)
    execution.attempt_number += 1
    execution.outputs = None
    execution.engine_state = None
    return list(reset.values())


def replay(
    execution: Execution,
    task_run_id: str | None,
    now: datetime,
    *,
    new_id: NewId,
    flow: Flow | None = None,
) -> Execution:
    """A new execution replaying `execution` from `task_run_id` (or from scratch).

    `flow` tells flowable ancestors (RUNNING) from task runs that run again (RESTARTED);
    without it every reset task run is RESTARTED.
    """
    from_task = task_run_id is not None
    replayed = Execution(
        id=new_id(),
        namespace=execution.namespace,
        flow_id=execution.flow_id,
        flow_revision=execution.flow_revision,
        # A replay from a task run continues the original's history; from scratch is new.
        state=copy.deepcopy(execution.state) if from_task else StateTrail.start(now),
        tenant_id=execution.tenant_id,
        inputs=copy.deepcopy(execution.inputs),
        labels=[
            type(label)(label.key, label.value)
            for label in execution.labels
            if label.key != "system.correlationId"
        ],
        variables=copy.deepcopy(execution.variables),
        parent_id=execution.id,
        original_id=execution.original_id or execution.id,
        trigger=copy.deepcopy(execution.trigger),
        attempt_number=execution.attempt_number,
        original_created_date=execution.original_created_date or execution.state.start_date,
    )
    if task_run_id is None:
        return replayed
    position = next(
        (i for i, tr in enumerate(execution.task_run_list) if tr.id == task_run_id), None
    )
    if position is None:
        raise NotFoundError(f"task run {task_run_id} is not in execution {execution.id}")
    kept = execution.task_run_list[: position + 1]
    by_id = {tr.id: tr for tr in kept}
    restarted: set[str] = set()
    node: TaskRun | None = kept[-1]
    while node is not None:
        restarted.add(node.id)
        node = by_id.get(node.parent_task_run_id or "")
    ids = {tr.id: new_id() for tr in kept}
    tasks = {task.id: task for task in flow.all_tasks()} if flow is not None else {}
    for task_run in kept:
        clone = copy.deepcopy(task_run)
        clone.id = ids[task_run.id]
        clone.execution_id = replayed.id
        if clone.parent_task_run_id is not None:
            clone.parent_task_run_id = ids.get(clone.parent_task_run_id)
        if task_run.id in restarted:
            reset = _reset_state(tasks, task_run) if flow is not None else State.RESTARTED
            clone.state.set(reset, now)
            clone.outputs = None if task_run.id == task_run_id else clone.outputs
        replayed.task_run_list.append(clone)
    replayed.state.set(State.RESTARTED, now)
    return replayed
