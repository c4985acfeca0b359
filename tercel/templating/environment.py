"""`PebbleEnvironment`: Jinja2's immutable sandbox, strict, speaking Pebble.

What a template can reach is deliberately small: the render context (plain dicts, lists,
strings, numbers, dates), the registered functions, filters and tests, and a few Java-like
methods on strings and lists. No Python attribute or method is reachable, so the classic
``''.__class__.__mro__`` or ``'{0.__class__}'.format(x)`` escapes have nothing to hold on to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime, time
from typing import Any, ClassVar

from jinja2 import Undefined, nodes, pass_context
from jinja2.lexer import Lexer
from jinja2.runtime import Context, LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import missing

from tercel.errors import TemplateSecurityError
from tercel.templating import limits, syntax
from tercel.templating import state as render_state
from tercel.templating.operators import MapEntry, PebbleOperators, is_int
from tercel.templating.output import finalize
from tercel.templating.undefined import KestraUndefined, fail_on_undefined


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


class PebbleEnvironment(PebbleOperators, ImmutableSandboxedEnvironment):
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
        if isinstance(obj, MapEntry) and attribute in ("key", "value"):
            return obj.key if attribute == "key" else obj.value
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
            is_int(argument) or isinstance(argument, slice)
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
        result = limits.check_result(super().call(__context, __obj, *args, **kwargs))
        charge(result)
        return result

    # -- operators ---------------------------------------------------------------------------


def charge(value: Any) -> None:
    """Count work on `value` against the render's budget (big collections cost more).

    This bounds the time of templates that chain expensive filters without any loop.
    """
    budget = render_state.current().budget
    if budget is not None:
        size = len(value) if isinstance(value, (str, list, tuple, dict)) else 0
        budget.spend(1 + size // 1000)


def strict_filter(function: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a filter: undefined input fails (strict), results are size-checked.

    The wrapper takes the render context (``pass_context``) so that Jinja never runs a
    filter at compile time to fold constants: a slow filter (``jq``) would run several times.
    """

    @pass_context
    def wrapper(context: Context, *args: Any, **kwargs: Any) -> Any:
        fail_on_undefined(args, kwargs)
        charge(args[0] if args else None)
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


def _bind(method: Callable[..., Any], obj: Any) -> Callable[..., Any]:
    def bound(*args: Any, **kwargs: Any) -> Any:
        return method(obj, *args, **kwargs)

    bound.__name__ = getattr(method, "__name__", "method")
    return bound
