"""Static checks of a flow's templates: typos found before anything runs."""

from __future__ import annotations

from tercel.errors import Problem
from tercel.model.loader import load_flow
from tercel.templating.references import (
    check_flow,
    check_flow_source,
    format_location,
    parse_location,
)

FLOW = """\
id: refs
namespace: company.team
inputs:
  - id: name
    type: STRING
  - id: cfg.level
    type: INT
tasks:
  - id: extract
    type: io.kestra.plugin.core.debug.Return
    format: "{{ inputs.name | upper }} {{ inputs.cfg.level }} {{ outputs.extract.value }}"
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "{{ outputs.extrct.value }}"
"""


def problems_of(source: str) -> list[Problem]:
    return check_flow_source(load_flow(source, "flow.yaml"), source, "flow.yaml")


def with_task(message: str) -> str:
    """A valid flow whose second task logs `message` (a YAML block scalar)."""
    body = "\n".join("      " + line for line in message.splitlines())
    return FLOW.replace('    message: "{{ outputs.extrct.value }}"\n', f"    message: |\n{body}\n")


def test_unknown_output_task_is_an_error_at_its_line_and_column() -> None:
    [problem] = problems_of(FLOW)
    assert problem.severity == "error"
    assert "`outputs.extrct`" in problem.message
    assert problem.hint == "did you mean `extract`?"
    assert (problem.line, problem.column) == (14, 26)
    assert problem.location == "tasks[1].message"


def test_valid_references_give_no_problem() -> None:
    assert problems_of(with_task("{{ outputs.extract.value }} {{ inputs.name }}")) == []


def test_undeclared_input_is_an_error() -> None:
    [problem] = problems_of(with_task("{{ inputs.nme }}"))
    assert "`inputs.nme` is not a declared input" in problem.message
    assert problem.hint == "did you mean `name`?"


def test_dotted_input_ids_are_declared_by_their_first_part() -> None:
    assert problems_of(with_task("{{ inputs.cfg.level }}")) == []


def test_unknown_filter_function_and_test_are_errors() -> None:
    found = problems_of(with_task("{{ x | uper }} {{ nowz() }} {{ x is evn }}"))
    messages = [problem.message for problem in found]
    assert any("unknown filter `uper`" in message for message in messages)
    assert any("unknown function `nowz()`" in message for message in messages)
    assert any("unknown test `evn`" in message for message in messages)


def test_block_scalar_problem_points_at_the_template_line() -> None:
    [problem] = problems_of(with_task("first line\n{{ outputs.nope.value }}"))
    assert problem.line == 16
    assert problem.column == 18
    assert "line 2 of the template" in problem.message


def test_syntax_error_is_reported() -> None:
    [problem] = problems_of(with_task("{{ 1 + }}"))
    assert "does not parse" in problem.message


def test_dynamic_subscripts_and_template_names_are_left_alone() -> None:
    template = (
        "{% set t = 'x' %}{{ outputs[t].value }}"
        "{% for outputs in [1] %}{{ outputs.anything }}{% endfor %}"
        "{% macro f() %}{% endmacro %}{{ f() }}"
    )
    assert problems_of(with_task(template)) == []


def test_guarded_reference_is_only_a_warning() -> None:
    [problem] = problems_of(with_task("{{ outputs.maybe.value ?? 'none' }}"))
    assert problem.severity == "warning"
    [problem] = problems_of(with_task("{% if inputs.other is defined %}x{% endif %}"))
    assert problem.severity == "warning"


def test_reference_used_under_its_own_is_defined_guard_is_only_a_warning() -> None:
    # Kestra renders these fine when `nope` did not run: the template tests it first.
    for template in (
        "{% if outputs.nope is defined %}{{ outputs.nope.value }}{% endif %}",
        "{{ outputs.nope is defined ? outputs.nope.value : 'none' }}",
        "{% if inputs.other is not defined %}-{% else %}{{ inputs.other }}{% endif %}",
        "{{ outputs['nope'] is defined and outputs.nope.value }}",
    ):
        problems = problems_of(with_task(template))
        assert [p.severity for p in problems] == ["warning"], template


def test_guarding_one_reference_does_not_excuse_another() -> None:
    template = "{% if outputs.nope is defined %}{{ outputs.other.value }}{% endif %}"
    problems = problems_of(with_task(template))
    assert [(p.severity, "`outputs.other`" in p.message) for p in problems] == [
        ("warning", False),
        ("error", True),
    ]


def test_flow_outputs_are_checked() -> None:
    source = FLOW.replace("{{ outputs.extrct.value }}", "ok") + (
        'outputs:\n  - id: o\n    type: STRING\n    value: "{{ outputs.gone.value }}"\n'
    )
    [problem] = problems_of(source)
    assert problem.location == "outputs[0].value"


def test_triggers_are_checked_for_functions_but_not_references() -> None:
    source = FLOW.replace("{{ outputs.extrct.value }}", "ok") + (
        "triggers:\n  - id: s\n    type: io.kestra.plugin.core.trigger.Schedule\n"
        '    cron: "0 * * * *"\n    inputs:\n'
        '      name: "{{ outputs.x }} {{ trigger.date | nofilter }}"\n'
    )
    [problem] = problems_of(source)
    assert "unknown filter `nofilter`" in problem.message


def test_check_flow_uses_the_given_locate() -> None:
    seen: list[str] = []

    def locate(location: str) -> tuple[int, int]:
        seen.append(location)
        return 7, 3

    [problem] = check_flow(load_flow(FLOW), locate, "f.yaml")
    assert seen == ["tasks[1].message"]
    assert (problem.path, problem.line, problem.column) == ("f.yaml", 7, 3)


def test_locations_round_trip() -> None:
    path = ("tasks", 2, "tasks", 0, "message")
    assert format_location(path) == "tasks[2].tasks[0].message"
    assert parse_location("tasks[2].tasks[0].message") == path


def test_check_flow_accepts_the_yaml_source_in_place_of_locate() -> None:
    [problem] = check_flow(load_flow(FLOW), FLOW, "flow.yaml")
    assert (problem.line, problem.column) == (14, 26)


def test_unknown_flow_variable_and_task_state_are_errors() -> None:
    source = with_task("{{ vars.nope }} {{ tasks.gone.state }}").replace(
        "tasks:\n", "variables:\n  known: 1\ntasks:\n", 1
    )
    messages = [problem.message for problem in problems_of(source)]
    assert any("`vars.nope`" in message for message in messages)
    assert any("`tasks.gone`" in message for message in messages)
    ok = with_task("{{ vars.known }}").replace("tasks:\n", "variables:\n  known: 1\ntasks:\n", 1)
    assert problems_of(ok) == []


def test_input_defaults_are_checked_for_functions_only() -> None:
    source = FLOW.replace("{{ outputs.extrct.value }}", "ok").replace(
        "    type: STRING\n", '    type: STRING\n    defaults: "{{ outputs.x }}{{ nowz() }}"\n', 1
    )
    [problem] = problems_of(source)
    assert "unknown function `nowz()`" in problem.message
    assert problem.location == "inputs[0].defaults"


def test_a_hyphenated_task_id_read_with_a_dot_gets_the_bracket_form_as_hint() -> None:
    source = (
        FLOW.replace("id: extract", "id: my-extract")
        .replace("{{ outputs.extrct.value }}", "{{ outputs.my-extract.value }}")
        .replace("{{ outputs.extract.value }}", "{{ outputs['my-extract'].value }}")
    )
    [problem] = problems_of(source)
    assert "`outputs.my` refers to a task `my`" in problem.message
    assert problem.hint == "a hyphenated id needs brackets: `outputs['my-extract']`"
