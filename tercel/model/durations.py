"""ISO-8601 durations: the one grammar every Tercel component reads and writes.

Kestra reads durations with Java's `Duration.parse` (through its Jackson deserializer):

* ``[-+]P[nD][T[nH][nM][n[.,]fS]]``, letters in any case; every number may carry its own
  sign (``PT-5M``, ``P1DT-1H``); only seconds may have a fraction, written with ``.`` or
  ``,`` and at most nine digits (``PT0.1S``, ``PT0,1S``);
* a plain number is a number of seconds (``"30"``, ``"1.5"``), as Kestra's deserializer adds.

Tercel also reads ISO-8601 weeks (``P1W``, ``P2W3D``), which Java refuses: a flow written
for Kestra never contains them, and refusing a valid ISO-8601 duration would only surprise.
`format_duration` writes what Java's `Duration.toString()` writes (``PT1H30M``, ``PT0.5S``,
``PT48H``), so durations in outputs and the API read the same as Kestra's.
"""

from __future__ import annotations

import re
from datetime import timedelta

from pydantic_core import PydanticCustomError

_DURATION = re.compile(
    r"(?P<sign>[-+]?)P(?:(?P<weeks>[-+]?\d+)W)?(?:(?P<days>[-+]?\d+)D)?"
    r"(?:(?P<t>T)(?:(?P<hours>[-+]?\d+)H)?(?:(?P<minutes>[-+]?\d+)M)?"
    r"(?:(?P<seconds>[-+]?\d+)(?:[.,](?P<fraction>\d{0,9}))?S)?)?",
    re.IGNORECASE,
)
_SECONDS = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)")
_UNITS = ("weeks", "days", "hours", "minutes", "seconds")


def invalid_duration(text: object) -> PydanticCustomError:
    """The error for a text that is not a duration (a ValueError, and a pydantic error)."""
    return PydanticCustomError(
        "invalid_duration",
        "`{value}` is not an ISO-8601 duration (e.g. PT30S, PT5M, PT0.5S, P1D)",
        {"value": str(text)},
    )


def parse_duration(text: str) -> timedelta:
    """Parse a duration; raise `invalid_duration` (a ValueError) when it is not one."""
    if not isinstance(text, str):
        raise invalid_duration(text)
    stripped = text.strip()
    if _SECONDS.fullmatch(stripped):
        return timedelta(seconds=float(stripped))
    match = _DURATION.fullmatch(stripped)
    if match is None:
        raise invalid_duration(text)
    groups = match.groupdict()
    has_unit = any(groups[unit] is not None for unit in _UNITS)
    has_time_unit = any(groups[unit] is not None for unit in _UNITS[2:])
    # "P", "PT", "P1DT": a designator without a number after it.
    if not has_unit or (groups["t"] and not has_time_unit):
        raise invalid_duration(text)
    seconds = int(groups["seconds"] or 0)
    fraction = groups["fraction"] or ""
    micros = int((fraction + "000000")[:6]) if fraction else 0
    if groups["seconds"] and groups["seconds"].startswith("-"):
        micros = -micros
    delta = timedelta(
        weeks=int(groups["weeks"] or 0),
        days=int(groups["days"] or 0),
        hours=int(groups["hours"] or 0),
        minutes=int(groups["minutes"] or 0),
        seconds=seconds,
        microseconds=micros,
    )
    return -delta if match.group("sign") == "-" else delta


def is_duration(text: object) -> bool:
    """True when `text` is a string that parses as a duration."""
    try:
        parse_duration(text)  # type: ignore[arg-type]
    except ValueError:
        return False
    return True


def format_duration(delta: timedelta) -> str:
    """Write `delta` as Java's `Duration.toString()` does (``PT1H30M``, ``PT-0.5S``)."""
    total_micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    if total_micros == 0:
        return "PT0S"
    sign = -1 if total_micros < 0 else 1
    magnitude = abs(total_micros)
    hours, rest = divmod(magnitude, 3_600_000_000)
    minutes, rest = divmod(rest, 60_000_000)
    seconds, micros = divmod(rest, 1_000_000)
    prefix = "-" if sign < 0 else ""
    text = "PT"
    if hours:
        text += f"{prefix}{hours}H"
    if minutes:
        text += f"{prefix}{minutes}M"
    if seconds or micros:
        fraction = f".{micros:06d}".rstrip("0") if micros else ""
        text += f"{prefix}{seconds}{fraction}S"
    return text
