"""KV entries, namespace records and encrypted secret rows on SQL."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from tercel.errors import ConflictError
from tercel.store.kvtypes import coerce, validate_key
from tercel.store.namespaces import merge_hierarchy
from tercel.store.records import (
    DEFAULT_TENANT,
    KVEntry,
    NamespaceRecord,
    SecretRecord,
    namespace_hierarchy,
)
from tercel.store.sql.database import Database
from tercel.store.sql.dialect import upsert
from tercel.store.sql.flows import namespace_filter
from tercel.store.sql.schema import kv, namespaces, secrets


def _now() -> datetime:
    return datetime.now(UTC)


class SqlKV:
    """`KVRepository` on SQL; expired rows behave as absent (and are overwritten)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._upsert = upsert(kv, db.dialect, ["tenant_id", "namespace", "key"])

    @staticmethod
    def _live(now: datetime) -> sa.ColumnElement[bool]:
        return sa.or_(kv.c.expiration.is_(None), kv.c.expiration > now)

    def get(self, namespace: str, key: str, *, tenant: str = DEFAULT_TENANT) -> Any | None:
        """See `KVRepository.get`."""
        entry = self.entry(namespace, key, tenant=tenant)
        return None if entry is None else entry.value

    def entry(self, namespace: str, key: str, *, tenant: str = DEFAULT_TENANT) -> KVEntry | None:
        """See `KVRepository.entry`."""
        with self._db.read() as conn:
            row = conn.execute(
                sa.select(kv).where(
                    kv.c.tenant_id == tenant,
                    kv.c.namespace == namespace,
                    kv.c.key == key,
                    self._live(_now()),
                )
            ).first()
        return None if row is None else _entry(row)

    def set(
        self,
        namespace: str,
        key: str,
        value: Any,
        *,
        ttl_seconds: float | None = None,
        kv_type: str | None = None,
        overwrite: bool = True,
        description: str | None = None,
        tenant: str = DEFAULT_TENANT,
        now: datetime | None = None,
    ) -> None:
        """See `KVRepository.set`."""
        validate_key(key)
        stored, deduced = coerce(value, kv_type)
        moment = now or _now()
        expiration = moment + timedelta(seconds=ttl_seconds) if ttl_seconds is not None else None
        row = {
            "tenant_id": tenant,
            "namespace": namespace,
            "key": key,
            "value": stored,
            "type": deduced,
            "expiration": expiration,
            "description": description,
            "updated": moment,
        }
        with self._db.transaction() as conn:
            if not overwrite:
                live = conn.execute(
                    sa.select(kv.c.key).where(
                        kv.c.tenant_id == tenant,
                        kv.c.namespace == namespace,
                        kv.c.key == key,
                        self._live(moment),
                    )
                ).first()
                if live is not None:
                    raise ConflictError(
                        f"KV key `{key}` already exists in namespace `{namespace}` "
                        "and overwrite is false"
                    )
            conn.execute(self._upsert, [row])

    def delete(self, namespace: str, key: str, *, tenant: str = DEFAULT_TENANT) -> bool:
        """See `KVRepository.delete`."""
        with self._db.transaction() as conn:
            live = conn.execute(
                sa.select(kv.c.key).where(
                    kv.c.tenant_id == tenant,
                    kv.c.namespace == namespace,
                    kv.c.key == key,
                    self._live(_now()),
                )
            ).first()
            conn.execute(
                kv.delete().where(
                    kv.c.tenant_id == tenant, kv.c.namespace == namespace, kv.c.key == key
                )
            )
            return live is not None

    def keys(
        self, namespace: str, prefix: str | None = None, *, tenant: str = DEFAULT_TENANT
    ) -> builtins.list[str]:
        """See `KVRepository.keys`."""
        query = sa.select(kv.c.key).where(
            kv.c.tenant_id == tenant, kv.c.namespace == namespace, self._live(_now())
        )
        if prefix:
            query = query.where(kv.c.key.startswith(prefix, autoescape=True))
        with self._db.read() as conn:
            return list(conn.execute(query.order_by(kv.c.key)).scalars())

    def list(self, namespace: str, *, tenant: str = DEFAULT_TENANT) -> builtins.list[KVEntry]:
        """See `KVRepository.list`."""
        with self._db.read() as conn:
            rows = conn.execute(
                sa.select(kv)
                .where(kv.c.tenant_id == tenant, kv.c.namespace == namespace, self._live(_now()))
                .order_by(kv.c.key)
            ).all()
        return [_entry(row) for row in rows]

    def purge(
        self,
        select: Callable[[str, str], bool],
        *,
        expired_only: bool = True,
        tenant: str = DEFAULT_TENANT,
    ) -> int:
        """See `KVRepository.purge` (patterns are judged here, rows deleted one by one)."""
        with self._db.transaction() as conn:
            return _purge_rows(conn, select, expired_only, tenant, _now())


def _purge_rows(
    conn: sa.Connection,
    select: Callable[[str, str], bool],
    expired_only: bool,
    tenant: str,
    now: datetime,
) -> int:
    query = sa.select(kv.c.namespace, kv.c.key).where(kv.c.tenant_id == tenant)
    if expired_only:
        query = query.where(kv.c.expiration.is_not(None), kv.c.expiration <= now)
    rows = [(str(row.namespace), str(row.key)) for row in conn.execute(query)]
    doomed = [(namespace, key) for namespace, key in rows if select(namespace, key)]
    for namespace, key in doomed:
        conn.execute(
            kv.delete().where(
                kv.c.tenant_id == tenant, kv.c.namespace == namespace, kv.c.key == key
            )
        )
    return len(doomed)


def _entry(row: Any) -> KVEntry:
    return KVEntry(
        row.tenant_id,
        row.namespace,
        row.key,
        row.value,
        row.type,
        row.updated,
        row.expiration,
        row.description,
    )


def _namespace(row: Any) -> NamespaceRecord:
    return NamespaceRecord(
        row.tenant_id,
        row.id,
        row.description,
        row.variables or {},
        row.plugin_defaults or [],
        row.updated,
    )


class SqlNamespaces:
    """`NamespaceRepository` on SQL."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._upsert = upsert(namespaces, db.dialect, ["tenant_id", "id"])

    def put(self, record: NamespaceRecord) -> NamespaceRecord:
        """See `NamespaceRepository.put`."""
        moment = _now()
        row = {
            "tenant_id": record.tenant,
            "id": record.id,
            "description": record.description,
            "variables": record.variables,
            "plugin_defaults": record.plugin_defaults,
            "updated": moment,
        }
        with self._db.transaction() as conn:
            conn.execute(self._upsert, [row])
        return NamespaceRecord(
            record.tenant,
            record.id,
            record.description,
            record.variables,
            record.plugin_defaults,
            moment,
        )

    def find(self, namespace: str, *, tenant: str = DEFAULT_TENANT) -> NamespaceRecord | None:
        """See `NamespaceRepository.find`."""
        with self._db.read() as conn:
            row = conn.execute(
                sa.select(namespaces).where(
                    namespaces.c.tenant_id == tenant, namespaces.c.id == namespace
                )
            ).first()
        return None if row is None else _namespace(row)

    def list(
        self, prefix: str | None = None, *, tenant: str = DEFAULT_TENANT
    ) -> builtins.list[NamespaceRecord]:
        """See `NamespaceRepository.list`."""
        query = sa.select(namespaces).where(namespaces.c.tenant_id == tenant)
        if prefix is not None:
            query = query.where(namespace_filter(namespaces.c.id, prefix))
        with self._db.read() as conn:
            return [_namespace(row) for row in conn.execute(query.order_by(namespaces.c.id))]

    def delete(self, namespace: str, *, tenant: str = DEFAULT_TENANT) -> bool:
        """See `NamespaceRepository.delete`."""
        with self._db.transaction() as conn:
            result = conn.execute(
                namespaces.delete().where(
                    namespaces.c.tenant_id == tenant, namespaces.c.id == namespace
                )
            )
            return result.rowcount > 0

    def effective(self, namespace: str, *, tenant: str = DEFAULT_TENANT) -> NamespaceRecord:
        """See `NamespaceRepository.effective`."""
        chain_ids = namespace_hierarchy(namespace)
        with self._db.read() as conn:
            rows = conn.execute(
                sa.select(namespaces).where(
                    namespaces.c.tenant_id == tenant, namespaces.c.id.in_(chain_ids)
                )
            ).all()
        by_id = {row.id: _namespace(row) for row in rows}
        return merge_hierarchy(tenant, namespace, [by_id.get(ns) for ns in chain_ids])


class SqlSecrets:
    """`SecretRepository` on SQL: stores ciphertext only."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._upsert = upsert(secrets, db.dialect, ["tenant_id", "namespace", "name"])

    def put(self, record: SecretRecord) -> None:
        """See `SecretRepository.put`."""
        row = {
            "tenant_id": record.tenant,
            "namespace": record.namespace,
            "name": record.name,
            "ciphertext": record.ciphertext,
            "updated": record.updated,
        }
        with self._db.transaction() as conn:
            conn.execute(self._upsert, [row])

    def find(
        self, namespace: str, name: str, *, tenant: str = DEFAULT_TENANT
    ) -> SecretRecord | None:
        """See `SecretRepository.find`."""
        with self._db.read() as conn:
            row = conn.execute(
                sa.select(secrets).where(
                    secrets.c.tenant_id == tenant,
                    secrets.c.namespace == namespace,
                    secrets.c.name == name,
                )
            ).first()
        if row is None:
            return None
        return SecretRecord(
            row.tenant_id, row.namespace, row.name, bytes(row.ciphertext), row.updated
        )

    def names(self, namespace: str, *, tenant: str = DEFAULT_TENANT) -> builtins.list[str]:
        """See `SecretRepository.names`."""
        with self._db.read() as conn:
            return list(
                conn.execute(
                    sa.select(secrets.c.name)
                    .where(secrets.c.tenant_id == tenant, secrets.c.namespace == namespace)
                    .order_by(secrets.c.name)
                ).scalars()
            )

    def delete(self, namespace: str, name: str, *, tenant: str = DEFAULT_TENANT) -> bool:
        """See `SecretRepository.delete`."""
        with self._db.transaction() as conn:
            result = conn.execute(
                secrets.delete().where(
                    secrets.c.tenant_id == tenant,
                    secrets.c.namespace == namespace,
                    secrets.c.name == name,
                )
            )
            return result.rowcount > 0
