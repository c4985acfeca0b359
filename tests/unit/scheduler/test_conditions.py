"""Conditions judged against an upstream execution or a schedule date."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tercel.engine.execution import Execution, Label
from tercel.engine.state import State, StateTrail
from tercel.model.loader import parse_flow_dict
from tercel.runtime.scheduler.conditions import ConditionContext, evaluate_all

C = "io.kestra.plugin.core.condition."
NOW = datetime(2025, 1, 6, 10, tzinfo=UTC)  # a Monday


def flow_with(conditions: list[dict[str, Any]]) -> Any:
    return parse_flow_dict(
        {
            "id": "downstream",
            "namespace": "company.team",
            "tasks": [{"id": "t", "type": "io.kestra.plugin.core.log.Log", "message": "x"}],
            "triggers": [
                {"id": "on", "type": "io.kestra.plugin.core.trigger.Flow", "conditions": conditions}
            ],
        }
    )


def upstream(state: State = State.SUCCESS, namespace: str = "company.team.etl") -> Execution:
    return Execution(
        id="up",
        namespace=namespace,
        flow_id="extract",
        flow_revision=1,
        state=StateTrail.start(NOW, state),
        labels=[Label("env", "prod")],
    )


def holds(conditions: list[dict[str, Any]], execution: Execution | None = None, **kw: Any) -> bool:
    flow = flow_with(conditions)
    ctx = ConditionContext(flow=flow, upstream=execution, **kw)
    return evaluate_all(flow.triggers[0].conditions, ctx)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"type": C + "ExecutionStatus", "in": ["SUCCESS"]}, True),
        ({"type": C + "ExecutionStatus", "notIn": ["SUCCESS"]}, False),
        ({"type": C + "ExecutionFlow", "namespace": "company.team.etl", "flowId": "extract"}, True),
        ({"type": C + "ExecutionFlow", "namespace": "company.team.etl", "flowId": "other"}, False),
        ({"type": C + "ExecutionNamespace", "namespace": "company.team", "prefix": True}, True),
        ({"type": C + "ExecutionNamespace", "namespace": "company.team"}, False),
        (
            {"type": C + "ExecutionNamespace", "namespace": ".etl", "comparison": "SUFFIX"},
            True,
        ),
        ({"type": C + "ExecutionLabels", "labels": {"env": "prod"}}, True),
        ({"type": C + "ExecutionLabels", "labels": {"env": "dev"}}, False),
        ({"type": C + "Expression", "expression": "{{ trigger.state == 'SUCCESS' }}"}, True),
        ({"type": C + "Expression", "expression": "{{ execution.id == 'nope' }}"}, False),
        (
            {
                "type": C + "Not",
                "conditions": [{"type": C + "ExecutionStatus", "in": ["FAILED"]}],
            },
            True,
        ),
        (
            {
                "type": C + "Or",
                "conditions": [
                    {"type": C + "ExecutionStatus", "in": ["FAILED"]},
                    {"type": C + "ExecutionLabels", "labels": {"env": "prod"}},
                ],
            },
            True,
        ),
    ],
)
def test_execution_conditions(condition: dict[str, Any], expected: bool) -> None:
    execution = upstream()
    variables = {"state": "SUCCESS", "executionId": "up"}
    assert holds([condition], execution, variables=variables) is expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"type": C + "DayWeek", "dayOfWeek": "MONDAY"}, True),
        ({"type": C + "DayWeek", "dayOfWeek": "TUESDAY"}, False),
        ({"type": C + "DayWeekInMonth", "dayOfWeek": "MONDAY", "dayInMonth": "FIRST"}, True),
        ({"type": C + "DayWeekInMonth", "dayOfWeek": "MONDAY", "dayInMonth": "LAST"}, False),
        ({"type": C + "TimeBetween", "after": "09:00:00", "before": "11:00:00"}, True),
        ({"type": C + "TimeBetween", "after": "10:30:00"}, False),
        ({"type": C + "Weekend"}, False),
    ],
)
def test_date_conditions(condition: dict[str, Any], expected: bool) -> None:
    variables = {"date": NOW.isoformat()}
    assert holds([condition], date=NOW, variables=variables) is expected
