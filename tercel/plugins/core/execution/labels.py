"""`execution.Labels`: add or override labels of the running execution.

The engine applies this task itself (Kestra's `ExecutionUpdatableTask`): it keys on the
class variable `updates_execution_labels`, calls `resolve_labels(render)` with a renderer
bound to the task run's context, merges the result into the execution's labels (same key
overrides) and marks the task run SUCCESS without sending it to a worker.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, ClassVar

from pydantic import Field

from tercel.engine.execution import Label
from tercel.errors import TaskError
from tercel.model.base import KestraModel
from tercel.model.registry import plugin
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult

#: Labels under this prefix are set by Tercel itself (e.g. `system.correlationId`).
SYSTEM_PREFIX = "system."


class LabelItem(KestraModel):
    """One label in list form: ``{key: ..., value: ...}``."""

    key: str = Field(description="Label key (rendered).")
    value: Any = Field(description="Label value (rendered, then stringified).")


def _stringify(value: Any) -> str:
    """Label values are strings: `42` → ``"42"``, `true` → ``"true"``, maps → JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


@plugin(
    "io.kestra.plugin.core.execution.Labels",
    aliases=("io.kestra.core.tasks.executions.Labels",),
)
class Labels(RunnableTask):
    """Merge `labels` into the execution's labels (a key already present is overridden)."""

    #: Capability the engine keys on: apply `resolve_labels` to the execution directly.
    updates_execution_labels: ClassVar[bool] = True

    labels: str | dict[str, Any] | list[LabelItem] = Field(
        description=(
            "Labels to set: a map, a list of `{key, value}`, or a string rendering to a JSON "
            "object. Keys starting with `system.` are reserved."
        )
    )

    def resolve_labels(self, render: Callable[[Any], Any]) -> list[Label]:
        """Render the labels with `render` (strings in maps/lists rendered) and check them.

        Raises `TaskError` for a JSON string that is not an object or list, an empty key,
        or a reserved `system.*` key.
        """
        pairs: list[tuple[Any, Any]]
        if isinstance(self.labels, str):
            pairs = self._pairs_from_json(render(self.labels))
        elif isinstance(self.labels, dict):
            pairs = list(render(self.labels).items())
        else:
            pairs = [(render(item.key), render(item.value)) for item in self.labels]
        labels: list[Label] = []
        for raw_key, raw_value in pairs:
            key = _stringify(raw_key).strip()
            if not key:
                raise TaskError("a label key cannot be empty")
            if key.startswith(SYSTEM_PREFIX):
                raise TaskError(
                    f"label `{key}` cannot be set: `{SYSTEM_PREFIX}*` labels are reserved for "
                    "Tercel itself"
                )
            labels.append(Label(key, _stringify(raw_value)))
        return labels

    @staticmethod
    def _pairs_from_json(rendered: Any) -> list[tuple[Any, Any]]:
        parsed = rendered
        if isinstance(rendered, str):
            try:
                parsed = json.loads(rendered)
            except json.JSONDecodeError:
                raise TaskError(
                    f"labels must render to a JSON object (or a map or a list of "
                    f"{{key, value}}), got `{rendered}`"
                ) from None
        if isinstance(parsed, dict):
            return list(parsed.items())
        if isinstance(parsed, list) and all(
            isinstance(item, dict) and "key" in item for item in parsed
        ):
            return [(item["key"], item.get("value")) for item in parsed]
        raise TaskError("labels must be a map, a list of {key, value}, or a JSON object string")

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Validate the labels; the engine (not this method) applies them to the execution."""
        for label in self.resolve_labels(ctx.render):
            message = f"label {label.key}={label.value}"
            ctx.logger.debug(message)
        return TaskResult()
