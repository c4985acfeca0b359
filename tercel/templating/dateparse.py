"""Parsing strings with a Java ``DateTimeFormatter`` pattern (the ``existingFormat`` argument).

Like Kestra, a parsed value with a zone or offset keeps it; one with a date and a time is
placed in the requested zone; a date alone becomes midnight in that zone.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo
from functools import lru_cache

from tercel.errors import TemplateError
from tercel.templating.dates import DAYS, MONTHS, zone_of
from tercel.templating.javapattern import Token, tokenize

_MONTH_ABBR = {name[:3].lower(): index for index, name in enumerate(MONTHS, start=1)}
_MONTH_FULL = {name.lower(): index for index, name in enumerate(MONTHS, start=1)}
_OFFSET = r"Z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?"

_NUMERIC = {
    "y": "year", "u": "year", "M": "month", "L": "month", "d": "day", "D": "yday",
    "H": "hour", "k": "hour24", "h": "hour12", "K": "hour12z", "m": "minute", "s": "second",
}  # fmt: skip


def _group(name: str, body: str, seen: dict[str, int]) -> str:
    seen[name] = seen.get(name, 0) + 1
    return f"(?P<{name}{seen[name]}>{body})"


def _regex_for(token: Token, seen: dict[str, int]) -> str:
    letter, count = token.letter, token.count
    if letter in "yu":
        if count == 2:
            return _group("year2", r"\d{2}", seen)
        return _group("year", r"[+-]?\d{4,9}" if count >= 4 else r"[+-]?\d{1,9}", seen)
    if letter in "ML" and count == 3:
        return _group("monthabbr", r"[A-Za-z]{3}", seen)
    if letter in "ML" and count >= 4:
        return _group("monthfull", r"[A-Za-z]+", seen)
    if letter in _NUMERIC:
        width = rf"\d{{{count}}}" if count > 1 else rf"\d{{1,{3 if letter == 'D' else 2}}}"
        return _group(_NUMERIC[letter], width, seen)
    if letter == "S":
        return _group("fraction", rf"\d{{{count}}}", seen)
    if letter == "n":
        return _group("nano", r"\d{1,9}", seen)
    if letter in "Ee":
        return _group("dayname", r"[A-Za-z]+", seen)
    if letter == "a":
        return _group("ampm", r"(?i:AM|PM)", seen)
    if letter in "XxZ":
        return _group("offset", _OFFSET, seen)
    if letter == "O":
        return _group("offset", r"GMT(?:[+-]\d{1,2}(?::\d{2})?)?", seen)
    if letter == "V":
        return _group("zone", r"[A-Za-z][A-Za-z0-9_+\-/]*", seen)
    if letter == "z":
        return _group("zone", r"[A-Za-z][A-Za-z0-9_+\-/]*", seen)
    if letter == "G":
        return r"(?:AD|BC|Anno Domini|A|B)"
    raise TemplateError(f"pattern letter '{letter}' cannot be used to parse a date")


@lru_cache(maxsize=128)
def _compile(pattern: str) -> re.Pattern[str]:
    seen: dict[str, int] = {}
    parts: list[str] = []
    for token in tokenize(pattern):
        if isinstance(token, str):
            parts.append(re.escape(token))
        elif token.letter == "[":
            parts.append("(?:")
        elif token.letter == "]":
            parts.append(")?")
        else:
            parts.append(_regex_for(token, seen))
    return re.compile("".join(parts))


def _field(groups: dict[str, str | None], name: str) -> str | None:
    for key, value in groups.items():
        if value is not None and key.rstrip("0123456789") == name:
            return value
    return None


def parse_with_pattern(text: str, pattern: str, zone: tzinfo) -> datetime:
    """Parse `text` with a Java pattern; see the module docstring for the zone rules."""
    match = _compile(pattern).fullmatch(text)
    if match is None:
        raise TemplateError(f"Text '{text}' could not be parsed with the pattern '{pattern}'")
    groups = match.groupdict()
    year_text = _field(groups, "year")
    year = int(year_text) if year_text else None
    if year is None and (short := _field(groups, "year2")) is not None:
        year = 2000 + int(short)
    month = _month(groups)
    day_text = _field(groups, "day")
    yday_text = _field(groups, "yday")
    if year is None or ((month is None or day_text is None) and yday_text is None):
        raise TemplateError(f"Text '{text}' does not hold a full date for the pattern '{pattern}'")
    if yday_text is not None and (month is None or day_text is None):
        base = datetime(year, 1, 1) + timedelta(days=int(yday_text) - 1)
        month, day = base.month, base.day
    else:
        assert month is not None
        assert day_text is not None
        day = int(day_text)
    hour = _hour(groups)
    minute = int(_field(groups, "minute") or 0)
    second = int(_field(groups, "second") or 0)
    micros = _micros(groups)
    try:
        value = datetime(year, month, day, hour or 0, minute, second, micros)
    except ValueError as error:
        raise TemplateError(f"Text '{text}' is not a valid date: {error}") from None
    zone_text = _field(groups, "zone") or _field(groups, "offset")
    if zone_text is not None and hour is not None:
        return value.replace(tzinfo=zone_of(zone_text))
    return value.replace(tzinfo=zone)


def _month(groups: dict[str, str | None]) -> int | None:
    if (number := _field(groups, "month")) is not None:
        return int(number)
    if (abbr := _field(groups, "monthabbr")) is not None:
        return _lookup(_MONTH_ABBR, abbr)
    if (full := _field(groups, "monthfull")) is not None:
        return _lookup(_MONTH_FULL, full)
    return None


def _lookup(table: dict[str, int], name: str) -> int:
    try:
        return table[name.lower()]
    except KeyError:
        raise TemplateError(f"Unknown month name '{name}'") from None


def _hour(groups: dict[str, str | None]) -> int | None:
    if (hour := _field(groups, "hour")) is not None:
        return int(hour)
    if (hour24 := _field(groups, "hour24")) is not None:
        return int(hour24) % 24
    twelve = _field(groups, "hour12") or _field(groups, "hour12z")
    if twelve is None:
        return None
    pm = (_field(groups, "ampm") or "AM").upper() == "PM"
    return int(twelve) % 12 + (12 if pm else 0)


def _micros(groups: dict[str, str | None]) -> int:
    if (fraction := _field(groups, "fraction")) is not None:
        return int(fraction.ljust(6, "0")[:6])
    if (nano := _field(groups, "nano")) is not None:
        return int(nano) // 1000
    return 0


__all__ = ["DAYS", "parse_with_pattern"]
