"""Flows on SQL: the current revision in `flows`, every revision's YAML in `flow_revisions`."""

from __future__ import annotations

import builtins
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from tercel.errors import ConflictError, NotFoundError
from tercel.store.records import DEFAULT_TENANT, FlowIdentity, FlowRecord, Page
from tercel.store.sql.database import Database
from tercel.store.sql.schema import flow_revisions, flows


def namespace_filter(column: sa.ColumnElement[str], prefix: str) -> sa.ColumnElement[bool]:
    """`column` is `prefix` or lies under it (``LIKE 'prefix.%'``, wildcards escaped)."""
    return sa.or_(column == prefix, column.startswith(prefix + ".", autoescape=True))


def _record(row: Any, *, flow_id_column: str = "id") -> FlowRecord:
    return FlowRecord(
        row.tenant_id,
        row.namespace,
        getattr(row, flow_id_column),
        row.revision,
        row.source,
        row.deleted,
        row.updated,
    )


class SqlFlows:
    """`FlowRepository` on SQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def save(
        self,
        source: str,
        flow: FlowIdentity,
        *,
        tenant: str = DEFAULT_TENANT,
        now: datetime | None = None,
    ) -> FlowRecord:
        """See `FlowRepository.save`."""
        moment = now or datetime.now(UTC)
        for attempt in range(3):
            try:
                return self._save(source, flow, tenant, moment)
            except ConflictError:
                # Two first saves of one flow raced for revision 1: the loser tries again
                # (unless it runs inside a caller's transaction, which is now aborted).
                if self._db.in_transaction or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _save(self, source: str, flow: FlowIdentity, tenant: str, moment: datetime) -> FlowRecord:
        with self._db.transaction() as conn:
            key = (flows.c.tenant_id == tenant) & (flows.c.namespace == flow.namespace)
            key &= flows.c.id == flow.id
            # Two savers of one flow must not both pick the same next revision (SQLite needs
            # no row lock: its write transactions already take turns).
            current = conn.execute(sa.select(flows).where(key).with_for_update()).first()
            if current is not None and not current.deleted and current.source == source:
                return _record(current)
            revision = self._last_revision(conn, tenant, flow.namespace, flow.id) + 1
            record = FlowRecord(tenant, flow.namespace, flow.id, revision, source, False, moment)
            self._write(conn, record, exists=current is not None)
            return record

    @staticmethod
    def _last_revision(conn: sa.Connection, tenant: str, namespace: str, flow_id: str) -> int:
        last = conn.execute(
            sa.select(sa.func.max(flow_revisions.c.revision)).where(
                flow_revisions.c.tenant_id == tenant,
                flow_revisions.c.namespace == namespace,
                flow_revisions.c.flow_id == flow_id,
            )
        ).scalar()
        return int(last or 0)

    @staticmethod
    def _write(conn: sa.Connection, record: FlowRecord, *, exists: bool) -> None:
        values = {
            "revision": record.revision,
            "source": record.source,
            "deleted": record.deleted,
            "updated": record.updated,
        }
        conn.execute(
            flow_revisions.insert().values(
                tenant_id=record.tenant, namespace=record.namespace, flow_id=record.id, **values
            )
        )
        if exists:
            conn.execute(
                flows.update()
                .where(
                    flows.c.tenant_id == record.tenant,
                    flows.c.namespace == record.namespace,
                    flows.c.id == record.id,
                )
                .values(**values)
            )
        else:
            conn.execute(
                flows.insert().values(
                    tenant_id=record.tenant, namespace=record.namespace, id=record.id, **values
                )
            )

    def get(
        self,
        namespace: str,
        flow_id: str,
        revision: int | None = None,
        *,
        tenant: str = DEFAULT_TENANT,
    ) -> FlowRecord:
        """See `FlowRepository.get`."""
        record = self.find(namespace, flow_id, revision, tenant=tenant)
        if record is None:
            where = f"flow `{namespace}.{flow_id}`"
            raise NotFoundError(
                f"{where} has no revision {revision}" if revision else f"{where} does not exist"
            )
        return record

    def find(
        self,
        namespace: str,
        flow_id: str,
        revision: int | None = None,
        *,
        tenant: str = DEFAULT_TENANT,
    ) -> FlowRecord | None:
        """See `FlowRepository.find`."""
        with self._db.read() as conn:
            if revision is None:
                row = conn.execute(
                    sa.select(flows).where(
                        flows.c.tenant_id == tenant,
                        flows.c.namespace == namespace,
                        flows.c.id == flow_id,
                        flows.c.deleted.is_(False),
                    )
                ).first()
                return None if row is None else _record(row)
            row = conn.execute(
                sa.select(flow_revisions).where(
                    flow_revisions.c.tenant_id == tenant,
                    flow_revisions.c.namespace == namespace,
                    flow_revisions.c.flow_id == flow_id,
                    flow_revisions.c.revision == revision,
                )
            ).first()
            return None if row is None else _record(row, flow_id_column="flow_id")

    def revisions(
        self, namespace: str, flow_id: str, *, tenant: str = DEFAULT_TENANT
    ) -> builtins.list[FlowRecord]:
        """See `FlowRepository.revisions`."""
        with self._db.read() as conn:
            rows = conn.execute(
                sa.select(flow_revisions)
                .where(
                    flow_revisions.c.tenant_id == tenant,
                    flow_revisions.c.namespace == namespace,
                    flow_revisions.c.flow_id == flow_id,
                )
                .order_by(flow_revisions.c.revision)
            ).all()
        return [_record(row, flow_id_column="flow_id") for row in rows]

    def _current(self, namespace: str | None, tenant: str | None) -> sa.Select[Any]:
        query = sa.select(flows).where(flows.c.deleted.is_(False))
        if tenant is not None:
            query = query.where(flows.c.tenant_id == tenant)
        if namespace is not None:
            query = query.where(namespace_filter(flows.c.namespace, namespace))
        return query

    def list(
        self, namespace: str | None = None, *, tenant: str | None = DEFAULT_TENANT
    ) -> builtins.list[FlowRecord]:
        """See `FlowRepository.list`."""
        query = self._current(namespace, tenant).order_by(
            flows.c.tenant_id, flows.c.namespace, flows.c.id
        )
        with self._db.read() as conn:
            return [_record(row) for row in conn.execute(query)]

    def search(
        self,
        *,
        namespace: str | None = None,
        query: str | None = None,
        page: int = 1,
        size: int = 25,
        tenant: str = DEFAULT_TENANT,
    ) -> Page[FlowRecord]:
        """See `FlowRepository.search`."""
        select = self._current(namespace, tenant)
        if query:
            needle = f"%{query.lower()}%"
            select = select.where(
                sa.or_(
                    sa.func.lower(flows.c.id).like(needle),
                    sa.func.lower(flows.c.namespace).like(needle),
                )
            )
        with self._db.read() as conn:
            total = conn.execute(
                sa.select(sa.func.count()).select_from(select.subquery())
            ).scalar_one()
            rows = conn.execute(
                select.order_by(flows.c.namespace, flows.c.id)
                .limit(size)
                .offset(max(page - 1, 0) * size)
            ).all()
        return Page([_record(row) for row in rows], int(total), page, size)

    def delete(
        self,
        namespace: str,
        flow_id: str,
        *,
        tenant: str = DEFAULT_TENANT,
        now: datetime | None = None,
    ) -> FlowRecord:
        """See `FlowRepository.delete`."""
        with self._db.transaction() as conn:
            current = self.get(namespace, flow_id, tenant=tenant)
            revision = self._last_revision(conn, tenant, namespace, flow_id) + 1
            record = FlowRecord(
                tenant,
                namespace,
                flow_id,
                revision,
                current.source,
                True,
                now or datetime.now(UTC),
            )
            self._write(conn, record, exists=True)
            return record

    def namespaces(self, *, tenant: str = DEFAULT_TENANT) -> builtins.list[str]:
        """See `FlowRepository.namespaces`."""
        with self._db.read() as conn:
            rows = conn.execute(
                sa.select(flows.c.namespace)
                .where(flows.c.tenant_id == tenant, flows.c.deleted.is_(False))
                .distinct()
                .order_by(flows.c.namespace)
            ).all()
        return [row[0] for row in rows]
