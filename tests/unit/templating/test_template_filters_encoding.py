"""JSON, YAML, Ion, jq, hashes, numbers: the values Kestra's filter tests expect."""

from __future__ import annotations

from typing import Any

import pytest

from tercel.errors import TemplateError
from tercel.templating import render

VARS = {
    "string": "string",
    "int": 1,
    "float": 1.123,
    "list": ["string", 1, 1.123],
    "bool": True,
    "map": {"string": "string", "int": 1, "float": 1.123},
}


def r(template: str, **context: Any) -> str:
    return render(template, context)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("string", '"string"'),
        ("int", "1"),
        ("float", "1.123"),
        ("list", '["string",1,1.123]'),
        ("bool", "true"),
    ],
)
def test_to_json(key: str, expected: str) -> None:
    assert r("{{ v[k] | toJson }}", v=VARS, k=key) == expected
    assert r("{{ v[k] | json }}", v=VARS, k=key) == expected


def test_to_json_of_null_and_empty_object() -> None:
    assert r("{{ null | toJson }}") == "null"
    assert r('{{ {"empty_object": {}} | toJson }}') == '{"empty_object":{}}'


def test_to_ion() -> None:
    assert r("{{ v.string | toIon }}", v=VARS) == '"string"'
    assert r("{{ v.list | toIon }}", v=VARS) == '["string",1,1.123e0]'
    assert r('{{ {"empty_object": {}} | toIon }}') == "{empty_object:{}}"
    assert r("{{ null | toIon }}") == "null"


def test_yaml_filter_matches_kestra_layout() -> None:
    assert r("{{ v.string | yaml }}", v=VARS) == "string\n"
    assert r("{{ v.int | yaml }}", v=VARS) == "1\n"
    assert r("{{ v.list | yaml }}", v=VARS) == " - string\n - 1\n - 1.123\n"
    assert r("{{ v.bool | yaml }}", v=VARS) == "true\n"
    assert "int: 1\n" in r("{{ v.map | yaml }}", v=VARS)


def test_jq_always_returns_a_list() -> None:
    assert r("{{ [1, 2, 3] | jq('.[0]') }}") == "[1]"
    assert r("{{ [1, 2, 3] | jq('.[0]') | first }}") == "1"
    assert r("{{ v | jq('.map') | first }}", v=VARS) == '{"string":"string","int":1,"float":1.123}'
    assert r("{{ v | jq('.list[]') }}", v=VARS) == '["string",1,1.123]'


def test_jq_parses_a_json_string_input() -> None:
    assert r("""{{ '{"a": {"b": 2}}' | jq('.a.b') | first }}""") == "2"


def test_jq_result_can_be_used_in_set() -> None:
    assert r("{% set o = v | jq('.map') %}{{ o[0].int }}", v=VARS) == "1"


def test_jq_with_a_loop_builtin_runs_out_of_process() -> None:
    assert r("{{ 1 | jq('[range(3)]') | first }}") == "[0,1,2]"


def test_invalid_jq_is_an_error() -> None:
    with pytest.raises(TemplateError, match="jq"):
        r("{{ 1 | jq('.[') }}")


@pytest.mark.parametrize(
    ("name", "digest"),
    [
        ("md5", "098f6bcd4621d373cade4e832627b4f6"),
        ("sha1", "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"),
        ("sha256", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
    ],
)
def test_hashes_of_test(name: str, digest: str) -> None:
    assert r("{{ 'test' | " + name + " }}") == digest


def test_sha512_length() -> None:
    assert len(r("{{ 'test' | sha512 }}")) == 128


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ('{{ "12.3" | number }}', "12.3"),
        ('{{ "2147483647" | number | className }}', "java.lang.Integer"),
        ('{{ "9223372036854775807" | number | className }}', "java.lang.Long"),
        ('{{ "9223372036854775807" | number("BIGDECIMAL") | className }}', "java.math.BigDecimal"),
        ('{{ "12" | number + 1 }}', "13"),
        ('{{ "0x1F" | number }}', "31"),
    ],
)
def test_number_filter(template: str, expected: str) -> None:
    assert r(template) == expected


def test_class_name() -> None:
    assert r("{{ 'x' | className }}{{ [1] | className }}") == "java.lang.Stringjava.util.ArrayList"


def test_abs() -> None:
    assert r("{{ -7 | abs }}{{ -1.5 | abs }}") == "71.5"


@pytest.mark.parametrize(
    ("value", "pattern", "expected"),
    [
        (3.141592653, "#.##", "3.14"),
        (1234.5, "#,##0.00", "1,234.50"),
        (0.5, "#%", "50%"),
        (1234567.891, None, "1,234,567.891"),
        (5, "000", "005"),
    ],
)
def test_numberformat_uses_java_decimal_format(
    value: float, pattern: str | None, expected: str
) -> None:
    if pattern is None:
        assert r("{{ v | numberformat }}", v=value) == expected
    else:
        assert r("{{ v | numberFormat(p) }}", v=value, p=pattern) == expected


def test_yaml_filter_quotes_with_double_quotes_when_needed() -> None:
    assert (
        r("{{ {'a': 'x: y', 'b': '123', 'c': 'plain'} | yaml }}")
        == 'a: "x: y"\nb: "123"\nc: plain\n'
    )
