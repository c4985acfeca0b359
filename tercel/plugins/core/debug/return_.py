"""`debug.Return`: render a string and return it as the output `value`."""

from __future__ import annotations

import time

from pydantic import Field

from tercel.model.registry import plugin
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult
from tercel.plugins.core.templating.properties import Text, render_str


@plugin("io.kestra.plugin.core.debug.Return", aliases=("io.kestra.core.tasks.debugs.Return",))
class Return(RunnableTask):
    """Render `format` and return it as `outputs.<id>.value` (handy to debug expressions)."""

    format: Text | None = Field(default=None, description="The template to render.")

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Render `format`; record its length and the rendering time as metrics."""
        started = time.perf_counter()
        value = render_str(ctx, self.format)
        ctx.logger.debug(value if value is not None else "null")
        ctx.metric("length", "counter", float(len(value) if value is not None else 0))
        ctx.metric("duration", "timer", time.perf_counter() - started)
        return TaskResult(outputs={"value": value})
