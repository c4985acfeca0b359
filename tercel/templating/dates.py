"""Dates the way Kestra's ``date`` filter and ``now()`` see them.

* `format_java` prints a date-time with a Java ``DateTimeFormatter`` pattern
  (``yyyy-MM-dd'T'HH:mm``, ``EEE, d MMM yyyy``, ``XXX``...) or a named format
  (``iso``, ``iso_sec``, ``sql``, ``iso_date_time``, ``rfc_1123_date_time``, ``short``...).
* `to_datetime` turns what a template holds (a datetime, a date, epoch seconds, an ISO
  string, or a string in an ``existingFormat``) into an aware datetime, as Kestra's
  ``AbstractDate.convert`` does.

Text (month and day names, AM/PM) is English, Kestra's default locale.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tercel.errors import TemplateError
from tercel.templating.javapattern import Token, tokenize

MONTHS = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

#: Kestra's named patterns (AbstractDate.FORMATTERS).
NAMED_PATTERNS = {
    "iso": "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX",
    "iso_sec": "yyyy-MM-dd'T'HH:mm:ssXXX",
    "sql": "yyyy-MM-dd HH:mm:ss.SSSSSS",
    "sql_seq": "yyyy-MM-dd HH:mm:ss",
}

#: The zone used when a template gives none (Java's ``ZoneId.systemDefault()`` on a server).
DEFAULT_ZONE: tzinfo = ZoneInfo("UTC")


# -- zones --------------------------------------------------------------------------------


def zone_of(name: str | None) -> tzinfo:
    """Java's ``ZoneId.of``: ``UTC``, ``Europe/Paris``, ``Z``, ``+02:00``, ``GMT+2``..."""
    if name is None:
        return DEFAULT_ZONE
    offset = _parse_offset(name)
    if offset is not None:
        return timezone(offset) if offset else UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TemplateError(f"Unknown time-zone ID: {name}") from None


def zone_id(zone: tzinfo | None) -> str:
    """The id Java prints for a zone (``VV``): ``Europe/Paris``, ``UTC``, ``Z``, ``+02:00``."""
    if isinstance(zone, ZoneInfo):
        return zone.key
    if zone is None:
        return ""
    offset = zone.utcoffset(None) or timedelta(0)
    return "Z" if not offset else format_offset(offset, "XXX")


def _parse_offset(text: str) -> timedelta | None:
    match = re.fullmatch(r"(?:GMT|UTC|UT)?([+-])(\d{1,2}):?(\d{2})?(?::?(\d{2}))?", text)
    if text == "Z":
        return timedelta(0)
    if match is None:
        return None
    sign = -1 if match[1] == "-" else 1
    hours, minutes, seconds = int(match[2]), int(match[3] or 0), int(match[4] or 0)
    return sign * timedelta(hours=hours, minutes=minutes, seconds=seconds)


def format_offset(offset: timedelta, style: str) -> str:
    """An offset as Java's ``X``/``x``/``Z``/``O`` pattern letters print it."""
    letter, count = style[0], len(style)
    total = int(offset.total_seconds())
    if total == 0:
        if letter == "X" or (letter == "Z" and count == 5):
            return "Z"
        if letter == "O" or (letter == "Z" and count == 4):
            return "GMT"
    sign = "-" if total < 0 else "+"
    total = abs(total)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    if letter == "O" or (letter == "Z" and count == 4):
        if letter == "O" and count == 1:
            text = f"GMT{sign}{hours}" + (f":{minutes:02d}" if minutes or seconds else "")
        else:
            text = f"GMT{sign}{hours:02d}:{minutes:02d}"
        return text + (f":{seconds:02d}" if seconds else "")
    if letter == "Z":
        if count <= 3:
            return f"{sign}{hours:02d}{minutes:02d}"
        return f"{sign}{hours:02d}:{minutes:02d}"
    # X and x
    if count == 1:
        return f"{sign}{hours:02d}" + (f"{minutes:02d}" if minutes else "")
    if count == 2:
        return f"{sign}{hours:02d}{minutes:02d}"
    if count == 3:
        return f"{sign}{hours:02d}:{minutes:02d}"
    if count == 4:
        return f"{sign}{hours:02d}{minutes:02d}" + (f"{seconds:02d}" if seconds else "")
    return f"{sign}{hours:02d}:{minutes:02d}" + (f":{seconds:02d}" if seconds else "")


# -- formatting ----------------------------------------------------------------------------


def _week_fields(value: datetime) -> tuple[int, int]:
    """US week-based year and week (weeks start on Sunday; week 1 holds January 1st)."""
    day = value.date()
    sunday_based = (day.weekday() + 1) % 7  # Sunday = 0
    saturday = day + timedelta(days=6 - sunday_based)
    year = saturday.year if saturday.year > day.year else day.year
    jan1 = date(year, 1, 1)
    first_sunday = jan1 - timedelta(days=(jan1.weekday() + 1) % 7)
    return year, (day - first_sunday).days // 7 + 1


def _number(value: int, count: int) -> str:
    return f"{value:0{count}d}" if count > 1 else str(value)


def _zone_name(value: datetime, full: bool) -> str:
    name = value.tzname() or zone_id(value.tzinfo)
    if full and name in ("UTC", "Z"):
        return "Coordinated Universal Time"
    return name


def _format_field(value: datetime, letter: str, count: int) -> str:
    if letter in "uy":
        year = value.year
        return f"{year % 100:02d}" if count == 2 else _number(year, count)
    if letter == "Y":
        year = _week_fields(value)[0]
        return f"{year % 100:02d}" if count == 2 else _number(year, count)
    if letter in "ML":
        if count >= 5:
            return MONTHS[value.month - 1][0]
        if count == 4:
            return MONTHS[value.month - 1]
        if count == 3:
            return MONTHS[value.month - 1][:3]
        return _number(value.month, count)
    if letter == "d":
        return _number(value.day, count)
    if letter == "D":
        return _number(value.timetuple().tm_yday, count)
    if letter in "Qq":
        quarter = (value.month - 1) // 3 + 1
        if count == 3:
            return f"Q{quarter}"
        if count == 4:
            return ["1st", "2nd", "3rd", "4th"][quarter - 1] + " quarter"
        return _number(quarter, count if count <= 2 else 1)
    if letter == "w":
        return _number(_week_fields(value)[1], count)
    if letter == "W":
        first = value.replace(day=1)
        offset = (first.weekday() + 1) % 7
        return _number((value.day + offset - 1) // 7 + 1, count)
    if letter == "E" or (letter in "ec" and count >= 3):
        name = DAYS[value.weekday()]
        return name[0] if count >= 5 else name if count == 4 else name[:3]
    if letter in "ec":
        return _number((value.weekday() + 1) % 7 + 1, count)
    if letter == "F":
        return _number((value.day - 1) // 7 + 1, count)
    if letter == "G":
        return "Anno Domini" if count == 4 else "A" if count == 5 else "AD"
    if letter == "a":
        return "AM" if value.hour < 12 else "PM"
    if letter == "H":
        return _number(value.hour, count)
    if letter == "k":
        return _number(value.hour or 24, count)
    if letter == "K":
        return _number(value.hour % 12, count)
    if letter == "h":
        return _number(value.hour % 12 or 12, count)
    if letter == "m":
        return _number(value.minute, count)
    if letter == "s":
        return _number(value.second, count)
    if letter == "S":
        return f"{value.microsecond * 1000:09d}"[:count].ljust(count, "0")
    if letter == "n":
        return _number(value.microsecond * 1000, count)
    if letter == "N":
        nanos = (value.hour * 3600 + value.minute * 60 + value.second) * 10**9
        return _number(nanos + value.microsecond * 1000, count)
    if letter == "A":
        millis = (value.hour * 3600 + value.minute * 60 + value.second) * 1000
        return _number(millis + value.microsecond // 1000, count)
    if letter == "V":
        return zone_id(value.tzinfo)
    if letter == "z":
        return _zone_name(value, full=count >= 4)
    if letter in "XxZO":
        return format_offset(value.utcoffset() or timedelta(0), letter * count)
    raise TemplateError(f"Unknown pattern letter: {letter}")


def format_pattern(value: datetime, pattern: str) -> str:
    """Format with a Java ``DateTimeFormatter.ofPattern`` pattern."""
    parts: list[str] = []
    for token in _tokens(pattern):
        if isinstance(token, str):
            parts.append(token)
        elif token.letter not in "[]":  # optional sections print: every field is known
            parts.append(_format_field(value, token.letter, token.count))
    return "".join(parts)


@lru_cache(maxsize=256)
def _tokens(pattern: str) -> tuple[Token | str, ...]:
    return tuple(tokenize(pattern))


def _fraction(value: datetime, *, groups_of_three: bool) -> str:
    micros = value.microsecond
    if not micros:
        return ""
    digits = f"{micros:06d}"
    if groups_of_three:
        return "." + (digits[:3] if digits.endswith("000") else digits)
    return "." + digits.rstrip("0")


def _iso_time(value: datetime) -> str:
    return value.strftime("%H:%M:%S") + _fraction(value, groups_of_three=False)


def _iso_offset(value: datetime) -> str:
    return format_offset(value.utcoffset() or timedelta(0), "XXXXX")


def _iso_zone_suffix(value: datetime) -> str:
    return f"[{zone_id(value.tzinfo)}]" if isinstance(value.tzinfo, ZoneInfo) else ""


def _iso_instant(value: datetime) -> str:
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + _fraction(utc, groups_of_three=True) + "Z"


def _rfc_1123(value: datetime) -> str:
    offset = value.utcoffset() or timedelta(0)
    zone = "GMT" if not offset else format_offset(offset, "Z")
    day = DAYS[value.weekday()][:3]
    month = MONTHS[value.month - 1][:3]
    return f"{day}, {value.day} {month} {value.year} {value.strftime('%H:%M:%S')} {zone}"


def _iso_named(value: datetime, name: str) -> str:
    local_date = value.strftime("%Y-%m-%d")
    local_dt = f"{local_date}T{_iso_time(value)}"
    iso = {
        "iso_local_date": lambda: local_date,
        "iso_date": lambda: local_date + _iso_offset(value),
        "iso_local_time": lambda: _iso_time(value),
        "iso_time": lambda: _iso_time(value) + _iso_offset(value),
        "iso_offset_time": lambda: _iso_time(value) + _iso_offset(value),
        "iso_local_date_time": lambda: local_dt,
        "iso_date_time": lambda: local_dt + _iso_offset(value) + _iso_zone_suffix(value),
        "iso_zoned_date_time": lambda: local_dt + _iso_offset(value) + _iso_zone_suffix(value),
        "iso_instant": lambda: _iso_instant(value),
        "iso_ordinal_date": lambda: (
            f"{value.year}-{value.timetuple().tm_yday:03d}" + _iso_offset(value)
        ),
        "iso_week_date": lambda: "{}-W{:02d}-{}".format(*value.isocalendar()) + _iso_offset(value),
        "rfc_1123_date_time": lambda: _rfc_1123(value),
    }
    return iso[name]()


_NNBSP = "\u202f"  # Java 20+ (CLDR 42) puts a narrow no-break space before AM/PM.

_STYLES = {
    "short": f"M/d/yy, h:mm{_NNBSP}a",
    "medium": f"MMM d, y, h:mm:ss{_NNBSP}a",
    "long": f"MMMM d, y 'at' h:mm:ss{_NNBSP}a z",
    "full": f"EEEE, MMMM d, y 'at' h:mm:ss{_NNBSP}a zzzz",
}

_ISO_NAMES = frozenset(
    {
        "iso_local_date", "iso_date", "iso_local_time", "iso_time", "iso_offset_time",
        "iso_local_date_time", "iso_date_time", "iso_zoned_date_time", "iso_instant",
        "iso_ordinal_date", "iso_week_date", "rfc_1123_date_time",
    }
)  # fmt: skip


def format_java(value: datetime, format_name: str) -> str:
    """Format with a Kestra named format, a style, or a Java pattern."""
    if format_name in NAMED_PATTERNS:
        return format_pattern(value, NAMED_PATTERNS[format_name])
    if format_name in _ISO_NAMES:
        return _iso_named(value, format_name)
    if format_name in _STYLES:
        return format_pattern(value, _STYLES[format_name])
    return format_pattern(value, format_name)


# -- conversion ----------------------------------------------------------------------------

_ISO_RE = re.compile(
    r"(?P<year>[+-]?\d{4,9})-(?P<month>\d{2})-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,9}))?)?)?"
    r"(?P<offset>Z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?(?:\[(?P<zone>[^\]]+)\])?"
)


def _parse_iso(text: str, zone: tzinfo) -> datetime:
    match = _ISO_RE.fullmatch(text.strip())
    if match is None:
        raise TemplateError(f"Text '{text}' could not be parsed as a date")
    fields = match.groupdict()
    if fields["hour"] is None and (fields["offset"] or fields["zone"]):
        raise TemplateError(f"Text '{text}' could not be parsed as a date")
    fraction = (fields["fraction"] or "").ljust(6, "0")[:6]
    value = datetime(
        int(fields["year"]),
        int(fields["month"]),
        int(fields["day"]),
        int(fields["hour"] or 0),
        int(fields["minute"] or 0),
        int(fields["second"] or 0),
        int(fraction),
    )
    if fields["zone"]:
        return value.replace(tzinfo=zone_of(fields["zone"]))
    if fields["offset"]:
        return value.replace(tzinfo=zone_of(fields["offset"]))
    return value.replace(tzinfo=zone)


_RFC_1123_RE = re.compile(
    r"(?:[A-Z][a-z]{2}, )?(?P<day>\d{1,2}) (?P<month>[A-Z][a-z]{2}) (?P<year>\d{4}) "
    r"(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))? (?P<zone>GMT|[+-]\d{4})"
)


def _parse_rfc_1123(text: str) -> datetime:
    match = _RFC_1123_RE.fullmatch(text.strip())
    months = [name[:3] for name in MONTHS]
    if match is None or match["month"] not in months:
        raise TemplateError(f"Text '{text}' could not be parsed as an RFC 1123 date")
    zone = UTC if match["zone"] == "GMT" else zone_of(match["zone"])
    return datetime(
        int(match["year"]),
        months.index(match["month"]) + 1,
        int(match["day"]),
        int(match["hour"]),
        int(match["minute"]),
        int(match["second"] or 0),
        tzinfo=zone,
    )


def to_datetime(value: Any, zone: tzinfo, existing_format: str | None = None) -> datetime:
    """Kestra's ``AbstractDate.convert``: what a template holds, as an aware datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    if isinstance(value, date):
        return datetime.combine(value, time(12, 0), tzinfo=zone)
    if isinstance(value, bool):
        raise TemplateError(f"cannot use the boolean {value} as a date")
    if isinstance(value, (int, float)):
        try:
            return datetime.fromtimestamp(value, tz=UTC).astimezone(zone)
        except (OverflowError, OSError, ValueError):
            raise TemplateError(f"epoch seconds {value} are out of range") from None
    if not isinstance(value, str):
        raise TemplateError(f"cannot use a {type(value).__name__} as a date")
    if existing_format is None:
        return _parse_iso(value, zone)
    from tercel.templating.dateparse import parse_with_pattern

    if existing_format in NAMED_PATTERNS:
        existing_format = NAMED_PATTERNS[existing_format]
    elif existing_format == "rfc_1123_date_time":
        return _parse_rfc_1123(value)
    elif existing_format in _ISO_NAMES:
        return _parse_iso(value, zone)
    return parse_with_pattern(value, existing_format, zone)
