"""Date-based conditions; Schedule triggers can evaluate them for each schedule date."""

from __future__ import annotations

from enum import StrEnum

from tercel.model.condition import Condition
from tercel.model.registry import Category, plugin
from tercel.plugins.core.condition.names import condition_type, legacy_aliases

TRIGGER_DATE = "{{ trigger.date }}"


class DayOfWeek(StrEnum):
    """ISO day names, as Java's `DayOfWeek`."""

    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"


class DayInMonth(StrEnum):
    """Which occurrence of the weekday in its month."""

    FIRST = "FIRST"
    SECOND = "SECOND"
    THIRD = "THIRD"
    FOURTH = "FOURTH"
    LAST = "LAST"


class DateCondition(Condition):
    """A condition on `date` (rendered; default the trigger date)."""

    schedule_capable = True
    date: str = TRIGGER_DATE


@plugin(
    condition_type("DateTimeBetween"),
    category=Category.CONDITION,
    aliases=legacy_aliases("DateTimeBetween"),
)
class DateTimeBetween(DateCondition):
    """True when `date` is after `after` and before `before` (zoned date-times)."""

    after: str | None = None
    before: str | None = None


@plugin(
    condition_type("TimeBetween"),
    category=Category.CONDITION,
    aliases=legacy_aliases("TimeBetween"),
)
class TimeBetween(DateCondition):
    """True when the time of `date` is between `after` and `before` (offset times)."""

    after: str | None = None
    before: str | None = None


@plugin(condition_type("DayWeek"), category=Category.CONDITION, aliases=legacy_aliases("DayWeek"))
class DayWeek(DateCondition):
    """True when `date` falls on `dayOfWeek`."""

    day_of_week: DayOfWeek


@plugin(
    condition_type("DayWeekInMonth"),
    category=Category.CONDITION,
    aliases=legacy_aliases("DayWeekInMonth"),
)
class DayWeekInMonth(DateCondition):
    """True when `date` is the `dayInMonth` (first, ..., last) `dayOfWeek` of its month."""

    day_of_week: DayOfWeek
    day_in_month: DayInMonth


@plugin(condition_type("Weekend"), category=Category.CONDITION, aliases=legacy_aliases("Weekend"))
class Weekend(DateCondition):
    """True on Saturdays and Sundays."""


@plugin(
    condition_type("PublicHoliday"),
    category=Category.CONDITION,
    aliases=legacy_aliases("PublicHoliday"),
)
class PublicHoliday(DateCondition):
    """True on public holidays of `country` (and `subDivision`)."""

    country: str | None = None
    sub_division: str | None = None
