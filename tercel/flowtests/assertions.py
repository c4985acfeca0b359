"""Kestra's assertion operators on a rendered expression.

`value` is rendered once; each operator's expected value is rendered too (it may be a
template). Values compare as Kestra compares them, by their printed text (``equalTo: 200``
matches ``{{ outputs.http.code }}`` whether the code is the number or the text ``200``), and
the number operators read both sides as numbers. An expression that cannot be rendered, or a
number operator on a value that is not a number, is an error of the test case (state ERROR),
not a failed assertion; a variable that does not exist reads as null for `isNull` and
`isNotNull` only (Kestra reports an error there too).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tercel.errors import TercelError, UndefinedVariableError
from tercel.flowtests.model import Assertion
from tercel.templating.output import to_text

#: Renders a value (templates inside strings, lists and maps) to its typed result.
Render = Callable[[Any], Any]
NUMBER_OPERATORS = frozenset(
    {"greaterThan", "greaterThanOrEqualTo", "lessThan", "lessThanOrEqualTo"}
)
NULL_OPERATORS = frozenset({"isNull", "isNotNull"})


@dataclass(frozen=True, slots=True)
class AssertionResult:
    """One operator checked: Kestra's `AssertionResult` (`to_wire`)."""

    operator: str
    expected: Any
    actual: Any
    is_success: bool
    #: The assertion's `value` as written (what a report shows as the expression).
    expression: str
    task_id: str | None = None
    description: str | None = None
    error_message: str | None = None

    def to_wire(self) -> dict[str, Any]:
        """Kestra's JSON shape of an assertion result."""
        return {
            "operator": self.operator,
            "expected": self.expected,
            "actual": self.actual,
            "isSuccess": self.is_success,
            "taskId": self.task_id,
            "description": self.description,
            "errorMessage": self.error_message,
        }


@dataclass(frozen=True, slots=True)
class AssertionRunError:
    """An assertion (or the case itself) that could not be evaluated."""

    message: str
    details: str | None = None

    def to_wire(self) -> dict[str, Any]:
        """Kestra's JSON shape of a run error."""
        return {"message": self.message, "details": self.details}


class _Missing:
    """The value of an expression naming a variable that does not exist."""


MISSING = _Missing()


def expression_text(value: Any) -> str:
    """How an assertion's `value` is shown: as written."""
    return value if isinstance(value, str) else to_text(value)


def evaluate(
    assertion: Assertion, render: Render
) -> tuple[list[AssertionResult], list[AssertionRunError]]:
    """Check every operator of `assertion`; results, or errors when it cannot be evaluated."""
    expression = expression_text(assertion.value)
    operators = assertion.operators()
    try:
        actual: Any = render(assertion.value)
    except UndefinedVariableError as error:
        if not {name for name, _ in operators} <= NULL_OPERATORS:
            return [], [_cannot_evaluate(expression, error)]
        actual = MISSING
    except TercelError as error:
        return [], [_cannot_evaluate(expression, error)]
    try:
        error_message = _optional_text(render, assertion.error_message)
        description = _optional_text(render, assertion.description)
    except TercelError as error:
        return [], [_cannot_evaluate(expression, error)]
    shown = None if actual is MISSING else actual
    results: list[AssertionResult] = []
    for operator, raw in operators:
        try:
            expected = render(raw)
            success = check(operator, expected, shown)
        except TercelError as error:
            return results, [_cannot_evaluate(expression, error)]
        except ValueError as error:
            return results, [AssertionRunError(f"cannot evaluate `{expression}`", str(error))]
        results.append(
            AssertionResult(
                operator=operator,
                expected=operator if operator in NULL_OPERATORS else expected,
                actual=shown,
                is_success=success,
                expression=expression,
                task_id=assertion.task_id,
                description=description,
                error_message=None
                if success
                else error_message or failure_message(operator, expression, expected, shown),
            )
        )
    return results, []


def check(operator: str, expected: Any, actual: Any) -> bool:
    """Whether `actual` passes `operator` with `expected` (ValueError: not comparable)."""
    if operator in NULL_OPERATORS:
        wanted = _boolean(expected, operator)
        is_null = actual is None
        return is_null == wanted if operator == "isNull" else (not is_null) == wanted
    if operator == "equalTo":
        return same(expected, actual)
    if operator == "notEqualTo":
        return not same(expected, actual)
    if operator == "startsWith":
        return _text(actual).startswith(_text(expected))
    if operator == "endsWith":
        return _text(actual).endswith(_text(expected))
    if operator == "contains":
        return _text(expected) in _text(actual)
    if operator in NUMBER_OPERATORS:
        left, right = _number(actual), _number(expected)
        return {
            "greaterThan": left > right,
            "greaterThanOrEqualTo": left >= right,
            "lessThan": left < right,
            "lessThanOrEqualTo": left <= right,
        }[operator]
    if operator in ("in", "notIn"):
        items = expected if isinstance(expected, list) else [expected]
        found = any(same(item, actual) for item in items)
        return found if operator == "in" else not found
    raise ValueError(f"unknown operator `{operator}`")


def same(expected: Any, actual: Any) -> bool:
    """Kestra's equality of rendered values: equal, or printed the same."""
    if actual is None or expected is None:
        return actual is expected
    if type(expected) is type(actual) and expected == actual:
        return True
    return _text(expected) == _text(actual)


def failure_message(operator: str, expression: str, expected: Any, actual: Any) -> str:
    """Why an operator failed, in the form Kestra reports."""
    shown = "null" if actual is None else _text(actual)
    verbs = {
        "equalTo": "to equal",
        "notEqualTo": "to not equal",
        "startsWith": "to start with",
        "endsWith": "to end with",
        "contains": "to contain",
        "greaterThan": "to be greater than",
        "greaterThanOrEqualTo": "to be greater than or equal to",
        "lessThan": "to be less than",
        "lessThanOrEqualTo": "to be less than or equal to",
        "in": "to be one of",
        "notIn": "to be none of",
    }
    if operator in NULL_OPERATORS:
        null = (operator == "isNull") == _boolean(expected, operator)
        return f"expected '{expression}' to be {'null' if null else 'not null'} but was '{shown}'"
    return f"expected '{expression}' {verbs[operator]} '{_text(expected)}' but was '{shown}'"


def _text(value: Any) -> str:
    if isinstance(value, list):
        # Lists print as Java prints them (Kestra's expected lists are `List<String>`).
        return "[" + ", ".join(_text(item) for item in value) + "]"
    return to_text(value)


def _number(value: Any) -> float:
    if isinstance(value, bool) or value is None:
        raise ValueError(f"'{_text(value) if value is not None else 'null'}' is not a number")
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(_text(value).strip())
    except ValueError:
        raise ValueError(f"'{_text(value)}' is not a number") from None


def _boolean(value: Any, operator: str) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).strip().lower()
    if text in ("true", "false"):
        return text == "true"
    raise ValueError(f"`{operator}` takes true or false, not '{_text(value)}'")


def _optional_text(render: Render, value: str | None) -> str | None:
    return None if value is None else _text(render(value))


def _cannot_evaluate(expression: str, error: Exception) -> AssertionRunError:
    return AssertionRunError(f"cannot evaluate `{expression}`", str(error))


def wire_value(value: Any) -> Any:
    """A rendered value as JSON can hold it (dates and other objects as their text)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, Mapping):
        return {str(k): wire_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [wire_value(item) for item in value]
    return to_text(value)
