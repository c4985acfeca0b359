"""Date filters: ``date``, ``dateAdd``, ``timestamp`` and its milli/micro/nano variants."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tercel.errors import TemplateError
from tercel.templating.dates import format_java, to_datetime, zone_of


def format_date(
    value: Any,
    format: str = "iso",  # noqa: A002 - Kestra's argument name
    timeZone: str | None = None,  # noqa: N803
    existingFormat: str | None = None,  # noqa: N803
    locale: str | None = None,
) -> str | None:
    """``x | date('yyyy-MM-dd', timeZone='Europe/Paris', existingFormat=...)``."""
    if value is None:
        return None
    zone = zone_of(timeZone)
    moment = to_datetime(value, zone, existingFormat)
    return format_java(moment.astimezone(zone), format)


#: Time-based units in microseconds (nanoseconds are rounded to the microsecond).
_TIME_UNITS = {
    "NANOS": 0.001,
    "MICROS": 1,
    "MILLIS": 1000,
    "SECONDS": 1_000_000,
    "MINUTES": 60_000_000,
    "HOURS": 3_600_000_000,
    "HALF_DAYS": 43_200_000_000,
}
_DAY_UNITS = {"DAYS": 1, "WEEKS": 7}
_MONTH_UNITS = {"MONTHS": 1, "YEARS": 12, "DECADES": 120, "CENTURIES": 1200, "MILLENNIA": 12000}


def add_months(moment: datetime, months: int) -> datetime:
    """Java's ``plusMonths``: the day is clamped to the end of the target month."""
    index = moment.year * 12 + (moment.month - 1) + months
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise TemplateError("date out of range after dateAdd")
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def add_amount(moment: datetime, amount: int, unit: str) -> datetime:
    """``ZonedDateTime.plus(amount, ChronoUnit.valueOf(unit))``."""
    try:
        if unit in _TIME_UNITS:
            # Time units move the instant; the wall clock follows the zone's rules.
            shift = timedelta(microseconds=_TIME_UNITS[unit] * amount)
            return (moment.astimezone(UTC) + shift).astimezone(moment.tzinfo)
        if unit in _DAY_UNITS:
            # Date units move the local date and keep the local time (DST-aware).
            local = moment.replace(tzinfo=None) + timedelta(days=_DAY_UNITS[unit] * amount)
            return local.replace(tzinfo=moment.tzinfo)
        if unit in _MONTH_UNITS:
            return add_months(moment, _MONTH_UNITS[unit] * amount)
    except OverflowError:
        raise TemplateError("date out of range after dateAdd") from None
    raise TemplateError(f"No enum constant java.time.temporal.ChronoUnit.{unit}")


def date_add(  # noqa: PLR0917 - Pebble passes these positionally, in this order
    value: Any,
    amount: int | None = None,
    unit: str | None = None,
    format: str = "iso",  # noqa: A002
    timeZone: str | None = None,  # noqa: N803
    existingFormat: str | None = None,  # noqa: N803
    locale: str | None = None,
) -> str | None:
    """``x | dateAdd(-1, 'DAYS')``, then formatted like ``date``."""
    if value is None:
        return None
    if not isinstance(amount, int) or isinstance(amount, bool) or unit is None:
        raise TemplateError("The 'dateAdd' filter expects an integer 'amount' and a 'unit'")
    zone = zone_of(timeZone)
    moment = to_datetime(value, zone, existingFormat)
    return format_date(add_amount(moment, amount, unit), format, timeZone, None, locale)


def _moment(value: Any, time_zone: str | None, existing_format: str | None) -> datetime:
    return to_datetime(value, zone_of(time_zone), existing_format)


def _epoch_parts(moment: datetime) -> tuple[int, int]:
    """(epoch seconds, nano of second)."""
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return delta.days * 86400 + delta.seconds, delta.microseconds * 1000


def timestamp(
    value: Any,
    timeZone: str | None = None,  # noqa: N803
    existingFormat: str | None = None,  # noqa: N803
) -> int | None:
    """Epoch seconds."""
    if value is None:
        return None
    return _epoch_parts(_moment(value, timeZone, existingFormat))[0]


def timestamp_milli(
    value: Any,
    timeZone: str | None = None,  # noqa: N803
    existingFormat: str | None = None,  # noqa: N803
) -> str | None:
    """Epoch milliseconds, as a string."""
    if value is None:
        return None
    seconds, nanos = _epoch_parts(_moment(value, timeZone, existingFormat))
    return str(seconds * 1000 + nanos // 1_000_000)


def timestamp_micro(
    value: Any,
    timeZone: str | None = None,  # noqa: N803
    existingFormat: str | None = None,  # noqa: N803
) -> str | None:
    """Kestra's ``timestampMicro``, digit for digit (seconds in nanos + micro of second)."""
    if value is None:
        return None
    seconds, nanos = _epoch_parts(_moment(value, timeZone, existingFormat))
    return str(seconds * 1_000_000_000 + nanos // 1000)


def timestamp_nano(
    value: Any,
    timeZone: str | None = None,  # noqa: N803
    existingFormat: str | None = None,  # noqa: N803
) -> str | None:
    """Epoch nanoseconds, as a string."""
    if value is None:
        return None
    seconds, nanos = _epoch_parts(_moment(value, timeZone, existingFormat))
    return str(seconds * 1_000_000_000 + nanos)


FILTERS: dict[str, Callable[..., Any]] = {
    "date": format_date,
    "dateAdd": date_add,
    "timestamp": timestamp,
    "timestampMilli": timestamp_milli,
    "timestampMicro": timestamp_micro,
    "timestampNano": timestamp_nano,
}
