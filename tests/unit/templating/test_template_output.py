"""What a rendered value prints as: Kestra's writer, not Python's repr."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tercel.templating import render
from tercel.templating.output import java_double


def r(template: str, **context: Any) -> str:
    return render(template, context)


def test_booleans_print_lower_case() -> None:
    assert r("{{ a }} {{ b }}", a=True, b=False) == "true false"


def test_null_prints_as_nothing() -> None:
    assert r("[{{ a }}]", a=None) == "[]"


def test_maps_and_lists_print_as_compact_json() -> None:
    assert r("{{ m }}", m={"value": "x", "n": [1, None, True]}) == '{"value":"x","n":[1,null,true]}'


def test_json_keeps_non_ascii_characters() -> None:
    assert r("{{ m }}", m={"k": "été"}) == '{"k":"été"}'


def test_json_does_not_escape_html_characters() -> None:
    assert r("{{ m }}", m={"k": "<a>&"}) == '{"k":"<a>&"}'


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "1.0"),
        (2.5, "2.5"),
        (1e7, "1.0E7"),
        (1.5e-4, "1.5E-4"),
        (1e20, "1.0E20"),
        (-0.001, "-0.001"),
        (float("nan"), "NaN"),
        (float("inf"), "Infinity"),
    ],
)
def test_floats_print_like_java_doubles(value: float, text: str) -> None:
    assert java_double(value) == text


def test_utc_datetime_prints_as_an_iso_instant_with_milliseconds() -> None:
    moment = datetime(2024, 12, 20, 10, 11, 12, 123000, tzinfo=UTC)
    assert r("{{ d }}", d=moment) == "2024-12-20T10:11:12.123Z"


def test_offset_datetime_prints_its_offset() -> None:
    moment = datetime(2024, 12, 20, 10, 11, 12, tzinfo=timezone(timedelta(hours=2)))
    assert r("{{ d }}", d=moment) == "2024-12-20T10:11:12+02:00"


def test_zoned_datetime_prints_like_java_zoned_date_time() -> None:
    moment = datetime(2013, 9, 8, 16, 19, tzinfo=ZoneInfo("Europe/Paris"))
    assert r("{{ d }}", d=moment) == "2013-09-08T16:19+02:00[Europe/Paris]"


def test_zoned_datetime_inside_json_is_iso_offset() -> None:
    moment = datetime(2013, 9, 8, 16, 19, tzinfo=ZoneInfo("Europe/Paris"))
    assert r("{{ m }}", m={"d": moment}) == '{"d":"2013-09-08T16:19:00+02:00"}'


def test_date_prints_iso() -> None:
    assert r("{{ d }}", d=date(2024, 1, 2)) == "2024-01-02"


def test_datetimes_inside_maps_print_as_iso_strings() -> None:
    moment = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert r("{{ m }}", m={"at": moment}) == '{"at":"2024-01-02T03:04:05Z"}'


def test_floats_inside_json_are_spelled_like_java() -> None:
    data = {"big": 1e20, "mid": 12345678.9, "small": 1.5e-5, "plain": 2.5, "text": "1e+20"}
    assert r("{{ m }}", m=data) == (
        '{"big":1.0E20,"mid":1.23456789E7,"small":1.5E-5,"plain":2.5,"text":"1e+20"}'
    )
