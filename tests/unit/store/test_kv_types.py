"""KV keys and types as Kestra defines them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tercel.errors import InputError, InvalidNameError
from tercel.store.kvtypes import coerce, validate_key


@pytest.mark.parametrize("key", ["a", "my_key", "A.b-c_1", "0start"])
def test_valid_keys_are_accepted(key: str) -> None:
    assert validate_key(key) == key


@pytest.mark.parametrize("key", ["", "-a", ".a", "a b", "a/b", "é"])
def test_invalid_keys_are_refused(key: str) -> None:
    with pytest.raises(InvalidNameError):
        validate_key(key)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("text", ("text", "STRING")),
        (42, (42, "NUMBER")),
        (1.5, (1.5, "NUMBER")),
        (True, (True, "BOOLEAN")),
        ({"a": [1]}, ({"a": [1]}, "JSON")),
        ([1, 2], ([1, 2], "JSON")),
        (datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), ("2024-01-02T03:04:05Z", "DATETIME")),
        (date(2024, 1, 2), ("2024-01-02", "DATE")),
        (timedelta(minutes=2), ("PT2M", "DURATION")),
    ],
)
def test_types_are_deduced_from_values(value: object, expected: tuple[object, str]) -> None:
    assert coerce(value, None) == expected


@pytest.mark.parametrize(
    ("value", "kv_type", "expected"),
    [
        ("42", "NUMBER", 42),
        ("4.5", "number", 4.5),
        ("TRUE", "BOOLEAN", True),
        ('{"a": 1}', "JSON", {"a": 1}),
        ("2024-01-02", "DATE", "2024-01-02"),
        ("PT5M", "DURATION", "PT5M"),
        (12, "STRING", "12"),
    ],
)
def test_a_forced_type_parses_the_value(value: object, kv_type: str, expected: object) -> None:
    assert coerce(value, kv_type)[0] == expected


@pytest.mark.parametrize(
    ("value", "kv_type"),
    [("abc", "NUMBER"), ("yes", "BOOLEAN"), ("{", "JSON"), ("5 min", "DURATION"), ("x", "NOPE")],
)
def test_values_that_do_not_parse_are_refused(value: object, kv_type: str) -> None:
    with pytest.raises(InputError):
        coerce(value, kv_type)
