"""The engine's derived view of one execution: task runs by id and by parent, the outputs tree,
`tasks.<id>.state`, and the scheduling state of every running flowable.

It is built once per execution object (O(task runs)) and then updated in place by every
decision, so that each event costs O(what changed), not O(execution). It is cached on
`Execution.engine_state` and never persisted: after a reload it is simply rebuilt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tercel.engine.execution import Execution, TaskRun
from tercel.engine.outputs import put_outputs
from tercel.engine.scheduler import LaneRun
from tercel.engine.state import State
from tercel.model.task import Task

if TYPE_CHECKING:
    from tercel.model.flow import Flow


class FlowIndex:
    """Every task of a flow by id (hidden ForEachItem children included) and its parent."""

    def __init__(self, flow: Flow) -> None:
        self.tasks: dict[str, Task] = {}
        self.parent: dict[str, Task | None] = {}
        self.top_list: dict[str, str] = {}

        def walk(tasks: list[Task], parent: Task | None) -> None:
            for task in tasks:
                self.tasks.setdefault(task.id, task)
                self.parent.setdefault(task.id, parent)
                for children in task.child_task_lists().values():
                    walk(children, task)

        for name, tasks in (
            ("tasks", flow.tasks),
            ("errors", flow.errors),
            ("finally", flow.finally_),
            ("afterExecution", flow.after_execution),
            # Deprecated `listeners` run after the execution ended, like `afterExecution`.
            ("afterExecution", [task for listener in flow.listeners for task in listener.tasks]),
        ):
            for task in tasks:
                self.top_list.setdefault(task.id, name)
            walk(list(tasks), None)


def flow_key(flow: Flow) -> tuple[Any, ...]:
    """Identity of a flow revision: the same key means the same tasks."""
    if flow.revision is None:
        return ("object", id(flow))
    return (flow.tenant_id, flow.namespace, flow.id, flow.revision)


@dataclass(slots=True)
class SubflowTracking:
    """Children of one executable task run (one for Subflow, one per batch for ForEachItem)."""

    expected: int
    wait: bool
    transmit_failed: bool
    multiple: bool
    ended: dict[int, State] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    execution_ids: dict[int, str] = field(default_factory=dict)


@dataclass(slots=True)
class ExecutionIndex:
    """Derived, incrementally maintained state of one execution."""

    key: tuple[Any, ...]
    flow: FlowIndex
    by_id: dict[str, TaskRun] = field(default_factory=dict)
    children: dict[str | None, list[TaskRun]] = field(default_factory=dict)
    indexed: int = 0
    list_id: int = 0
    outputs: dict[str, Any] = field(default_factory=dict)
    tasks_states: dict[str, Any] = field(default_factory=dict)
    runs: dict[str | None, LaneRun] = field(default_factory=dict)
    finished_owners: set[str | None] = field(default_factory=set)
    planned: dict[str, tuple[str, Task]] = field(default_factory=dict)
    tokens: dict[str, int] = field(default_factory=dict)
    subflows: dict[str, SubflowTracking] = field(default_factory=dict)
    loop_started: dict[str, Any] = field(default_factory=dict)
    paused: set[str] = field(default_factory=set)
    exit_state: State | None = None
    #: SLAs (by position) already violated, and the state a violation forces at the end.
    sla_violated: set[int] = field(default_factory=set)
    forced_state: State | None = None
    #: State a worker reported for a WorkingDirectory task run itself.
    external_states: dict[str, State] = field(default_factory=dict)
    #: Set when a failure asked for a new execution (`CREATE_NEW_EXECUTION`): when.
    retry_execution_at: Any = None
    after_run: LaneRun | None = None
    #: The execution-wide render context, valid while `base_key` matches.
    base_context: dict[str, Any] | None = None
    base_key: tuple[Any, ...] = ()

    # -- building -----------------------------------------------------------------------

    @classmethod
    def of(cls, flow: Flow, execution: Execution) -> ExecutionIndex:
        """The index cached on `execution`, brought up to date (or rebuilt)."""
        key = flow_key(flow)
        cached = execution.engine_state
        if (
            isinstance(cached, ExecutionIndex)
            and cached.key == key
            and cached.list_id == id(execution.task_run_list)
            and cached.indexed <= len(execution.task_run_list)
        ):
            for task_run in execution.task_run_list[cached.indexed :]:
                cached.add(task_run)
            return cached
        index = cls(key=key, flow=FlowIndex(flow), list_id=id(execution.task_run_list))
        for task_run in execution.task_run_list:
            index.add(task_run)
        execution.engine_state = index
        return index

    def add(self, task_run: TaskRun) -> None:
        """Index a task run that is (already) in the execution's list."""
        self.by_id[task_run.id] = task_run
        self.children.setdefault(task_run.parent_task_run_id, []).append(task_run)
        self.indexed += 1
        self.record_state(task_run)
        if task_run.outputs:
            self.record_outputs(task_run, task_run.outputs)
        if task_run.state.current is State.PAUSED:
            self.paused.add(task_run.id)

    # -- derived views ------------------------------------------------------------------

    def value_path(self, task_run: TaskRun) -> list[str]:
        """Loop values from the outermost looping ancestor down to this task run's own."""
        path: list[str] = []
        if task_run.value is not None and not task_run.dynamic:
            path.append(task_run.value)
        parent_id = task_run.parent_task_run_id
        while parent_id is not None:
            parent = self.by_id.get(parent_id)
            if parent is None:
                break
            if parent.value is not None:
                path.append(parent.value)
            parent_id = parent.parent_task_run_id
        path.reverse()
        return path

    def record_outputs(self, task_run: TaskRun, outputs: dict[str, Any]) -> None:
        """Merge a task run's outputs into `outputs.<taskId>[values...]`."""
        put_outputs(self.outputs, task_run.task_id, self.value_path(task_run), outputs)

    def record_state(self, task_run: TaskRun) -> None:
        """Refresh `tasks.<taskId>.state` (or `tasks.<taskId>.<value>.state`)."""
        state = task_run.state.current.value
        if task_run.value is None:
            self.tasks_states[task_run.task_id] = {"state": state}
            return
        entry = self.tasks_states.get(task_run.task_id)
        if not isinstance(entry, dict) or "state" in entry:
            entry = self.tasks_states[task_run.task_id] = {}
        entry[task_run.value] = {"state": state}

    def ancestors(self, task_run: TaskRun) -> list[TaskRun]:
        """Parent task runs, closest first."""
        found: list[TaskRun] = []
        parent_id = task_run.parent_task_run_id
        while parent_id is not None:
            parent = self.by_id.get(parent_id)
            if parent is None:
                break
            found.append(parent)
            parent_id = parent.parent_task_run_id
        return found
