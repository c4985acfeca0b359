"""What an execution alert reports: link, dates, duration, state and the failed task."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tercel.engine.execution import Execution, TaskRun
from tercel.engine.state import State, StateTrail
from tercel.plugins.slack.summary import ExecutionSummary

pytestmark = pytest.mark.unit

START = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_a_running_execution_counts_its_duration_up_to_now() -> None:
    trail = StateTrail.start(START)
    trail.set(State.RUNNING, START + timedelta(seconds=1))
    execution = Execution("e1", "data.x", "flow", 1, state=trail)
    summary = ExecutionSummary.of(execution, now=START + timedelta(seconds=90))
    assert summary.duration == "PT1M30S"
    assert summary.state == "RUNNING"
    assert summary.failed_task is None
    assert summary.start_date == "2026-01-02T03:04:05.000Z"


def test_the_first_failed_task_run_is_the_failed_task(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TERCEL_PUBLIC_URL", raising=False)
    trail = StateTrail.start(START)
    trail.set(State.FAILED, START + timedelta(seconds=3))
    failed = StateTrail.start(START)
    failed.set(State.FAILED, START)
    execution = Execution("e1", "data.x", "flow", 1, state=trail)
    execution.task_run_list = [
        TaskRun("a", "e1", "data.x", "flow", "first_bad", failed),
        TaskRun("b", "e1", "data.x", "flow", "second_bad", failed),
    ]
    summary = ExecutionSummary.of(execution)
    assert summary.failed_task == "first_bad"
    assert summary.duration == "PT3S"
    assert summary.link == "http://localhost:8080/ui/main/executions/data.x/flow/e1"
