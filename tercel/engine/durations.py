"""ISO-8601 durations as Kestra writes them (``PT30S``, ``PT0.2S``, ``P1D``, ``PT1H30M``)."""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(
    r"^(?P<sign>[-+]?)P(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$",
    re.IGNORECASE,
)


def parse_duration(text: str) -> timedelta:
    """Parse an ISO-8601 duration; ValueError with an example when it is not one."""
    stripped = text.strip()
    match = _DURATION.match(stripped)
    if (
        match is None
        or stripped.upper() in ("P", "PT", "-P", "+P")
        or stripped.upper().endswith("T")
    ):
        raise ValueError(f"`{text}` is not an ISO-8601 duration (e.g. PT30S, PT5M, P1D)")
    parts = {k: float(v) for k, v in match.groupdict().items() if k != "sign" and v}
    delta = timedelta(
        days=parts.get("days", 0.0),
        hours=parts.get("hours", 0.0),
        minutes=parts.get("minutes", 0.0),
        seconds=parts.get("seconds", 0.0),
    )
    return -delta if match.group("sign") == "-" else delta


def is_duration(text: str) -> bool:
    """True when `text` parses as an ISO-8601 duration."""
    try:
        parse_duration(text)
    except ValueError:
        return False
    return True
