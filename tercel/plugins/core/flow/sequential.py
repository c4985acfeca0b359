"""`flow.Sequential`, `flow.AllowFailure` and `flow.Parallel`: plain groups of children."""

from __future__ import annotations

from pydantic import Field

from tercel.engine.plan import Plan, PlanContext, Slot
from tercel.model.registry import plugin
from tercel.model.task import AnyTask, Task
from tercel.plugins.core.flow.base import FlowableTask


def enabled(tasks: list[Task]) -> list[Task]:
    """The tasks that are not `disabled` (disabled tasks get no task run at all)."""
    return [task for task in tasks if not task.disabled]


@plugin("io.kestra.plugin.core.flow.Sequential", aliases=("io.kestra.core.tasks.flows.Sequential",))
class Sequential(FlowableTask):
    """Run the children one after the other; `errors` run when one fails."""

    tasks: list[AnyTask] = Field(min_length=1)

    def child_task_lists(self) -> dict[str, list[Task]]:
        """`tasks`, then `errors` and `finally`."""
        return {"tasks": list(self.tasks), **super().child_task_lists()}

    def plan(self, ctx: PlanContext) -> Plan:
        """One lane with every enabled child."""
        return Plan(
            slots=[Slot(task) for task in enabled(self.tasks)],
            errors=enabled(self.errors),
            finally_=enabled(self.finally_),
        )


@plugin(
    "io.kestra.plugin.core.flow.AllowFailure",
    aliases=("io.kestra.core.tasks.flows.AllowFailure",),
)
class AllowFailure(Sequential):
    """Deprecated: a Sequential whose failure becomes WARNING (use `allowFailure: true`)."""

    def plan(self, ctx: PlanContext) -> Plan:
        """As Sequential, with FAILED turned into WARNING."""
        plan = super().plan(ctx)
        plan.allow_failure = True
        return plan


@plugin("io.kestra.plugin.core.flow.Parallel", aliases=("io.kestra.core.tasks.flows.Parallel",))
class Parallel(FlowableTask):
    """Start every child at once (at most `concurrent` at a time; 0 = no limit)."""

    tasks: list[AnyTask] = Field(min_length=1)
    concurrent: int = Field(default=0, ge=0)

    def child_task_lists(self) -> dict[str, list[Task]]:
        """`tasks`, then `errors` and `finally`."""
        return {"tasks": list(self.tasks), **super().child_task_lists()}

    def plan(self, ctx: PlanContext) -> Plan:
        """One lane per child, `concurrent` lanes at a time."""
        return Plan(
            slots=[Slot(task, lane) for lane, task in enumerate(enabled(self.tasks))],
            limit=self.concurrent,
            errors=enabled(self.errors),
            finally_=enabled(self.finally_),
        )
