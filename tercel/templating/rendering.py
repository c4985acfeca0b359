"""`render`, `render_typed` and `render_value`: templates in, text or typed values out.

Compiled templates are cached by source; a string without ``{{``, ``{%`` or ``{#`` never
reaches the engine. Every failure becomes a `tercel.errors.TemplateError` subclass whose
message names the expression (and the `location` label the caller gives).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import jinja2
from jinja2 import Template, Undefined
from jinja2.exceptions import SecurityError

from tercel.errors import (
    TemplateError,
    TemplateSecurityError,
    TemplateSyntaxError,
    TercelError,
    UndefinedVariableError,
)
from tercel.templating import limits, state
from tercel.templating.environment import PebbleEnvironment
from tercel.templating.services import TemplateServices
from tercel.templating.undefined import MissingVariableError

_SINGLE_EXPRESSION = re.compile(r"\s*\{\{-?(?P<expr>.*)\}\}\s*", re.DOTALL)


def has_template(text: str) -> bool:
    """Whether `text` contains template syntax (otherwise it renders to itself)."""
    return "{" in text and ("{{" in text or "{%" in text or "{#" in text)


@lru_cache(maxsize=1)
def environment() -> PebbleEnvironment:
    """The shared environment, with every function, filter and test registered."""
    from tercel.templating.registry import build_environment

    return build_environment()


@lru_cache(maxsize=4096)
def _compile(source: str) -> Template:
    return environment().from_string(source)


@lru_cache(maxsize=4096)
def _compile_expression(source: str) -> Template:
    env = environment()
    expr = env.parse_expression(source)
    body = [jinja2.nodes.Assign(jinja2.nodes.Name("result", "store"), expr, lineno=1)]
    return env.from_string(jinja2.nodes.Template(body, lineno=1))


def compile_template(source: str) -> Template:
    """The compiled template for `source` (cached); raises `TemplateError` subclasses."""
    if len(source) > limits.MAX_TEMPLATE_LENGTH:
        raise TemplateSecurityError(
            f"template of {len(source)} characters is too long (limit {limits.MAX_TEMPLATE_LENGTH})"
        )
    try:
        if len(source) > limits.MAX_CACHED_TEMPLATE_LENGTH:
            return environment().from_string(source)
        return _compile(source)
    except Exception as error:  # noqa: BLE001 - every engine failure becomes a TemplateError
        raise _translate(error, source, state.current().location) from None


def render(
    template: str,
    context: Mapping[str, Any],
    *,
    services: TemplateServices | None = None,
    location: str | None = None,
) -> str:
    """Render `template` with `context`, as Kestra does (single pass, strict variables).

    `location` (e.g. ``task `t1` property `message```) is added to error messages.
    """
    if not has_template(template):
        return template
    # Tags can loop; filters and calls can be chained at length: those get a budget.
    token = state.enter(services, location, loops=_may_work_hard(template))
    try:
        compiled = compile_template(template)
        return _render_compiled(compiled, context)
    except Exception as error:  # noqa: BLE001 - every engine failure becomes a TemplateError
        raise _translate(error, template, state.current().location) from None
    finally:
        state.leave(token)


def _may_work_hard(template: str) -> bool:
    return "{%" in template or "|" in template or "(" in template


def render_in_state(template: str, context: Mapping[str, Any]) -> str:
    """Render inside the current render state (used by nested ``render()`` calls)."""
    compiled = compile_template(template)
    try:
        return _render_compiled(compiled, context)
    except Exception as error:  # noqa: BLE001 - every engine failure becomes a TemplateError
        raise _translate(error, template, None) from None


def _render_compiled(compiled: Template, context: Mapping[str, Any]) -> str:
    if not isinstance(context, dict):
        context = dict(context)
    # shared=True: the caller's mapping is read in place (see PebbleContext).
    jinja_context = compiled.new_context(context, shared=True)
    budget = state.current().budget
    if budget is None:
        # No loops: the number of parts is bounded by the template, each part by the limits.
        text = "".join(compiled.root_render_func(jinja_context))
        limits.check_length(len(text), "rendered text")
        return text
    total = 0
    parts: list[str] = []
    for part in compiled.root_render_func(jinja_context):
        total += len(part)
        if total > limits.MAX_STRING_LENGTH:
            limits.check_length(total, "rendered text")
        parts.append(part)
    return "".join(parts)


def render_typed(
    expression: str,
    context: Mapping[str, Any],
    *,
    services: TemplateServices | None = None,
    location: str | None = None,
) -> Any:
    """The typed value of a template that is exactly one ``{{ expression }}``.

    ``"{{ [1, 2] }}"`` gives the list ``[1, 2]``, ``"{{ x > 1 }}"`` a bool. Any other
    template (text around the expression, several expressions, tags) renders to a string,
    and a string without template syntax is returned unchanged.
    """
    if not isinstance(expression, str):
        return render_value(expression, context, services=services, location=location)
    if not has_template(expression):
        return expression
    match = _SINGLE_EXPRESSION.fullmatch(expression)
    compiled = _single_expression(match["expr"]) if match is not None else None
    if compiled is None:
        return render(expression, context, services=services, location=location)
    token = state.enter(services, location, loops=False)
    try:
        module = compiled.make_module(context, shared=True)  # type: ignore[arg-type]
        return _strict(getattr(module, "result", None))
    except Exception as error:  # noqa: BLE001 - every engine failure becomes a TemplateError
        raise _translate(error, expression, state.current().location) from None
    finally:
        state.leave(token)


@lru_cache(maxsize=4096)
def _single_expression(text: str) -> Template | None:
    """The compiled expression when `text` (what lies between ``{{`` and ``}}``) is one.

    ``a }} and {{ b`` is not (it is two expressions with text between); ``{'a': {'b': 1}}``
    is, though it holds ``}}``. Anything that does not parse goes the string way, where
    a real syntax error is reported.
    """
    inner = text.removeprefix("-").removesuffix("-")
    if len(inner) > limits.MAX_TEMPLATE_LENGTH:
        return None
    try:
        return _compile_expression(inner)
    except Exception:  # noqa: BLE001 - not a single expression: render as text instead
        return None


def _strict(value: Any) -> Any:
    """Fail on an undefined value anywhere inside a typed result (strict variables)."""
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    elif isinstance(value, dict):
        for item in value.values():
            _strict(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _strict(item)
    return value


def render_value(
    value: Any,
    context: Mapping[str, Any],
    *,
    services: TemplateServices | None = None,
    location: str | None = None,
) -> Any:
    """Render every string inside `value` (lists element-wise, maps keys and values)."""
    if isinstance(value, str):
        return render(value, context, services=services, location=location)
    if isinstance(value, Mapping):
        rendered: dict[Any, Any] = {}
        for key, item in value.items():
            # Like Kestra (`putIfAbsent`): when two keys render alike, the first one wins.
            rendered.setdefault(
                render_value(key, context, services=services, location=location),
                render_value(item, context, services=services, location=location),
            )
        return rendered
    if isinstance(value, (list, tuple)):
        return [render_value(item, context, services=services, location=location) for item in value]
    return value


# -- errors -------------------------------------------------------------------------------


def _shorten(source: str, limit: int = 200) -> str:
    return source if len(source) <= limit else source[: limit - 3] + "..."


def _line_of(source: str, name: str) -> int:
    for number, line in enumerate(source.splitlines() or [source], start=1):
        if name in line:
            return number
    return 1


def _hyphen_hint(source: str, name: str) -> str:
    """``outputs.my-task.value`` reads as ``outputs.my - task.value``: say how to write it."""
    for found in re.finditer(r"(\w+)\.(\w+(?:-\w+)+)", source):
        if name in found[2].split("-"):
            return f"; to use the id `{found[2]}`, write {found[1]}['{found[2]}']"
    return ""


def _suffix(location: str | None) -> str:
    return f" ({location})" if location else ""


def _translate(error: Exception, source: str, location: str | None) -> TercelError:
    """Turn any failure inside the engine into a `TemplateError` subclass that helps."""
    if isinstance(error, TercelError):
        if not isinstance(error, TemplateError):
            return error  # e.g. a SecretError from the services: its message is the point
        message = str(error)
        if "`" + source[:20] not in message and "expression `" not in message:
            message += f" in the expression `{_shorten(source)}`"
        if location and location not in message:
            message += _suffix(location)
        return error if message == str(error) else type(error)(message)
    if isinstance(error, MissingVariableError):
        line = _line_of(source, error.name)
        return UndefinedVariableError(
            f"Unable to find `{error.name}` used in the expression `{_shorten(source)}` "
            f"at line {line}{_suffix(location)}{_hyphen_hint(source, error.name)}"
        )
    if isinstance(error, SecurityError):
        return TemplateSecurityError(f"{error} in `{_shorten(source)}`{_suffix(location)}")
    if isinstance(error, jinja2.TemplateSyntaxError):
        return TemplateSyntaxError(
            f"{error.message} in the expression `{_shorten(source)}` at line {error.lineno}"
            f"{_suffix(location)}"
        )
    if isinstance(error, jinja2.UndefinedError):
        return UndefinedVariableError(f"{error} in `{_shorten(source)}`{_suffix(location)}")
    if isinstance(error, RecursionError):
        return TemplateSecurityError(
            f"template nests or recurses too deeply: `{_shorten(source)}`{_suffix(location)}"
        )
    if isinstance(error, MemoryError):
        return TemplateSecurityError(f"template needs too much memory{_suffix(location)}")
    if isinstance(error, jinja2.TemplateError):
        return TemplateError(f"{error} in `{_shorten(source)}`{_suffix(location)}")
    return TemplateError(
        f"{type(error).__name__}: {error} in the expression `{_shorten(source)}`{_suffix(location)}"
    )
