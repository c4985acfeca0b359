"""Typing of rendered flow outputs and `onResume` inputs (Kestra's `parseType`, minimal).

Raises ValueError with a Kestra-like message when a value does not fit its type. Dates and
durations are kept as the ISO strings they were given (validated), so outputs stay JSON.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time
from typing import Any

from tercel.model.durations import parse_duration


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() == "true"


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _array(value: Any) -> list[Any]:
    parsed = _json(value)
    if not isinstance(parsed, list):
        raise ValueError("not an array")
    return parsed


def _checked(parse: Any) -> Any:
    def check(value: Any) -> Any:
        parse(str(value))
        return str(value)

    return check


_PARSERS: dict[str, Any] = {
    "STRING": str,
    "SECRET": str,
    "ENUM": str,
    "SELECT": str,
    "EMAIL": str,
    "URI": str,
    "FILE": str,
    "INT": lambda v: v if isinstance(v, int) and not isinstance(v, bool) else int(str(v)),
    "FLOAT": float,
    "BOOLEAN": _bool,
    "BOOL": _bool,
    "JSON": _json,
    "YAML": _json,
    "ARRAY": _array,
    "MULTISELECT": _array,
    "DATETIME": _checked(lambda v: datetime.fromisoformat(v.replace("Z", "+00:00"))),
    "DATE": _checked(date.fromisoformat),
    "TIME": _checked(time.fromisoformat),
    "DURATION": _checked(parse_duration),
}


def parse_typed(type_name: str, value: Any) -> Any:
    """`value` converted to `type_name`; ValueError naming the type when it cannot be."""
    parser = _PARSERS.get(str(type_name).upper())
    if parser is None:
        raise ValueError(f"unknown type `{type_name}`")
    if value is None:
        return None
    try:
        return parser(value)
    except (ValueError, TypeError) as error:
        raise ValueError(f"Expected `{type_name}` but received `{value}`") from error
