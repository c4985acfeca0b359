"""The render context of a task run, built purely from the flow and the execution (§9.2).

`outputs` and `tasks` are the index's live maps (shared, not copied: building a context is
O(depth), not O(execution)); renderers must treat the context as read-only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tercel.engine.execution import Execution, TaskRun, format_instant
from tercel.engine.index import ExecutionIndex
from tercel.model.task import Task

if TYPE_CHECKING:
    from tercel.engine.api import PlannedTaskRun, RunWorkingDirectory
    from tercel.model.flow import Flow


def nest_labels(labels: Mapping[str, str]) -> dict[str, Any]:
    """Labels as a map; dotted keys also nest (`system.correlationId` → `labels.system...`)."""
    nested: dict[str, Any] = {}
    for key, value in labels.items():
        nested[key] = value
        if "." in key:
            node = nested
            parts = key.split(".")
            for part in parts[:-1]:
                child = node.get(part)
                if not isinstance(child, dict):
                    child = node[part] = {}
                node = child
            node[parts[-1]] = value
    return nested


def execution_context(
    flow: Flow,
    execution: Execution,
    index: ExecutionIndex | None = None,
    environment: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Variables every template of the execution sees (no task-specific ones)."""
    if index is None:
        index = ExecutionIndex.of(flow, execution)
    start = execution.state.start_date
    context: dict[str, Any] = dict(environment or {})
    context.update(
        {
            "flow": {
                "id": flow.id,
                "namespace": flow.namespace,
                "revision": execution.flow_revision,
                "tenantId": execution.tenant_id,
            },
            "execution": {
                "id": execution.id,
                "startDate": format_instant(start) if start else None,
                "originalId": execution.original_id or execution.id,
                "state": execution.state.current.value,
            },
            "inputs": execution.inputs or {},
            "outputs": index.outputs,
            "tasks": index.tasks_states,
            "vars": flow.variables or {},
            "labels": nest_labels(execution.label_map()),
        }
    )
    if execution.trigger is not None:
        context["trigger"] = execution.trigger.variables
    return context


def taskrun_variables(task_run: TaskRun) -> dict[str, Any]:
    """`taskrun.*`: id, startDate, attemptsCount, parentId, value, iteration."""
    start = task_run.state.start_date
    variables: dict[str, Any] = {
        "id": task_run.id,
        "startDate": format_instant(start) if start else None,
        "attemptsCount": len(task_run.attempts),
    }
    if task_run.parent_task_run_id is not None:
        variables["parentId"] = task_run.parent_task_run_id
    # Kestra templates read `taskrun.value` outside loops too (it renders empty).
    variables["value"] = task_run.value
    if task_run.iteration is not None:
        variables["iteration"] = task_run.iteration
    return variables


def parents_variables(index: ExecutionIndex, task_run: TaskRun) -> list[dict[str, Any]]:
    """`parents`: ancestors that have a value or outputs, closest first."""
    parents: list[dict[str, Any]] = []
    for ancestor in index.ancestors(task_run):
        entry = _parent_entry(ancestor)
        if entry:
            parents.append(entry)
    return parents


def _parent_entry(ancestor: TaskRun) -> dict[str, Any]:
    """Kestra's `parents[i]`: `taskrun.value` only when it has one, `outputs` when it has them."""
    entry: dict[str, Any] = {}
    if ancestor.value is not None:
        entry["taskrun"] = {"value": ancestor.value}
    if ancestor.outputs:
        entry["outputs"] = ancestor.outputs
    return entry


def task_context(
    base: Mapping[str, Any], index: ExecutionIndex, task_run: TaskRun, task: Task
) -> dict[str, Any]:
    """The context of one task run: the execution's plus `task`, `taskrun`, `parent(s)`."""
    context = dict(base)
    context["task"] = {"id": task.id, "type": task.type}
    context["taskrun"] = taskrun_variables(task_run)
    parents = parents_variables(index, task_run)
    context["parents"] = parents
    if parents:
        context["parent"] = parents[0]
    return context


def child_context(
    execution: Execution, effect: RunWorkingDirectory, planned: PlannedTaskRun
) -> dict[str, Any]:
    """The context of a WorkingDirectory child the worker is about to run."""
    context = dict(effect.context)
    parent = effect.task_run
    context["task"] = {"id": planned.task.id, "type": planned.task.type}
    taskrun: dict[str, Any] = {
        "id": planned.task_run_id,
        "startDate": context.get("taskrun", {}).get("startDate"),
        "attemptsCount": 0,
        "parentId": parent.id,
    }
    if parent.value is not None:
        taskrun["value"] = parent.value
    # Kestra exposes the WorkingDirectory's own task run to its children as `workerTaskrun`.
    context["workerTaskrun"] = context.get("taskrun")
    context["taskrun"] = taskrun
    parents = list(context.get("parents") or [])
    entry = _parent_entry(parent)
    if entry:
        parents.insert(0, entry)
    context["parents"] = parents
    if parents:
        context["parent"] = parents[0]
    return context
