"""The tables a cluster of processes coordinates through (PostgreSQL; SQLite for one node).

* `components`: one row per live process of `tercel server <role>`, refreshed by a heartbeat.
* `execution_events`: an inbox of engine events for an execution that another process
  drives; its executor deletes them in the transaction that applies them.
* the `jobs` rows of task attempts, looked up by execution (kill, take-over, dead workers).
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from tercel.store.records import DEFAULT_TENANT, JOB_RUNNING, Job
from tercel.store.sql.database import Database
from tercel.store.sql.dialect import lock_for_claim, notify
from tercel.store.sql.queue import _job
from tercel.store.sql.schema import components, execution_events, executions, jobs

#: NOTIFY channel: an execution was created (payload ``new:<id>``) or got an event in its
#: inbox (``event:<id>``).
EVENTS_CHANNEL = "tercel_executions"
NEW_PREFIX = "new:"
EVENT_PREFIX = "event:"


@dataclass(frozen=True, slots=True)
class ComponentRecord:
    """One process of the cluster as it registered itself."""

    id: str
    role: str
    host: str
    pid: int
    started: datetime
    heartbeat: datetime
    worker_group: str | None = None
    threads: int | None = None
    health_url: str | None = None
    waiting_for: str | None = None


@dataclass(frozen=True, slots=True)
class InboxEvent:
    """An event waiting for the executor of `execution_id` (wire form, see `cluster.wire`)."""

    id: int
    execution_id: str
    payload: dict[str, Any]


def _component(row: Any) -> ComponentRecord:
    return ComponentRecord(
        id=row.id,
        role=row.role,
        host=row.host,
        pid=row.pid,
        started=row.started,
        heartbeat=row.heartbeat,
        worker_group=row.worker_group,
        threads=row.threads,
        health_url=row.health_url,
        waiting_for=row.waiting_for,
    )


class SqlCluster:
    """Queries of the cluster tables on one `Database`."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # -- components ----------------------------------------------------------------------
    def register(self, record: ComponentRecord) -> None:
        """Insert (or replace) a component's row."""
        values = {
            "id": record.id,
            "role": record.role,
            "host": record.host,
            "pid": record.pid,
            "worker_group": record.worker_group,
            "threads": record.threads,
            "health_url": record.health_url,
            "waiting_for": record.waiting_for,
            "started": record.started,
            "heartbeat": record.heartbeat,
        }
        with self._db.transaction() as conn:
            conn.execute(components.delete().where(components.c.id == record.id))
            conn.execute(components.insert().values(**values))

    def beat(self, component_id: str, waiting_for: str | None, now: datetime) -> bool:
        """Refresh a component's heartbeat; False when its row is gone (declared dead)."""
        with self._db.transaction() as conn:
            result = conn.execute(
                components.update()
                .where(components.c.id == component_id)
                .values(heartbeat=now, waiting_for=waiting_for)
            )
            return result.rowcount > 0

    def remove(self, component_id: str) -> None:
        """Delete a component's row (it stopped cleanly)."""
        with self._db.transaction() as conn:
            conn.execute(components.delete().where(components.c.id == component_id))

    def live(self, since: datetime, role: str | None = None) -> builtins.list[ComponentRecord]:
        """Components that beat at or after `since`, by role then id."""
        query = sa.select(components).where(components.c.heartbeat >= since)
        if role is not None:
            query = query.where(components.c.role == role)
        with self._db.read() as conn:
            rows = conn.execute(query.order_by(components.c.role, components.c.id)).all()
        return [_component(row) for row in rows]

    def forget_dead(self, before: datetime) -> int:
        """Delete the rows of components silent since before `before`; how many."""
        with self._db.transaction() as conn:
            return conn.execute(components.delete().where(components.c.heartbeat < before)).rowcount

    # -- the execution inbox -------------------------------------------------------------
    def post(
        self,
        execution_id: str,
        payload: Mapping[str, Any],
        *,
        tenant: str = DEFAULT_TENANT,
        now: datetime | None = None,
    ) -> None:
        """Queue an event for an execution's executor (joins an open transaction)."""
        with self._db.transaction() as conn:
            conn.execute(
                execution_events.insert().values(
                    tenant_id=tenant,
                    execution_id=execution_id,
                    payload=dict(payload),
                    created=now or datetime.now(UTC),
                )
            )
            notify(conn, EVENTS_CHANNEL, EVENT_PREFIX + execution_id)

    def announce(self, execution_id: str) -> None:
        """Tell the executors an execution waits for one (joins an open transaction)."""
        with self._db.transaction() as conn:
            notify(conn, EVENTS_CHANNEL, NEW_PREFIX + execution_id)

    def take(self, execution_ids: Iterable[str], *, limit: int = 500) -> builtins.list[InboxEvent]:
        """Remove and return the events of these executions, oldest first.

        Call it inside the transaction that applies them: a crash gives them back.
        """
        ids = list(execution_ids)
        if not ids:
            return []
        chosen = (
            sa.select(execution_events.c.id)
            .where(execution_events.c.execution_id.in_(ids))
            .order_by(execution_events.c.id)
            .limit(limit)
        )
        chosen = lock_for_claim(chosen, self._db.dialect)
        statement = (
            execution_events.delete()
            .where(execution_events.c.id.in_(chosen.scalar_subquery()))
            .returning(
                execution_events.c.id, execution_events.c.execution_id, execution_events.c.payload
            )
        )
        with self._db.transaction() as conn:
            rows = conn.execute(statement).all()
        events = [InboxEvent(row.id, row.execution_id, row.payload) for row in rows]
        return sorted(events, key=lambda event: event.id)

    def pending(self, execution_id: str) -> builtins.list[InboxEvent]:
        """The events waiting for an execution (read only)."""
        with self._db.read() as conn:
            rows = conn.execute(
                sa.select(execution_events)
                .where(execution_events.c.execution_id == execution_id)
                .order_by(execution_events.c.id)
            ).all()
        return [InboxEvent(row.id, row.execution_id, row.payload) for row in rows]

    # -- executions ----------------------------------------------------------------------
    def unfinished(self, states: Iterable[str]) -> builtins.list[tuple[str, str | None]]:
        """(id, parent id) of the executions in these states, oldest first."""
        with self._db.read() as conn:
            rows = conn.execute(
                sa.select(executions.c.id, executions.c.parent_id)
                .where(executions.c.state.in_(list(states)))
                .order_by(executions.c.start_date, executions.c.id)
            ).all()
        return [(row.id, row.parent_id) for row in rows]

    def parents(self, execution_ids: Iterable[str]) -> dict[str, str | None]:
        """The parent id of each execution (absent ids are left out)."""
        ids = list(execution_ids)
        if not ids:
            return {}
        with self._db.read() as conn:
            rows = conn.execute(
                sa.select(executions.c.id, executions.c.parent_id).where(executions.c.id.in_(ids))
            ).all()
        return {row.id: row.parent_id for row in rows}

    # -- task jobs -----------------------------------------------------------------------
    def jobs_of(self, execution_id: str) -> builtins.list[Job]:
        """The task jobs (queued or running) of an execution."""
        with self._db.read() as conn:
            rows = conn.execute(
                sa.select(jobs).where(jobs.c.key == execution_id).order_by(jobs.c.id)
            ).all()
        return [_job(row) for row in rows]

    def finish_job(self, job_id: int, worker_id: str) -> bool:
        """Delete a job this worker holds; False when it was taken away (dead, killed)."""
        with self._db.transaction() as conn:
            return (
                conn.execute(
                    jobs.delete().where(
                        jobs.c.id == job_id,
                        jobs.c.claimed_by == worker_id,
                        jobs.c.status == JOB_RUNNING,
                    )
                ).rowcount
                > 0
            )

    def drop_job(self, job_id: int, *, status: str | None = None) -> bool:
        """Delete a job (only in `status` when given); True when it was there."""
        statement = jobs.delete().where(jobs.c.id == job_id)
        if status is not None:
            statement = statement.where(jobs.c.status == status)
        with self._db.transaction() as conn:
            return conn.execute(statement).rowcount > 0

    def ask_kill(self, job_id: int) -> None:
        """Ask the worker running a job to kill it (it reads the flag with its heartbeat)."""
        with self._db.transaction() as conn:
            payload = conn.execute(sa.select(jobs.c.payload).where(jobs.c.id == job_id)).scalar()
            if payload is not None:
                conn.execute(
                    jobs.update().where(jobs.c.id == job_id).values(payload={**payload, "kill": 1})
                )

    def kill_requested(self, job_ids: Iterable[int]) -> builtins.list[int]:
        """Which of these jobs an executor asked to kill."""
        ids = list(job_ids)
        if not ids:
            return []
        with self._db.read() as conn:
            rows = conn.execute(sa.select(jobs.c.id, jobs.c.payload).where(jobs.c.id.in_(ids)))
            return [row.id for row in rows if (row.payload or {}).get("kill")]

    def take_stale(self, execution_ids: Iterable[str], older_than: datetime) -> builtins.list[Job]:
        """Remove and return the running jobs of these executions whose worker went silent.

        Call it inside the transaction that resubmits them: their late results are refused
        (`finish_job` finds no row), so no attempt completes twice.
        """
        ids = list(execution_ids)
        if not ids:
            return []
        stale = sa.select(jobs.c.id).where(
            jobs.c.key.in_(ids),
            jobs.c.status == JOB_RUNNING,
            sa.or_(jobs.c.heartbeat.is_(None), jobs.c.heartbeat < older_than),
        )
        stale = lock_for_claim(stale, self._db.dialect)
        statement = jobs.delete().where(jobs.c.id.in_(stale.scalar_subquery())).returning(*jobs.c)
        with self._db.transaction() as conn:
            taken = [_job(row) for row in conn.execute(statement)]
        return sorted(taken, key=lambda job: job.id)
