"""Calendar functions of Kestra 1.x: ``isWeekend``, ``dayOfWeek``, ``isDateBetween``...

Each takes a date as a template holds it (a datetime, an ISO string, epoch seconds) and
reads it in the server's default zone unless it carries its own.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from tercel.errors import TemplateError
from tercel.templating.dates import DAYS, DEFAULT_ZONE, to_datetime

_POSITIONS = {"FIRST": 1, "SECOND": 2, "THIRD": 3, "FOURTH": 4, "FIFTH": 5}


def _moment(value: Any) -> datetime:
    if value is None:
        raise TemplateError("a date is required")
    return to_datetime(value, DEFAULT_ZONE)


def day_of_week(date: Any = None) -> str:
    """``MONDAY`` ... ``SUNDAY``."""
    return DAYS[_moment(date).weekday()].upper()


def day_of_month(date: Any = None) -> int:
    """1-31."""
    return _moment(date).day


def month_of_year(date: Any = None) -> int:
    """1-12."""
    return _moment(date).month


def hour_of_day(date: Any = None) -> int:
    """0-23."""
    return _moment(date).hour


def is_weekend(date: Any = None) -> bool:
    """Saturday or Sunday."""
    return _moment(date).weekday() >= 5


def _day_index(name: str) -> int:
    try:
        return [day.upper() for day in DAYS].index(name.strip().upper())
    except ValueError:
        raise TemplateError(f"unknown day of week `{name}` (use MONDAY ... SUNDAY)") from None


def is_day_week_in_month(date: Any = None, dayOfWeek: Any = None, position: Any = None) -> bool:  # noqa: N803
    """Whether `date` is the FIRST/SECOND/THIRD/FOURTH/LAST `dayOfWeek` of its month."""
    moment = _moment(date)
    if not isinstance(dayOfWeek, str) or not isinstance(position, str):
        raise TemplateError("isDayWeekInMonth expects a date, a day name and a position")
    if moment.weekday() != _day_index(dayOfWeek):
        return False
    where = position.strip().upper()
    if where == "LAST":
        return moment.day + 7 > calendar.monthrange(moment.year, moment.month)[1]
    if where not in _POSITIONS:
        raise TemplateError(f"unknown position `{position}` (use FIRST ... FOURTH or LAST)")
    return (moment.day - 1) // 7 + 1 == _POSITIONS[where]


def is_last_working_day(date: Any = None, workingDays: Any = None) -> bool:  # noqa: N803
    """Whether `date` is the last working day of its month (Monday-Friday by default)."""
    moment = _moment(date)
    if workingDays is None:
        working = {0, 1, 2, 3, 4}
    else:
        working = {_day_index(name) for name in str(workingDays).split(",") if name.strip()}
    if moment.weekday() not in working:
        return False
    last = moment.replace(day=calendar.monthrange(moment.year, moment.month)[1])
    while last.weekday() not in working:
        last -= timedelta(days=1)
    return moment.day == last.day


def _instant(value: Any) -> datetime:
    if isinstance(value, str) and not any(mark in value[10:] for mark in ("Z", "+", "-")):
        raise TemplateError(f"date `{value}` needs an explicit offset (Z or ±HH:MM)")
    return _moment(value)


def is_date_between(date: Any = None, start: Any = None, end: Any = None) -> bool:
    """Strictly after `start` and strictly before `end`, compared as instants."""
    return _instant(start) < _instant(date) < _instant(end)


def is_public_holiday(date: Any = None, countryCode: Any = None, subDivision: Any = None) -> bool:  # noqa: N803
    """Not available: Tercel ships no holiday calendars."""
    raise TemplateError("isPublicHoliday() is not available in Tercel (no holiday calendars)")


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "dayOfWeek": day_of_week,
    "dayOfMonth": day_of_month,
    "monthOfYear": month_of_year,
    "hourOfDay": hour_of_day,
    "isWeekend": is_weekend,
    "isDayWeekInMonth": is_day_week_in_month,
    "isLastWorkingDay": is_last_working_day,
    "isDateBetween": is_date_between,
    "isPublicHoliday": is_public_holiday,
}
