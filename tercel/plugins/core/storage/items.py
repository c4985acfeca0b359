"""Rendering an expression once per row of an Ion file (FilterItems, DeduplicateItems)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tercel.plugins.context import TaskContext
from tercel.plugins.core.templating.properties import render_str


def row_variables(row: Any) -> dict[str, Any]:
    """A row's fields become variables (``{{ key }}``); a non-map row is ``{{ value }}``."""
    if isinstance(row, Mapping):
        return {str(key): value for key, value in row.items()}
    return {"value": row}


def render_for_row(ctx: TaskContext, expression: str, row: Any) -> str:
    """Render `expression` with the task's variables plus the row's."""
    variables = row_variables(row)
    rendered = ctx.render(expression, variables)
    if isinstance(rendered, str):
        return rendered
    return render_str(ctx, rendered) or ""
