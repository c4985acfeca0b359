"""The public API other parts call: render, render_typed, render_value, truthiness."""

from __future__ import annotations

import pytest

from tercel.errors import TemplateError, UndefinedVariableError
from tercel.templating import (
    is_condition_true,
    is_truthy,
    render,
    render_typed,
    render_value,
)

CONTEXT = {"outputs": {"extract": {"value": 42}}, "inputs": {"name": "World"}}


def test_render_prints_an_output_value() -> None:
    assert render("{{ outputs.extract.value }}", CONTEXT) == "42"


def test_render_returns_plain_text_unchanged() -> None:
    assert render("no template here {", CONTEXT) == "no template here {"


def test_render_prints_a_map_as_compact_json() -> None:
    assert render("{{ outputs.extract }}", CONTEXT) == '{"value":42}'


def test_render_typed_returns_the_value_of_a_single_expression() -> None:
    assert render_typed("{{ outputs.extract }}", CONTEXT) == {"value": 42}
    assert render_typed("{{ outputs.extract.value > 1 }}", CONTEXT) is True


def test_render_typed_renders_text_around_an_expression_as_a_string() -> None:
    assert render_typed("n={{ outputs.extract.value }}", CONTEXT) == "n=42"


def test_render_value_renders_keys_and_values_recursively() -> None:
    value = {"{{ inputs.name }}": ["Hello {{ inputs.name }}", 3, {"k": "{{ 1 + 1 }}"}]}
    assert render_value(value, CONTEXT) == {"World": ["Hello World", 3, {"k": "2"}]}


def test_undefined_variable_error_names_the_variable_and_location() -> None:
    with pytest.raises(UndefinedVariableError) as caught:
        render("{{ outputs.missing.value }}", CONTEXT, location="task `t1` property `message`")
    message = str(caught.value)
    assert "Unable to find `missing`" in message
    assert "{{ outputs.missing.value }}" in message
    assert "task `t1` property `message`" in message


def test_undefined_variable_error_is_a_template_error() -> None:
    with pytest.raises(TemplateError):
        render("{{ nope }}", CONTEXT)


@pytest.mark.parametrize(
    ("rendered", "expected"),
    [
        ("true", True),
        ("false", False),
        ("FALSE", False),
        ("0", False),
        ("-0", False),
        ("", False),
        ("  false ", False),
        ("1", True),
        ("anything", True),
    ],
)
def test_is_truthy_follows_kestra_truth_utils(rendered: str, expected: bool) -> None:
    assert is_truthy(rendered) is expected


@pytest.mark.parametrize(
    ("rendered", "expected"),
    [("true", True), ("false", False), ("", False), ("   ", False), ("0", True)],
)
def test_is_condition_true_is_false_only_for_blank_or_false(rendered: str, expected: bool) -> None:
    assert is_condition_true(rendered) is expected


def test_render_value_keeps_the_first_of_two_keys_that_render_alike() -> None:
    value = {"{{ 'k' }}": 1, "k": 2}
    assert render_value(value, CONTEXT) == {"k": 1}


def test_render_typed_of_a_non_string_renders_it_as_a_value() -> None:
    assert render_typed(["{{ inputs.name }}", 2], CONTEXT) == ["World", 2]  # type: ignore[arg-type]


def test_compiled_templates_are_cached_by_source() -> None:
    from tercel.templating.rendering import compile_template

    assert compile_template("{{ inputs.name }}!") is compile_template("{{ inputs.name }}!")


def test_plain_strings_skip_the_engine() -> None:
    text = "{ not a template } {{ but this is".replace("{{", "{ {")
    assert render(text, CONTEXT) is text


def test_each_render_has_its_own_loop_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    from tercel.errors import TemplateSecurityError
    from tercel.templating import limits

    monkeypatch.setattr(limits, "MAX_LOOP_STEPS", 1000)
    loop = "{% for i in 1..600 %}{% endfor %}done"
    assert render(loop, CONTEXT) == "done"
    assert render(loop, CONTEXT) == "done"
    with pytest.raises(TemplateSecurityError, match="loops more than 1000"):
        render("{% for i in 1..1200 %}{% endfor %}", CONTEXT)


def test_chained_filters_count_against_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    from tercel.errors import TemplateSecurityError
    from tercel.templating import limits

    monkeypatch.setattr(limits, "MAX_LOOP_STEPS", 10)
    assert render("{{ [2, 1] | sort | first }}", CONTEXT) == "1"
    with pytest.raises(TemplateSecurityError):
        render("{{ [2, 1]" + " | sort" * 20 + " }}", CONTEXT)


def test_render_typed_of_a_nested_map_literal() -> None:
    assert render_typed("{{ {'a': {'b': 1}} }}", CONTEXT) == {"a": {"b": 1}}


def test_render_typed_of_two_expressions_is_text() -> None:
    assert render_typed("{{ 1 }} and {{ 2 }}", CONTEXT) == "1 and 2"
    assert render_typed("{{- 1 -}}", CONTEXT) == 1
