"""Template-injection payloads: each is refused with a clear error, in bounded time and memory.

Every test runs the payload through the public `render` and checks the error type and
that it came back quickly (the limits in `tercel.templating.limits` are what bound it).
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tercel.errors import TemplateError, TemplateSecurityError, UndefinedVariableError
from tercel.templating import render

#: Generous wall-clock bound per payload: refusals are immediate, loops stop at the budget.
SECONDS = 10.0


def refused(template: str, error: type[Exception] = TemplateError, **context: Any) -> str:
    """Render and return the error message; fail if it renders or takes too long."""
    started = time.monotonic()
    with pytest.raises(error) as caught:
        render(template, {"x": "s", **context})
    assert time.monotonic() - started < SECONDS
    return str(caught.value)


@pytest.mark.parametrize(
    "payload",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ x.__globals__ }}",
        "{{ x._private }}",
        "{{ x.__class__ ?? 'safe' }}",
        "{{ {}.__class__ }}",
        "{{ x['__class__'] }}",
    ],
)
def test_dunder_and_private_attributes_are_security_errors(payload: str) -> None:
    message = refused(payload, TemplateSecurityError)
    assert "not allowed" in message


@pytest.mark.parametrize(
    "payload",
    [
        "{{ cycler }}",
        "{{ joiner }}",
        "{{ lipsum() }}",
        "{{ namespace() }}",
        "{{ self }}",
        "{{ self.__init__ }}",
        "{{ config }}",
        "{{ environment }}",
        "{{ context }}",
        "{{ __builtins__ }}",
        "{{ loop }}",
        "{{ dict() }}",
    ],
)
def test_jinja_globals_and_internals_are_not_reachable(payload: str) -> None:
    refused(payload)


@pytest.mark.parametrize(
    "payload",
    [
        "{{ '{0.__class__}'.format(x) }}",
        "{{ '{0:>999999999}'.format(1) }}",
        "{{ x.format_map({}) }}",
        "{{ '%s' % x }}",
        "{{ x.upper() }}",
        "{{ [].append(1) }}",
        "{{ {}.update({'a': 1}) }}",
        "{{ x.items() }}",
    ],
)
def test_python_methods_and_format_strings_are_not_reachable(payload: str) -> None:
    refused(payload)


def test_undefined_python_method_error_names_the_method() -> None:
    assert "Unable to find `format`" in refused("{{ x.format(1) }}", UndefinedVariableError)


@pytest.mark.parametrize(
    "payload",
    [
        "{{ range(0, 10**9) }}",
        "{{ 1..1000000000 }}",
        "{% for i in 1..1000000000 %}{% endfor %}",
        "{{ 'a' * 10**9 }}",
        "{{ [1] * 10**9 }}",
        "{{ 'x'.repeat(10**9) }}",
        "{{ ('a' * 9000000) ~ ('a' * 9000000) }}",
        "{% set s = 'a' %}" + "{% set s = s ~ s %}" * 40 + "{{ s | length }}",
        "{{ ('x' * 1000000) | replace({'x': 'yyyyyyyyyyyyyyyyyyyy'}) }}",
        "{{ 'x\\ny' | indent(10**9) }}",
        "{{ (1..1000) | join('x' * 100000) }}",
        "{{ (10 ** 10000) ** 10000 }}",
        "{{ 2 ** 100000000 }}",
    ],
)
def test_size_bombs_are_refused_before_they_allocate(payload: str) -> None:
    refused(payload, TemplateSecurityError)


def test_range_function_needs_both_bounds() -> None:
    refused("{{ range(10**9) }}")


def test_nested_loops_stop_at_the_loop_budget() -> None:
    payload = "{% for a in 1..100000 %}{% for b in 1..100000 %}{% endfor %}{% endfor %}"
    assert "loops more than" in refused(payload, TemplateSecurityError)


def test_recursive_macro_is_refused() -> None:
    refused("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}", TemplateSecurityError)


def test_render_recursion_is_refused() -> None:
    message = refused("{{ render(t) }}", TemplateSecurityError, t="{{ render(t) }}")
    assert "nested" in message


def test_render_of_a_self_growing_value_stops() -> None:
    refused("{{ render(t) }}", TemplateError, t="{{ t ~ t }}")


@pytest.mark.parametrize(
    "payload",
    [
        "{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}",
        "{{ " + "[" * 5000 + "]" * 5000 + " }}",
        "{{ " + "1 + " * 50000 + "1 }}",
        "{{ " + "-" * 100000 + "1 }}",
    ],
)
def test_deeply_nested_expressions_are_refused(payload: str) -> None:
    refused(payload)


def test_very_long_templates_are_refused() -> None:
    refused("{{ 1 }}" + "x" * 2_000_000, TemplateSecurityError)


@pytest.mark.parametrize(
    "payload",
    [
        "{% extends 'a' %}",
        "{% include '/etc/passwd' %}",
        "{% import 'os' as os %}",
        "{% from 'os' import path %}",
    ],
)
def test_template_loading_tags_are_not_supported(payload: str) -> None:
    assert "not supported" in refused(payload)


@pytest.mark.parametrize(
    "program",
    ["$ENV", "env", "env.HOME", "input", "[inputs]", 'import "a" as a; .', "debug", "$__loc__"],
)
def test_jq_builtins_that_reach_outside_are_refused(program: str) -> None:
    refused("{{ {} | jq(p) }}", TemplateSecurityError, p=program)


def test_jq_field_named_env_is_still_readable() -> None:
    assert render("{{ {'env': 1} | jq('.env') | first }}", {}) == "1"


def test_endless_jq_program_is_stopped() -> None:
    refused("{{ 1 | jq('last(range(1e12))') }}", TemplateSecurityError)


def test_sandbox_refusal_does_not_break_later_renders() -> None:
    refused("{{ ''.__class__ }}", TemplateSecurityError)
    assert render("{{ a }}", {"a": 1}) == "1"


@pytest.mark.parametrize("program", ['"\\(env)"', '"\\($ENV.HOME)"'])
def test_jq_string_interpolation_cannot_reach_the_environment(program: str) -> None:
    refused("{{ {} | jq(p) }}", TemplateSecurityError, p=program)


def test_jq_string_interpolation_of_the_value_works() -> None:
    assert render("{{ v | jq(p) | first }}", {"v": {"a": "x"}, "p": '"v: \\(.a)"'}) == "v: x"


def test_jq_string_repetition_bomb_is_stopped() -> None:
    refused("{{ 1 | jq(p) }}", TemplateError, p='"a" * 1e10')
