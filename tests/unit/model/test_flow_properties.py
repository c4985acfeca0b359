"""Top-level flow properties of Kestra §1.1 beyond tasks: concurrency, outputs, sla, checks."""

from __future__ import annotations

import pytest
from model_helpers import LOG, flow_with, problems

from tercel.errors import FlowValidationError
from tercel.model.flow import ConcurrencyBehavior
from tercel.model.inputs import InputType
from tercel.model.loader import load_flow

TASKS = "tasks:\n  - id: t\n" + LOG


def test_concurrency_limit_and_behavior() -> None:
    flow = load_flow(flow_with("concurrency:\n  limit: 2\n  behavior: CANCEL\n" + TASKS))
    assert flow.concurrency is not None
    assert flow.concurrency.behavior is ConcurrencyBehavior.CANCEL


def test_concurrency_limit_must_be_positive() -> None:
    found = problems(flow_with("concurrency:\n  limit: 0\n" + TASKS))
    assert [(line, column) for _, line, column in found] == [(4, 10)]
    assert found[0][0].startswith("`limit` must be greater than 0")


def test_unknown_concurrency_behavior_points_at_the_value() -> None:
    found = problems(flow_with("concurrency:\n  limit: 1\n  behavior: WAIT\n" + TASKS))
    assert [(line, column) for _, line, column in found] == [(5, 13)]


def test_outputs_are_typed_declarations() -> None:
    flow = load_flow(
        flow_with(TASKS + "outputs:\n  - id: out.value\n    type: INT\n    value: '{{ 1 }}'\n")
    )
    assert flow.outputs[0].type is InputType.INT


def test_sla_checks_and_listeners_are_accepted() -> None:
    flow = load_flow(
        flow_with(
            TASKS
            + "sla:\n  - id: slow\n    type: MAX_DURATION\n    behavior: FAIL\n    duration: PT1H\n"
            "checks:\n  - condition: '{{ inputs.x != 0 }}'\n    message: x must not be 0\n"
            "listeners:\n  - conditions:\n"
            "      - type: io.kestra.plugin.core.condition.ExecutionStatus\n        in: [FAILED]\n"
            "    tasks:\n      - id: alert\n" + LOG.replace("    ", "        ")
        )
    )
    assert flow.sla[0].duration == "PT1H"
    assert flow.checks[0].message == "x must not be 0"
    assert [task.id for task in flow.all_tasks()] == ["t", "alert"]


def test_flow_id_longer_than_100_characters_is_rejected() -> None:
    found = problems("id: " + "a" * 101 + "\nnamespace: n\n" + TASKS)
    assert [(line, column) for _, line, column in found] == [(1, 5)]


def test_misspelled_enum_value_gets_a_hint() -> None:
    with pytest.raises(FlowValidationError) as caught:
        load_flow(flow_with("concurrency:\n  limit: 1\n  behavior: QUEU\n" + TASKS))
    assert [(p.line, p.column, p.hint) for p in caught.value.problems] == [
        (5, 13, "did you mean `QUEUE`?")
    ]
