"""The job queue and execution timers on SQL.

A claim is one statement, ``UPDATE jobs SET status='RUNNING' ... WHERE id IN (SELECT id ...
ORDER BY id LIMIT n [FOR UPDATE SKIP LOCKED]) RETURNING ...``: on PostgreSQL concurrent
claimers skip each other's rows; on SQLite the ``BEGIN IMMEDIATE`` transaction makes them
take turns. Either way a job is claimed by one worker at a time.
"""

from __future__ import annotations

import builtins
import threading
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from tercel.store.records import (
    DEFAULT_TENANT,
    JOB_FAILED,
    JOB_QUEUED,
    JOB_RUNNING,
    Delay,
    Job,
)
from tercel.store.signal import CHANNEL, JobSignal, PostgresListener
from tercel.store.sql.database import Database
from tercel.store.sql.dialect import lock_for_claim, notify
from tercel.store.sql.schema import UtcDateTime, delays, jobs


def _job(row: Any) -> Job:
    return Job(
        id=row.id,
        kind=row.kind,
        payload=row.payload,
        status=row.status,
        tenant=row.tenant_id,
        key=row.key,
        claimed_by=row.claimed_by,
        heartbeat=row.heartbeat,
        attempts=row.attempts,
        created=row.created,
    )


class SqlJobs:
    """`JobQueue` on SQL."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._signal = JobSignal()
        self._listener: PostgresListener | None = None
        self._listener_lock = threading.Lock()
        self._claims: dict[tuple[str, ...] | None, Any] = {}

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
        with self._db.transaction() as conn:
            job_id = int(
                conn.execute(
                    jobs.insert()
                    .values(
                        tenant_id=tenant,
                        kind=kind,
                        key=key,
                        payload=dict(payload),
                        status=JOB_QUEUED,
                        attempts=0,
                        created=now or datetime.now(UTC),
                    )
                    .returning(jobs.c.id)
                ).scalar_one()
            )
            # Delivered at commit to every listening process (PostgreSQL).
            notify(conn, CHANNEL, kind)
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
        statement = self._claim_statement(tuple(sorted(kinds)) if kinds is not None else None)
        values = {"worker": worker_id, "now": now or datetime.now(UTC), "limit": limit}
        with self._db.transaction() as conn:
            claimed = [_job(row) for row in conn.execute(statement, values)]
        return sorted(claimed, key=lambda job: job.id)

    def _claim_statement(self, kinds: tuple[str, ...] | None) -> Any:
        # Built once per set of kinds: composing the statement costs more than running it.
        cached = self._claims.get(kinds)
        if cached is not None:
            return cached
        # The status is written inline, not bound: only then can SQLite use the partial
        # index of queued jobs (a bound parameter hides that the index applies).
        queued = jobs.c.status == sa.literal_column(f"'{JOB_QUEUED}'")
        candidates = sa.select(jobs.c.id).where(queued)
        if kinds is not None:
            candidates = candidates.where(jobs.c.kind.in_(kinds))
        candidates = candidates.order_by(jobs.c.id).limit(sa.bindparam("limit", type_=sa.Integer))
        candidates = lock_for_claim(candidates, self._db.dialect)
        statement = (
            jobs.update()
            .where(jobs.c.id.in_(candidates.scalar_subquery()))
            .values(
                status=JOB_RUNNING,
                claimed_by=sa.bindparam("worker", type_=sa.String),
                heartbeat=sa.bindparam("now", type_=UtcDateTime),
                attempts=jobs.c.attempts + 1,
            )
            .returning(*jobs.c)
        )
        if len(self._claims) < 64:
            self._claims[kinds] = statement
        return statement

    def heartbeat(self, job_ids: Iterable[int], worker_id: str, now: datetime | None = None) -> int:
        """See `JobQueue.heartbeat`."""
        ids = list(job_ids)
        if not ids:
            return 0
        with self._db.transaction() as conn:
            result = conn.execute(
                jobs.update()
                .where(
                    jobs.c.id.in_(ids),
                    jobs.c.status == JOB_RUNNING,
                    jobs.c.claimed_by == worker_id,
                )
                .values(heartbeat=now or datetime.now(UTC))
            )
            return result.rowcount

    def complete(self, job_id: int) -> bool:
        """See `JobQueue.complete`."""
        with self._db.transaction() as conn:
            return conn.execute(jobs.delete().where(jobs.c.id == job_id)).rowcount > 0

    def fail(self, job_id: int, error: str) -> bool:
        """See `JobQueue.fail`."""
        with self._db.transaction() as conn:
            payload = conn.execute(sa.select(jobs.c.payload).where(jobs.c.id == job_id)).scalar()
            if payload is None:
                return False
            conn.execute(
                jobs.update()
                .where(jobs.c.id == job_id)
                .values(status=JOB_FAILED, payload={**payload, "error": error})
            )
            return True

    def release(self, job_id: int) -> bool:
        """See `JobQueue.release`."""
        with self._db.transaction() as conn:
            result = conn.execute(
                jobs.update()
                .where(jobs.c.id == job_id, jobs.c.status == JOB_RUNNING)
                .values(
                    status=JOB_QUEUED,
                    claimed_by=None,
                    heartbeat=None,
                    attempts=sa.case((jobs.c.attempts > 0, jobs.c.attempts - 1), else_=0),
                )
            )
            return result.rowcount > 0

    def requeue_stale(self, older_than: datetime) -> builtins.list[Job]:
        """See `JobQueue.requeue_stale`."""
        stale = sa.select(jobs.c.id).where(
            jobs.c.status == JOB_RUNNING,
            sa.or_(jobs.c.heartbeat.is_(None), jobs.c.heartbeat < older_than),
        )
        stale = lock_for_claim(stale, self._db.dialect)
        statement = (
            jobs.update()
            .where(jobs.c.id.in_(stale.scalar_subquery()))
            .values(status=JOB_QUEUED, claimed_by=None, heartbeat=None)
            .returning(*jobs.c)
        )
        with self._db.transaction() as conn:
            requeued = [_job(row) for row in conn.execute(statement)]
        return sorted(requeued, key=lambda job: job.id)

    def get(self, job_id: int) -> Job | None:
        """See `JobQueue.get`."""
        with self._db.read() as conn:
            row = conn.execute(sa.select(jobs).where(jobs.c.id == job_id)).first()
        return None if row is None else _job(row)

    def wait(self, timeout: float) -> bool:
        """See `JobQueue.wait` (on PostgreSQL, enqueues from other processes wake it too)."""
        if self._db.is_postgresql and self._listener is None:
            with self._listener_lock:
                if self._listener is None:
                    url = self._db.engine.url.set(drivername="postgresql")
                    self._listener = PostgresListener(
                        url.render_as_string(hide_password=False), self._signal
                    )
        return self._signal.wait(timeout)

    def close(self) -> None:
        """Stop the PostgreSQL listener, if one was started."""
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def count(self, status: str | None = None, kind: str | None = None) -> int:
        """See `JobQueue.count`."""
        query = sa.select(sa.func.count()).select_from(jobs)
        if status is not None:
            query = query.where(jobs.c.status == status)
        if kind is not None:
            query = query.where(jobs.c.kind == kind)
        with self._db.read() as conn:
            return int(conn.execute(query).scalar_one())


def _delay(row: Any) -> Delay:
    return Delay(row.id, row.tenant_id, row.execution_id, row.kind, row.due, row.payload or {})


class SqlDelays:
    """`DelayRepository` on SQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

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
        with self._db.transaction() as conn:
            return int(
                conn.execute(
                    delays.insert()
                    .values(
                        tenant_id=tenant,
                        execution_id=execution_id,
                        kind=kind,
                        due=due,
                        payload=dict(payload or {}),
                    )
                    .returning(delays.c.id)
                ).scalar_one()
            )

    def due(self, now: datetime, *, limit: int = 100) -> builtins.list[Delay]:
        """See `DelayRepository.due`."""
        with self._db.read() as conn:
            rows = conn.execute(
                sa.select(delays)
                .where(delays.c.due <= now)
                .order_by(delays.c.due, delays.c.id)
                .limit(limit)
            ).all()
        return [_delay(row) for row in rows]

    def take_due(self, now: datetime, *, limit: int = 100) -> builtins.list[Delay]:
        """See `DelayRepository.take_due`."""
        chosen = (
            sa.select(delays.c.id)
            .where(delays.c.due <= now)
            .order_by(delays.c.due, delays.c.id)
            .limit(limit)
        )
        chosen = lock_for_claim(chosen, self._db.dialect)
        statement = (
            delays.delete().where(delays.c.id.in_(chosen.scalar_subquery())).returning(*delays.c)
        )
        with self._db.transaction() as conn:
            taken = [_delay(row) for row in conn.execute(statement)]
        return sorted(taken, key=lambda delay: (delay.due, delay.id))

    def delete(self, delay_id: int) -> bool:
        """See `DelayRepository.delete`."""
        with self._db.transaction() as conn:
            return conn.execute(delays.delete().where(delays.c.id == delay_id)).rowcount > 0

    def cancel(self, execution_id: str, kind: str | None = None) -> int:
        """See `DelayRepository.cancel`."""
        statement = delays.delete().where(delays.c.execution_id == execution_id)
        if kind is not None:
            statement = statement.where(delays.c.kind == kind)
        with self._db.transaction() as conn:
            return conn.execute(statement).rowcount

    def list(self, execution_id: str) -> builtins.list[Delay]:
        """See `DelayRepository.list`."""
        with self._db.read() as conn:
            rows = conn.execute(
                sa.select(delays)
                .where(delays.c.execution_id == execution_id)
                .order_by(delays.c.due, delays.c.id)
            ).all()
        return [_delay(row) for row in rows]
