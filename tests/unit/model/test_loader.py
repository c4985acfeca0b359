"""Loading flows from YAML: positions, YAML 1.2 scalars, duplicate keys, all problems at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tercel.errors import FlowValidationError, Problem
from tercel.model.loader import load_flow, load_flows, load_flows_from_path, parse_flow_dict


def problems_of(source: str) -> list[Problem]:
    with pytest.raises(FlowValidationError) as caught:
        load_flow(source, "flow.yml")
    return caught.value.problems


def test_valid_flow_loads_with_typed_tasks() -> None:
    flow = load_flow(
        "id: hello\nnamespace: company.team\ntasks:\n"
        "  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n"
    )
    assert flow.id == "hello"
    assert type(flow.tasks[0]).__name__ == "Log"


def test_yes_and_dates_stay_strings_as_in_yaml_1_2() -> None:
    flow = load_flow(
        "id: f\nnamespace: n\nvariables:\n  answer: yes\n  day: 2024-01-31\n  n: 0x1f\n"
        "tasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n"
    )
    assert flow.variables == {"answer": "yes", "day": "2024-01-31", "n": 31}


def test_unknown_property_points_at_key_with_hint() -> None:
    problems = problems_of(
        "id: f\nnamespace: n\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n"
        "    message: hi\n    mesage: typo\n"
    )
    assert [(p.message, p.line, p.column, p.hint) for p in problems] == [
        ("unknown property `mesage`", 7, 5, "did you mean `message`?")
    ]


def test_misspelled_required_property_is_one_problem_not_two() -> None:
    problems = problems_of(
        "id: f\nnamespace: n\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n"
        "    mesage: typo\n"
    )
    assert [(p.message, p.line, p.column, p.hint) for p in problems] == [
        ("unknown property `mesage`", 6, 5, "did you mean `message`?")
    ]


def test_a_map_where_a_list_is_expected_says_so_and_how_to_write_it() -> None:
    problems = problems_of(
        "id: f\nnamespace: n\ntasks:\n  id: log\n  type: io.kestra.plugin.core.log.Log\n"
        "  message: hi\n"
    )
    assert [(p.message, p.line, p.column, p.hint) for p in problems] == [
        (
            "`tasks` must be a list, found a map",
            4,
            3,
            "start each item with `- `, e.g. `- id: ...`",
        )
    ]


def test_a_list_where_a_map_is_expected_says_so() -> None:
    problems = problems_of(
        "id: f\nnamespace: n\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n"
        "    message: hi\n    retry:\n      - type: constant\n"
    )
    assert [(p.message, p.line, p.column) for p in problems] == [
        ("`retry` must be a map, found a list", 8, 7)
    ]


def test_missing_property_points_at_the_map() -> None:
    problems = problems_of(
        "id: f\nnamespace: n\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n"
    )
    assert [(p.message, p.line, p.column) for p in problems] == [
        ("missing required property `message`", 4, 5)
    ]


def test_unknown_type_points_at_type_value_with_nearest_name() -> None:
    problems = problems_of(
        "id: f\nnamespace: n\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Lgo\n"
    )
    assert [(p.message, p.line, p.column, p.hint) for p in problems] == [
        (
            "unknown type `io.kestra.plugin.core.log.Lgo`",
            5,
            11,
            "did you mean `io.kestra.plugin.core.log.Log`?",
        )
    ]


def test_a_type_written_as_its_class_name_alone_gets_the_full_name() -> None:
    problems = problems_of(
        "id: f\nnamespace: n\ntasks:\n  - id: log\n    type: Log\n    message: hi\n"
    )
    assert [(p.message, p.line, p.column, p.hint) for p in problems] == [
        ("unknown type `Log`", 5, 11, "did you mean `io.kestra.plugin.core.log.Log`?")
    ]


def test_duplicate_key_points_at_second_key() -> None:
    problems = problems_of(
        "id: f\nnamespace: n\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n"
        "    message: a\n    message: b\n"
    )
    assert [(p.message, p.line, p.column) for p in problems] == [
        ("duplicate key `tasks[0].message`", 7, 5)
    ]


def test_wrong_value_points_at_value() -> None:
    problems = problems_of(
        "id: f\nnamespace: Bad$NS\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n"
        "    message: hi\n"
    )
    assert len(problems) == 1
    assert problems[0].message.startswith("`namespace`: 'Bad$NS' is not a valid namespace")
    assert (problems[0].line, problems[0].column) == (2, 12)


def test_every_problem_is_reported_at_once() -> None:
    problems = problems_of(
        "id: f\nnamespace: n\ntasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n"
        "  - id: b\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n    bad: 1\n"
        "  - id: c\n    type: nope.Nope\n"
    )
    assert [(p.line, p.column) for p in problems] == [(4, 5), (9, 5), (11, 11)]


def test_syntax_error_is_a_positioned_problem() -> None:
    problems = problems_of("id: f\nnamespace: n\ntasks: [\n")
    assert len(problems) == 1
    assert problems[0].message.startswith("invalid YAML")
    assert problems[0].line >= 3


def test_empty_document_is_rejected() -> None:
    problems = problems_of("")
    assert problems[0].message.startswith("a flow must be a map")
    assert (problems[0].line, problems[0].column) == (1, 1)


def test_multi_document_source_gives_each_flow_and_its_text() -> None:
    flows = load_flows(
        "id: a\nnamespace: n\ntasks:\n  - id: l\n    type: io.kestra.plugin.core.log.Log\n"
        "    message: hi\n---\nid: b\nnamespace: n\ntasks:\n  - id: l\n"
        "    type: io.kestra.plugin.core.log.Log\n    message: hi\n"
    )
    assert [flow.id for flow, _ in flows] == ["a", "b"]
    assert flows[1][1].startswith("id: b\n")


def test_load_flow_rejects_more_than_one_document() -> None:
    problems = problems_of(
        "id: a\nnamespace: n\ntasks:\n  - id: l\n    type: io.kestra.plugin.core.log.Log\n"
        "    message: hi\n---\nid: b\nnamespace: n\ntasks:\n  - id: l\n"
        "    type: io.kestra.plugin.core.log.Log\n    message: hi\n"
    )
    assert [(p.message, p.line) for p in problems] == [
        ("expected one flow, found 2 YAML documents", 8)
    ]


def test_parse_flow_dict_reports_problems_without_positions() -> None:
    with pytest.raises(FlowValidationError) as caught:
        parse_flow_dict({"id": "f", "namespace": "n", "tasks": []})
    assert [(p.message, p.line, p.column) for p in caught.value.problems] == [
        ("`tasks`: must not be empty", 0, 0)
    ]


def test_load_flows_from_path_reports_problems_of_every_invalid_file(tmp_path: Path) -> None:
    valid = (
        "id: a\nnamespace: n\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n"
        "    message: hi\n"
    )
    (tmp_path / "ok.yml").write_text(valid, encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "bad1.yaml").write_text("id: b\nnamespace: n\n", encoding="utf-8")
    (tmp_path / "sub" / "bad2.yml").write_text("id: [\n", encoding="utf-8")
    (tmp_path / "readme.md").write_text("not yaml", encoding="utf-8")
    with pytest.raises(FlowValidationError) as caught:
        load_flows_from_path(tmp_path)
    assert sorted({Path(p.path).name for p in caught.value.problems}) == ["bad1.yaml", "bad2.yml"]
    (tmp_path / "sub" / "bad1.yaml").unlink()
    (tmp_path / "sub" / "bad2.yml").unlink()
    assert [flow.id for flow, _ in load_flows_from_path(tmp_path)] == ["a"]


@pytest.mark.parametrize(
    ("type_name", "hint"),
    [
        (
            "io.kestra.plugin.kubernetes.kubectl.Get",
            "the plugin family `io.kestra.plugin.kubernetes` is not installed in Tercel",
        ),
        ("io.kestra.plugin.docker.Push", "Tercel's `io.kestra.plugin.docker` has `Build`"),
        ("io.kestra.plugin.cor.log.Log", "did you mean `io.kestra.plugin.core.log.Log`?"),
    ],
)
def test_unknown_type_hints_only_close_names_else_the_missing_family(
    type_name: str, hint: str
) -> None:
    problems = problems_of(f"id: f\nnamespace: n\ntasks:\n  - id: t\n    type: {type_name}\n")
    assert [(p.message, p.hint) for p in problems] == [(f"unknown type `{type_name}`", hint)]


def test_kestra_slack_names_from_its_docs_load_without_warnings() -> None:
    source = (
        "id: f\nnamespace: n\ntasks:\n"
        "  - id: hook\n    type: io.kestra.plugin.slack.notifications.SlackIncomingWebhook\n"
        "    url: http://127.0.0.1:1/x\n    messageText: hi\n"
        "  - id: summary\n    type: io.kestra.plugin.slack.notifications.SlackExecution\n"
        "    url: http://127.0.0.1:1/x\n    payload: '{}'\n"
        "  - id: dbt\n    type: io.kestra.plugin.dbt.cli.DbtCLI\n"
        "    engine: CORE\n    logFormat: JSON\n    commands: [dbt build]\n"
        "  - id: get\n    type: io.kestra.plugin.core.http.Download\n"
        "    uri: http://127.0.0.1:1/x\n    saveAs: x.csv\n"
        "  - id: purge\n    type: io.kestra.plugin.core.kv.PurgeKV\n"
    )
    from tercel.model.loader import validate_source

    results = validate_source(source, "flow.yml")
    assert [p.format() for result in results for p in result.problems] == []


def test_asset_declarations_do_not_count_as_duplicate_task_ids() -> None:
    asset = "        - id: orders\n          type: io.kestra.plugin.ee.assets.Table\n"
    problems = problems_of(
        "id: f\nnamespace: n\ntasks:\n"
        "  - id: extract\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n"
        "    assets:\n      outputs:\n" + asset + "  - id: load\n"
        "    type: io.kestra.plugin.core.log.Log\n    message: hi\n"
        "    assets:\n      inputs:\n" + asset
    )
    assert [p.message for p in problems] == ["unknown property `assets`"] * 2
