"""`flow.LoopUntil` (≥0.22) and `flow.WaitFor` (0.21): repeat children until a condition holds."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from tercel.engine.plan import LoopStep, Plan, PlanContext, Slot
from tercel.engine.state import State
from tercel.model.base import KestraModel
from tercel.model.durations import is_duration, parse_duration
from tercel.model.registry import plugin
from tercel.model.task import AnyTask, Task
from tercel.plugins.core.flow.base import FlowableTask, Text
from tercel.plugins.core.flow.sequential import enabled


class CheckFrequency(KestraModel):
    """Bounds of the loop: at most `maxIterations`, `maxDuration`; `interval` between runs."""

    max_iterations: int = Field(default=100, ge=1)
    max_duration: str = "PT1H"
    interval: str | None = None

    @field_validator("max_duration", "interval")
    @classmethod
    def _durations_parse(cls, value: str | None) -> str | None:
        if value is not None and not is_duration(value):
            raise ValueError(f"`{value}` is not an ISO-8601 duration (e.g. PT30S, PT5M, P1D)")
        return value


class _Loop(FlowableTask):
    default_interval: ClassVar[str] = "PT1M"

    condition: Text
    tasks: list[AnyTask] = Field(min_length=1)
    check_frequency: CheckFrequency = Field(default_factory=CheckFrequency)
    fail_on_max_reached: bool = False

    @model_validator(mode="after")
    def _interval_below_max_duration(self) -> _Loop:
        interval = parse_duration(self.check_frequency.interval or self.default_interval)
        if interval > parse_duration(self.check_frequency.max_duration):
            raise PydanticCustomError(
                "loop_interval",
                "`checkFrequency.interval` must be shorter than `checkFrequency.maxDuration`",
            )
        return self

    def child_task_lists(self) -> dict[str, list[Task]]:
        """`tasks`, then `errors` and `finally`."""
        return {"tasks": list(self.tasks), **super().child_task_lists()}

    def plan(self, ctx: PlanContext) -> Plan:
        """One lane with every enabled child (the engine sets the iteration)."""
        return Plan(
            slots=[Slot(task) for task in enabled(self.tasks)],
            errors=enabled(self.errors),
            finally_=enabled(self.finally_),
        )

    def next_iteration(self, ctx: PlanContext, iteration: int, elapsed: timedelta) -> LoopStep:
        """Stop when the condition is truthy or a bound is reached, else go again."""
        outputs = {"iterationCount": iteration}
        if ctx.is_truthy(ctx.render(self.condition)):
            return LoopStep(again=False, outputs=outputs)
        interval = parse_duration(self.check_frequency.interval or self.default_interval)
        max_duration = parse_duration(self.check_frequency.max_duration)
        if iteration >= self.check_frequency.max_iterations or elapsed + interval > max_duration:
            state = State.FAILED if self.fail_on_max_reached else State.SUCCESS
            return LoopStep(again=False, state=state, outputs=outputs)
        return LoopStep(again=True, delay=interval, outputs=outputs)


@plugin("io.kestra.plugin.core.flow.LoopUntil")
class LoopUntil(_Loop):
    """Run `tasks` again and again until `condition` is truthy (default interval PT1M)."""


@plugin("io.kestra.plugin.core.flow.WaitFor")
class WaitFor(_Loop):
    """0.21 name of LoopUntil (default interval PT1S)."""

    default_interval: ClassVar[str] = "PT1S"
