"""`flow.Sleep`: a runnable task that waits on the worker."""

from __future__ import annotations

import asyncio

from pydantic import field_validator

from tercel.errors import TaskError
from tercel.model.durations import is_duration, parse_duration
from tercel.model.registry import plugin
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult


@plugin("io.kestra.plugin.core.flow.Sleep")
class Sleep(RunnableTask):
    """Wait for `duration` (ISO-8601, may be an expression); a kill stops the wait."""

    duration: str

    @field_validator("duration")
    @classmethod
    def _static_duration_parses(cls, value: str) -> str:
        if "{{" not in value and not is_duration(value):
            raise ValueError(f"`{value}` is not an ISO-8601 duration (e.g. PT30S, PT5M, P1D)")
        return value

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Sleep in short slices so that a kill or timeout is honoured quickly."""
        rendered = ctx.render(self.duration)
        try:
            remaining = parse_duration(str(rendered)).total_seconds()
        except ValueError as error:
            raise TaskError(f"`duration`: {error}") from error
        while remaining > 0 and not ctx.cancelled:
            step = min(remaining, 0.1)
            await asyncio.sleep(step)
            remaining -= step
        return TaskResult()
