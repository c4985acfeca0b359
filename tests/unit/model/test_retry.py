"""Retry blocks: types, required intervals, and interval ordering (Kestra §3.2)."""

from __future__ import annotations

import pytest
from model_helpers import flow_with, problems

from tercel.model.loader import load_flow


def task_with_retry(retry_yaml: str) -> str:
    return flow_with(
        "tasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n"
        "    retry:\n" + retry_yaml
    )


def test_constant_retry_with_interval_below_max_duration_is_valid() -> None:
    flow = load_flow(
        task_with_retry("      type: constant\n      interval: PT1S\n      maxDuration: PT1M\n")
    )
    assert flow.tasks[0].retry is not None


def test_interval_must_be_shorter_than_max_duration() -> None:
    assert problems(
        task_with_retry("      type: constant\n      interval: PT1H\n      maxDuration: PT1M\n")
    ) == [("`interval` must be shorter than `maxDuration`", 9, 17)]


def test_exponential_interval_must_be_shorter_than_max_interval() -> None:
    assert problems(
        task_with_retry("      type: exponential\n      interval: PT10M\n      maxInterval: PT1M\n")
    ) == [("`interval` must be shorter than `maxInterval`", 9, 17)]


def test_constant_retry_needs_an_interval() -> None:
    assert problems(task_with_retry("      type: constant\n      maxAttempt: 3\n")) == [
        ("missing required property `interval` for a `constant` retry", 8, 7)
    ]


@pytest.mark.parametrize(
    ("retry_yaml", "message", "line", "column"),
    [
        ("      type: sometimes\n", "unknown retry type `sometimes`", 8, 13),
        ("      type: constant\n      interval: soon\n", "`soon` is not an ISO-8601", 9, 17),
        (
            "      type: constant\n      interval: PT1S\n      maxAttempt: 0\n",
            "`maxAttempt`",
            10,
            19,
        ),
    ],
)
def test_bad_retry_values_point_at_the_value(
    retry_yaml: str, message: str, line: int, column: int
) -> None:
    found = problems(task_with_retry(retry_yaml))
    assert len(found) == 1
    assert message in found[0][0]
    assert found[0][1:] == (line, column)


def test_flow_level_retry_is_checked_too() -> None:
    source = flow_with(
        "retry:\n  type: random\n  minInterval: PT1M\n  maxInterval: PT1S\n"
        "tasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n"
    )
    assert problems(source) == [("`minInterval` must be shorter than `maxInterval`", 5, 16)]


def test_task_timeout_must_be_an_iso_duration_unless_templated() -> None:
    source = flow_with(
        "tasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n"
        "    timeout: 60s\n"
    )
    found = problems(source)
    assert [(line, column) for _, line, column in found] == [(7, 14)]
    assert "`60s` is not an ISO-8601 duration" in found[0][0]
    # A plain number is seconds, as Kestra's duration deserializer reads it.
    assert load_flow(source.replace("timeout: 60s", "timeout: 60")).tasks[0].timeout == "60"
    flow = load_flow(source.replace("timeout: 60s", 'timeout: "{{ vars.t }}"'))
    assert flow.tasks[0].timeout == "{{ vars.t }}"
