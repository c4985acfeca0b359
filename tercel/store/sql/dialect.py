"""Everything that differs between SQLite and PostgreSQL, in one place.

The repositories are written in portable SQLAlchemy Core; only upserts (both backends have
``INSERT ... ON CONFLICT`` but SQLAlchemy builds it per dialect), row-claim locking
(``FOR UPDATE SKIP LOCKED`` exists on PostgreSQL only; SQLite serialises writers with
``BEGIN IMMEDIATE`` instead), advisory locks and connection set-up live here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

POSTGRESQL = "postgresql"
SQLITE = "sqlite"

#: Key of the advisory lock that serialises concurrent migrations on PostgreSQL.
MIGRATION_LOCK_KEY = 0x7465_7263_656C  # "tercel"


def upsert(
    table: sa.Table,
    dialect_name: str,
    keys: Sequence[str],
    update: Sequence[str] | None = None,
) -> Any:
    """``INSERT ... ON CONFLICT (keys) DO UPDATE SET <update> = excluded.<update>``.

    `update` None updates every column but the keys; an empty list means DO NOTHING.
    Execute it with a list of rows for one executemany round trip.
    """
    module: Any = postgresql if dialect_name == POSTGRESQL else sqlite
    statement = module.insert(table)
    columns = [c.name for c in table.columns if c.name not in keys] if update is None else update
    if not columns:
        return statement.on_conflict_do_nothing(index_elements=list(keys))
    return statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: statement.excluded[name] for name in columns},
    )


def lock_for_claim(query: sa.Select[Any], dialect_name: str) -> sa.Select[Any]:
    """Make a claim's inner SELECT skip rows other claimers hold (PostgreSQL).

    SQLite needs nothing: the claim runs inside ``BEGIN IMMEDIATE``, which already makes
    writers take turns.
    """
    if dialect_name == POSTGRESQL:
        return query.with_for_update(skip_locked=True)
    return query


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for a name (PostgreSQL advisory locks take a bigint)."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def advisory_lock(connection: sa.Connection, key: int) -> None:
    """Block until this session holds advisory lock `key` (PostgreSQL)."""
    connection.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": key})


def advisory_unlock(connection: sa.Connection, key: int) -> None:
    """Release advisory lock `key` held by this session (PostgreSQL)."""
    connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": key})


def advisory_xact_lock(connection: sa.Connection, key: int) -> None:
    """Hold advisory lock `key` until the current transaction ends (PostgreSQL)."""
    connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def notify(connection: sa.Connection, channel: str, payload: str) -> None:
    """``NOTIFY channel, payload`` on PostgreSQL (delivered at commit); nothing elsewhere."""
    if connection.dialect.name == POSTGRESQL:
        connection.execute(sa.select(sa.func.pg_notify(channel, payload)))


def normalise_url(url: str) -> str:
    """Accept ``postgres://`` and ``postgresql://`` and use psycopg 3 for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _json_default(value: Any) -> Any:
    # Values a task may leave in outputs or inputs that JSON has no type for: store their
    # text (as Kestra's wire JSON would show them) rather than fail the whole write.
    from tercel.engine.execution import format_instant
    from tercel.model.durations import format_duration

    if isinstance(value, datetime):
        return format_instant(value) if value.tzinfo is not None else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def dump_json(value: Any) -> str:
    """The JSON text stored in JSON columns (compact; non-JSON values as text)."""
    return json.dumps(value, default=_json_default, separators=(",", ":"))


def engine_options(url: str) -> Mapping[str, Any]:
    """`create_engine` keyword arguments suited to the backend."""
    common: dict[str, Any] = {"json_serializer": dump_json}
    if url.startswith("sqlite"):
        connect_args = {"check_same_thread": False, "timeout": 30}
        if url in ("sqlite://", "sqlite:///:memory:") or "mode=memory" in url:
            # An in-memory database lives in one connection: share it.
            return {**common, "connect_args": connect_args, "poolclass": sa.pool.StaticPool}
        # One file, many threads: the pool hands each thread its own connection.
        return {**common, "connect_args": connect_args}
    return {**common, "pool_size": 10, "max_overflow": 20, "pool_pre_ping": True}


def configure_sqlite(engine: sa.Engine) -> None:
    """WAL, NORMAL sync, a busy timeout, foreign keys, and transactions we begin ourselves.

    pysqlite's own transaction handling is turned off (``isolation_level = None``) so that a
    write transaction starts with ``BEGIN IMMEDIATE``: taking the write lock up front is what
    keeps two writers from deadlocking on a lock upgrade. Reads begin a plain ``BEGIN``.
    """

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=NORMAL",
            "PRAGMA busy_timeout=30000",
            "PRAGMA foreign_keys=ON",
        ):
            cursor.execute(pragma)
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        read_only = connection.get_execution_options().get("tercel_read", False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
