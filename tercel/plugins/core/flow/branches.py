"""`flow.If` and `flow.Switch`: choose one list of children from a rendered value."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from tercel.engine.plan import Plan, PlanContext, Slot
from tercel.errors import TaskError
from tercel.model.registry import plugin
from tercel.model.task import AnyTask, Task
from tercel.plugins.core.flow.base import FlowableTask, Text, scalar_to_str
from tercel.plugins.core.flow.sequential import enabled


@plugin("io.kestra.plugin.core.flow.If", aliases=("io.kestra.core.tasks.flows.If",))
class If(FlowableTask):
    """Run `then` when `condition` renders truthy, else `else` (nothing when absent)."""

    condition: Text
    then: list[AnyTask] = Field(min_length=1)
    else_: list[AnyTask] = Field(default_factory=list, alias="else")

    def child_task_lists(self) -> dict[str, list[Task]]:
        """`then`, `else`, `errors`, `finally`."""
        lists: dict[str, list[Task]] = {"then": list(self.then)}
        if self.else_:
            lists["else"] = list(self.else_)
        return {**lists, **super().child_task_lists()}

    def plan(self, ctx: PlanContext) -> Plan:
        """Evaluate the condition once; its result is the output `evaluationResult`."""
        result = ctx.is_truthy(ctx.render(self.condition))
        branch = self.then if result else self.else_
        return Plan(
            slots=[Slot(task) for task in enabled(branch)],
            errors=enabled(self.errors),
            finally_=enabled(self.finally_),
            outputs={"evaluationResult": result},
        )


@plugin("io.kestra.plugin.core.flow.Switch", aliases=("io.kestra.core.tasks.flows.Switch",))
class Switch(FlowableTask):
    """Run the case whose key equals the rendered `value`, else `defaults`."""

    value: Text
    cases: dict[str, list[AnyTask]] = Field(default_factory=dict)
    defaults: list[AnyTask] = Field(default_factory=list)

    @field_validator("cases", mode="before")
    @classmethod
    def _keys_as_strings(cls, value: Any) -> Any:
        # YAML reads `true:` or `1:` as non-strings; Kestra compares with the string form.
        if isinstance(value, dict):
            return {scalar_to_str(key): tasks for key, tasks in value.items()}
        return value

    @model_validator(mode="after")
    def _needs_a_branch(self) -> Switch:
        if not self.cases and not self.defaults:
            raise PydanticCustomError(
                "switch_without_branch",
                "a Switch needs `cases` or `defaults` (or both)",
            )
        return self

    def child_task_lists(self) -> dict[str, list[Task]]:
        """One list per case (`cases.<key>`), `defaults`, `errors`, `finally`."""
        lists: dict[str, list[Task]] = {f"cases.{key}": list(t) for key, t in self.cases.items()}
        if self.defaults:
            lists["defaults"] = list(self.defaults)
        return {**lists, **super().child_task_lists()}

    def plan(self, ctx: PlanContext) -> Plan:
        """First case whose key equals the rendered value; none and no defaults ⇒ FAILED."""
        rendered = ctx.render(self.value)
        branch = self.cases.get(rendered)
        is_default = branch is None
        if branch is None:
            if not self.defaults:
                raise TaskError(
                    f"Switch `{self.id}`: no case matches the value `{rendered}` "
                    "and there are no `defaults`"
                )
            branch = self.defaults
        return Plan(
            slots=[Slot(task) for task in enabled(branch)],
            errors=enabled(self.errors),
            finally_=enabled(self.finally_),
            outputs={"value": rendered, "defaults": is_default},
        )
