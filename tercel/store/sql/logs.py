"""Log lines and metrics on SQL, inserted in batches (one executemany per batch)."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from tercel.engine.execution import LogEntry
from tercel.store.records import MetricEntry, level_number
from tercel.store.sql.database import Database
from tercel.store.sql.schema import logs, metrics


def _log_row(entry: LogEntry) -> dict[str, Any]:
    return {
        "tenant_id": entry.tenant_id,
        "namespace": entry.namespace,
        "flow_id": entry.flow_id,
        "execution_id": entry.execution_id,
        "task_id": entry.task_id,
        "task_run_id": entry.task_run_id,
        "attempt_number": entry.attempt_number,
        "trigger_id": entry.trigger_id,
        "timestamp": entry.timestamp,
        "level": entry.level,
        "level_num": level_number(entry.level),
        "thread": entry.thread,
        "message": entry.message,
    }


class SqlLogs:
    """`LogRepository` on SQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def append(self, entries: Sequence[LogEntry]) -> None:
        """See `LogRepository.append`."""
        if not entries:
            return
        with self._db.transaction() as conn:
            conn.execute(logs.insert(), [_log_row(entry) for entry in entries])

    def list(
        self,
        execution_id: str,
        *,
        min_level: str | None = None,
        task_id: str | None = None,
        task_run_id: str | None = None,
        attempt: int | None = None,
        offset: int = 0,
        limit: int | None = None,
        tenant: str | None = None,
    ) -> builtins.list[LogEntry]:
        """See `LogRepository.list`."""
        query = sa.select(logs).where(logs.c.execution_id == execution_id)
        if tenant is not None:
            query = query.where(logs.c.tenant_id == tenant)
        if min_level is not None:
            query = query.where(logs.c.level_num >= level_number(min_level))
        if task_id is not None:
            query = query.where(logs.c.task_id == task_id)
        if task_run_id is not None:
            query = query.where(logs.c.task_run_id == task_run_id)
        if attempt is not None:
            query = query.where(logs.c.attempt_number == attempt)
        query = query.order_by(logs.c.seq).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        with self._db.read() as conn:
            return [
                LogEntry(
                    namespace=row.namespace,
                    flow_id=row.flow_id,
                    execution_id=row.execution_id,
                    timestamp=row.timestamp,
                    level=row.level,
                    message=row.message,
                    task_id=row.task_id,
                    task_run_id=row.task_run_id,
                    attempt_number=row.attempt_number,
                    trigger_id=row.trigger_id,
                    thread=row.thread,
                    tenant_id=row.tenant_id,
                )
                for row in conn.execute(query)
            ]

    def delete(
        self,
        execution_id: str,
        *,
        levels: Iterable[str] | None = None,
        tenant: str | None = None,
    ) -> int:
        """See `LogRepository.delete`."""
        statement = logs.delete().where(logs.c.execution_id == execution_id)
        if levels is not None:
            statement = statement.where(
                logs.c.level_num.in_(sorted({level_number(level) for level in levels}))
            )
        if tenant is not None:
            statement = statement.where(logs.c.tenant_id == tenant)
        with self._db.transaction() as conn:
            return conn.execute(statement).rowcount


class SqlMetrics:
    """`MetricRepository` on SQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def append(self, entries: Sequence[MetricEntry]) -> None:
        """See `MetricRepository.append`."""
        if not entries:
            return
        rows = [
            {
                "tenant_id": e.tenant_id,
                "namespace": e.namespace,
                "flow_id": e.flow_id,
                "execution_id": e.execution_id,
                "task_id": e.task_id,
                "task_run_id": e.task_run_id,
                "name": e.name,
                "type": e.type,
                "value": e.value,
                "tags": dict(e.tags),
                "timestamp": e.timestamp,
            }
            for e in entries
        ]
        with self._db.transaction() as conn:
            conn.execute(metrics.insert(), rows)

    def list(self, execution_id: str, *, tenant: str | None = None) -> builtins.list[MetricEntry]:
        """See `MetricRepository.list`."""
        query = sa.select(metrics).where(metrics.c.execution_id == execution_id)
        if tenant is not None:
            query = query.where(metrics.c.tenant_id == tenant)
        with self._db.read() as conn:
            return [
                MetricEntry(
                    name=row.name,
                    type=row.type,
                    value=row.value,
                    timestamp=row.timestamp,
                    namespace=row.namespace,
                    flow_id=row.flow_id,
                    execution_id=row.execution_id,
                    task_id=row.task_id,
                    task_run_id=row.task_run_id,
                    tags=row.tags or {},
                    tenant_id=row.tenant_id,
                )
                for row in conn.execute(query.order_by(metrics.c.seq))
            ]
