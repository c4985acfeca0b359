"""`execution.Fail`: fail the task run (and so the execution), optionally on a condition."""

from __future__ import annotations

from pydantic import Field

from tercel.errors import TaskError
from tercel.model.registry import plugin
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult
from tercel.plugins.core.templating.properties import Text, render_str
from tercel.templating import is_truthy

DEFAULT_MESSAGE = "Task failure"


@plugin("io.kestra.plugin.core.execution.Fail", aliases=("io.kestra.core.tasks.executions.Fail",))
class Fail(RunnableTask):
    """Fail with `errorMessage`; with a `condition`, only when it renders truthy."""

    condition: Text | None = Field(
        default=None,
        description=(
            "Fail only when this renders truthy (anything but `false`, `0`, `-0` or blank); "
            "always fail when unset."
        ),
    )
    error_message: Text = Field(
        default=DEFAULT_MESSAGE, description="The failure message, rendered."
    )

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Raise `TaskError(errorMessage)` unless `condition` is set and renders falsy."""
        if self.condition is not None:
            rendered = render_str(ctx, self.condition) or ""
            if not is_truthy(rendered):
                return TaskResult()
        raise TaskError(render_str(ctx, self.error_message) or DEFAULT_MESSAGE)
