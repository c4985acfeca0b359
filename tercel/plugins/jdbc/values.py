"""Database values → task outputs (JSON-friendly) and stored rows (Ion-friendly)."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from tercel.model.durations import format_duration


def output_value(value: Any) -> Any:
    """A value as it appears in `row`/`rows` outputs (numbers stay numbers, dates are ISO)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): output_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [output_value(v) for v in value]
    return str(value)


def stored_value(value: Any) -> Any:
    """A value as written to an `.ion` row file (Ion keeps decimals, dates and bytes)."""
    if value is None or isinstance(
        value, bool | int | float | str | Decimal | datetime | date | bytes
    ):
        return value
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    if isinstance(value, Mapping):
        return {str(k): stored_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [stored_value(v) for v in value]
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return format_duration(value)
    return str(value)
