"""`log.Log`: write one or more rendered messages to the execution's logs."""

from __future__ import annotations

from pydantic import Field

from tercel.model.registry import plugin
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult
from tercel.plugins.core.log.levels import render_level
from tercel.plugins.core.templating.properties import Text, render_str


@plugin("io.kestra.plugin.core.log.Log", aliases=("io.kestra.core.tasks.log.Log",))
class Log(RunnableTask):
    """Log `message` at `level`; a list of messages logs one line per item."""

    message: Text | list[Text] = Field(
        description="The message to log, or a list of messages (one log line each)."
    )
    level: str = Field(default="INFO", description="Log level: TRACE, DEBUG, INFO, WARN or ERROR.")

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Render each message and log it; no outputs."""
        level = render_level(ctx, self.level)
        messages = self.message if isinstance(self.message, list) else [self.message]
        for message in messages:
            ctx.logger.log(level, render_str(ctx, message) or "")
        return TaskResult()
