"""Kestra's assertion operators on rendered values: each operator passes and fails."""

from __future__ import annotations

from typing import Any

import pytest

from tercel.errors import UndefinedVariableError
from tercel.flowtests.assertions import check, evaluate, failure_message
from tercel.flowtests.model import Assertion

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("operator", "expected", "passing", "failing"),
    [
        ("equalTo", 200, "200", "201"),
        ("equalTo", "hello Ada", "hello Ada", "hello Bob"),
        ("equalTo", True, True, "false"),
        ("notEqualTo", 404, 200, "404"),
        ("startsWith", "kestra:///", "kestra:///a/b.csv", "s3://a/b.csv"),
        ("endsWith", ".json", "rows.json", "rows.csv"),
        ("contains", "SUCCESS", "Result: SUCCESS", "Result: FAILED"),
        ("greaterThan", 10, 11, 10),
        ("greaterThanOrEqualTo", 5, "5", 4.9),
        ("lessThan", 100, "99.5", 100),
        ("lessThanOrEqualTo", 20, 20, "21"),
        ("in", [200, 201, 202], "201", 404),
        ("notIn", [404, 500], 200, "500"),
        ("isNull", True, None, "x"),
        ("isNull", False, "x", None),
        ("isNotNull", True, "x", None),
        ("isNotNull", "false", None, ""),
    ],
)
def test_each_operator_passes_and_fails(
    operator: str, expected: Any, passing: Any, failing: Any
) -> None:
    assert check(operator, expected, passing) is True
    assert check(operator, expected, failing) is False


def test_values_compare_by_their_printed_text_as_in_kestra() -> None:
    # Kestra renders `value` to text: a list prints as Java prints it.
    assert check("equalTo", "[BOWLER HAT, TRILBY HAT]", ["BOWLER HAT", "TRILBY HAT"])
    assert check("equalTo", 1.5, "1.5")
    assert not check("equalTo", "null", None)


def test_number_operators_refuse_values_that_are_not_numbers() -> None:
    with pytest.raises(ValueError, match="'abc' is not a number"):
        check("greaterThan", 1, "abc")
    with pytest.raises(ValueError, match="null"):
        check("lessThan", 1, None)


def _assertion(**fields: Any) -> Assertion:
    return Assertion.model_validate(fields)


def test_an_assertion_checks_every_operator_it_has() -> None:
    assertion = _assertion(value="{{ code }}", greaterThan=199, lessThan=300, notIn=[204])
    results, errors = evaluate(assertion, lambda value: 204 if value == "{{ code }}" else value)
    assert errors == []
    assert [(r.operator, r.is_success) for r in results] == [
        ("greaterThan", True),
        ("lessThan", True),
        ("notIn", False),
    ]
    assert results[2].error_message == "expected '{{ code }}' to be none of '[204]' but was '204'"


def test_older_kestra_spelling_equals_to_still_works() -> None:
    assertion = _assertion(value="x", equalsTo="x", notEqualsTo="y")
    assert [name for name, _ in assertion.operators()] == ["equalTo", "notEqualTo"]


def test_a_custom_error_message_replaces_the_default() -> None:
    assertion = _assertion(value="a", equalTo="b", errorMessage="wrong greeting")
    results, _ = evaluate(assertion, lambda value: value)
    assert results[0].error_message == "wrong greeting"


def test_an_undefined_variable_is_an_error_except_for_null_checks() -> None:
    def render(value: Any) -> Any:
        if value == "{{ outputs.missing }}":
            raise UndefinedVariableError("`outputs.missing` is not defined")
        return value

    results, errors = evaluate(_assertion(value="{{ outputs.missing }}", equalTo=1), render)
    assert results == []
    assert errors[0].message == "cannot evaluate `{{ outputs.missing }}`"
    results, errors = evaluate(_assertion(value="{{ outputs.missing }}", isNull=True), render)
    assert errors == []
    assert results[0].is_success


def test_failure_messages_name_the_expression_and_both_values() -> None:
    message = failure_message("startsWith", "{{ outputs.x.uri }}", "kestra://", "s3://b/k")
    assert message == "expected '{{ outputs.x.uri }}' to start with 'kestra://' but was 's3://b/k'"
    assert failure_message("isNotNull", "{{ a }}", True, None) == (
        "expected '{{ a }}' to be not null but was 'null'"
    )
