"""`metric.Publish`: record counters, timers and gauges of the task run."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from tercel.errors import TaskError
from tercel.model.durations import format_duration
from tercel.model.registry import plugin
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult
from tercel.plugins.core.templating.properties import render_duration, render_list

KINDS = ("counter", "timer", "gauge")


@plugin("io.kestra.plugin.core.metric.Publish")
class Publish(RunnableTask):
    """Publish each entry of `metrics` (`type`, `name`, `value`, optional `tags`).

    A counter or gauge value is a number; a timer value is an ISO-8601 duration (`PT10M`).
    Every field may be an expression; `metrics` itself may be one that renders to a list.
    """

    metrics: list[dict[str, Any]] | str = Field(description="The metrics to publish.")

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Record the metrics; output them as `metrics`."""
        published: list[dict[str, Any]] = []
        for index, entry in enumerate(render_list(ctx, self.metrics, "metrics")):
            if not isinstance(entry, dict):
                raise TaskError(f"`metrics[{index}]` must be a map with type, name and value")
            kind = str(entry.get("type", "")).strip().lower()
            if kind not in KINDS:
                raise TaskError(f"`metrics[{index}].type` must be one of {', '.join(KINDS)}")
            name = str(entry.get("name") or "").strip()
            if not name:
                raise TaskError(f"`metrics[{index}].name` is required")
            tags = {str(key): str(value) for key, value in (entry.get("tags") or {}).items()}
            raw = entry.get("value")
            if kind == "timer":
                duration = render_duration(ctx, raw, f"metrics[{index}].value")
                if duration is None:
                    raise TaskError(f"`metrics[{index}].value` is required")
                ctx.metric(name, kind, duration.total_seconds(), tags)
                published.append(
                    {"type": kind, "name": name, "value": format_duration(duration), "tags": tags}
                )
                continue
            try:
                value = float(str(raw).strip())
            except ValueError:
                raise TaskError(f"`metrics[{index}].value` must be a number, got `{raw}`") from None
            ctx.metric(name, kind, value, tags)
            published.append({"type": kind, "name": name, "value": value, "tags": tags})
        return TaskResult(outputs={"metrics": published})
