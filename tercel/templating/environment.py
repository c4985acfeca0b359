"""`PebbleEnvironment`: Jinja2's immutable sandbox, strict, speaking Pebble.

What a template can reach is deliberately small: the render context (plain dicts, lists,
strings, numbers, dates), the registered functions, filters and tests, and a few Java-like
methods on strings and lists. No Python attribute or method is reachable, so the classic
``''.__class__.__mro__`` or ``'{0.__class__}'.format(x)`` escapes have nothing to hold on to.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime, time
from typing import Any, ClassVar

from jinja2 import StrictUndefined, Undefined, nodes, pass_context
from jinja2.exceptions import UndefinedError
from jinja2.lexer import Lexer
from jinja2.runtime import Context, LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import missing

from tercel.errors import TemplateError, TemplateSecurityError
from tercel.templating import limits, syntax
from tercel.templating.output import finalize, to_text


class MissingVariableError(UndefinedError):
    """Jinja's undefined error, carrying the name Kestra's message shows."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


class KestraUndefined(StrictUndefined):
    """Strict undefined whose error names the missing variable or key."""

    __slots__ = ()

    def _fail_with_undefined_error(self, *args: Any, **kwargs: Any) -> Any:
        if self._undefined_exception is not UndefinedError or self._undefined_hint:
            # Sandbox refusals and explicit hints keep their own message and type.
            raise self._undefined_exception(self._undefined_message)
        name = str(self._undefined_name) if self._undefined_name is not None else "?"
        raise MissingVariableError(name, self._undefined_message)


# Jinja binds its dunder methods to the base implementation at class creation; rebind them
# so every failing operation (print, iterate, compare, call...) raises the named error.
for _name in dir(StrictUndefined):
    if getattr(StrictUndefined, _name, None) is StrictUndefined._fail_with_undefined_error:
        setattr(KestraUndefined, _name, KestraUndefined._fail_with_undefined_error)


class PebbleLoop(LoopContext):
    """Pebble's loop variable: ``loop.index`` and ``loop.revindex`` count from 0."""

    @property
    def index(self) -> int:
        """0-based position, as in Pebble."""
        return self.index0

    @property
    def revindex(self) -> int:
        """0-based position from the end, as in Pebble."""
        # Not `revindex0`: Jinja computes it from `index`, which is 0-based here.
        return self.length - self.index0 - 1

    @property
    def length(self) -> int:
        """Number of items (Jinja's own version counts from `index`, 0-based here)."""
        if self._length is None:
            try:
                self._length = len(self._iterable)  # type: ignore[arg-type]
            except TypeError:
                remaining = list(self._iterator)
                self._iterator = self._to_iterator(remaining)
                self._length = len(remaining) + self.index0 + 1 + (self._after is not missing)
        return self._length


class PebbleContext(Context):
    """A render context that reads the caller's variables in place (no copy per render).

    Jinja copies every global (our ~40 functions) into each new context; here the
    variables mapping is used as-is and functions are looked up in the environment's
    globals only when a name is not a variable.
    """

    def __init__(
        self,
        environment: Any,
        parent: dict[str, Any],
        name: str | None,
        blocks: dict[str, Callable[[Context], Iterator[str]]],
        globals: Any = None,  # noqa: A002 - Jinja's parameter name
    ) -> None:
        super().__init__(environment, parent, name, blocks, None)
        self._functions: Mapping[str, Any] = environment.globals

    def resolve_or_missing(self, key: str) -> Any:
        """A variable (set in the template, then given by the caller), else a function."""
        if key in self.vars:
            return self.vars[key]
        if key in self.parent:
            return self.parent[key]
        return self._functions.get(key, missing)


def _java_truncating_div(left: int, right: int) -> int:
    if right == 0:
        raise TemplateError("/ by zero")
    quotient = abs(left) // abs(right)
    return quotient if (left >= 0) == (right >= 0) else -quotient


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class PebbleEnvironment(ImmutableSandboxedEnvironment):
    """The one template environment of Tercel (create it with `build_environment`)."""

    code_generator_class = syntax.PebbleCodeGenerator
    context_class = PebbleContext
    loop_context_class: ClassVar[type[LoopContext]] = PebbleLoop
    intercepted_binops = frozenset({"+", "*", "/", "//", "%", "**"})

    #: Java-like methods reachable on plain values, e.g. ``inputs.name.toUpperCase()``.
    methods: dict[type, dict[str, Callable[..., Any]]] = {}  # noqa: RUF012 - set per instance

    def __init__(self) -> None:
        super().__init__(
            undefined=KestraUndefined,
            autoescape=False,
            finalize=finalize,
            keep_trailing_newline=True,
            auto_reload=False,
            cache_size=0,
        )
        self.globals.clear()
        self.filters.clear()
        self.tests.clear()
        self._lexer = syntax.PebbleLexer(self)

    # -- parsing ------------------------------------------------------------------------

    @property
    def lexer(self) -> Lexer:
        """Pebble's lexer (Jinja's, with the extra operators)."""
        return self._lexer

    def preprocess(self, source: str, name: str | None = None, filename: str | None = None) -> str:
        """Pebble-only tag spellings, then Jinja's own preprocessing."""
        return super().preprocess(syntax.preprocess(source), name, filename)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        return syntax.PebbleParser(self, source, name, filename).parse()

    def parse_expression(self, source: str) -> nodes.Expr:
        """Parse a bare expression (no ``{{ }}``) with Pebble's grammar."""
        parser = syntax.PebbleParser(self, source, state="variable")
        expr = parser.parse_expression()
        if not parser.stream.eos:
            parser.fail(f"unexpected {parser.stream.current.value!r} after the expression")
        return expr

    # -- attribute and item access ---------------------------------------------------------

    def getattr(self, obj: Any, attribute: str) -> Any:
        """``a.b``: a map key, a Java-like method, or a loop/macro attribute; nothing else."""
        if type(obj) is dict and attribute in obj:  # the common case, first and fast
            return obj[attribute]
        if isinstance(obj, Mapping):
            try:
                return obj[attribute]
            except KeyError:
                if attribute.startswith("__"):
                    raise _refused(obj, attribute) from None
                return self.undefined(obj=obj, name=attribute)
        if attribute.startswith("_"):
            raise _refused(obj, attribute)
        if isinstance(obj, Undefined):
            return getattr(obj, attribute)
        table = self._method_table(obj)
        if table is not None:
            method = table.get(attribute)
            if method is None:
                return self.undefined(obj=obj, name=attribute)
            return _bind(method, obj)
        if isinstance(obj, (datetime, date, time)):
            if attribute in _DATE_FIELDS:
                return getattr(obj, attribute)
            return self.undefined(obj=obj, name=attribute)
        if isinstance(obj, LoopContext) or type(obj).__module__.startswith("jinja2."):
            # Loop variables and macros: Jinja's sandbox rules apply.
            return super().getattr(obj, attribute)
        return self.undefined(obj=obj, name=attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        """``a[b]``: map key, list/string index or slice; never an attribute."""
        if type(obj) is dict and argument in obj:
            return obj[argument]
        if isinstance(obj, Mapping):
            try:
                return obj[argument]
            except (KeyError, TypeError):
                if isinstance(argument, str) and argument.startswith("__"):
                    raise _refused(obj, argument) from None
                return self.undefined(obj=obj, name=argument)
        if isinstance(argument, str) and argument.startswith("_"):
            raise _refused(obj, argument)
        if isinstance(obj, Undefined):
            return obj[argument]
        if isinstance(obj, (list, tuple, str)) and (
            _is_int(argument) or isinstance(argument, slice)
        ):
            try:
                return obj[argument]
            except IndexError:
                return self.undefined(obj=obj, name=argument)
        if isinstance(obj, LoopContext) and isinstance(argument, str):
            return self.getattr(obj, argument)
        return self.undefined(obj=obj, name=argument)

    def _method_table(self, obj: Any) -> dict[str, Callable[..., Any]] | None:
        for kind in type(obj).__mro__:
            table = self.methods.get(kind)
            if table is not None:
                return table
        return None

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        """Call a function or method; undefined arguments fail, results are size-checked."""
        fail_on_undefined(args, kwargs)
        return limits.check_result(super().call(__context, __obj, *args, **kwargs))

    # -- operators ---------------------------------------------------------------------------

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """Arithmetic with Pebble's integer semantics and size limits."""
        both_int = _is_int(left) and _is_int(right)
        if operator == "/":
            if both_int:
                return _java_truncating_div(left, right)
            return _float_div(left, right)
        if operator == "%":
            if both_int:
                if right == 0:
                    raise TemplateError("/ by zero")
                return left - right * _java_truncating_div(left, right)
            return math.fmod(left, right)
        if operator == "*":
            if isinstance(left, (str, list, tuple)) and _is_int(right):
                _check_repeat(left, right)
            elif isinstance(right, (str, list, tuple)) and _is_int(left):
                _check_repeat(right, left)
        elif operator == "**":
            if _is_int(right) and abs(right) > limits.MAX_EXPONENT:
                raise TemplateSecurityError(f"exponent {right} is too large")
            if _is_int(left) and _is_int(right) and left.bit_length() * right > limits.MAX_INT_BITS:
                raise TemplateSecurityError("the result of ** would be too large")
        elif operator == "+" and isinstance(left, (str, list, tuple)):
            limits.check_result_size(left, right)
        elif operator == "//" and both_int and right == 0:
            raise TemplateError("/ by zero")
        result = self.binop_table[operator](left, right)
        if _is_int(result) and result.bit_length() > limits.MAX_INT_BITS:
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
            iterable = list(iterable.items())
        budget = state.current().budget
        if budget is None:
            return iterable  # type: ignore[no-any-return]
        return _Counted(iterable, budget)

    def pebble_undefined_name(self, name: str) -> Undefined:
        """A name Jinja reserves (``self``) that templates must not reach."""
        return self.undefined(name=name)

    def pebble_boolean(self, value: Any) -> bool:
        """``and``/``or`` give booleans in Pebble, not one of their operands."""
        return bool(value)

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


def fail_on_undefined(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    """Strict mode: passing an undefined value to a function or filter is an error."""
    for value in args:
        if isinstance(value, Undefined):
            value._fail_with_undefined_error()
    for value in kwargs.values():
        if isinstance(value, Undefined):
            value._fail_with_undefined_error()


def strict_filter(function: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a filter: undefined input fails (strict), results are size-checked.

    The wrapper takes the render context (``pass_context``) so that Jinja never runs a
    filter at compile time to fold constants: a slow filter (``jq``) would run several times.
    """

    @pass_context
    def wrapper(context: Context, *args: Any, **kwargs: Any) -> Any:
        fail_on_undefined(args, kwargs)
        return limits.check_result(function(*args, **kwargs))

    wrapper.__name__ = getattr(function, "__name__", "filter")
    wrapper.__doc__ = function.__doc__
    wrapper.__wrapped__ = function  # type: ignore[attr-defined]
    return wrapper


_DATE_FIELDS = frozenset(
    {"year", "month", "day", "hour", "minute", "second", "microsecond", "tzinfo"}
)


def _refused(obj: Any, attribute: str) -> TemplateSecurityError:
    return TemplateSecurityError(
        f"access to `{attribute}` of a {type(obj).__name__} is not allowed in templates"
    )


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


def _bind(method: Callable[..., Any], obj: Any) -> Callable[..., Any]:
    def bound(*args: Any, **kwargs: Any) -> Any:
        return method(obj, *args, **kwargs)

    bound.__name__ = getattr(method, "__name__", "method")
    return bound


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
