"""In-memory trigger state, job queue and timers (see `memory`)."""

from __future__ import annotations

import builtins
import copy
import dataclasses
import itertools
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from tercel.store.records import (
    DEFAULT_TENANT,
    JOB_FAILED,
    JOB_QUEUED,
    JOB_RUNNING,
    Delay,
    Job,
    TriggerState,
    namespace_matches,
)
from tercel.store.signal import JobSignal

Clock = Callable[[], datetime]


class MemoryTriggers:
    """Trigger states in a dict; compare-and-set under the store lock."""

    def __init__(self, lock: threading.RLock, clock: Clock) -> None:
        self._lock = lock
        self._clock = clock
        self._states: dict[tuple[str, str, str, str], TriggerState] = {}

    def find(
        self, namespace: str, flow_id: str, trigger_id: str, *, tenant: str = DEFAULT_TENANT
    ) -> TriggerState | None:
        """See `TriggerRepository.find`."""
        with self._lock:
            return copy.deepcopy(self._states.get((tenant, namespace, flow_id, trigger_id)))

    def save(self, state: TriggerState) -> None:
        """See `TriggerRepository.save`."""
        stored = copy.deepcopy(state)
        stored.updated = self._clock()
        with self._lock:
            self._states[state.key] = stored

    def delete(
        self, namespace: str, flow_id: str, trigger_id: str, *, tenant: str = DEFAULT_TENANT
    ) -> bool:
        """See `TriggerRepository.delete`."""
        with self._lock:
            return self._states.pop((tenant, namespace, flow_id, trigger_id), None) is not None

    def list(
        self,
        *,
        namespace: str | None = None,
        flow_id: str | None = None,
        tenant: str | None = DEFAULT_TENANT,
    ) -> list[TriggerState]:
        """See `TriggerRepository.list`."""
        with self._lock:
            found = [
                copy.deepcopy(state)
                for state in self._states.values()
                if (tenant is None or state.tenant == tenant)
                and (namespace is None or namespace_matches(state.namespace, namespace))
                and (flow_id is None or state.flow_id == flow_id)
            ]
        return sorted(found, key=lambda state: state.key)

    def due(self, now: datetime, *, limit: int = 100) -> builtins.list[TriggerState]:
        """See `TriggerRepository.due`."""
        with self._lock:
            found = [
                copy.deepcopy(state)
                for state in self._states.values()
                if not state.disabled
                and state.next_execution_date is not None
                and state.next_execution_date <= now
                and (state.locked_by is None or (state.locked_until or now) <= now)
            ]
        found.sort(key=lambda state: (state.next_execution_date, state.key))
        return found[:limit]

    def advance(
        self, state: TriggerState, expected_next: datetime | None, *, now: datetime | None = None
    ) -> bool:
        """See `TriggerRepository.advance`."""
        with self._lock:
            current = self._states.get(state.key)
            stored_next = current.next_execution_date if current is not None else None
            if stored_next != expected_next:
                return False
            stored = copy.deepcopy(state)
            stored.updated = now or self._clock()
            self._states[state.key] = stored
            return True

    def lock(
        self,
        namespace: str,
        flow_id: str,
        trigger_id: str,
        *,
        owner: str,
        until: datetime,
        now: datetime,
        tenant: str = DEFAULT_TENANT,
    ) -> bool:
        """See `TriggerRepository.lock`."""
        key = (tenant, namespace, flow_id, trigger_id)
        with self._lock:
            state = self._states.get(key)
            if state is None:
                state = TriggerState(tenant, namespace, flow_id, trigger_id, updated=now)
                self._states[key] = state
            held = state.locked_by is not None and (state.locked_until or now) > now
            if held and state.locked_by != owner:
                return False
            state.locked_by, state.locked_until = owner, until
            return True

    def unlock(
        self,
        namespace: str,
        flow_id: str,
        trigger_id: str,
        owner: str | None = None,
        *,
        tenant: str = DEFAULT_TENANT,
    ) -> bool:
        """See `TriggerRepository.unlock`."""
        with self._lock:
            state = self._states.get((tenant, namespace, flow_id, trigger_id))
            if state is None or state.locked_by is None:
                return False
            if owner is not None and state.locked_by != owner:
                return False
            state.locked_by, state.locked_until = None, None
            return True


class MemoryJobs:
    """A job queue in a dict, claimed under the store lock."""

    def __init__(self, lock: threading.RLock, clock: Clock) -> None:
        self._lock = lock
        self._clock = clock
        self._jobs: dict[int, Job] = {}
        self._ids = itertools.count(1)
        self._signal = JobSignal()

    def enqueue(
        self,
        kind: str,
        payload: Mapping[str, Any],
        *,
        key: str | None = None,
        tenant: str = DEFAULT_TENANT,
        now: datetime | None = None,
    ) -> int:
        """See `JobQueue.enqueue`."""
        with self._lock:
            job_id = next(self._ids)
            self._jobs[job_id] = Job(
                job_id,
                kind,
                copy.deepcopy(dict(payload)),
                JOB_QUEUED,
                tenant,
                key,
                None,
                None,
                0,
                now or self._clock(),
            )
            self._signal.notify()
            return job_id

    def claim(
        self,
        worker_id: str,
        *,
        kinds: Iterable[str] | None = None,
        limit: int = 1,
        now: datetime | None = None,
    ) -> list[Job]:
        """See `JobQueue.claim`."""
        wanted = set(kinds) if kinds is not None else None
        moment = now or self._clock()
        claimed: list[Job] = []
        with self._lock:
            for job in self._jobs.values():
                if len(claimed) >= limit:
                    break
                if job.status != JOB_QUEUED or (wanted is not None and job.kind not in wanted):
                    continue
                taken = dataclasses.replace(
                    job,
                    status=JOB_RUNNING,
                    claimed_by=worker_id,
                    heartbeat=moment,
                    attempts=job.attempts + 1,
                )
                self._jobs[job.id] = taken
                claimed.append(taken)
        return claimed

    def heartbeat(self, job_ids: Iterable[int], worker_id: str, now: datetime | None = None) -> int:
        """See `JobQueue.heartbeat`."""
        moment = now or self._clock()
        refreshed = 0
        with self._lock:
            for job_id in job_ids:
                job = self._jobs.get(job_id)
                if job is not None and job.status == JOB_RUNNING and job.claimed_by == worker_id:
                    self._jobs[job_id] = dataclasses.replace(job, heartbeat=moment)
                    refreshed += 1
        return refreshed

    def complete(self, job_id: int) -> bool:
        """See `JobQueue.complete`."""
        with self._lock:
            return self._jobs.pop(job_id, None) is not None

    def fail(self, job_id: int, error: str) -> bool:
        """See `JobQueue.fail`."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return False
            payload = {**job.payload, "error": error}
            self._jobs[job_id] = dataclasses.replace(job, status=JOB_FAILED, payload=payload)
            return True

    def release(self, job_id: int) -> bool:
        """See `JobQueue.release`."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.status != JOB_RUNNING:
                return False
            self._jobs[job_id] = dataclasses.replace(
                job,
                status=JOB_QUEUED,
                claimed_by=None,
                heartbeat=None,
                attempts=max(job.attempts - 1, 0),
            )
            return True

    def requeue_stale(self, older_than: datetime) -> list[Job]:
        """See `JobQueue.requeue_stale`."""
        requeued: list[Job] = []
        with self._lock:
            for job in list(self._jobs.values()):
                stale = job.heartbeat is None or job.heartbeat < older_than
                if job.status == JOB_RUNNING and stale:
                    again = dataclasses.replace(
                        job, status=JOB_QUEUED, claimed_by=None, heartbeat=None
                    )
                    self._jobs[job.id] = again
                    requeued.append(again)
        return requeued

    def get(self, job_id: int) -> Job | None:
        """See `JobQueue.get`."""
        with self._lock:
            return self._jobs.get(job_id)

    def wait(self, timeout: float) -> bool:
        """See `JobQueue.wait`."""
        return self._signal.wait(timeout)

    def count(self, status: str | None = None, kind: str | None = None) -> int:
        """See `JobQueue.count`."""
        with self._lock:
            return sum(
                1
                for job in self._jobs.values()
                if (status is None or job.status == status) and (kind is None or job.kind == kind)
            )


class MemoryDelays:
    """Execution timers in a dict."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._delays: dict[int, Delay] = {}
        self._ids = itertools.count(1)

    def schedule(
        self,
        execution_id: str,
        kind: str,
        due: datetime,
        payload: Mapping[str, Any] | None = None,
        *,
        tenant: str = DEFAULT_TENANT,
    ) -> int:
        """See `DelayRepository.schedule`."""
        with self._lock:
            delay_id = next(self._ids)
            self._delays[delay_id] = Delay(
                delay_id, tenant, execution_id, kind, due, copy.deepcopy(dict(payload or {}))
            )
            return delay_id

    def due(self, now: datetime, *, limit: int = 100) -> list[Delay]:
        """See `DelayRepository.due`."""
        with self._lock:
            found = [delay for delay in self._delays.values() if delay.due <= now]
        found.sort(key=lambda delay: (delay.due, delay.id))
        return found[:limit]

    def take_due(self, now: datetime, *, limit: int = 100) -> builtins.list[Delay]:
        """See `DelayRepository.take_due`."""
        with self._lock:
            taken = self.due(now, limit=limit)
            for delay in taken:
                del self._delays[delay.id]
            return taken

    def delete(self, delay_id: int) -> bool:
        """See `DelayRepository.delete`."""
        with self._lock:
            return self._delays.pop(delay_id, None) is not None

    def cancel(self, execution_id: str, kind: str | None = None) -> int:
        """See `DelayRepository.cancel`."""
        with self._lock:
            doomed = [
                delay.id
                for delay in self._delays.values()
                if delay.execution_id == execution_id and (kind is None or delay.kind == kind)
            ]
            for delay_id in doomed:
                del self._delays[delay_id]
            return len(doomed)

    def list(self, execution_id: str) -> list[Delay]:
        """See `DelayRepository.list`."""
        with self._lock:
            found = [d for d in self._delays.values() if d.execution_id == execution_id]
        return sorted(found, key=lambda delay: (delay.due, delay.id))
