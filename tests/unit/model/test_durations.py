"""One duration grammar everywhere: what Kestra's `Duration.parse` reads, plus ISO weeks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tercel.model.durations import format_duration, is_duration, parse_duration
from tercel.store.kvtypes import coerce


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT30S", timedelta(seconds=30)),
        ("PT0.1S", timedelta(milliseconds=100)),
        ("PT0,1S", timedelta(milliseconds=100)),
        ("pt1h30m", timedelta(hours=1, minutes=30)),
        ("P1W", timedelta(weeks=1)),
        ("P2W3DT4H", timedelta(weeks=2, days=3, hours=4)),
        ("P1D", timedelta(days=1)),
        ("-PT5M", -timedelta(minutes=5)),
        ("PT-5M", -timedelta(minutes=5)),
        ("P1DT-1H", timedelta(hours=23)),
        ("PT-0.5S", -timedelta(milliseconds=500)),
        ("PT1.123456789S", timedelta(seconds=1, microseconds=123456)),
        ("30", timedelta(seconds=30)),
        ("1.5", timedelta(seconds=1.5)),
        ("  PT1S  ", timedelta(seconds=1)),
    ],
)
def test_kestra_durations_parse(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected
    assert is_duration(text)


@pytest.mark.parametrize(
    "text", ["", "P", "PT", "P1DT", "5s", "PT1.5H", "P1Y", "P1M", "PT1.1234567891S", "1h"]
)
def test_non_durations_are_value_errors_with_an_example(text: str) -> None:
    with pytest.raises(ValueError, match="is not an ISO-8601 duration"):
        parse_duration(text)
    assert not is_duration(text)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(0), "PT0S"),
        (timedelta(seconds=1.5), "PT1.5S"),
        (timedelta(days=2), "PT48H"),
        (timedelta(hours=1, minutes=30), "PT1H30M"),
        (-timedelta(minutes=90), "PT-1H-30M"),
        (-timedelta(milliseconds=500), "PT-0.5S"),
    ],
)
def test_durations_are_written_as_java_writes_them(delta: timedelta, text: str) -> None:
    assert format_duration(delta) == text
    assert parse_duration(text) == delta


def test_a_kv_duration_accepts_the_same_grammar() -> None:
    assert coerce("PT0,5S", "DURATION") == ("PT0.5S", "DURATION")
    assert coerce("P1W", "DURATION") == ("PT168H", "DURATION")
