"""Rendering on behalf of flowable tasks: `PlanContext` bound to one task run.

The engine never renders by itself: it calls the injected `Renderer`. This module only
walks lists and maps and exposes truthiness, so that a flowable's `plan()` can render its
properties in its own task run's context.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tercel.engine.api import Renderer
from tercel.engine.execution import TaskRun
from tercel.engine.index import ExecutionIndex

_FALSY = frozenset({"false", "0", "-0", ""})


def is_truthy(rendered: str) -> bool:
    """Kestra's TruthUtils: false for ``false``, ``0``, ``-0`` and blank (case-insensitive)."""
    return rendered.strip().lower() not in _FALSY


def render_value(renderer: Renderer, value: Any, context: Mapping[str, Any]) -> Any:
    """Render every string in `value` (map keys too), recursively; other scalars as-is."""
    if isinstance(value, str):
        return renderer.render(value, context) if "{" in value else value
    if isinstance(value, Mapping):
        return {
            render_value(renderer, key, context): render_value(renderer, item, context)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [render_value(renderer, item, context) for item in value]
    return value


class TaskPlanContext:
    """`PlanContext` for one task run."""

    def __init__(
        self,
        renderer: Renderer,
        index: ExecutionIndex,
        task_run: TaskRun,
        context: Mapping[str, Any],
    ) -> None:
        self._renderer = renderer
        self._index = index
        self._task_run = task_run
        self._context = context

    @property
    def task_run(self) -> TaskRun:
        """The flowable's own task run."""
        return self._task_run

    @property
    def context(self) -> Mapping[str, Any]:
        """The render context of the task run."""
        return self._context

    def render(self, template: str) -> str:
        """Render a string in the task run's context."""
        if "{" not in template:
            return template
        return self._renderer.render(template, self._context)

    def render_typed(self, expression: str) -> Any:
        """Render an expression to its typed value."""
        return self._renderer.render_typed(expression, self._context)

    def render_value(self, value: Any, extra: Mapping[str, Any] | None = None) -> Any:
        """Render strings inside lists and maps, recursively (with `extra` variables)."""
        context = {**self._context, **extra} if extra else self._context
        return render_value(self._renderer, value, context)

    def is_truthy(self, rendered: str) -> bool:
        """Kestra's TruthUtils."""
        return is_truthy(rendered)

    def outputs_of(self, task_id: str) -> Any:
        """`outputs.<task_id>` as templates see it."""
        return self._index.outputs.get(task_id)
