"""How core tasks turn their dynamic properties into typed values (Kestra's `Property<T>`).

A property in YAML is either a literal of the right type (`overwrite: false`) or a string
with an expression (`overwrite: "{{ inputs.force }}"`). Each helper renders the value
with the task's context and converts it, raising `TaskError` with the property's name
when the rendered text cannot be read as the expected type.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator

from tercel.errors import TaskError
from tercel.model.durations import parse_duration
from tercel.plugins.context import TaskContext


def _scalar_to_str(value: Any) -> Any:
    """Kestra reads `format: 42` as the string "42"; pydantic would refuse it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


#: A string property that also accepts a YAML number or boolean, as Kestra does.
Text = Annotated[
    str, BeforeValidator(_scalar_to_str, json_schema_input_type=str | int | float | bool)
]


def render_str(ctx: TaskContext, value: Any) -> str | None:
    """Render a string property; maps and lists render to JSON, as Pebble prints them."""
    if value is None:
        return None
    rendered = ctx.render(value)
    if isinstance(rendered, str):
        return rendered
    if isinstance(rendered, bool):
        return "true" if rendered else "false"
    if isinstance(rendered, Mapping | list):
        return json.dumps(rendered, separators=(",", ":"), default=str)
    return str(rendered)


def require_str(ctx: TaskContext, value: Any, name: str) -> str:
    """Render a required string property; an empty result is an error naming it."""
    rendered = render_str(ctx, value)
    if rendered is None or rendered == "":
        raise TaskError(f"property `{name}` is required and rendered to an empty value")
    return rendered


def render_bool(ctx: TaskContext, value: Any, name: str, default: bool) -> bool:
    """Render a boolean property (`true`/`false`, any case)."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    rendered = render_str(ctx, value)
    if rendered is None:
        return default
    lowered = rendered.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    raise TaskError(f"property `{name}` must be true or false, got `{rendered}`")


def render_int(ctx: TaskContext, value: Any, name: str) -> int | None:
    """Render an integer property."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    rendered = render_str(ctx, value)
    if rendered is None:
        return None
    try:
        return int(rendered.strip())
    except ValueError:
        raise TaskError(f"property `{name}` must be an integer, got `{rendered}`") from None


def render_duration(ctx: TaskContext, value: Any, name: str) -> timedelta | None:
    """Render an ISO-8601 duration property (`PT5M`)."""
    rendered = render_str(ctx, value)
    if rendered is None:
        return None
    try:
        return parse_duration(rendered)
    except ValueError as error:
        raise TaskError(f"property `{name}`: {error}") from None


def render_enum(ctx: TaskContext, value: Any, name: str, allowed: tuple[str, ...]) -> str:
    """Render an enum property and check it is one of `allowed` (compared upper-case)."""
    rendered = require_str(ctx, value, name).strip().upper()
    if rendered not in allowed:
        raise TaskError(f"property `{name}` must be one of {', '.join(allowed)}, got `{rendered}`")
    return rendered


def render_list(ctx: TaskContext, value: Any, name: str) -> list[Any]:
    """Render a list property given as a YAML list or as a string holding a JSON list."""
    if value is None:
        return []
    if isinstance(value, list):
        rendered_items = ctx.render(value)
        return list(rendered_items)
    rendered = ctx.render(value)
    if isinstance(rendered, list):
        return rendered
    if isinstance(rendered, str):
        text = rendered.strip()
        if text.startswith("["):
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError as error:
                raise TaskError(f"property `{name}` is not a valid JSON list: {error}") from None
            if isinstance(parsed, list):
                return parsed
        # A single value where a list is expected: Kestra wraps it.
        return [rendered]
    return [rendered]


def render_map(ctx: TaskContext, value: Any, name: str) -> dict[str, Any]:
    """Render a map property given as a YAML map or as a string holding a JSON object."""
    if value is None:
        return {}
    rendered = ctx.render(value)
    if isinstance(rendered, Mapping):
        return dict(rendered)
    if isinstance(rendered, str):
        try:
            parsed = json.loads(rendered)
        except json.JSONDecodeError as error:
            raise TaskError(f"property `{name}` is not a valid JSON object: {error}") from None
        if isinstance(parsed, dict):
            return parsed
    raise TaskError(f"property `{name}` must be a map")
