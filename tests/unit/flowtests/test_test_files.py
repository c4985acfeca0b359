"""Test files read with positions, and checked against the flow they test."""

from __future__ import annotations

from pathlib import Path

import pytest

from tercel.errors import NotFoundError
from tercel.flowtests.loader import (
    check_against_flows,
    collect,
    is_test_source,
    validate_test_source,
)
from tercel.model.flow import Flow
from tercel.model.loader import load_flow
from tercel.runtime.flows import load_flow_dir

pytestmark = pytest.mark.unit

FLOW = """id: etl
namespace: company.team
tasks:
  - id: extract
    type: io.kestra.plugin.core.http.Download
    uri: http://127.0.0.1:9/orders.json
  - id: branch
    type: io.kestra.plugin.core.flow.If
    condition: "{{ true }}"
    then:
      - id: load
        type: io.kestra.plugin.core.log.Log
        message: loaded
"""

KESTRA_DOCS_TEST = """id: etl_tests
namespace: company.team
flowId: etl
testCases:
  - id: extract_mocked
    type: io.kestra.core.tests.flow.UnitTest
    description: a test as Kestra's documentation writes them
    fixtures:
      inputs: {day: "2025-01-01"}
      files:
        products.json: '{"a": 1}'
      tasks:
        - id: extract
          description: "don't fetch data from API"
          outputs:
            uri: "{{ files['products.json'] }}"
        - id: load
          state: FAILED
      trigger:
        id: webhook
        type: io.kestra.plugin.core.trigger.Webhook
        variables: {body: webhook}
    assertions:
      - value: "{{ outputs.extract.uri }}"
        isNotNull: true
        taskId: extract
      - value: "{{ outputs.transform.value }}"
        equalsTo: "[BOWLER HAT, TRILBY HAT]"
"""


def _find(flow: Flow):  # type: ignore[no-untyped-def]
    def find(namespace: str, flow_id: str) -> Flow:
        if (namespace, flow_id) != (flow.namespace, flow.id):
            raise NotFoundError("no such flow")
        return flow

    return find


def test_a_test_written_for_kestra_is_valid() -> None:
    [result] = validate_test_source(KESTRA_DOCS_TEST, "tests/etl.yml")
    assert result.problems == []
    assert result.suite is not None
    case = result.suite.test_cases[0]
    assert case.fixtures is not None
    assert case.fixtures.tasks is not None
    assert [(t.id, t.state) for t in case.fixtures.tasks] == [
        ("extract", "SUCCESS"),
        ("load", "FAILED"),
    ]
    assert check_against_flows(result, _find(load_flow(FLOW))) == []


def test_unknown_operator_is_reported_at_its_key_with_the_closest_name() -> None:
    source = KESTRA_DOCS_TEST.replace("isNotNull: true", "isNotNul: true")
    [result] = validate_test_source(source, "tests/etl.yml")
    [problem] = result.problems
    assert problem.format() == (
        "tests/etl.yml:25:9: unknown assertion operator `isNotNul` (did you mean `isNotNull`?)"
    )


def test_an_assertion_without_operator_is_an_error() -> None:
    source = KESTRA_DOCS_TEST.replace("        isNotNull: true\n", "")
    [result] = validate_test_source(source, "t.yml")
    assert [p.line for p in result.problems] == [24]
    assert result.problems[0].message.startswith("an assertion needs an operator")


def test_a_mocked_state_must_be_a_state_a_task_ends_in() -> None:
    [result] = validate_test_source(KESTRA_DOCS_TEST.replace("FAILED", "PAUSED"), "t.yml")
    assert [(p.line, p.column) for p in result.problems] == [(18, 18)]
    assert "FAILED" in result.problems[0].message


def test_fixture_for_a_task_the_flow_lacks_is_reported_at_its_id() -> None:
    [result] = validate_test_source(
        KESTRA_DOCS_TEST.replace("- id: extract\n", "- id: extrct\n"), "t.yml"
    )
    [problem] = check_against_flows(result, _find(load_flow(FLOW)))
    assert problem.format() == (
        "t.yml:13:15: flow `company.team.etl` has no task `extrct` (did you mean `extract`?)"
    )


def test_unknown_flow_is_reported_at_flow_id() -> None:
    [result] = validate_test_source(KESTRA_DOCS_TEST.replace("flowId: etl", "flowId: elt"), "t.yml")
    [problem] = check_against_flows(result, _find(load_flow(FLOW)))
    assert (problem.line, problem.column) == (3, 9)
    assert problem.message == "unknown flow `company.team.elt`"


def test_a_flowable_task_cannot_be_mocked() -> None:
    [result] = validate_test_source(
        KESTRA_DOCS_TEST.replace("- id: load\n", "- id: branch\n"), "t.yml"
    )
    [problem] = check_against_flows(result, _find(load_flow(FLOW)))
    assert "`branch` (io.kestra.plugin.core.flow.If) cannot be mocked" in problem.message


def test_test_files_beside_flows_are_not_read_as_flows(tmp_path: Path) -> None:
    (tmp_path / "etl.yml").write_text(FLOW, encoding="utf-8")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "etl.yml").write_text(KESTRA_DOCS_TEST, encoding="utf-8")
    problems: list[object] = []
    flows = load_flow_dir(tmp_path, problems.extend)
    assert [f.id for f in flows.all()] == ["etl"]
    assert problems == []
    collection = collect([tmp_path])
    assert collection.problems == []
    assert [s.suite.id for s in collection.suites if s.suite] == ["etl_tests"]


def test_a_flow_is_not_a_test_file() -> None:
    assert is_test_source(KESTRA_DOCS_TEST)
    assert not is_test_source(FLOW)
