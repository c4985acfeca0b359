"""`flow.Subflow` (and the legacy `flow.Flow`): start another flow as a child execution."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, field_validator

from tercel.engine.plan import PlanContext, SubflowRequest
from tercel.model.registry import plugin
from tercel.model.task import Task, TaskKind
from tercel.plugins.core.flow.base import scalar_to_str


def label_map(labels: Any) -> dict[str, Any]:
    """Labels written as a map or as a list of `{key, value}` maps, as one map."""
    if labels is None:
        return {}
    if isinstance(labels, dict):
        return dict(labels)
    found: dict[str, Any] = {}
    for item in labels:
        found[str(item["key"])] = item.get("value")
    return found


def check_labels(value: Any) -> Any:
    """Labels must be a map or a list of `{key, value}`; `system.*` keys are reserved."""
    if value is None:
        return value
    if isinstance(value, list):
        for item in value:
            if not isinstance(item, dict) or "key" not in item:
                raise ValueError("labels must be a map or a list of `{key, value}` maps")
    elif not isinstance(value, dict):
        raise ValueError("labels must be a map or a list of `{key, value}` maps")
    return value


class ExecutableTask(Task):
    """A task the executor runs by starting child executions."""

    kind: ClassVar[TaskKind] = TaskKind.EXECUTABLE


@plugin(
    "io.kestra.plugin.core.flow.Subflow",
    aliases=(
        "io.kestra.core.tasks.flows.Subflow",
        "io.kestra.core.tasks.flows.Flow",
        "io.kestra.plugin.core.flow.Flow",
    ),
)
class Subflow(ExecutableTask):
    """Start `namespace`.`flowId` with `inputs`; wait for it and take its state and outputs."""

    namespace: str
    flow_id: str
    revision: int | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    labels: dict[str, Any] | list[dict[str, Any]] | None = None
    wait: bool = True
    transmit_failed: bool = True
    inherit_labels: bool = False
    schedule_date: str | None = None
    #: Deprecated: rendered in the child's context when the child has no flow `outputs`.
    outputs: dict[str, Any] | None = None
    #: 1.x: what restarting the parent does to this child (accepted; the child is re-run).
    restart_behavior: str | None = None

    @field_validator("labels", mode="before")
    @classmethod
    def _labels_shape(cls, value: Any) -> Any:
        return check_labels(value)

    def subflow_requests(self, ctx: PlanContext) -> list[SubflowRequest]:
        """The one child execution, with inputs and labels rendered in the parent context."""
        labels = {
            str(key): scalar_to_str(ctx.render_value(value))
            for key, value in label_map(self.labels).items()
        }
        return [
            SubflowRequest(
                namespace=ctx.render(self.namespace),
                flow_id=ctx.render(self.flow_id),
                revision=self.revision,
                inputs=ctx.render_value(self.inputs),
                labels=labels,
                wait=self.wait,
                transmit_failed=self.transmit_failed,
                inherit_labels=self.inherit_labels,
                schedule_date=ctx.render(self.schedule_date) if self.schedule_date else None,
            )
        ]
