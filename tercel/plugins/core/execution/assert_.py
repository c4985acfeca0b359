"""`execution.Assert`: fail when any of the `conditions` renders falsy."""

from __future__ import annotations

from pydantic import Field

from tercel.errors import TaskError, TercelError
from tercel.model.registry import plugin
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult
from tercel.plugins.core.templating.properties import Text, render_str
from tercel.templating import is_truthy


@plugin("io.kestra.plugin.core.execution.Assert")
class Assert(RunnableTask):
    """Render each condition; one that is falsy (`false`, `0`, `-0`, blank) or fails to
    render is logged as an error and fails the task once all were checked."""

    conditions: list[Text] = Field(description="Expressions that must all render truthy.")
    error_message: Text | None = Field(
        default=None, description="Added to the failure message, on its own line."
    )

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Count passed and failed assertions (metrics `success`, `failed`)."""
        failed = 0
        for condition in self.conditions:
            try:
                passed = is_truthy(render_str(ctx, condition) or "")
            except TercelError as error:
                message = f"Assertion `{condition}` failed, failed to render `{error}`"
                ctx.logger.error(message)
                failed += 1
                continue
            if not passed:
                message = f"Assertion `{condition}` failed!"
                ctx.logger.error(message)
                failed += 1
        ctx.metric("success", "counter", float(len(self.conditions) - failed))
        ctx.metric("failed", "counter", float(failed))
        if failed:
            message = f"{failed} assertion{'s' if failed > 1 else ''} failed!"
            extra = render_str(ctx, self.error_message)
            raise TaskError(f"{message}\n{extra}" if extra else message)
        return TaskResult()
