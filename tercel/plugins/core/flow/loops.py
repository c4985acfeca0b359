"""`flow.ForEach`, and the deprecated `flow.EachSequential` / `flow.EachParallel`."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from tercel.engine.loops import resolve_values
from tercel.engine.plan import Plan, PlanContext, Slot
from tercel.model.registry import plugin
from tercel.model.task import AnyTask, Task
from tercel.plugins.core.flow.base import FlowableTask
from tercel.plugins.core.flow.sequential import enabled


class _LoopTask(FlowableTask):
    tasks: list[AnyTask] = Field(min_length=1)

    def child_task_lists(self) -> dict[str, list[Task]]:
        """`tasks`, then `errors` and `finally`."""
        return {"tasks": list(self.tasks), **super().child_task_lists()}

    def _lanes(self, values: list[str], limit: int, *, lane_per_task: bool = False) -> Plan:
        tasks = enabled(self.tasks)
        slots: list[Slot] = []
        for index, value in enumerate(values):
            for position, task in enumerate(tasks):
                lane = index * len(tasks) + position if lane_per_task else index
                slots.append(Slot(task, lane, value))
        return Plan(
            slots=slots,
            limit=limit,
            errors=enabled(self.errors),
            finally_=enabled(self.finally_),
        )


@plugin("io.kestra.plugin.core.flow.ForEach")
class ForEach(_LoopTask):
    """Run `tasks` once per distinct value; `concurrencyLimit` value groups at a time."""

    values: list[Any] | str
    concurrency_limit: int = Field(default=1, ge=0)

    def plan(self, ctx: PlanContext) -> Plan:
        """One sequential lane per value."""
        return self._lanes(resolve_values(self.values, ctx), self.concurrency_limit)


@plugin(
    "io.kestra.plugin.core.flow.EachSequential",
    aliases=("io.kestra.core.tasks.flows.EachSequential",),
)
class EachSequential(_LoopTask):
    """Deprecated: every task for the first value, then for the next value..."""

    value: list[Any] | str

    def plan(self, ctx: PlanContext) -> Plan:
        """One lane per value, one lane at a time."""
        return self._lanes(resolve_values(self.value, ctx), 1)


@plugin(
    "io.kestra.plugin.core.flow.EachParallel",
    aliases=("io.kestra.core.tasks.flows.EachParallel",),
)
class EachParallel(_LoopTask):
    """Deprecated: every (value, task) pair at once, at most `concurrent` (0 = no limit)."""

    value: list[Any] | str
    concurrent: int = Field(default=0, ge=0)

    def plan(self, ctx: PlanContext) -> Plan:
        """One lane per (value, task) pair."""
        return self._lanes(resolve_values(self.value, ctx), self.concurrent, lane_per_task=True)
