"""The common base of flowable tasks: `errors` and `finally` lists, `kind = FLOWABLE`."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field

from tercel.model.task import AnyTask, Task, TaskKind


def scalar_to_str(value: Any) -> Any:
    """Kestra reads `value: 42` / `value: true` as the strings "42" / "true"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


#: A string property that also accepts a YAML number or boolean, as Kestra does.
Text = Annotated[
    str, BeforeValidator(scalar_to_str, json_schema_input_type=str | int | float | bool)
]


class FlowableTask(Task):
    """A task whose children the executor schedules (Kestra's FlowableTask)."""

    kind: ClassVar[TaskKind] = TaskKind.FLOWABLE

    errors: list[AnyTask] = Field(default_factory=list)
    finally_: list[AnyTask] = Field(default_factory=list, alias="finally")

    def child_task_lists(self) -> dict[str, list[Task]]:
        """Direct children by list name; subclasses add their own lists first."""
        lists: dict[str, list[Task]] = {}
        if self.errors:
            lists["errors"] = list(self.errors)
        if self.finally_:
            lists["finally"] = list(self.finally_)
        return lists
