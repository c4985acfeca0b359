"""ISO-8601 durations (``PT5M``, ``P1DT2H``, ``PT0.5S``), as Java's `Duration.parse` reads them."""

from __future__ import annotations

import re
from datetime import timedelta

from pydantic_core import PydanticCustomError

_DURATION = re.compile(
    r"^(?P<sign>[-+]?)P(?:(?P<weeks>\d+)W)?(?:(?P<days>[-+]?\d+)D)?"
    r"(?:T(?:(?P<hours>[-+]?\d+)H)?(?:(?P<minutes>[-+]?\d+)M)?"
    r"(?:(?P<seconds>[-+]?\d+(?:[.,]\d{1,9})?)S)?)?$",
    re.IGNORECASE,
)


def parse_duration(text: str) -> timedelta:
    """Parse an ISO-8601 duration; raise `PydanticCustomError` (a ValueError) when invalid."""
    match = _DURATION.match(text.strip()) if isinstance(text, str) else None
    if match is None or text.strip().upper().endswith(("P", "T")):
        raise PydanticCustomError(
            "invalid_duration",
            "`{value}` is not an ISO-8601 duration (e.g. PT30S, PT5M, P1D)",
            {"value": str(text)},
        )
    parts = {k: v for k, v in match.groupdict().items() if k != "sign" and v is not None}
    seconds = float(parts.pop("seconds", "0").replace(",", "."))
    delta = timedelta(
        weeks=int(parts.get("weeks", 0)),
        days=int(parts.get("days", 0)),
        hours=int(parts.get("hours", 0)),
        minutes=int(parts.get("minutes", 0)),
        seconds=seconds,
    )
    return -delta if match.group("sign") == "-" else delta


def format_duration(delta: timedelta) -> str:
    """Render like Java's `Duration.toString()`: ``PT1H30M``, ``PT0.5S``, ``PT0S``."""
    total = delta.total_seconds()
    sign = "-" if total < 0 else ""
    total = abs(total)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    text = sign + "PT"
    if hours:
        text += f"{int(hours)}H"
    if minutes:
        text += f"{int(minutes)}M"
    if seconds or (not hours and not minutes):
        text += f"{int(seconds)}S" if seconds == int(seconds) else f"{round(seconds, 9):g}S"
    return text
