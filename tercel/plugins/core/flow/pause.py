"""`flow.Pause`: suspend the execution until resumed, a `delay` elapses or `timeout` fails it."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, field_validator

from tercel.engine.plan import PauseSpec, Plan, PlanContext, Slot
from tercel.errors import TaskError
from tercel.model.durations import is_duration, parse_duration
from tercel.model.inputs import AnyInput
from tercel.model.registry import plugin
from tercel.model.task import AnyTask, Task
from tercel.plugins.core.flow.base import FlowableTask
from tercel.plugins.core.flow.sequential import enabled

_BEHAVIORS = ("RESUME", "WARN", "FAIL", "CANCEL")


def _duration(ctx: PlanContext, text: str | None, name: str) -> timedelta | None:
    if text is None:
        return None
    rendered = ctx.render(text)
    try:
        return parse_duration(rendered)
    except ValueError as error:
        raise TaskError(f"Pause `{name}`: {error}") from error


@plugin("io.kestra.plugin.core.flow.Pause", aliases=("io.kestra.core.tasks.flows.Pause",))
class Pause(FlowableTask):
    """Pause the execution; resume by API/CLI/`execution.Resume`, or automatically."""

    delay: str | None = None
    timeout: str | None = None
    #: 1.x name of `delay`, with `behavior` saying what happens when it elapses.
    pause_duration: str | None = None
    behavior: str = "RESUME"
    on_resume: list[AnyInput] = Field(default_factory=list)
    #: Deprecated: children run after the resume.
    tasks: list[AnyTask] = Field(default_factory=list)

    @field_validator("delay", "timeout", "pause_duration")
    @classmethod
    def _static_durations_parse(cls, value: str | None) -> str | None:
        if value is not None and "{{" not in value and not is_duration(value):
            raise ValueError(f"`{value}` is not an ISO-8601 duration (e.g. PT30S, PT5M, P1D)")
        return value

    @field_validator("behavior")
    @classmethod
    def _known_behavior(cls, value: str) -> str:
        if value not in _BEHAVIORS:
            raise ValueError(f"`behavior` must be one of {', '.join(_BEHAVIORS)}")
        return value

    def child_task_lists(self) -> dict[str, list[Task]]:
        """Deprecated `tasks`, `errors`, `finally`."""
        lists: dict[str, list[Task]] = {"tasks": list(self.tasks)} if self.tasks else {}
        return {**lists, **super().child_task_lists()}

    def pause_spec(self, ctx: PlanContext) -> PauseSpec:
        """When to resume on its own (`delay`/`pauseDuration`) and when to fail (`timeout`)."""
        delay = _duration(ctx, self.delay, "delay")
        if delay is None and self.behavior == "RESUME":
            delay = _duration(ctx, self.pause_duration, "pauseDuration")
        timeout = _duration(ctx, self.timeout, "timeout")
        if timeout is None and self.behavior in ("FAIL", "WARN", "CANCEL"):
            timeout = _duration(ctx, self.pause_duration, "pauseDuration")
        return PauseSpec(delay=delay, timeout=timeout)

    def timeout_state(self) -> str:
        """The task-run state when `timeout` elapses (FAILED, or per 1.x `behavior`)."""
        return {"WARN": "WARNING", "CANCEL": "CANCELLED"}.get(self.behavior, "FAILED")

    def plan(self, ctx: PlanContext) -> Plan:
        """After the resume: the deprecated `tasks`, in sequence."""
        return Plan(
            slots=[Slot(task) for task in enabled(self.tasks)],
            errors=enabled(self.errors),
            finally_=enabled(self.finally_),
        )
