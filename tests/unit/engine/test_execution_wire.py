"""The wire JSON of executions is what Kestra clients read (architecture §4.4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tercel.engine.execution import (
    Attempt,
    Execution,
    TaskRun,
    format_instant,
)
from tercel.engine.state import State, StateTrail
from tercel.model.durations import format_duration

T0 = datetime(2024, 12, 20, 10, 11, 12, 123456, tzinfo=UTC)


def test_instants_are_utc_with_milliseconds() -> None:
    assert format_instant(T0) == "2024-12-20T10:11:12.123Z"


def test_durations_are_written_like_java() -> None:
    assert format_duration(timedelta(seconds=1.5)) == "PT1.5S"
    assert format_duration(timedelta(minutes=2, seconds=3)) == "PT2M3S"
    assert format_duration(timedelta(hours=1)) == "PT1H"
    assert format_duration(timedelta(0)) == "PT0S"


def test_execution_round_trips_through_wire_json() -> None:
    execution = Execution("e1", "company.team", "hello", 3, StateTrail.start(T0))
    task_run = TaskRun("tr1", "e1", "company.team", "hello", "log", StateTrail.start(T0))
    task_run.attempts.append(Attempt(StateTrail.start(T0, State.RUNNING)))
    task_run.state.set(State.SUCCESS, T0 + timedelta(seconds=2))
    execution.task_run_list.append(task_run)
    execution.state.set(State.SUCCESS, T0 + timedelta(seconds=3))

    wire = execution.to_wire()

    assert wire["state"]["current"] == "SUCCESS"
    assert wire["state"]["duration"] == "PT3S"
    assert wire["taskRunList"][0]["taskId"] == "log"
    assert wire["taskRunList"][0]["outputs"] is None
    assert Execution.from_wire(wire).to_wire() == wire


def test_setting_the_same_state_twice_keeps_one_history_entry() -> None:
    trail = StateTrail.start(T0)
    assert trail.set(State.RUNNING, T0)
    assert not trail.set(State.RUNNING, T0 + timedelta(seconds=1))
    assert [h.state for h in trail.histories] == [State.CREATED, State.RUNNING]
