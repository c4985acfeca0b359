"""KV keys and value types (Kestra §10.3): which keys are allowed, which type a value has.

Values are stored as JSON. Dates, date-times and durations are stored as their ISO-8601
text, so a value read back is always JSON-able.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tercel.errors import InputError, InvalidNameError
from tercel.model.durations import format_duration, parse_duration

KEY_PATTERN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]*$")
KV_TYPES = ("STRING", "NUMBER", "BOOLEAN", "DATETIME", "DATE", "DURATION", "JSON")


def validate_key(key: str) -> str:
    """Return `key` if allowed, else raise InvalidNameError saying what is allowed."""
    if not KEY_PATTERN.match(key):
        raise InvalidNameError(
            f"invalid KV key {key!r}: use letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return key


def _duration_text(delta: timedelta) -> str:
    return format_duration(delta)


def deduce_type(value: Any) -> str:
    """The Kestra KV type of a Python value."""
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int | float):
        return "NUMBER"
    if isinstance(value, datetime):
        return "DATETIME"
    if isinstance(value, date):
        return "DATE"
    if isinstance(value, timedelta):
        return "DURATION"
    if isinstance(value, str):
        return "STRING"
    return "JSON"


def _fail(value: Any, kv_type: str) -> InputError:
    return InputError(f"KV value {value!r} cannot be read as {kv_type}")


def coerce(value: Any, kv_type: str | None) -> tuple[Any, str]:
    """(JSON-able value, type): deduce the type, or parse `value` as the forced `kv_type`."""
    if kv_type is None:
        kv_type = deduce_type(value)
    kv_type = kv_type.upper()
    if kv_type not in KV_TYPES:
        raise InputError(f"unknown KV type {kv_type!r}; use one of {', '.join(KV_TYPES)}")
    try:
        return _coerce(value, kv_type), kv_type
    except (ValueError, TypeError) as error:
        raise _fail(value, kv_type) from error


def _coerce(value: Any, kv_type: str) -> Any:
    if kv_type == "STRING":
        if isinstance(value, str):
            return value
        return json.dumps(value) if isinstance(value, dict | list) else str(value)
    if kv_type == "NUMBER":
        if isinstance(value, bool):
            raise TypeError("a boolean is not a number")
        if isinstance(value, int | float):
            return value
        text = str(value).strip()
        return int(text) if re.fullmatch(r"[+-]?\d+", text) else float(text)
    if kv_type == "BOOLEAN":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text not in ("true", "false"):
            raise ValueError(text)
        return text == "true"
    if kv_type == "DATETIME":
        if isinstance(value, datetime):
            moment = value
        else:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.isoformat().replace("+00:00", "Z")
    if kv_type == "DATE":
        if isinstance(value, datetime):
            return value.date().isoformat()
        if isinstance(value, date):
            return value.isoformat()
        return date.fromisoformat(str(value)).isoformat()
    if kv_type == "DURATION":
        if isinstance(value, timedelta):
            return _duration_text(value)
        return _duration_text(parse_duration(str(value)))
    # JSON: a string is parsed, anything else is kept as it is.
    return json.loads(value) if isinstance(value, str) else value
