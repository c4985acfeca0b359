"""Pebble's operators and the helpers the compiled templates call (see `syntax`).

`PebbleOperators` is mixed into `PebbleEnvironment`: arithmetic with Java's integer
semantics and size limits, lazy ``??``/``???``/``is defined``/``default``, ``contains``,
``..`` ranges, ``~`` and the loop budget.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from jinja2 import Undefined
from jinja2.exceptions import UndefinedError
from jinja2.runtime import Context

from tercel.errors import TemplateError, TemplateSecurityError
from tercel.templating import limits
from tercel.templating.output import to_text


def _java_truncating_div(left: int, right: int) -> int:
    if right == 0:
        raise TemplateError("/ by zero")
    quotient = abs(left) // abs(right)
    return quotient if (left >= 0) == (right >= 0) else -quotient


def is_int(value: Any) -> bool:
    """An integer that is not a boolean."""
    return isinstance(value, int) and not isinstance(value, bool)


class MapEntry(tuple[Any, Any]):
    """One entry of a map in ``{% for entry in map %}``: ``entry.key``, ``entry.value``."""

    __slots__ = ()

    @property
    def key(self) -> Any:
        """The entry's key."""
        return self[0]

    @property
    def value(self) -> Any:
        """The entry's value."""
        return self[1]


class PebbleOperators:
    """Operator semantics and compiled-template helpers (a mixin of `PebbleEnvironment`)."""

    undefined: type[Undefined]
    binop_table: dict[str, Callable[[Any, Any], Any]]

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """Arithmetic with Pebble's integer semantics and size limits."""
        both_int = is_int(left) and is_int(right)
        if operator == "/":
            if both_int:
                return _java_truncating_div(left, right)
            return _float_div(left, right)
        if operator == "%":
            if both_int:
                if right == 0:
                    raise TemplateError("/ by zero")
                return left - right * _java_truncating_div(left, right)
            if isinstance(left, str):
                raise TemplateError(
                    "`%` is the remainder of two numbers: strings cannot be formatted"
                )
            try:
                return math.fmod(left, right)
            except (TypeError, ValueError) as error:
                raise TemplateError(f"`%` needs two numbers: {error}") from None
        if operator == "*":
            if isinstance(left, (str, list, tuple)) and is_int(right):
                _check_repeat(left, right)
            elif isinstance(right, (str, list, tuple)) and is_int(left):
                _check_repeat(right, left)
        elif operator == "**":
            if is_int(right) and abs(right) > limits.MAX_EXPONENT:
                raise TemplateSecurityError(f"exponent {right} is too large")
            if is_int(left) and is_int(right) and left.bit_length() * right > limits.MAX_INT_BITS:
                raise TemplateSecurityError("the result of ** would be too large")
        elif operator == "+" and isinstance(left, (str, list, tuple)):
            limits.check_result_size(left, right)
        elif operator == "//" and both_int and right == 0:
            raise TemplateError("/ by zero")
        result = self.binop_table[operator](left, right)
        if is_int(result) and result.bit_length() > limits.MAX_INT_BITS:
            raise TemplateSecurityError(f"the result of {operator} is too large a number")
        return result

    # -- helpers the code generator calls (see `syntax`) -------------------------------------

    def pebble_coalesce(self, left: Callable[[], Any], right: Callable[[], Any]) -> Any:
        """``a ?? b``: `b` when `a` is null or undefined (a missing key anywhere in `a`)."""
        try:
            value = left()
        except UndefinedError:
            return right()
        if value is None or isinstance(value, Undefined):
            return right()
        return value

    def pebble_undefined_coalesce(self, left: Callable[[], Any], right: Callable[[], Any]) -> Any:
        """``a ??? b``: `b` only when `a` is undefined; a null `a` stays null."""
        try:
            value = left()
        except UndefinedError:
            return right()
        if isinstance(value, Undefined):
            return right()
        return value

    def pebble_test_defined(self, value: Callable[[], Any]) -> bool:
        """``a.b is defined``: false when any part is missing or the value is null (Pebble)."""
        try:
            result = value()
        except UndefinedError:
            return False
        return result is not None and not isinstance(result, Undefined)

    def pebble_default(self, value: Callable[[], Any], *defaults: Any) -> Any:
        """``x | default(y)``: like Pebble, a missing `x` counts as empty rather than failing."""
        from tercel.templating.predicates import is_empty

        try:
            result = value()
        except UndefinedError:
            result = None
        if isinstance(result, Undefined) or is_empty(result):
            return defaults[0] if defaults else None
        return result

    def pebble_iterate(self, iterable: Any) -> Iterable[Any]:
        """What ``{% for %}`` walks: every step counts against the render's budget."""
        from tercel.templating import state

        if isinstance(iterable, Undefined):
            iterable._fail_with_undefined_error()
        if iterable is None:
            return iter(())
        if isinstance(iterable, Mapping):
            # Pebble iterates a map's entries: `entry.key`, `entry.value` (or `k, v` unpacked).
            iterable = [MapEntry(item) for item in iterable.items()]
        budget = state.current().budget
        if budget is None:
            return iterable  # type: ignore[no-any-return]
        return _Counted(iterable, budget)

    def pebble_undefined_name(self, name: str) -> Undefined:
        """A name Jinja reserves (``self``) that templates must not reach."""
        return self.undefined(name=name)

    def pebble_truth(self, value: Any, where: str) -> bool:
        """A condition as Pebble reads it: booleans; numbers ≠ 0; non-empty strings.

        Null is an error (strict variables) except in a ternary (`where` empty), where it
        is false; lists and maps are errors, as in Pebble.
        """
        if value is True or value is False:
            return value
        if isinstance(value, Undefined):
            value._fail_with_undefined_error()
        if isinstance(value, str):
            return value != ""
        if isinstance(value, (int, float)):
            return not math.isnan(value) and value != 0
        if value is None:
            if not where:
                return False
            raise TemplateError(f"null value given to {where} and strict variables is set to true")
        if not where:
            raise TemplateError(
                f"Unsupported value type {type(value).__name__} in a condition "
                "(expected a boolean, a number or a string)"
            )
        raise TemplateError(
            f"Unsupported value type {type(value).__name__} in {where} "
            "(expected a boolean, a number or a string)"
        )

    def pebble_contains(self, container: Any, item: Any) -> bool:
        """``a contains b``: element of a list, key of a map, substring; all of a list."""
        from tercel.templating.predicates import contains

        return contains(container, item)

    def pebble_range(self, start: Any, end: Any) -> list[int]:
        """``1..3`` → ``[1, 2, 3]`` (inclusive, as Pebble)."""
        from tercel.templating.functions import pebble_range

        return pebble_range(start, end)

    def pebble_concat(self, left: Any, right: Any) -> str:
        """``a ~ b``: values printed as Kestra prints them (null → nothing)."""
        text = to_text(left) + to_text(right)
        limits.check_length(len(text))
        return text


class _Counted:
    """An iterable whose steps count against a render budget; keeps `len()` when it can."""

    __slots__ = ("_budget", "_source")

    def __init__(self, source: Any, budget: Any) -> None:
        self._source = source
        self._budget = budget

    def __len__(self) -> int:
        return len(self._source)

    def __iter__(self) -> Iterator[Any]:
        spent = 0
        for item in self._source:
            spent += 1
            if spent == 1000:
                self._budget.spend(spent)
                spent = 0
            yield item
        self._budget.spend(spent)


def _float_div(left: Any, right: Any) -> float:
    try:
        return float(left / right)
    except ZeroDivisionError:
        if left == 0 or math.isnan(left):
            return math.nan
        return math.inf if left > 0 else -math.inf


def _check_repeat(value: Any, times: int) -> None:
    size = len(value) * max(times, 0)
    if isinstance(value, str):
        limits.check_length(size)
    else:
        limits.check_size(size, "list")
