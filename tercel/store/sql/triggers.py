"""Trigger state on SQL, with compare-and-set writes so that a date fires once."""

from __future__ import annotations

import builtins
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from tercel.store.records import DEFAULT_TENANT, TriggerState
from tercel.store.sql.database import Database
from tercel.store.sql.dialect import upsert
from tercel.store.sql.flows import namespace_filter
from tercel.store.sql.schema import triggers

_KEY = ("tenant_id", "namespace", "flow_id", "trigger_id")


def _row(state: TriggerState, updated: datetime) -> dict[str, Any]:
    return {
        "tenant_id": state.tenant,
        "namespace": state.namespace,
        "flow_id": state.flow_id,
        "trigger_id": state.trigger_id,
        "date": state.date,
        "next_execution_date": state.next_execution_date,
        "execution_id": state.execution_id,
        "disabled": state.disabled,
        "backfill": state.backfill,
        "locked_by": state.locked_by,
        "locked_until": state.locked_until,
        "extra": state.extra or None,
        "updated": updated,
    }


def _state(row: Any) -> TriggerState:
    return TriggerState(
        tenant=row.tenant_id,
        namespace=row.namespace,
        flow_id=row.flow_id,
        trigger_id=row.trigger_id,
        date=row.date,
        next_execution_date=row.next_execution_date,
        execution_id=row.execution_id,
        disabled=row.disabled,
        backfill=row.backfill,
        locked_by=row.locked_by,
        locked_until=row.locked_until,
        updated=row.updated,
        extra=row.extra or {},
    )


def _key(
    tenant: str, namespace: str, flow_id: str, trigger_id: str
) -> builtins.list[sa.ColumnElement[bool]]:
    return [
        triggers.c.tenant_id == tenant,
        triggers.c.namespace == namespace,
        triggers.c.flow_id == flow_id,
        triggers.c.trigger_id == trigger_id,
    ]


class SqlTriggers:
    """`TriggerRepository` on SQL."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._upsert = upsert(triggers, db.dialect, _KEY)
        self._insert_if_absent = upsert(triggers, db.dialect, _KEY, [])

    def find(
        self, namespace: str, flow_id: str, trigger_id: str, *, tenant: str = DEFAULT_TENANT
    ) -> TriggerState | None:
        """See `TriggerRepository.find`."""
        with self._db.read() as conn:
            row = conn.execute(
                sa.select(triggers).where(*_key(tenant, namespace, flow_id, trigger_id))
            ).first()
        return None if row is None else _state(row)

    def save(self, state: TriggerState) -> None:
        """See `TriggerRepository.save`."""
        with self._db.transaction() as conn:
            conn.execute(self._upsert, [_row(state, datetime.now(UTC))])

    def delete(
        self, namespace: str, flow_id: str, trigger_id: str, *, tenant: str = DEFAULT_TENANT
    ) -> bool:
        """See `TriggerRepository.delete`."""
        with self._db.transaction() as conn:
            result = conn.execute(
                triggers.delete().where(*_key(tenant, namespace, flow_id, trigger_id))
            )
            return result.rowcount > 0

    def list(
        self,
        *,
        namespace: str | None = None,
        flow_id: str | None = None,
        tenant: str | None = DEFAULT_TENANT,
    ) -> builtins.list[TriggerState]:
        """See `TriggerRepository.list`."""
        query = sa.select(triggers)
        if tenant is not None:
            query = query.where(triggers.c.tenant_id == tenant)
        if namespace is not None:
            query = query.where(namespace_filter(triggers.c.namespace, namespace))
        if flow_id is not None:
            query = query.where(triggers.c.flow_id == flow_id)
        query = query.order_by(*(triggers.c[name] for name in _KEY))
        with self._db.read() as conn:
            return [_state(row) for row in conn.execute(query)]

    def due(self, now: datetime, *, limit: int = 100) -> builtins.list[TriggerState]:
        """See `TriggerRepository.due`."""
        query = (
            sa.select(triggers)
            .where(
                triggers.c.disabled.is_(False),
                triggers.c.next_execution_date <= now,
                sa.or_(triggers.c.locked_by.is_(None), triggers.c.locked_until <= now),
            )
            .order_by(triggers.c.next_execution_date, *(triggers.c[name] for name in _KEY))
            .limit(limit)
        )
        with self._db.read() as conn:
            return [_state(row) for row in conn.execute(query)]

    def advance(
        self, state: TriggerState, expected_next: datetime | None, *, now: datetime | None = None
    ) -> bool:
        """See `TriggerRepository.advance`."""
        row = _row(state, now or datetime.now(UTC))
        key = _key(state.tenant, state.namespace, state.flow_id, state.trigger_id)
        expected = (
            triggers.c.next_execution_date.is_(None)
            if expected_next is None
            else triggers.c.next_execution_date == expected_next
        )
        with self._db.transaction() as conn:
            result = conn.execute(triggers.update().where(*key, expected).values(**row))
            if result.rowcount == 1:
                return True
            if expected_next is not None:
                return False
            # Nothing stored yet counts as "no next date": the first writer creates it.
            inserted = conn.execute(
                self._insert_if_absent.returning(triggers.c.trigger_id), row
            ).first()
            return inserted is not None

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
        fresh = TriggerState(tenant, namespace, flow_id, trigger_id)
        with self._db.transaction() as conn:
            conn.execute(self._insert_if_absent, [_row(fresh, now)])
            result = conn.execute(
                triggers.update()
                .where(
                    *_key(tenant, namespace, flow_id, trigger_id),
                    sa.or_(
                        triggers.c.locked_by.is_(None),
                        triggers.c.locked_until <= now,
                        triggers.c.locked_by == owner,
                    ),
                )
                .values(locked_by=owner, locked_until=until)
            )
            return result.rowcount == 1

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
        where = [*_key(tenant, namespace, flow_id, trigger_id), triggers.c.locked_by.is_not(None)]
        if owner is not None:
            where.append(triggers.c.locked_by == owner)
        with self._db.transaction() as conn:
            result = conn.execute(
                triggers.update().where(*where).values(locked_by=None, locked_until=None)
            )
            return result.rowcount == 1
