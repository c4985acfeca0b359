"""`flow.Dag`: children start when every task they depend on is terminated."""

from __future__ import annotations

from pydantic import Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from tercel.engine.plan import Plan, PlanContext, Slot
from tercel.model.base import KestraModel
from tercel.model.registry import plugin
from tercel.model.task import AnyTask, Task
from tercel.plugins.core.flow.base import FlowableTask


class DagTask(KestraModel):
    """One node of a Dag: a task and the ids of the tasks it waits for."""

    task: AnyTask
    depends_on: list[str] = Field(default_factory=list)


def _find_cycle(edges: dict[str, list[str]]) -> list[str] | None:
    """A dependency cycle as a path of ids, or None (iterative DFS, three colours)."""
    state: dict[str, int] = {}
    for root in edges:
        if state.get(root):
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        path: list[str] = []
        while stack:
            node, position = stack.pop()
            if position == 0:
                state[node] = 1
                path.append(node)
            targets = edges.get(node, [])
            if position < len(targets):
                stack.append((node, position + 1))
                target = targets[position]
                if state.get(target) == 1:
                    return [*path[path.index(target) :], target]
                if not state.get(target):
                    stack.append((target, 0))
            else:
                state[node] = 2
                path.pop()
    return None


@plugin("io.kestra.plugin.core.flow.Dag", aliases=("io.kestra.core.tasks.flows.Dag",))
class Dag(FlowableTask):
    """Run tasks as a dependency graph (`dependsOn`), `concurrent` at a time (0 = no limit)."""

    tasks: list[DagTask] = Field(min_length=1)
    concurrent: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _dependencies_exist_and_are_acyclic(self) -> Dag:
        # Every unknown id and the cycle are reported together, each at its `dependsOn`.
        index = {node.task.id: position for position, node in enumerate(self.tasks)}
        problems: list[InitErrorDetails] = [
            InitErrorDetails(
                type=PydanticCustomError(
                    "dag_unknown_dependency",
                    "Dag task `{task}` depends on unknown task `{unknown}`",
                    {"task": node.task.id, "unknown": dep},
                ),
                loc=("tasks", position, "dependsOn", item),
                input=dep,
            )
            for position, node in enumerate(self.tasks)
            for item, dep in enumerate(node.depends_on)
            if dep not in index
        ]
        cycle = _find_cycle({node.task.id: list(node.depends_on) for node in self.tasks})
        if cycle:
            problems.append(
                InitErrorDetails(
                    type=PydanticCustomError(
                        "dag_cycle",
                        "Dag has a cyclic dependency: {cycle}",
                        {"cycle": " -> ".join(cycle)},
                    ),
                    loc=("tasks", index[cycle[0]], "dependsOn"),
                    input=self.tasks[index[cycle[0]]].depends_on,
                )
            )
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, problems)
        return self

    def child_task_lists(self) -> dict[str, list[Task]]:
        """The tasks of every node, then `errors` and `finally`."""
        return {"tasks": [node.task for node in self.tasks], **super().child_task_lists()}

    def plan(self, ctx: PlanContext) -> Plan:
        """One lane per enabled node; a lane waits for the lanes of its dependencies."""
        nodes = [node for node in self.tasks if not node.task.disabled]
        lane_of = {node.task.id: lane for lane, node in enumerate(nodes)}
        after = {
            lane: tuple(lane_of[dep] for dep in node.depends_on if dep in lane_of)
            for lane, node in enumerate(nodes)
        }
        return Plan(
            slots=[Slot(node.task, lane) for lane, node in enumerate(nodes)],
            limit=self.concurrent,
            after=after,
            errors=[task for task in self.errors if not task.disabled],
            finally_=[task for task in self.finally_ if not task.disabled],
        )
