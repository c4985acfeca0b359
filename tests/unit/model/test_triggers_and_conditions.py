"""Triggers and conditions: declarations, legacy aliases, cron, Webhook and Flow rules."""

from __future__ import annotations

from typing import Any

import pytest
from model_helpers import LOG, flow_with, problems

from tercel.model.loader import load_flow
from tercel.model.registry import Category, registry


def with_trigger(trigger_yaml: str) -> str:
    return flow_with("tasks:\n  - id: t\n" + LOG + "triggers:\n" + trigger_yaml)


SCHEDULE = "  - id: s\n    type: io.kestra.plugin.core.trigger.Schedule\n"


@pytest.mark.parametrize(
    "cron",
    ["'* * * * *'", "'*/5 1-3 * * MON-FRI'", "'@daily'", "'@annually'", "'@midnight'", "'@hourly'"],
)
def test_valid_cron_expressions_are_accepted(cron: str) -> None:
    flow = load_flow(with_trigger(SCHEDULE + f"    cron: {cron}\n"))
    assert flow.triggers[0].id == "s"


def test_invalid_cron_points_at_the_cron_value_and_names_the_field_out_of_range() -> None:
    assert problems(with_trigger(SCHEDULE + "    cron: '61 * * * *'\n")) == [
        ("invalid cron expression `61 * * * *`: minute `61` is not in 0-59", 10, 11)
    ]
    assert problems(with_trigger(SCHEDULE + "    cron: '0 9-25 * * *'\n")) == [
        ("invalid cron expression `0 9-25 * * *`: hour `25` is not in 0-23", 10, 11)
    ]


def test_six_fields_need_with_seconds() -> None:
    assert problems(with_trigger(SCHEDULE + "    cron: '0 * * * * *'\n")) == [
        ("invalid cron expression `0 * * * * *`: expected 5 fields, found 6", 10, 11)
    ]
    flow = load_flow(with_trigger(SCHEDULE + "    cron: '30 * * * * *'\n    withSeconds: true\n"))
    assert flow.triggers[0].id == "s"


def test_unknown_time_zone_is_rejected() -> None:
    assert problems(
        with_trigger(SCHEDULE + "    cron: '@daily'\n    timezone: Mars/Olympus\n")
    ) == [("unknown time zone `Mars/Olympus`", 11, 15)]


def test_schedule_has_no_interval() -> None:
    found = problems(with_trigger(SCHEDULE + "    cron: '@daily'\n    interval: PT1M\n"))
    assert [(line, column) for _, line, column in found] == [(11, 15)]


def test_webhook_cannot_use_multiple_condition() -> None:
    source = with_trigger(
        "  - id: w\n    type: io.kestra.plugin.core.trigger.Webhook\n    key: k\n"
        "    conditions:\n"
        "      - id: m\n        type: io.kestra.plugin.core.condition.MultipleCondition\n"
        "        conditions:\n"
        "          ok:\n            type: io.kestra.plugin.core.condition.ExecutionStatus\n"
        "            in: [SUCCESS]\n"
    )
    assert problems(source) == [("a Webhook trigger cannot use a MultipleCondition", 13, 15)]


def test_unknown_trigger_type_hints_the_nearest_trigger() -> None:
    with pytest.raises(Exception) as caught:
        load_flow(with_trigger("  - id: s\n    type: io.kestra.plugin.core.trigger.Schedul\n"))
    problem = caught.value.problems[0]  # type: ignore[attr-defined]
    assert (problem.message, problem.line, problem.column, problem.hint) == (
        "unknown trigger type `io.kestra.plugin.core.trigger.Schedul`",
        9,
        11,
        "did you mean `io.kestra.plugin.core.trigger.Schedule`?",
    )


def test_unknown_state_in_a_condition_is_rejected() -> None:
    source = with_trigger(
        "  - id: f\n    type: io.kestra.plugin.core.trigger.Flow\n    conditions:\n"
        "      - type: io.kestra.plugin.core.condition.ExecutionStatus\n        in: [DONE]\n"
    )
    found = problems(source)
    assert [(line, column) for _, line, column in found] == [(12, 14)]
    assert found[0][0].startswith("unknown state `DONE`")


@pytest.mark.parametrize(
    ("legacy", "canonical"),
    [
        (
            "io.kestra.core.models.conditions.types.ExecutionStatusCondition",
            "io.kestra.plugin.core.condition.ExecutionStatus",
        ),
        (
            "io.kestra.plugin.core.condition.ExpressionCondition",
            "io.kestra.plugin.core.condition.Expression",
        ),
        (
            "io.kestra.core.models.conditions.types.VariableCondition",
            "io.kestra.plugin.core.condition.Expression",
        ),
        (
            "io.kestra.core.models.conditions.types.MultipleCondition",
            "io.kestra.plugin.core.condition.MultipleCondition",
        ),
        ("io.kestra.core.models.triggers.types.Schedule", "io.kestra.plugin.core.trigger.Schedule"),
        ("io.kestra.plugin.fs.http.Trigger", "io.kestra.plugin.core.http.Trigger"),
    ],
)
def test_legacy_names_resolve_to_canonical_types(legacy: str, canonical: str) -> None:
    found = registry.get(legacy)
    assert found is not None
    assert found.name == canonical


def test_every_condition_of_the_catalogue_is_registered() -> None:
    names = set(registry.names(Category.CONDITION))
    for short in (
        "ExecutionStatus",
        "ExecutionFlow",
        "ExecutionNamespace",
        "ExecutionLabels",
        "ExecutionOutputs",
        "Expression",
        "HasRetryAttempt",
        "MultipleCondition",
        "Not",
        "Or",
        "DateTimeBetween",
        "TimeBetween",
        "DayWeek",
        "DayWeekInMonth",
        "Weekend",
        "PublicHoliday",
    ):
        assert f"io.kestra.plugin.core.condition.{short}" in names


def test_flow_trigger_with_preconditions_loads_typed() -> None:
    flow = load_flow(
        with_trigger(
            "  - id: f\n    type: io.kestra.plugin.core.trigger.Flow\n"
            "    states: [SUCCESS]\n"
            "    preconditions:\n      id: p\n      flows:\n        - namespace: a.b\n"
            "          flowId: up\n      where:\n        - id: w\n          filters:\n"
            "            - field: NAMESPACE\n              type: STARTS_WITH\n"
            "              value: a\n"
        )
    )
    trigger: Any = flow.triggers[0]
    assert trigger.preconditions.flows[0].flow_id == "up"
    assert trigger.preconditions.where[0].filters[0].type == "STARTS_WITH"


def test_schedule_on_dates_needs_iso_dates() -> None:
    source = with_trigger(
        "  - id: d\n    type: io.kestra.plugin.core.trigger.ScheduleOnDates\n"
        "    dates: ['2025-01-31T08:00:00+01:00', 'tomorrow']\n"
    )
    found = problems(source)
    assert [(line, column) for _, line, column in found] == [(10, 12)]
    assert "`tomorrow` is not an ISO-8601 date-time" in found[0][0]


def test_process_task_runner_is_registered_as_a_task_runner() -> None:
    found = registry.get("io.kestra.plugin.core.runner.Process")
    assert found is not None
    assert found.category is Category.TASK_RUNNER


def test_state_names_match_the_engine_states() -> None:
    from tercel.engine.state import State
    from tercel.model.state_names import STATE_NAMES

    assert set(STATE_NAMES) == set(State.__members__)


def test_stop_after_takes_state_names() -> None:
    found = problems(with_trigger(SCHEDULE + "    cron: '@daily'\n    stopAfter: [FAILD]\n"))
    assert [(line, column) for _, line, column in found] == [(11, 17)]
    assert found[0][0].startswith("unknown state `FAILD`")


async def test_toggle_task_validates_but_says_it_cannot_run_yet() -> None:
    from tercel.errors import PluginNotRunnableError

    flow = load_flow(
        flow_with(
            "tasks:\n  - id: off\n    type: io.kestra.core.tasks.trigger.Toggle\n"
            "    flowId: other\n    namespace: company.team\n    trigger: nightly\n"
        )
    )
    task: Any = flow.tasks[0]
    assert task.type == "io.kestra.plugin.core.trigger.Toggle"
    with pytest.raises(PluginNotRunnableError):
        await task.run(None)
