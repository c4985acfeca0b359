"""Errors that help: what is missing, in which expression, where."""

from __future__ import annotations

import pytest

from tercel.errors import (
    TemplateError,
    TemplateSyntaxError,
    UndefinedVariableError,
)
from tercel.templating import render, render_typed, render_value


def test_missing_root_variable_is_named_like_kestra() -> None:
    with pytest.raises(UndefinedVariableError) as caught:
        render("{{ missing }}", {})
    assert (
        str(caught.value)
        == "Unable to find `missing` used in the expression `{{ missing }}` at line 1"
    )


def test_missing_key_is_named() -> None:
    with pytest.raises(UndefinedVariableError, match="Unable to find `nope`"):
        render("{{ outputs.t1.nope }}", {"outputs": {"t1": {"value": 1}}})


def test_error_gives_the_line_of_the_expression() -> None:
    with pytest.raises(UndefinedVariableError, match="at line 3"):
        render("a\nb\n{{ missing }}", {})


def test_location_label_is_added_to_errors() -> None:
    with pytest.raises(TemplateError, match=r"\(task `t1` property `message`\)"):
        render("{{ x }}", {}, location="task `t1` property `message`")


def test_location_label_is_added_to_syntax_errors() -> None:
    with pytest.raises(TemplateSyntaxError, match=r"flows/a\.yaml:4"):
        render("{{ x ? }}", {"x": 1}, location="flows/a.yaml:4")


def test_syntax_error_names_the_expression() -> None:
    with pytest.raises(TemplateSyntaxError, match=r"\{\{ 1 \+ \}\}"):
        render("{{ 1 + }}", {})


def test_unknown_filter_is_a_syntax_error_naming_it() -> None:
    with pytest.raises(TemplateSyntaxError, match="nope"):
        render("{{ 1 | nope }}", {})


def test_missing_variable_passed_to_a_filter_is_named() -> None:
    with pytest.raises(UndefinedVariableError, match="Unable to find `gone`"):
        render("{{ gone | upper }}", {})


def test_missing_variable_passed_to_a_function_is_named() -> None:
    with pytest.raises(UndefinedVariableError, match="Unable to find `gone`"):
        render("{{ fromJson(gone) }}", {})


def test_error_inside_render_names_the_inner_expression() -> None:
    with pytest.raises(UndefinedVariableError, match=r"\{\{ inner \}\}"):
        render("{{ render(v) }}", {"v": "{{ inner }}"})


def test_render_typed_errors_are_template_errors() -> None:
    with pytest.raises(UndefinedVariableError, match="missing"):
        render_typed("{{ missing }}", {})


def test_render_value_passes_the_location() -> None:
    with pytest.raises(TemplateError, match="here"):
        render_value({"k": ["{{ nope }}"]}, {}, location="here")


def test_type_errors_become_template_errors() -> None:
    with pytest.raises(TemplateError, match="compare"):
        render("{{ [1, 'a'] | sort }}", {})


def test_missing_value_inside_a_list_literal_is_an_error() -> None:
    with pytest.raises(UndefinedVariableError, match="gone"):
        render("{{ [1, gone] }}", {})
    with pytest.raises(UndefinedVariableError, match="gone"):
        render_typed("{{ {'a': [gone]} }}", {})


def test_filter_errors_name_the_expression_and_location() -> None:
    with pytest.raises(TemplateError) as caught:
        render("{{ 5 | split(',') }}", {}, location="task `t`")
    assert str(caught.value) == (
        "the 'split' filter expects a string, got int in the expression "
        "`{{ 5 | split(',') }}` (task `t`)"
    )


def test_secret_errors_pass_through_unchanged() -> None:
    from tercel.errors import SecretError

    class Failing:
        def secret(self, name: str) -> str:
            raise SecretError(f"secret `{name}` not found")

    with pytest.raises(SecretError, match=r"^secret `X` not found$"):
        render("{{ secret('X') }}", {}, services=Failing())  # type: ignore[arg-type]


def test_hyphenated_ids_get_a_hint_to_use_brackets() -> None:
    with pytest.raises(UndefinedVariableError, match=r"write outputs\['my-task'\]"):
        render("{{ outputs.my-task.value }}", {"outputs": {"my-task": {"value": 1}}})
