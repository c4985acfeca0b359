"""`execution.Count`: count executions per flow and keep the counts an expression accepts."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import Field

from tercel.errors import TaskError
from tercel.model.base import KestraModel
from tercel.model.registry import plugin
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult
from tercel.plugins.core.execution.access import (
    matching_executions,
    render_instant,
    render_states,
    require_executions,
)
from tercel.plugins.core.templating.properties import Text, render_list, require_str

COUNT = "io.kestra.plugin.core.execution.Count"


class FlowRef(KestraModel):
    """A flow to count executions of."""

    namespace: Text = Field(description="The flow's namespace.")
    flow_id: Text = Field(description="The flow's id.")


@plugin(COUNT, aliases=("io.kestra.core.tasks.executions.Counts",))
class Count(RunnableTask):
    """Count executions started between `startDate` and `endDate`, per flow.

    `expression` is rendered with `count` for each flow (e.g. ``{{ count >= 1 }}``); only
    flows for which it renders ``true`` are in `results`.
    """

    flows: list[FlowRef] | None = Field(
        default=None, description="Flows to count (each appears, even with 0 executions)."
    )
    namespaces: list[Text] | str | None = Field(
        default=None, description="Count every flow of these namespaces (prefixes)."
    )
    states: list[Text] | str | None = Field(default=None, description="Only these states.")
    start_date: Text = Field(description="ISO-8601 lower bound of the start date (required).")
    end_date: Text | None = Field(default=None, description="ISO-8601 upper bound.")
    expression: Text = Field(
        description="Rendered per flow with `count`; e.g. `{{ count >= 1 }}` (required)."
    )

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Output ``{"results": [{namespace, flowId, count}], "total": sum of those counts}``."""
        executions = require_executions(ctx, COUNT)
        if self.flows is None and self.namespaces is None:
            raise TaskError("set `flows` or `namespaces`: which executions should be counted?")
        filters: dict[str, Any] = {
            "states": render_states(ctx, self.states),
            "start": render_instant(ctx, self.start_date, "startDate"),
            "end": render_instant(ctx, self.end_date, "endDate"),
        }
        counts: Counter[tuple[str, str]] = Counter()
        if self.flows:
            for flow in self.flows:
                key = (
                    require_str(ctx, flow.namespace, "namespace"),
                    require_str(ctx, flow.flow_id, "flowId"),
                )
                counts[key] = sum(
                    1
                    for _ in matching_executions(
                        executions, namespace=key[0], flow_id=key[1], **filters
                    )
                )
        else:
            namespaces: list[str | None] = [
                str(n) for n in render_list(ctx, self.namespaces, "namespaces")
            ]
            for namespace in namespaces or [None]:
                for execution in matching_executions(
                    executions, namespace=namespace, flow_id=None, **filters
                ):
                    counts[(execution.namespace, execution.flow_id)] += 1
        results = [
            {"namespace": namespace, "flowId": flow_id, "count": count}
            for (namespace, flow_id), count in counts.items()
            if str(ctx.render(self.expression, {"count": count})).strip() == "true"
        ]
        return TaskResult(
            outputs={"results": results, "total": sum(item["count"] for item in results)}
        )
