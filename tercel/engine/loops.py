"""Loop values (`ForEach.values`, `EachSequential.value`...) as Kestra resolves them (§8.3).

A JSON string is rendered then parsed as an array; a YAML list has each string element
rendered (maps rendered recursively). Values are de-duplicated in order, a null fails the loop,
and every value is turned into the string `taskrun.value` shows (objects as compact JSON).
"""

from __future__ import annotations

import json
from typing import Any

from tercel.engine.plan import PlanContext
from tercel.errors import TaskError


def stringify(value: Any) -> str:
    """`taskrun.value` of a loop element: strings as-is, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def resolve_values(values: Any, ctx: PlanContext) -> list[str]:
    """The distinct, stringified values a loop iterates over."""
    if isinstance(values, str):
        rendered = ctx.render(values)
        try:
            parsed = json.loads(rendered)
        except ValueError as error:
            raise TaskError(f"loop values must be a JSON array, got `{rendered}`") from error
        if not isinstance(parsed, list):
            raise TaskError(f"loop values must be a JSON array, got `{rendered}`")
        items: list[Any] = parsed
    elif isinstance(values, list):
        items = [ctx.render(item) if isinstance(item, str) else item for item in values]
        items = [
            ctx.render_value(item) if isinstance(item, dict | list) else item for item in items
        ]
    else:
        raise TaskError(f"loop values must be a list or a JSON array string, got `{values!r}`")
    nulls = sum(1 for item in items if item is None)
    if nulls:
        raise TaskError(f"Found '{nulls}' null values on Each")
    # dict.fromkeys keeps the first occurrence of each value, in order (Kestra's `distinct`).
    return list(dict.fromkeys(stringify(item) for item in items))
