"""Protocols of the scheduling tables: trigger state, the job queue and execution timers.

Re-exported by `tercel.store.api`.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol

from tercel.store.records import DEFAULT_TENANT, Delay, Job, TriggerState


class TriggerRepository(Protocol):
    """Trigger state; `advance` and `lock` are atomic so that two schedulers never fire twice."""

    def find(
        self, namespace: str, flow_id: str, trigger_id: str, *, tenant: str = DEFAULT_TENANT
    ) -> TriggerState | None:
        """The state, None when absent."""

    def save(self, state: TriggerState) -> None:
        """Create or replace (sets `updated`)."""

    def delete(
        self, namespace: str, flow_id: str, trigger_id: str, *, tenant: str = DEFAULT_TENANT
    ) -> bool:
        """Delete the state."""

    def list(
        self,
        *,
        namespace: str | None = None,
        flow_id: str | None = None,
        tenant: str | None = DEFAULT_TENANT,
    ) -> list[TriggerState]:
        """States under a namespace prefix / of a flow (every tenant when None)."""

    def due(self, now: datetime, *, limit: int = 100) -> builtins.list[TriggerState]:
        """Enabled, unlocked (or lease expired) states whose next date is <= now, every tenant."""

    def advance(
        self,
        state: TriggerState,
        expected_next: datetime | None,
        *,
        now: datetime | None = None,
    ) -> bool:
        """Write `state` only if the stored next date still equals `expected_next`; False
        means another scheduler fired that date first (compare-and-set)."""

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
        """Take the evaluation lease (creating the state if absent) if free or expired."""

    def unlock(
        self,
        namespace: str,
        flow_id: str,
        trigger_id: str,
        owner: str | None = None,
        *,
        tenant: str = DEFAULT_TENANT,
    ) -> bool:
        """Release the lease (only `owner`'s unless None: a forced unlock)."""


class JobQueue(Protocol):
    """Competing-consumers queue: each job claimed by one worker at a time."""

    def enqueue(
        self,
        kind: str,
        payload: Mapping[str, Any],
        *,
        key: str | None = None,
        tenant: str = DEFAULT_TENANT,
        now: datetime | None = None,
    ) -> int:
        """Persist a job; its id."""

    def claim(
        self,
        worker_id: str,
        *,
        kinds: Iterable[str] | None = None,
        limit: int = 1,
        now: datetime | None = None,
    ) -> list[Job]:
        """Claim up to `limit` queued jobs, oldest first; never the same job twice."""

    def heartbeat(self, job_ids: Iterable[int], worker_id: str, now: datetime | None = None) -> int:
        """Refresh the heartbeat of this worker's running jobs; how many were refreshed."""

    def complete(self, job_id: int) -> bool:
        """Remove a finished job."""

    def fail(self, job_id: int, error: str) -> bool:
        """Park a job as FAILED (kept for inspection)."""

    def release(self, job_id: int) -> bool:
        """Put a claimed job back in the queue, as if this claim never happened."""

    def requeue_stale(self, older_than: datetime) -> list[Job]:
        """Jobs whose heartbeat is older than `older_than` go back to QUEUED (their next claim
        counts as a new attempt);
        returns them as requeued."""

    def get(self, job_id: int) -> Job | None:
        """A job by id."""

    def count(self, status: str | None = None, kind: str | None = None) -> int:
        """How many jobs (with that status/kind)."""

    def wait(self, timeout: float) -> bool:
        """Block until a job may have been queued (or `timeout` seconds pass); True when
        woken by an enqueue. Workers call it after an empty claim instead of sleeping."""


class DelayRepository(Protocol):
    """Timers of executions, polled by the executor."""

    def schedule(
        self,
        execution_id: str,
        kind: str,
        due: datetime,
        payload: Mapping[str, Any] | None = None,
        *,
        tenant: str = DEFAULT_TENANT,
    ) -> int:
        """Persist a timer; its id."""

    def due(self, now: datetime, *, limit: int = 100) -> list[Delay]:
        """Timers due at `now`, earliest first (delete each once handled)."""

    def take_due(self, now: datetime, *, limit: int = 100) -> builtins.list[Delay]:
        """Remove and return due timers, earliest first; concurrent takers never get the same
        one. Call it inside ``store.transaction()`` with the writes that handle the timers,
        so that a crash in between gives them back."""

    def delete(self, delay_id: int) -> bool:
        """Remove a handled timer."""

    def cancel(self, execution_id: str, kind: str | None = None) -> int:
        """Remove an execution's timers (of a kind); how many."""

    def list(self, execution_id: str) -> list[Delay]:
        """An execution's timers, earliest first."""
