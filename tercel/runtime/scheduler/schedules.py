"""The scheduler: fires Schedule triggers at their cron dates (Kestra §7.2).

Each tick reads every enabled Schedule trigger's state and fires the dates that are due.
Firing is a compare-and-set on the stored next date (`TriggerRepository.advance`), so two
schedulers on one database never fire a date twice. Dates missed while no scheduler ran
follow `recoverMissedSchedules` (ALL, LAST or NONE); `lateMaximumDelay` drops dates that
are too late; conditions that judge the date skip it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from tercel.engine.execution import format_instant, parse_instant
from tercel.errors import TercelError
from tercel.model.durations import parse_duration
from tercel.plugins.core.trigger.schedule import RecoverMissedSchedules, Schedule, ScheduleOnDates
from tercel.runtime.scheduler.conditions import ConditionContext, ConditionError, evaluate_all
from tercel.runtime.scheduler.cron import Timed, next_date, next_of, previous_of, zone_of
from tercel.runtime.scheduler.launcher import TriggerIndex, launch
from tercel.store.records import TriggerState

if TYPE_CHECKING:
    from tercel.engine.execution import Execution
    from tercel.model.flow import Flow
    from tercel.server import ServerRuntime
    from tercel.store.api import Store

_log = logging.getLogger(__name__)

#: A due date older than this was *missed* (the scheduler was down or the trigger disabled).
GRACE = timedelta(seconds=5)
#: How long a scheduler may hold a trigger while firing it (a crashed one loses it after).
LEASE = timedelta(seconds=30)
#: Set in a trigger state's `extra` when a date list has no date left.
EXHAUSTED = "exhausted"
#: At most this many dates of one trigger are fired per tick (catching up is spread out).
MAX_PER_TICK = 50


def utc_now() -> datetime:
    """The scheduler's clock."""
    return datetime.now(UTC)


def schedule_variables(trigger: Timed, date: datetime) -> dict[str, str | None]:
    """`trigger.date`, `trigger.next`, `trigger.previous` (zoned ISO-8601)."""
    previous = previous_of(trigger, date)
    following = next_of(trigger, date)
    return {
        "date": date.isoformat(),
        "next": following.isoformat() if following is not None else None,
        "previous": previous.isoformat() if previous is not None else None,
    }


def _utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC) if moment is not None else None


class Scheduler:
    """Evaluates Schedule triggers every `interval` seconds."""

    def __init__(
        self,
        store: Store,
        runtime: ServerRuntime,
        *,
        owner: str = "scheduler",
        interval: float = 1.0,
        clock: Callable[[], datetime] = utc_now,
        index: TriggerIndex | None = None,
    ) -> None:
        self.store = store
        self.runtime = runtime
        self.owner = owner
        self.interval = interval
        self.clock = clock
        self.index = index or TriggerIndex(store)

    async def run(self) -> None:
        """Tick until cancelled; an error in one tick is logged, not fatal."""
        while True:
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - the scheduler must outlive one bad trigger
                _log.exception("scheduler tick failed")
            await asyncio.sleep(self.interval)

    def tick(self, now: datetime | None = None) -> list[Execution]:
        """Fire every due date; the executions created."""
        now = (now or self.clock()).replace(microsecond=0)
        created: list[Execution] = []
        timed: list[tuple[str, Flow, Timed]] = [
            *self.index.of_type(Schedule),
            *self.index.of_type(ScheduleOnDates),
        ]
        for tenant, flow, trigger in timed:
            try:
                created.extend(self._evaluate(tenant, flow, trigger, now))
                if isinstance(trigger, Schedule):
                    created.extend(self._backfill(tenant, flow, trigger, now))
            except TercelError as error:
                _log.warning("trigger %s.%s.%s: %s", flow.namespace, flow.id, trigger.id, error)
        return created

    def _state(self, tenant: str, flow: Flow, trigger: Timed, now: datetime) -> TriggerState:
        state = self.store.triggers.find(flow.namespace, flow.id, trigger.id, tenant=tenant)
        if state is None:
            state = TriggerState(
                tenant, flow.namespace, flow.id, trigger.id, next_execution_date=None
            )
        if state.next_execution_date is None and not state.extra.get(EXHAUSTED):
            # A new trigger starts from now: past dates are not owed.
            following = next_of(trigger, now)
            state.next_execution_date = _utc(following)
            if following is None:
                state.extra = {**state.extra, EXHAUSTED: True}
            self.store.triggers.save(state)
        return state

    def _evaluate(self, tenant: str, flow: Flow, trigger: Timed, now: datetime) -> list[Execution]:
        state = self._state(tenant, flow, trigger, now)
        due = state.next_execution_date
        if state.disabled or due is None or due.astimezone(UTC) > now:
            return []
        # Something is due: hold the trigger's lease while firing, so that an API change
        # (disable, backfill) is never overwritten by this scheduler's stale copy.
        key = (flow.namespace, flow.id, trigger.id)
        until = now + LEASE
        if not self.store.triggers.lock(
            *key, owner=self.owner, until=until, now=now, tenant=tenant
        ):
            return []
        try:
            fresh = self.store.triggers.find(*key, tenant=tenant)
            if fresh is None or fresh.disabled:
                return []
            return self._fire_due(tenant, flow, trigger, fresh, now)
        finally:
            self.store.triggers.unlock(*key, self.owner, tenant=tenant)

    def _fire_due(
        self, tenant: str, flow: Flow, trigger: Timed, state: TriggerState, now: datetime
    ) -> list[Execution]:
        created: list[Execution] = []
        policy = trigger.recover_missed_schedules or RecoverMissedSchedules.ALL
        for _ in range(MAX_PER_TICK):
            due = state.next_execution_date
            if due is None or due.astimezone(UTC) > now:
                break
            # Stored dates are UTC; `trigger.date` is shown in the trigger's zone.
            date = due.astimezone(zone_of(trigger))
            missed = due.astimezone(UTC) < now - GRACE
            fire = True
            if missed and policy is RecoverMissedSchedules.NONE:
                fire = False
                following = next_of(trigger, now)
            elif missed and policy is RecoverMissedSchedules.LAST:
                last = previous_of(trigger, now + timedelta(seconds=1)) or due
                date = last if last.astimezone(UTC) >= due.astimezone(UTC) else due
                following = next_of(trigger, date)
            else:
                following = next_of(trigger, date)
            fire = fire and self._should_fire(flow, trigger, date, now)
            extra = {**state.extra, EXHAUSTED: True} if following is None else state.extra
            advanced = dataclasses.replace(
                state,
                date=date.astimezone(UTC) if fire else state.date,
                next_execution_date=_utc(following),
                extra=extra,
            )
            if not self.store.triggers.advance(advanced, due, now=now):
                break  # another scheduler fired this date first
            state = advanced
            if fire:
                execution = launch(
                    self.runtime,
                    tenant,
                    self.index.executable(tenant, flow),
                    trigger,
                    {**schedule_variables(trigger, date)},
                    schedule_date=date,
                )
                created.append(execution)
                state.execution_id = execution.id
                self.store.triggers.save(state)
        return created

    def _backfill(
        self, tenant: str, flow: Flow, trigger: Schedule, now: datetime
    ) -> list[Execution]:
        """Fire the next dates of a running backfill (a lease keeps other schedulers off)."""
        state = self.store.triggers.find(flow.namespace, flow.id, trigger.id, tenant=tenant)
        if state is None or not state.backfill or state.backfill.get("paused"):
            return []
        key = (flow.namespace, flow.id, trigger.id)
        until = now + LEASE
        if not self.store.triggers.lock(
            *key, owner=self.owner, until=until, now=now, tenant=tenant
        ):
            return []
        created: list[Execution] = []
        try:
            state = self.store.triggers.find(*key, tenant=tenant)
            if state is None or not state.backfill or state.backfill.get("paused"):
                return []
            backfill = dict(state.backfill)
            current = parse_instant(backfill["currentDate"])
            end = parse_instant(backfill["end"])
            cursor = current - timedelta(seconds=1)
            for _ in range(MAX_PER_TICK):
                date = next_date(trigger, cursor)
                if date.astimezone(UTC) > end:
                    backfill = {}
                    break
                cursor = date
                if self._should_fire(flow, trigger, date, date):
                    execution = launch(
                        self.runtime,
                        tenant,
                        self.index.executable(tenant, flow),
                        trigger,
                        schedule_variables(trigger, date),
                        schedule_date=date,
                        extra_inputs=backfill.get("inputs") or {},
                        extra_labels={**(backfill.get("labels") or {}), "system.backfill": "true"},
                    )
                    created.append(execution)
                    backfill["executions"] = int(backfill.get("executions", 0)) + 1
                backfill["currentDate"] = format_instant(date + timedelta(seconds=1))
            state.backfill = backfill or None
            self.store.triggers.save(state)
        finally:
            self.store.triggers.unlock(*key, self.owner, tenant=tenant)
        return created

    def _should_fire(self, flow: Flow, trigger: Timed, date: datetime, now: datetime) -> bool:
        late = getattr(trigger, "late_maximum_delay", None)
        if late is not None:
            delay = parse_duration(late)
            if date.astimezone(UTC) + delay < now:
                _log.info("schedule %s of %s.%s is too late: skipped", date, flow.id, trigger.id)
                return False
        legacy = getattr(trigger, "schedule_conditions", [])
        conditions = [c for c in [*trigger.conditions, *legacy] if c.schedule_capable]
        if not conditions:
            return True
        variables = schedule_variables(trigger, date)
        try:
            return evaluate_all(
                conditions, ConditionContext(flow=flow, date=date, variables=variables)
            )
        except (ConditionError, TercelError) as error:
            _log.warning("conditions of %s.%s failed: %s", flow.id, trigger.id, error)
            return False
