"""`output.OutputValues`: expose rendered values as `outputs.<id>.values`."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from tercel.model.registry import plugin
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult


@plugin("io.kestra.plugin.core.output.OutputValues")
class OutputValues(RunnableTask):
    """Render every value of `values` (strings rendered, other YAML values kept typed)."""

    values: dict[str, Any] = Field(
        default_factory=dict,
        description="Values to output; read them with `{{ outputs.<id>.values.<key> }}`.",
    )

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Output ``{"values": {...rendered...}}``."""
        return TaskResult(outputs={"values": ctx.render(self.values)})
