"""`flow.WorkingDirectory`: run runnable children in sequence on one worker, in one temp dir."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from tercel.engine.plan import Plan, PlanContext
from tercel.model.base import KestraModel
from tercel.model.registry import plugin
from tercel.model.task import AnyTask, Task, TaskKind
from tercel.plugins.core.flow.base import FlowableTask
from tercel.plugins.core.flow.sequential import enabled


class Cache(KestraModel):
    """Files of the working directory kept between executions (`patterns`, `ttl`)."""

    patterns: list[str] = Field(min_length=1)
    ttl: str | None = None


@plugin(
    "io.kestra.plugin.core.flow.WorkingDirectory",
    aliases=("io.kestra.core.tasks.flows.WorkingDirectory", "io.kestra.core.tasks.flows.Worker"),
)
class WorkingDirectory(FlowableTask):
    """Children share `{{ workingDir }}`; a failing child stops the rest."""

    #: The engine hands the whole task (and every child) to one worker.
    runs_children_on_worker: ClassVar[bool] = True

    tasks: list[AnyTask] = Field(min_length=1)
    namespace_files: dict[str, Any] | None = None
    input_files: dict[str, Any] | str | None = None
    output_files: list[str] | None = None
    cache: Cache | None = None

    @model_validator(mode="after")
    def _only_runnable_children(self) -> WorkingDirectory:
        for child in self.tasks:
            if child.kind is not TaskKind.RUNNABLE:
                raise PydanticCustomError(
                    "working_directory_child",
                    "WorkingDirectory can only contain runnable tasks; `{task}` is {kind}",
                    {"task": child.id, "kind": child.kind.value},
                )
            if child.worker_group is not None:
                raise PydanticCustomError(
                    "working_directory_worker_group",
                    "a task inside a WorkingDirectory cannot set `workerGroup` (`{task}`)",
                    {"task": child.id},
                )
        return self

    def child_task_lists(self) -> dict[str, list[Task]]:
        """`tasks`, then `errors` and `finally`."""
        return {"tasks": list(self.tasks), **super().child_task_lists()}

    def worker_children(self) -> list[Task]:
        """The children the worker runs, in order (disabled ones skipped)."""
        return enabled(self.tasks)

    def plan(self, ctx: PlanContext) -> Plan:
        """Children are run by the worker; the engine only runs `errors` and `finally`."""
        return Plan(errors=enabled(self.errors), finally_=enabled(self.finally_))
