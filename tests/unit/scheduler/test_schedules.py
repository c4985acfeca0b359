"""The scheduler's ticks: due dates fire once, missed dates follow the recovery policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tercel.engine.execution import Execution
from tercel.engine.state import StateTrail
from tercel.model.loader import load_flow
from tercel.runtime.scheduler.schedules import Scheduler
from tercel.store.memory import MemoryStore
from tercel.store.sql import SqlStore

T0 = datetime(2025, 1, 6, 10, 0, tzinfo=UTC)


def flow_source(extra: str = "", cron: str = "*/5 * * * *") -> str:
    return f"""\
id: timed
namespace: company.team
inputs:
  - id: who
    type: STRING
    defaults: nobody
tasks:
  - id: t
    type: io.kestra.plugin.core.log.Log
    message: hi
triggers:
  - id: every5
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "{cron}"
    timezone: UTC
    inputs:
      who: "{{{{ trigger.date }}}}"
{extra}"""


class FakeRuntime:
    """Records the executions the scheduler asks for."""

    def __init__(self) -> None:
        self.started: list[dict[str, Any]] = []

    def start_now(self, flow: Any, inputs: Any, labels: Any, **kw: Any) -> Execution:
        self.started.append({"flow": flow.id, "inputs": dict(inputs), **kw})
        return Execution(kw["execution_id"], flow.namespace, flow.id, 1, StateTrail.start(T0))


def setup(store: Any, source: str) -> tuple[Scheduler, FakeRuntime]:
    flow = load_flow(source)
    store.flows.save(source, flow)
    runtime = FakeRuntime()
    return Scheduler(store, runtime), runtime  # type: ignore[arg-type]


def test_a_due_date_fires_once_with_trigger_variables() -> None:
    scheduler, runtime = setup(MemoryStore(), flow_source())
    assert scheduler.tick(T0) == []  # first sight: the next date is 10:05
    assert scheduler.tick(T0 + timedelta(minutes=4)) == []
    fired = scheduler.tick(T0 + timedelta(minutes=5))
    assert len(fired) == 1
    assert scheduler.tick(T0 + timedelta(minutes=5, seconds=1)) == []
    call = runtime.started[0]
    assert call["trigger"].variables["date"] == "2025-01-06T10:05:00+00:00"
    assert call["trigger"].variables["next"] == "2025-01-06T10:10:00+00:00"
    assert call["trigger"].variables["previous"] == "2025-01-06T10:00:00+00:00"
    assert call["inputs"] == {"who": "2025-01-06T10:05:00+00:00"}
    assert call["schedule_date"] == datetime(2025, 1, 6, 10, 5, tzinfo=UTC)


@pytest.mark.parametrize(("policy", "expected"), [("ALL", 6), ("LAST", 1), ("NONE", 0)])
def test_missed_schedules_follow_the_policy(policy: str, expected: int) -> None:
    source = flow_source(f"    recoverMissedSchedules: {policy}\n")
    scheduler, runtime = setup(MemoryStore(), source)
    scheduler.tick(T0)
    # The scheduler was down for half an hour: 10:05 .. 10:30 were missed.
    scheduler.tick(T0 + timedelta(minutes=32))
    assert len(runtime.started) == expected
    if policy == "LAST":
        assert runtime.started[0]["trigger"].variables["date"].startswith("2025-01-06T10:30")
    # Whatever the policy, the next date is in the future and fires normally.
    scheduler.tick(T0 + timedelta(minutes=35))
    assert len(runtime.started) == expected + 1


def test_late_maximum_delay_skips_late_dates() -> None:
    source = flow_source("    lateMaximumDelay: PT1M\n")
    scheduler, runtime = setup(MemoryStore(), source)
    scheduler.tick(T0)
    scheduler.tick(T0 + timedelta(minutes=12))  # 10:05 and 10:10 are more than 1 min late
    assert runtime.started == []


def test_false_condition_skips_the_date() -> None:
    condition = (
        "    conditions:\n"
        "      - type: io.kestra.plugin.core.condition.DayWeek\n"
        "        dayOfWeek: TUESDAY\n"
    )
    scheduler, runtime = setup(MemoryStore(), flow_source(condition))
    scheduler.tick(T0)
    scheduler.tick(T0 + timedelta(minutes=5))  # a Monday
    assert runtime.started == []


def test_disabled_trigger_does_not_fire(tmp_path: Path) -> None:
    scheduler, runtime = setup(MemoryStore(), flow_source("    disabled: true\n"))
    scheduler.tick(T0)
    scheduler.tick(T0 + timedelta(minutes=5))
    assert runtime.started == []


def test_two_schedulers_on_one_database_fire_a_date_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tercel.db'}"
    first_store, second_store = SqlStore.open(url), SqlStore.open(url)
    try:
        first, first_runtime = setup(first_store, flow_source())
        second = Scheduler(second_store, first_runtime)  # type: ignore[arg-type]
        first.tick(T0)
        second.tick(T0)
        due = T0 + timedelta(minutes=5)
        first.tick(due)
        second.tick(due)
        assert len(first_runtime.started) == 1
    finally:
        first_store.close()
        second_store.close()


ON_DATES = """\
id: dated
namespace: company.team
tasks:
  - id: t
    type: io.kestra.plugin.core.log.Log
    message: hi
triggers:
  - id: twice
    type: io.kestra.plugin.core.trigger.ScheduleOnDates
    timezone: Europe/Paris
    dates:
      - "2025-01-06T12:00:00"
      - "2025-01-06T11:30:00+01:00"
"""


def test_schedule_on_dates_fires_each_listed_date_once() -> None:
    scheduler, runtime = setup(MemoryStore(), ON_DATES)
    scheduler.tick(T0)
    scheduler.tick(T0 + timedelta(minutes=30))  # 11:30 Paris
    scheduler.tick(T0 + timedelta(minutes=60))  # 12:00 Paris
    scheduler.tick(T0 + timedelta(days=1))
    dates = [call["trigger"].variables["date"] for call in runtime.started]
    assert dates == ["2025-01-06T11:30:00+01:00", "2025-01-06T12:00:00+01:00"]


def test_zoned_schedule_on_sqlite_fires_once_with_a_zoned_date(tmp_path: Path) -> None:
    store = SqlStore.open(f"sqlite:///{tmp_path / 'tercel.db'}")
    try:
        source = flow_source().replace("timezone: UTC", "timezone: Europe/Paris")
        scheduler, runtime = setup(store, source)
        scheduler.tick(T0)
        scheduler.tick(T0 + timedelta(minutes=5))
        scheduler.tick(T0 + timedelta(minutes=5, seconds=1))
        assert len(runtime.started) == 1
        assert runtime.started[0]["trigger"].variables["date"] == "2025-01-06T11:05:00+01:00"
    finally:
        store.close()
