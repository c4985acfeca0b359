"""The flow: top-level properties of Kestra §1.1."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from tercel.model.base import KestraModel
from tercel.model.task import AnyTask, Retry, Task

FLOW_ID_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9._-]*$"
NAMESPACE_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"


class Concurrency(KestraModel):
    """How many executions of this flow may run at once, and what happens to the others."""

    limit: int = Field(gt=0)
    behavior: str = "QUEUE"


class PluginDefault(KestraModel):
    """Default property values for every plugin whose type starts with `type`."""

    type: str
    forced: bool = False
    values: dict[str, Any] = Field(default_factory=dict)


class Flow(KestraModel):
    """A flow as written in YAML, after plugin defaults were applied and types resolved."""

    id: str = Field(pattern=FLOW_ID_PATTERN, min_length=1, max_length=100)
    namespace: str = Field(pattern=NAMESPACE_PATTERN, min_length=1, max_length=150)
    revision: int | None = Field(default=None, ge=1)
    description: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    inputs: list[Any] = Field(default_factory=list)
    outputs: list[Any] = Field(default_factory=list)
    variables: dict[str, Any] | None = None
    tasks: list[AnyTask] = Field(min_length=1)
    errors: list[AnyTask] = Field(default_factory=list)
    finally_: list[AnyTask] = Field(default_factory=list, alias="finally")
    after_execution: list[AnyTask] = Field(default_factory=list)
    triggers: list[Any] = Field(default_factory=list)
    plugin_defaults: list[PluginDefault] = Field(default_factory=list)
    concurrency: Concurrency | None = None
    retry: Retry | None = None
    disabled: bool = False
    tenant_id: str | None = None
    deleted: bool = False

    def all_tasks(self) -> list[Task]:
        """Every task of the flow, depth first, across tasks/errors/finally/afterExecution."""
        found: list[Task] = []

        def walk(tasks: list[Task]) -> None:
            for task in tasks:
                found.append(task)
                for children in task.child_task_lists().values():
                    walk(children)

        for top in (self.tasks, self.errors, self.finally_, self.after_execution):
            walk(top)
        return found
