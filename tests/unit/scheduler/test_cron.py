"""Cron dates in a time zone: 5 and 6 fields, nicknames, DST without double or missed fires."""

from __future__ import annotations

from datetime import UTC, datetime

from tercel.plugins.core.trigger.schedule import Schedule
from tercel.runtime.scheduler.cron import dates_between, next_date, previous_date

TYPE = "io.kestra.plugin.core.trigger.Schedule"


def schedule(cron: str, zone: str | None = "UTC", *, seconds: bool = False) -> Schedule:
    return Schedule(id="s", type=TYPE, cron=cron, timezone=zone, with_seconds=seconds)


def test_five_field_cron_next_date_is_strictly_after() -> None:
    trigger = schedule("*/15 * * * *")
    start = datetime(2025, 1, 1, 10, 15, tzinfo=UTC)
    assert next_date(trigger, start) == datetime(2025, 1, 1, 10, 30, tzinfo=UTC)


def test_six_field_cron_has_seconds() -> None:
    trigger = schedule("*/10 * * * * *", seconds=True)
    start = datetime(2025, 1, 1, 10, 0, 5, tzinfo=UTC)
    assert next_date(trigger, start) == datetime(2025, 1, 1, 10, 0, 10, tzinfo=UTC)


def test_nickname() -> None:
    trigger = schedule("@daily")
    start = datetime(2025, 1, 1, 10, 0, tzinfo=UTC)
    assert next_date(trigger, start) == datetime(2025, 1, 2, tzinfo=UTC)


def test_dates_are_in_the_trigger_time_zone() -> None:
    trigger = schedule("0 9 * * *", "America/New_York")
    found = next_date(trigger, datetime(2025, 7, 1, 12, tzinfo=UTC))
    assert found.isoformat() == "2025-07-01T09:00:00-04:00"


def test_spring_forward_fires_the_skipped_time_once_after_the_gap() -> None:
    trigger = schedule("30 2 * * *", "Europe/Paris")
    found = dates_between(
        trigger, datetime(2025, 3, 29, 12, tzinfo=UTC), datetime(2025, 3, 31, 12, tzinfo=UTC)
    )
    assert [d.isoformat() for d in found] == [
        "2025-03-30T03:30:00+02:00",
        "2025-03-31T02:30:00+02:00",
    ]


def test_hourly_across_spring_forward_has_no_duplicate() -> None:
    trigger = schedule("0 * * * *", "Europe/Paris")
    found = dates_between(
        trigger, datetime(2025, 3, 29, 23, tzinfo=UTC), datetime(2025, 3, 30, 3, tzinfo=UTC)
    )
    instants = [d.astimezone(UTC) for d in found]
    assert len(instants) == len(set(instants))
    assert [d.strftime("%H:%M%z") for d in found] == [
        "01:00+0100",
        "03:00+0200",
        "04:00+0200",
        "05:00+0200",
    ]


def test_fall_back_fires_a_repeated_time_once() -> None:
    trigger = schedule("30 2 * * *", "Europe/Paris")
    found = dates_between(
        trigger, datetime(2025, 10, 25, 12, tzinfo=UTC), datetime(2025, 10, 27, 12, tzinfo=UTC)
    )
    assert [d.isoformat() for d in found] == [
        "2025-10-26T02:30:00+02:00",
        "2025-10-27T02:30:00+01:00",
    ]


def test_previous_date() -> None:
    trigger = schedule("0 * * * *")
    found = previous_date(trigger, datetime(2025, 1, 1, 10, 30, tzinfo=UTC))
    assert found == datetime(2025, 1, 1, 10, tzinfo=UTC)
