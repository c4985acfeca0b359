"""Input declarations (checked at load) and input values (coerced at execution start)."""

from __future__ import annotations

from typing import Any

import pytest
from model_helpers import LOG, flow_with, problems

from tercel.errors import InputError
from tercel.model.flow import Flow
from tercel.model.input_values import check_inputs, resolve_inputs
from tercel.model.loader import load_flow


def flow_inputs(inputs_yaml: str) -> Flow:
    return load_flow(flow_with("inputs:\n" + inputs_yaml + "tasks:\n  - id: t\n" + LOG))


def test_unknown_input_type_hints_the_nearest_type() -> None:
    with pytest.raises(Exception) as caught:
        flow_inputs("  - id: a\n    type: STRNG\n")
    problem = caught.value.problems[0]  # type: ignore[attr-defined]
    assert (problem.message, problem.line, problem.column, problem.hint) == (
        "unknown type `STRNG`",
        5,
        11,
        "did you mean `STRING`?",
    )


def test_select_needs_values_or_expression() -> None:
    assert problems(
        flow_with("inputs:\n  - id: s\n    type: SELECT\ntasks:\n  - id: t\n" + LOG)
    ) == [("one of `values` or `expression` is required", 4, 5)]


def test_display_name_longer_than_64_characters_is_rejected() -> None:
    found = problems(
        flow_with(
            "inputs:\n  - id: s\n    type: STRING\n    displayName: " + "x" * 65 + "\n"
            "tasks:\n  - id: t\n" + LOG
        )
    )
    assert [(line, column) for _, line, column in found] == [(6, 18)]
    assert found[0][0].startswith("`displayName`: String should have at most 64 characters")


def test_deprecated_name_is_accepted_as_the_input_id() -> None:
    flow = flow_inputs("  - name: legacy\n    type: STRING\n")
    assert flow.inputs[0].key == "legacy"


def test_missing_required_input_message_is_kestras() -> None:
    flow = flow_inputs("  - id: a\n    type: STRING\n")
    with pytest.raises(InputError) as caught:
        resolve_inputs(flow, {})
    assert str(caught.value) == (
        "Invalid input for `a`, missing required input, but received `null`"
    )


def test_every_wrong_input_is_named_at_once() -> None:
    flow = flow_inputs(
        "  - id: a\n    type: STRING\n  - id: n\n    type: INT\n"
        "  - id: s\n    type: SELECT\n    values: [x, y]\n"
    )
    with pytest.raises(InputError) as caught:
        resolve_inputs(flow, {"n": "many", "s": "z"})
    assert str(caught.value) == (
        "Invalid input for `a`, missing required input, but received `null`; "
        'Invalid input for `n`, Expected `INT` but received `many` with errors: For input string: "many"; '
        "Invalid input for `s`, it must match the values `[x, y]`, but received `z`"
    )


def test_an_unreadable_date_says_what_a_valid_one_looks_like() -> None:
    flow = flow_inputs(
        "  - id: when\n    type: DATETIME\n  - id: day\n    type: DATE\n"
        "  - id: at\n    type: TIME\n"
    )
    with pytest.raises(InputError) as caught:
        resolve_inputs(flow, {"when": "yesterday", "day": "31/01/2024", "at": "noon"})
    assert str(caught.value).split("; ") == [
        "Invalid input for `when`, Expected `DATETIME` but received `yesterday` with errors: "
        "Text 'yesterday' could not be parsed (expected e.g. `2024-01-31T10:00:00Z`)",
        "Invalid input for `day`, Expected `DATE` but received `31/01/2024` with errors: "
        "Text '31/01/2024' could not be parsed (expected e.g. `2024-01-31`)",
        "Invalid input for `at`, Expected `TIME` but received `noon` with errors: "
        "Text 'noon' could not be parsed (expected e.g. `18:27:49`)",
    ]


def test_optional_input_is_present_as_null_and_undeclared_values_are_dropped() -> None:
    flow = flow_inputs("  - id: a\n    type: STRING\n    required: false\n")
    assert resolve_inputs(flow, {"other": 1}) == {"a": None}


def test_defaults_apply_when_no_value_is_given() -> None:
    flow = flow_inputs("  - id: a\n    type: INT\n    defaults: 3\n")
    assert resolve_inputs(flow, {}) == {"a": 3}


@pytest.mark.parametrize(
    ("declaration", "given", "expected"),
    [
        ("type: STRING", 42, "42"),
        ("type: INT", "12", 12),
        ("type: FLOAT", "1.5", 1.5),
        ("type: BOOLEAN", "TRUE", True),
        ("type: BOOLEAN", "yes", False),
        ("type: BOOL", True, True),
        ("type: DATETIME", "2019-10-06T20:27:49+02:00", "2019-10-06T18:27:49Z"),
        ("type: DATETIME", "2019-10-06T18:27:49.12Z", "2019-10-06T18:27:49.120Z"),
        ("type: DATE", "2019-10-06", "2019-10-06"),
        ("type: TIME", "18:27:49", "18:27:49"),
        ("type: TIME", "18:27:00", "18:27"),
        ("type: DURATION", "PT306S", "PT5M6S"),
        ("type: JSON", '{"a": [1, 2]}', {"a": [1, 2]}),
        ("type: YAML", "a: yes\nb: [1]\n", {"a": "yes", "b": [1]}),
        ("type: URI", "https://example.com/x?y=1", "https://example.com/x?y=1"),
        ("type: EMAIL", "me@example.com", "me@example.com"),
        ("type: ARRAY\n    itemType: INT", '["1", 2]', [1, 2]),
        ("type: MULTISELECT\n    values: [a, b]", '["a"]', ["a"]),
        ("type: SELECT\n    values: [a, b]", "b", "b"),
        ("type: FILE", "kestra:///ns/f/file.txt", "kestra:///ns/f/file.txt"),
    ],
)
def test_values_are_coerced_to_the_declared_type(
    declaration: str, given: Any, expected: Any
) -> None:
    flow = flow_inputs(f"  - id: v\n    {declaration}\n")
    assert resolve_inputs(flow, {"v": given}) == {"v": expected}


@pytest.mark.parametrize(
    ("declaration", "given", "message"),
    [
        (
            "type: INT\n    min: 10",
            "5",
            "Invalid input for `v`, it must be more than `10`, but received `5`",
        ),
        (
            "type: INT\n    max: 10",
            20,
            "Invalid input for `v`, it must be less than `10`, but received `20`",
        ),
        (
            "type: INT",
            "1.5",
            "Invalid input for `v`, Expected `INT` but received `1.5` with errors: "
            'For input string: "1.5"',
        ),
        (
            "type: STRING\n    validator: A\\d+",
            "B1",
            "Invalid input for `v`, it must match the pattern `A\\d+`, but received `B1`",
        ),
        (
            "type: SELECT\n    values: [a, b]",
            "c",
            "Invalid input for `v`, it must match the values `[a, b]`, but received `c`",
        ),
        (
            "type: DATE\n    after: 2023-01-01",
            "2022-05-05",
            "Invalid input for `v`, it must be after `2023-01-01`, but received `2022-05-05`",
        ),
        (
            "type: DURATION\n    min: PT10S",
            "PT5S",
            "Invalid input for `v`, it must be more than `PT10S`, but received `PT5S`",
        ),
    ],
)
def test_invalid_values_give_kestras_messages(declaration: str, given: Any, message: str) -> None:
    flow = flow_inputs(f"  - id: v\n    {declaration}\n")
    with pytest.raises(InputError) as caught:
        resolve_inputs(flow, {"v": given})
    assert str(caught.value) == message


def test_dotted_ids_become_nested_maps() -> None:
    flow = flow_inputs(
        "  - id: nested.string\n    type: STRING\n  - id: nested.more.int\n    type: INT\n"
    )
    assert resolve_inputs(flow, {"nested.string": "s", "nested.more.int": "1"}) == {
        "nested": {"string": "s", "more": {"int": 1}}
    }


def test_depends_on_condition_drops_disabled_inputs_and_their_dependents() -> None:
    flow = flow_inputs(
        "  - id: kind\n    type: STRING\n"
        "  - id: detail\n    type: STRING\n    dependsOn:\n      inputs: [kind]\n"
        "      condition: \"{{ inputs.kind == 'full' }}\"\n"
        "  - id: more\n    type: STRING\n    dependsOn:\n      inputs: [detail]\n"
    )

    def render(expression: str, context: Any) -> Any:
        return context["inputs"]["kind"] == "full"

    assert resolve_inputs(flow, {"kind": "short"}, render=render) == {"kind": "short"}
    assert resolve_inputs(flow, {"kind": "full", "detail": "d", "more": "m"}, render=render) == {
        "kind": "full",
        "detail": "d",
        "more": "m",
    }


def test_file_inputs_are_stored_through_the_callback() -> None:
    flow = flow_inputs("  - id: f\n    type: FILE\n")
    stored: list[Any] = []

    def store(declaration: Any, value: Any) -> str:
        stored.append(value)
        return f"kestra:///ns/f/executions/e/inputs/{declaration.key}/data.txt"

    assert resolve_inputs(flow, {"f": b"content"}, store_file=store) == {
        "f": "kestra:///ns/f/executions/e/inputs/f/data.txt"
    }
    assert stored == [b"content"]


def test_check_inputs_reports_every_problem() -> None:
    flow = flow_inputs("  - id: a\n    type: INT\n  - id: b\n    type: DATE\n")
    _, found = check_inputs(flow, {"a": "x", "b": "nope"})
    assert [problem.input_id for problem in found] == ["a", "b"]


def test_select_values_from_an_expression_are_checked_when_rendered() -> None:
    flow = flow_inputs('  - id: s\n    type: SELECT\n    expression: \'{{ ["a", "b"] }}\'\n')
    assert resolve_inputs(flow, {"s": "z"}) == {"s": "z"}  # nothing rendered: nothing to check
    with pytest.raises(InputError):
        resolve_inputs(flow, {"s": "z"}, render=lambda expression, context: '["a", "b"]')
    assert resolve_inputs(flow, {"s": "b"}, render=lambda expression, context: ["a", "b"]) == {
        "s": "b"
    }


def test_literal_defaults_must_fit_the_input_type() -> None:
    assert problems(
        flow_with(
            "inputs:\n  - id: n\n    type: INT\n    defaults: many\ntasks:\n  - id: t\n" + LOG
        )
    ) == [
        (
            "Invalid input for `n`, Expected `INT` but received `many` with errors: "
            'For input string: "many"',
            6,
            15,
        )
    ]


def test_templated_defaults_are_judged_at_execution_time() -> None:
    flow = flow_inputs(
        "  - id: d\n    type: DATE\n    defaults: \"{{ now() | date('yyyy-MM-dd') }}\"\n"
    )
    assert flow.inputs[0].defaults.startswith("{{")


def test_templated_defaults_are_rendered_when_a_renderer_is_given() -> None:
    flow = flow_inputs('  - id: d\n    type: DATE\n    defaults: "{{ today }}"\n')
    assert resolve_inputs(flow, {}, render=lambda expression, context: "2024-02-29") == {
        "d": "2024-02-29"
    }


def test_optional_select_accepts_a_value_outside_its_list_as_kestra_does() -> None:
    flow = flow_inputs("  - id: s\n    type: SELECT\n    values: [a, b]\n    required: false\n")
    assert resolve_inputs(flow, {"s": "c"}) == {"s": "c"}


def test_prefill_is_a_form_hint_not_a_default() -> None:
    flow = flow_inputs(
        "  - id: note\n    type: STRING\n    required: false\n    prefill: a suggestion\n"
    )
    assert flow.inputs is not None
    assert flow.inputs[0].prefill == "a suggestion"
    assert resolve_inputs(flow, {}) == {"note": None}
    assert resolve_inputs(flow, {"note": "mine"}) == {"note": "mine"}


def test_prefill_must_fit_the_type_and_not_come_with_defaults() -> None:
    assert problems(
        flow_with("inputs:\n  - id: n\n    type: INT\n    prefill: many\ntasks:\n  - id: t\n" + LOG)
    )[0][1:] == (6, 14)
    found = problems(
        flow_with(
            "inputs:\n  - id: n\n    type: INT\n    defaults: 1\n    prefill: 2\n"
            "tasks:\n  - id: t\n" + LOG
        )
    )
    assert [(line, column) for _, line, column in found] == [(7, 14)]
    assert "cannot also have a `prefill`" in found[0][0]
