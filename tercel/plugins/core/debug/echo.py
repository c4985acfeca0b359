"""`debug.Echo` (deprecated): log a rendered message."""

from __future__ import annotations

from pydantic import Field

from tercel.model.registry import plugin
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult
from tercel.plugins.core.log.levels import render_level
from tercel.plugins.core.templating.properties import Text, render_str


@plugin("io.kestra.plugin.core.debug.Echo", aliases=("io.kestra.core.tasks.debugs.Echo",))
class Echo(RunnableTask):
    """Log `format` at `level`. Deprecated: use `io.kestra.plugin.core.log.Log`."""

    format: Text = Field(description="The template to render and log.")
    level: str = Field(default="INFO", description="Log level: TRACE, DEBUG, INFO, WARN or ERROR.")

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Render and log the message; no outputs."""
        level = render_level(ctx, self.level)
        ctx.logger.log(level, render_str(ctx, self.format) or "")
        return TaskResult()
