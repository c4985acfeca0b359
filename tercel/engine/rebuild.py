"""Rebuilding a flowable's scheduling state from the execution (after a reload or restart).

The plan is computed again (flowables render the same properties in the same context) and
the existing children are replayed through the scheduler in creation order, so that what
would have been started next is exactly what the run now starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tercel.engine.execution import TaskRun
from tercel.engine.plan import Looping, Plan, Slot
from tercel.engine.rendering import TaskPlanContext
from tercel.engine.scheduler import LaneRun, Phase
from tercel.engine.state import State
from tercel.engine.states import TASK_ERRORS
from tercel.model.task import Task, TaskKind

if TYPE_CHECKING:
    from tercel.engine.executor import Executor


def enabled(tasks: list[Task]) -> list[Task]:
    """Tasks that are not disabled."""
    return [task for task in tasks if not task.disabled]


def root_plan(executor: Executor) -> Plan:
    """The flow itself as a plan: `tasks`, `errors`, `finally`."""
    flow = executor.flow
    return Plan(
        slots=[Slot(task) for task in enabled(flow.tasks)],
        errors=enabled(flow.errors),
        finally_=enabled(flow.finally_),
    )


def replay(run: LaneRun, children: list[TaskRun]) -> None:
    """Feed existing children through `run` as if they had just been created."""
    existing = {(child.task_id, child.value): child for child in children}
    while True:
        starts = run.next_starts()
        if not starts:
            return
        progressed = False
        for start in starts:
            child = existing.pop((start.slot.task.id, start.slot.value), None)
            if child is None:
                if start.phase is Phase.NORMAL:
                    run.pending.append(start)
                continue
            progressed = True
            run.created(start, child.id)
            if child.state.current.is_terminated:
                run.ended(child.id, child.state.current)
        if not progressed:
            return


def rebuild_run(executor: Executor, owner: str | None) -> LaneRun | None:
    """The `LaneRun` of `owner` rebuilt from the execution, or None if it has none."""
    index = executor.index
    if owner is None:
        run = LaneRun.of(root_plan(executor))
        children = [
            child
            for child in index.children.get(None, [])
            if index.flow.top_list.get(child.task_id) != "afterExecution"
        ]
        replay(run, children)
        index.runs[None] = run
        return run
    task_run = index.by_id.get(owner)
    task = executor.task_of(task_run) if task_run else None
    if task_run is None or task is None or task.kind is not TaskKind.FLOWABLE:
        return None
    if task_run.state.current.is_terminated or task_run.state.current in (
        State.CREATED,
        State.PAUSED,
    ):
        return None
    context = executor.context_of(task_run, task)
    try:
        plan: Plan = task.plan(  # type: ignore[attr-defined]
            TaskPlanContext(executor.renderer, index, task_run, context)
        )
    except TASK_ERRORS:
        return None
    children = index.children.get(owner, [])
    if isinstance(task, Looping):
        plan.iteration = max((child.iteration or 1 for child in children), default=1)
        children = [child for child in children if (child.iteration or 1) == plan.iteration]
    external = task.runs_children_on_worker
    run = LaneRun.of(plan, external=external)
    if external:
        for child in children:
            if index.flow.tasks.get(child.task_id) in plan.errors + plan.finally_:
                continue
            run.adopted(child.id)
            if child.state.current.is_terminated:
                run.ended(child.id, child.state.current)
    else:
        replay(run, children)
    index.runs[owner] = run
    return run
