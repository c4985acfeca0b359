"""Schedule dates: the next cron date after an instant, in a time zone, DST-safe.

Cron fields are matched against *local* wall-clock time. Around DST changes:
* a local time skipped by spring-forward fires once, at the first instant after the gap;
* a local time repeated by fall-back fires once, at its first occurrence.
Every returned date is strictly after the given one, so nothing fires twice.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from tercel.plugins.core.trigger.schedule import Schedule, ScheduleOnDates, cron_expression

#: A trigger that fires at dates: a cron, or a list of dates.
Timed = Schedule | ScheduleOnDates

#: Give up looking for a next date after this many candidates (e.g. ``0 0 30 2 *``).
MAX_CANDIDATES = 1000


def server_zone() -> tzinfo:
    """The server's time zone (``TZ``, then /etc/timezone, then /etc/localtime; else UTC)."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    timezone_file = Path("/etc/timezone")
    if timezone_file.is_file():
        candidates.append(timezone_file.read_text(encoding="utf-8").strip())
    localtime = Path("/etc/localtime")
    if localtime.is_symlink():
        target = str(localtime.resolve())
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    for name in candidates:
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return UTC


def zone_of(trigger: Timed) -> tzinfo:
    """The trigger's `timezone`, else the server's."""
    return ZoneInfo(trigger.timezone) if trigger.timezone else server_zone()


def _localize(naive: datetime, zone: tzinfo) -> datetime:
    """A local wall-clock time as an instant.

    Inside a DST gap the time is shifted forward by the gap's length (02:30 on a
    spring-forward night becomes 03:30), as Java's `ZonedDateTime.of` does; a repeated
    time is read as its first occurrence (fold=0).
    """
    return naive.replace(tzinfo=zone, fold=0).astimezone(UTC).astimezone(zone)


def next_date(trigger: Schedule, after: datetime) -> datetime:
    """The first schedule date strictly after `after`, in the trigger's zone."""
    expression = cron_expression(trigger.cron, with_seconds=trigger.with_seconds)
    zone = zone_of(trigger)
    start = after.astimezone(zone)
    naive = start.replace(tzinfo=None)
    if not trigger.with_seconds:
        naive = naive.replace(second=0, microsecond=0)
    iterator = croniter(expression, naive, second_at_beginning=trigger.with_seconds)
    for _ in range(MAX_CANDIDATES):
        candidate = _localize(iterator.get_next(datetime), zone)
        if candidate.astimezone(UTC) > after.astimezone(UTC):
            return candidate
    raise ValueError(f"cron `{trigger.cron}` has no date after {after.isoformat()}")


def previous_date(trigger: Schedule, before: datetime) -> datetime | None:
    """The last schedule date strictly before `before` (None when there is none)."""
    expression = cron_expression(trigger.cron, with_seconds=trigger.with_seconds)
    zone = zone_of(trigger)
    naive = before.astimezone(zone).replace(tzinfo=None)
    iterator = croniter(expression, naive, second_at_beginning=trigger.with_seconds)
    for _ in range(MAX_CANDIDATES):
        try:
            candidate = _localize(iterator.get_prev(datetime), zone)
        except (ValueError, OverflowError):
            return None
        if candidate.astimezone(UTC) < before.astimezone(UTC):
            return candidate
    return None


def dates_between(trigger: Schedule, start: datetime, end: datetime) -> list[datetime]:
    """Every schedule date in ``(start, end]`` (bounded, for backfills and catch-up)."""
    found: list[datetime] = []
    current = start
    while len(found) < 100_000:
        current = next_date(trigger, current)
        if current > end:
            break
        found.append(current)
    return found


def listed_dates(trigger: ScheduleOnDates) -> list[datetime]:
    """The dates of a ScheduleOnDates, sorted; a date without offset is in `timezone`."""
    zone = zone_of(trigger)
    dates = []
    for text in trigger.dates:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        dates.append(moment.replace(tzinfo=zone) if moment.tzinfo is None else moment)
    return sorted(dates, key=lambda d: d.astimezone(UTC))


def next_of(trigger: Timed, after: datetime) -> datetime | None:
    """The first date strictly after `after` (None when a date list is exhausted)."""
    if isinstance(trigger, Schedule):
        return next_date(trigger, after)
    limit = after.astimezone(UTC)
    return next((d for d in listed_dates(trigger) if d.astimezone(UTC) > limit), None)


def previous_of(trigger: Timed, before: datetime) -> datetime | None:
    """The last date strictly before `before` (None when there is none)."""
    if isinstance(trigger, Schedule):
        return previous_date(trigger, before)
    limit = before.astimezone(UTC)
    earlier = [d for d in listed_dates(trigger) if d.astimezone(UTC) < limit]
    return earlier[-1] if earlier else None


def truncate(moment: datetime) -> datetime:
    """Dates are compared to the second."""
    return moment.replace(microsecond=0)


ONE_SECOND = timedelta(seconds=1)
