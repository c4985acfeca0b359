"""Schedule triggers: `Schedule` (cron) and `ScheduleOnDates` (a list of dates).

Evaluation (next date, backfill, missed schedules) belongs to the scheduler; here the
properties are declared and checked: an invalid cron or time zone is a validation error.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from tercel.model.base import KestraModel
from tercel.model.condition import AnyCondition
from tercel.model.durations import parse_duration
from tercel.model.registry import Category, plugin
from tercel.model.trigger import Trigger

#: Nicknames Kestra's cron parser accepts, and the expression each stands for.
NICKNAMES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


class RecoverMissedSchedules(StrEnum):
    """What to do with schedule dates missed while the scheduler was down."""

    ALL = "ALL"
    LAST = "LAST"
    NONE = "NONE"


def cron_expression(cron: str, *, with_seconds: bool = False) -> str:
    """The expression croniter understands (nicknames expanded); raise if invalid.

    With `with_seconds`, the expression has 6 fields, seconds first.
    """
    text = cron.strip()
    expanded = NICKNAMES.get(text.lower())
    if expanded is not None:
        return f"0 {expanded}" if with_seconds else expanded
    fields = text.split()
    expected = 6 if with_seconds else 5
    if len(fields) != expected:
        raise PydanticCustomError(
            "invalid_cron",
            "invalid cron expression `{cron}`: expected {expected} fields, found {found}",
            {"cron": cron, "expected": expected, "found": len(fields)},
        )
    if not croniter.is_valid(text, second_at_beginning=with_seconds):
        reason = _out_of_range(fields, with_seconds=with_seconds)
        raise PydanticCustomError(
            "invalid_cron",
            "invalid cron expression `{cron}`{reason}",
            {"cron": cron, "reason": f": {reason}" if reason else ""},
        )
    return text


#: Each cron field's name and the range of its numbers (names like MON or JAN are allowed).
_FIELDS = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 7),
)


def _out_of_range(fields: list[str], *, with_seconds: bool) -> str | None:
    """Which field holds a number outside its range ("hour `25` is not in 0-23"), if any."""
    named = ((("second", 0, 59),) if with_seconds else ()) + _FIELDS
    for (name, low, high), field in zip(named, fields, strict=False):
        for part in re.split(r"[,\-]", field.split("/", 1)[0]):
            if part.isdigit() and not low <= int(part) <= high:
                return f"{name} `{part}` is not in {low}-{high}"
    return None


def check_timezone(value: str | None) -> str | None:
    """Raise unless `value` is a known IANA time zone (``Europe/Paris``, ``UTC``)."""
    if value is not None:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise PydanticCustomError(
                "invalid_timezone", "unknown time zone `{zone}`", {"zone": value}
            ) from None
    return value


class Backfill(KestraModel):
    """Deprecated property: replay every schedule date from `start` to `end`."""

    start: str | None = None
    end: str | None = None
    inputs: dict[str, Any] | None = None
    labels: Any = None
    paused: bool | None = None


@plugin(
    "io.kestra.plugin.core.trigger.Schedule",
    category=Category.TRIGGER,
    aliases=("io.kestra.core.models.triggers.types.Schedule",),
)
class Schedule(Trigger):
    """Start an execution at every date matched by `cron` (Unix cron, in `timezone`)."""

    #: Unix cron expression (5 fields, 6 with `withSeconds`) or `@daily`, `@hourly`...
    cron: str
    #: Whether `cron` has a leading seconds field.
    with_seconds: bool = False
    #: IANA time zone of the schedule, e.g. `Europe/Paris` (default: the server's).
    timezone: str | None = None
    #: Skip schedule dates older than this when they are evaluated late (ISO-8601).
    late_maximum_delay: str | None = None
    #: What to do with dates missed while the scheduler was down: ALL, LAST or NONE.
    recover_missed_schedules: RecoverMissedSchedules | None = None
    backfill: Backfill | None = None
    schedule_conditions: list[AnyCondition] = Field(default_factory=list)
    interval: None = None

    @model_validator(mode="after")
    def _check(self) -> Schedule:
        try:
            cron_expression(self.cron, with_seconds=self.with_seconds)
        except PydanticCustomError as error:
            raise PydanticCustomError(error.type, error.message(), {"property": "cron"}) from None
        return self

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return check_timezone(value)

    @field_validator("late_maximum_delay")
    @classmethod
    def _delay(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value


@plugin("io.kestra.plugin.core.trigger.ScheduleOnDates", category=Category.TRIGGER)
class ScheduleOnDates(Trigger):
    """Start an execution at each of `dates` (ISO-8601 date-times, in `timezone`)."""

    #: The date-times to start executions at (ISO-8601 with offset).
    dates: list[str] = Field(min_length=1)
    timezone: str | None = None
    recover_missed_schedules: RecoverMissedSchedules | None = None
    interval: None = None

    @field_validator("dates")
    @classmethod
    def _dates(cls, values: list[str]) -> list[str]:
        for value in values:
            try:
                datetime.fromisoformat(value)
            except ValueError:
                raise PydanticCustomError(
                    "invalid_date",
                    "`{value}` is not an ISO-8601 date-time (e.g. 2025-01-31T08:00:00+01:00)",
                    {"value": value},
                ) from None
        return values

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return check_timezone(value)
