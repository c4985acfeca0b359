"""How rendered values become text, the way Kestra's Pebble writer prints them.

Booleans print as ``true``/``false``, null as nothing, maps and lists as compact JSON
(``{"value":"x"}``), date-times as ISO-8601 and floats as Java's ``Double.toString`` does.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Undefined


def java_double(value: float) -> str:
    """Java's ``Double.toString``: ``1.0``, ``2.5``, ``1.0E7``, ``NaN``, ``Infinity``."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    magnitude = abs(value)
    if value == 0 or 1e-3 <= magnitude < 1e7:
        text = repr(value)
        return text if ("." in text or "e" in text) else text + ".0"
    # Shortest round-trip digits (Python's repr), laid out as Java's d.dddE<exp>.
    _, digits, exponent = Decimal(repr(magnitude)).normalize().as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits))
    scientific = exponent + len(text) - 1
    sign = "-" if value < 0 else ""
    return f"{sign}{text[0]}.{text[1:] or '0'}E{scientific}"


def _java_local_time(value: datetime | time, *, always_seconds: bool) -> str:
    """Java's ``LocalTime.toString``: ``HH:mm``, ``:ss`` unless zero, fraction in 3/6 digits."""
    text = f"{value.hour:02d}:{value.minute:02d}"
    if value.second or value.microsecond or always_seconds:
        text += f":{value.second:02d}"
    if value.microsecond:
        fraction = f"{value.microsecond:06d}"
        text += "." + (fraction[:3] if fraction.endswith("000") else fraction)
    return text


def _format_offset(offset: timedelta) -> str:
    total = int(offset.total_seconds())
    sign = "+" if total >= 0 else "-"
    hours, rest = divmod(abs(total), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours:02d}:{minutes:02d}" + (f":{seconds:02d}" if seconds else "")


def _offset_id(offset: timedelta) -> str:
    return "Z" if not offset else _format_offset(offset)


def format_instant(value: datetime) -> str:
    """A date-time as Java prints it (``toString``).

    * UTC (`datetime.UTC`) is an ``Instant``: ``2024-12-20T10:11:12.123Z`` (seconds always);
    * a named zone (`ZoneInfo`) is a ``ZonedDateTime``: ``2013-09-08T16:19+02:00[Europe/Paris]``;
    * a fixed offset is an ``OffsetDateTime``: ``2013-09-08T16:19+02:00``;
    * no zone is a ``LocalDateTime``: ``2013-09-08T16:19``.
    """
    instant = value.tzinfo is UTC
    local = value.strftime("%Y-%m-%d") + "T" + _java_local_time(value, always_seconds=instant)
    offset = value.utcoffset()
    if offset is None:
        return local
    if instant:
        return local + "Z"
    text = local + _offset_id(offset)
    if isinstance(value.tzinfo, ZoneInfo):
        text += f"[{value.tzinfo.key}]"
    return text


def format_iso_offset(value: datetime) -> str:
    """Jackson's JSON form: ``ISO_INSTANT`` for UTC, else ``ISO_OFFSET_DATE_TIME``."""
    offset = value.utcoffset()
    if offset is None or value.tzinfo is UTC:
        return format_instant(value)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += "." + f"{value.microsecond:06d}".rstrip("0")
    return text + _offset_id(offset)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_iso_offset(value)
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()  # strict: a missing value inside a list or map
    return str(value)


#: A JSON string (skipped) or a number with a fraction or an exponent (respelled).
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?')


def _java_number(match: re.Match[str]) -> str:
    token = match[0]
    if token[0] == '"' or ("." not in token and "e" not in token and "E" not in token):
        return token
    return java_double(float(token))


def to_json(value: Any) -> str:
    """Compact JSON as Jackson writes it (no spaces, non-ASCII kept, dates as ISO strings).

    Floats are spelled as Java does (``1.0E20``, not ``1e+20``).
    """
    text = json.dumps(
        value, separators=(",", ":"), ensure_ascii=False, default=_json_default, allow_nan=True
    )
    if "e" in text or "E" in text or "." in text:
        text = _JSON_TOKEN.sub(_java_number, text)
    return text


def to_text(value: Any) -> str:
    """The text Kestra prints for a value in ``{{ ... }}``."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, (Mapping, list, tuple, set, frozenset)):
        return to_json(value)
    if isinstance(value, datetime):
        return format_instant(value)
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


def finalize(value: Any) -> Any:
    """Jinja ``finalize`` hook: everything printed goes through `to_text`.

    Undefined values are passed through so that strict undefined still raises on print.
    """
    if isinstance(value, (str, Undefined)):
        return value
    return to_text(value)
