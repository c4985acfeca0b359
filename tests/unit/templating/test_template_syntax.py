"""Pebble syntax on the Jinja2 base: operators, literals, tags and Pebble's results."""

from __future__ import annotations

from typing import Any

import pytest

from tercel.errors import TemplateError, TemplateSyntaxError, UndefinedVariableError
from tercel.templating import render


def r(template: str, **context: Any) -> str:
    return render(template, context)


def test_null_coalescing_returns_right_side_for_null() -> None:
    assert r("{{ a ?? b }}", a=None, b="B") == "B"


def test_null_coalescing_keeps_a_defined_left_side() -> None:
    assert r("{{ a ?? 'x' }}", a=0) == "0"


def test_null_coalescing_swallows_missing_variables_and_keys() -> None:
    assert r("{{ missing.deep.path ?? 'fallback' }}") == "fallback"
    assert r("{{ outputs['task-id'].value ?? 'none' }}", outputs={}) == "none"


def test_null_coalescing_chains() -> None:
    assert r("{{ a ?? b ?? 'c' }}", a=None, b=None) == "c"


def test_undefined_coalescing_keeps_a_null_left_side() -> None:
    assert r("{{ a ??? 'x' }}", a=None) == ""
    assert r("{{ missing ??? 'x' }}") == "x"


def test_coalescing_binds_tighter_than_filters_as_in_pebble() -> None:
    assert r("{{ a ?? 'x' | upper }}", a=None) == "X"


def test_ternary_picks_a_branch() -> None:
    assert r("{{ n == 0 ? 'zero' : 'nonzero' }}", n=0) == "zero"
    assert r("{{ n == 0 ? 'zero' : 'nonzero' }}", n=1) == "nonzero"


def test_ternary_does_not_evaluate_the_untaken_branch() -> None:
    assert r("{{ true ? 'ok' : missing.value }}") == "ok"


def test_ternary_without_colon_is_a_syntax_error() -> None:
    with pytest.raises(TemplateSyntaxError):
        r("{{ a ? b }}", a=1, b=2)


def test_jinja_inline_if_still_works() -> None:
    assert r("{{ 'y' if flag else 'n' }}", flag=True) == "y"


def test_contains_operator_on_lists_maps_and_strings() -> None:
    assert r("{{ ['a', 'b'] contains 'a' }}") == "true"
    assert r("{{ {'k': 1} contains 'k' }}") == "true"
    assert r("{{ 'hello' contains 'ell' }}") == "true"
    assert r("{{ [1, 2, 3] contains [1, 3] }}") == "true"
    assert r("{{ null contains 'a' }}") == "false"


def test_equals_operator() -> None:
    assert r("{{ b equals 'B' }}", b="B") == "true"


def test_null_literal_and_is_null_test() -> None:
    assert r("{{ a == null }}", a=None) == "true"
    assert r("{{ a is null }}", a=None) == "true"
    assert r("{{ a is not null }}", a=1) == "true"


def test_is_null_on_a_missing_variable_fails_like_pebble() -> None:
    with pytest.raises(UndefinedVariableError):
        r("{{ missing is null }}")


def test_is_defined_is_false_for_missing_and_null_values() -> None:
    assert r("{{ missing is defined }}") == "false"
    assert r("{{ missing.x.y is defined }}") == "false"
    assert r("{{ a is defined }}", a=None) == "false"
    assert r("{{ a is defined }}", a="") == "true"
    assert r("{{ missing is not defined }}") == "true"


def test_is_empty_test() -> None:
    assert r("{{ [] is empty }}") == "true"
    assert r("{{ '  ' is empty }}") == "true"
    assert r("{{ {'a': 1} is empty }}") == "false"
    assert r("{{ a is empty }}", a=None) == "true"


def test_even_odd_iterable_map_json_tests() -> None:
    assert r("{{ 4 is even }}{{ 3 is odd }}") == "truetrue"
    assert r("{{ [1] is iterable }}{{ 'x' is iterable }}") == "truefalse"
    assert r("{{ {'a': 1} is map }}") == "true"
    assert r("""{{ '{"a": 1}' is json }}{{ 'nope' is json }}""") == "truefalse"


def test_range_operator_is_inclusive() -> None:
    assert r("{% for i in 1..3 %}{{ i }}{% endfor %}") == "123"
    assert r("{{ 1..3 }}") == "[1,2,3]"


def test_loop_index_is_zero_based_like_pebble() -> None:
    assert r("{% for x in ['a', 'b'] %}{{ loop.index }}{{ x }}{% endfor %}") == "0a1b"
    assert r("{% for x in ['a', 'b'] %}{{ loop.revindex }}{% endfor %}") == "10"
    assert r("{% for x in ['a', 'b'] %}{{ loop.first }},{{ loop.last }};{% endfor %}") == (
        "true,false;false,true;"
    )


def test_for_else_renders_when_the_list_is_empty() -> None:
    assert r("{% for x in [] %}{{ x }}{% else %}none{% endfor %}") == "none"


def test_integer_division_truncates_like_java() -> None:
    assert r("{{ 5 / 2 }}") == "2"
    assert r("{{ -5 / 2 }}") == "-2"
    assert r("{{ 5.0 / 2 }}") == "2.5"


def test_modulo_follows_the_dividend_sign_like_java() -> None:
    assert r("{{ -7 % 3 }}") == "-1"
    assert r("{{ 7 % -3 }}") == "1"


def test_division_by_zero_is_an_error() -> None:
    with pytest.raises(Exception, match="by zero"):
        r("{{ 1 / 0 }}")


def test_concatenation_prints_values_like_kestra() -> None:
    assert r("{{ 'a' ~ null ~ true ~ 1 }}") == "atrue1"


def test_concatenation_binds_tighter_than_filters_as_in_pebble() -> None:
    assert r("{{ 'a' ~ 'b' | upper }}") == "AB"


def test_not_binds_to_one_operand_as_in_pebble() -> None:
    assert r("{{ not true and false }}") == "false"
    assert r("{{ not false and true }}") == "true"
    assert r("{{ not (1 == 2) }}") == "true"
    assert r("{{ not a is empty }}", a="") == "false"


def test_conditions_are_read_the_pebble_way() -> None:
    assert r("{% if 'false' %}yes{% endif %}") == "yes"  # a non-empty string is true
    assert r("{% if 0 %}yes{% else %}no{% endif %}") == "no"
    assert r("{% if '' %}yes{% else %}no{% endif %}") == "no"
    assert r("{{ null ? 'a' : 'b' }}") == "b"


@pytest.mark.parametrize(
    "template",
    ["{% if a %}x{% endif %}", "{{ a and true }}", "{{ not a }}", "{% if [1] %}x{% endif %}"],
)
def test_null_and_lists_are_not_conditions(template: str) -> None:
    with pytest.raises(TemplateError):
        r(template, a=None)


def test_and_or_give_booleans() -> None:
    assert r("{{ 'x' or 'y' }}") == "true"
    assert r("{{ 1 and 0 }}") == "false"


def test_verbatim_and_raw_blocks_are_not_rendered() -> None:
    assert r("{% verbatim %}{{ x }}{% endverbatim %}") == "{{ x }}"
    assert r("{% raw %}{{ x }}{% endraw %}") == "{{ x }}"


def test_elseif_tag() -> None:
    template = "{% if n == 1 %}one{% elseif n == 2 %}two{% else %}many{% endif %}"
    assert r(template, n=2) == "two"
    assert r(template, n=5) == "many"


def test_set_tag_and_macro() -> None:
    assert r("{% set x = a ?? 'd' %}{{ x }}", a=None) == "d"
    assert r("{% macro hi(n) %}Hi {{ n }}{% endmacro %}{{ hi('Bob') }}") == "Hi Bob"


def test_subscripts_and_hyphenated_keys() -> None:
    outputs = {"task-id": {"value": 42}}
    assert r("{{ outputs['task-id'].value }}", outputs=outputs) == "42"
    assert r("{{ l[1] }}", l=[1, 2]) == "2"


def test_map_keys_win_over_python_methods() -> None:
    assert r("{{ body.items }}", body={"items": [1]}) == "[1]"
    assert r("{{ body.keys }}", body={"keys": "k"}) == "k"


def test_whitespace_control() -> None:
    assert r("a  {{- 'b' -}}  c") == "abc"


def test_trailing_newline_is_kept() -> None:
    assert r("{{ 'x' }}\n") == "x\n"


def test_comments_are_removed() -> None:
    assert r("a{# note #}b") == "ab"


def test_java_like_string_methods() -> None:
    assert r("{{ name.toUpperCase() }}", name="ab") == "AB"
    assert r("{{ name.length() }}", name="abc") == "3"
    assert r("{{ items.size() }}", items=[1, 2]) == "2"


def test_string_without_template_markers_is_returned_unchanged() -> None:
    text = "price {in} $ and #{x}"
    assert r(text) == text


def test_string_interpolation_in_double_quotes() -> None:
    assert r('{{ "Hello #{name}!" }}', name="Bob") == "Hello Bob!"
    assert r('{{ "#{n + 1} items" }}', n=2) == "3 items"
    assert r("{{ 'single #{name}' }}", name="Bob") == "single #{name}"


def test_iterating_a_map_gives_entries_with_key_and_value() -> None:
    data = {"a": 1, "b": 2}
    assert r("{% for e in m %}{{ e.key }}={{ e.value }};{% endfor %}", m=data) == "a=1;b=2;"
    assert r("{% for k, v in m %}{{ k }}{{ v }}{% endfor %}", m=data) == "a1b2"


def test_filter_block() -> None:
    assert r("{% filter upper %}abc{% endfilter %}") == "ABC"
