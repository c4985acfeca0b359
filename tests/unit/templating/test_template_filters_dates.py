"""Date filters, with the values of Kestra's DateFilterTest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from tercel.errors import TemplateError
from tercel.templating import render

# Kestra's test instant: 2013-09-08T16:19:12.123456+01:00
NOW = datetime(2013, 9, 8, 16, 19, 12, 123456, tzinfo=timezone(timedelta(hours=1)))


def r(template: str, **context: Any) -> str:
    return render(template, context)


def test_date_formats_in_a_time_zone() -> None:
    assert r("{{ d | date(format='iso', timeZone='Europe/Paris') }}", d=NOW) == (
        "2013-09-08T17:19:12.123456+02:00"
    )
    assert r("{{ d | date(format='iso_sec', timeZone='Europe/Paris') }}", d=NOW) == (
        "2013-09-08T17:19:12+02:00"
    )


def test_date_of_a_local_date_time_uses_the_given_zone() -> None:
    local = NOW.replace(tzinfo=None)
    template = "{{ d | date(format='yyyy-MM-dd HH:mm:ss.SSSSSSXXX', timeZone=tz) }}"
    assert r(template, d=local, tz="Europe/Paris") == "2013-09-08 16:19:12.123456+02:00"
    assert r(template, d=local, tz="UTC") == "2013-09-08 16:19:12.123456Z"


def test_date_parses_strings_like_kestra() -> None:
    assert r('{{ "July 24, 2001" | date("yyyy-MM-dd", existingFormat="MMMM dd, yyyy") }}') == (
        "2001-07-24"
    )
    assert r('{{ "2013-09-08T17:19:12+02:00" | date(timeZone="Europe/Paris") }}') == (
        "2013-09-08T17:19:12.000000+02:00"
    )
    assert r('{{ "2013-09-08T17:19:12" | date(timeZone="Europe/Paris") }}') == (
        "2013-09-08T17:19:12.000000+02:00"
    )
    assert r('{{ "2013-09-08" | date(timeZone="Europe/Paris") }}') == (
        "2013-09-08T00:00:00.000000+02:00"
    )


def test_date_parses_rfc_1123() -> None:
    template = (
        "{{ 'Tue, 08 Feb 2022 19:38:26 GMT' | date(existingFormat='rfc_1123_date_time', "
        "timeZone='Europe/Paris') }}"
    )
    assert r(template) == "2022-02-08T20:38:26.000000+01:00"


def test_date_with_a_java_pattern() -> None:
    assert r("{{ d | date(\"yyyy-MM-dd'T'HH:mm\", timeZone='UTC') }}", d=NOW) == "2013-09-08T15:19"


def test_date_of_epoch_seconds() -> None:
    assert r("{{ 0 | date('yyyy-MM-dd HH:mm', timeZone='UTC') }}") == "1970-01-01 00:00"


def test_date_of_null_is_null() -> None:
    assert r("[{{ null | date('yyyy') }}]") == "[]"


def test_date_with_an_unknown_zone_is_an_error() -> None:
    with pytest.raises(TemplateError, match="Nowhere/City"):
        r("{{ d | date(timeZone='Nowhere/City') }}", d=NOW)


def test_timestamps_match_kestra() -> None:
    assert r("{{ d | timestamp(timeZone='Europe/Paris') }}", d=NOW) == "1378653552"
    assert r("{{ d | timestampNano(timeZone='Europe/Paris') }}", d=NOW) == "1378653552123456000"
    assert r("{{ d | timestampMicro(timeZone='Europe/Paris') }}", d=NOW) == "1378653552000123456"
    assert r("{{ d | timestampMilli }}", d=NOW) == "1378653552123"


def test_timestamps_compare_as_numbers() -> None:
    assert r("{{ (d | timestamp) > (d | dateAdd(-1, 'DAYS') | timestamp) }}", d=NOW) == "true"


def test_date_add_matches_kestra() -> None:
    assert r('{{ d | dateAdd(-1, "DAYS", timeZone="Europe/Paris") }}', d=NOW) == (
        "2013-09-07T17:19:12.123456+02:00"
    )


def test_date_add_months_clamps_to_the_end_of_the_month() -> None:
    assert r("{{ '2024-01-31' | dateAdd(1, 'MONTHS', format='yyyy-MM-dd') }}") == "2024-02-29"


def test_date_add_hours_and_unknown_unit() -> None:
    assert r("{{ '2024-01-01T23:00:00Z' | dateAdd(2, 'HOURS', format='iso_sec') }}") == (
        "2024-01-02T01:00:00Z"
    )
    with pytest.raises(TemplateError, match="FORTNIGHTS"):
        r("{{ '2024-01-01' | dateAdd(1, 'FORTNIGHTS') }}")


def test_now_uses_the_date_formats() -> None:
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    assert r("{{ now(format='iso_local_date', timeZone='UTC') }}") in {
        today,
        (datetime.now(UTC) + timedelta(seconds=1)).strftime("%Y-%m-%d"),
    }
    assert r("{{ now() | dateAdd(-1, 'DAYS') | date('yyyy') }}").isdigit()
