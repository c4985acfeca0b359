"""Kestra 1.x calendar and id functions, and the `isIn` operator."""

from __future__ import annotations

import re
import socket
from typing import Any

import pytest

from tercel.errors import TemplateError
from tercel.templating import render


def r(template: str, **context: Any) -> str:
    return render(template, context)


def test_day_month_hour() -> None:
    d = "2024-12-20T10:11:12Z"  # a Friday
    assert r(
        "{{ dayOfWeek(d) }} {{ dayOfMonth(d) }} {{ monthOfYear(d) }} {{ hourOfDay(d) }}", d=d
    ) == ("FRIDAY 20 12 10")


def test_is_weekend() -> None:
    assert r("{{ isWeekend('2024-12-21') }}{{ isWeekend('2024-12-20') }}") == "truefalse"


def test_is_day_week_in_month() -> None:
    assert r("{{ isDayWeekInMonth('2024-12-02', 'MONDAY', 'FIRST') }}") == "true"
    assert r("{{ isDayWeekInMonth('2024-12-30', 'MONDAY', 'LAST') }}") == "true"
    assert r("{{ isDayWeekInMonth('2024-12-09', 'MONDAY', 'FIRST') }}") == "false"


def test_is_last_working_day() -> None:
    assert r("{{ isLastWorkingDay('2024-11-29') }}") == "true"  # Friday; 30th is a Saturday
    assert r("{{ isLastWorkingDay('2024-11-28') }}") == "false"
    assert r("{{ isLastWorkingDay('2024-11-28', 'MONDAY,TUESDAY,WEDNESDAY,THURSDAY') }}") == "true"


def test_is_date_between_needs_offsets() -> None:
    template = "{{ isDateBetween(d, '2025-12-31T23:59:59Z', '2026-06-30T23:59:59+02:00') }}"
    assert r(template, d="2026-01-15T00:00:00Z") == "true"
    with pytest.raises(TemplateError, match="offset"):
        r(
            "{{ isDateBetween('2026-01-15T00:00:00', '2025-01-01T00:00:00Z', '2027-01-01T00:00:00Z') }}"
        )


def test_is_public_holiday_says_it_is_not_available() -> None:
    with pytest.raises(TemplateError, match="isPublicHoliday"):
        r("{{ isPublicHoliday('2024-12-25', 'US') }}")


def test_is_in_operator() -> None:
    assert r("{{ s isIn ['SUCCESS', 'KILLED'] }}", s="KILLED") == "true"


def test_ids() -> None:
    assert re.fullmatch(r"[0-9A-Za-z]{27}", r("{{ ksuid() }}"))
    assert len(r("{{ nanoId() }}")) == 21
    assert re.fullmatch(r"[ab]{10}", r("{{ nanoId(length=10, alphabet='ab') }}"))


def test_random_port_is_free() -> None:
    port = int(r("{{ randomPort() }}"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))
