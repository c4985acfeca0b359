"""Connections and transactions shared by the SQL repositories.

Each repository method runs in its own transaction unless a `Database.transaction()` block
is open in this context (thread or task), in which case it joins it: that is how several
writes (an execution, its task runs and the jobs they start) commit together.

Driver errors leave this module as Tercel errors: a unique-key violation is a
`ConflictError`, anything else the database reports is a `StoreError` naming the backend.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import sqlalchemy as sa

from tercel.errors import ConflictError, StoreError
from tercel.store.sql.dialect import POSTGRESQL


def _owner() -> tuple[int, object | None]:
    """Who opened a transaction: this thread, and the asyncio task running in it (if any)."""
    try:
        task: object | None = asyncio.current_task()
    except RuntimeError:
        task = None
    return (threading.get_ident(), task)


def translate(error: sa.exc.DBAPIError, backend: str) -> Exception:
    """The Tercel error for a driver error (the original stays chained as the cause)."""
    if isinstance(error, sa.exc.IntegrityError):
        return ConflictError(f"it already exists (or violates a constraint): {error.orig}")
    return StoreError(f"the {backend} database failed: {error.orig}")


class Database:
    """An engine plus the transaction currently open in this context, if any."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.dialect: str = engine.dialect.name
        self._current: ContextVar[tuple[sa.Connection, tuple[int, object | None]] | None] = (
            ContextVar(f"tercel_tx_{id(self)}", default=None)
        )

    def _open(self) -> sa.Connection | None:
        """The transaction this caller may join, if any.

        A context is copied into every asyncio task and `to_thread` call started inside a
        transaction block; such a copy must not reuse the connection (it may be closed by
        now, or in use by another thread), so only the thread and task that opened the
        transaction join it.
        """
        current = self._current.get()
        if current is None:
            return None
        connection, owner = current
        if owner != _owner() or connection.closed or not connection.in_transaction():
            return None
        return connection

    @property
    def is_postgresql(self) -> bool:
        """True on PostgreSQL (row locks across processes), False on SQLite."""
        return self.dialect == POSTGRESQL

    @property
    def in_transaction(self) -> bool:
        """True inside a `transaction()` block of this context."""
        return self._open() is not None

    @contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        """A write transaction; joins the one already open in this context."""
        current = self._open()
        if current is not None:
            yield current
            return
        try:
            with self.engine.begin() as connection:
                token = self._current.set((connection, _owner()))
                try:
                    yield connection
                finally:
                    self._current.reset(token)
        except sa.exc.DBAPIError as error:
            raise translate(error, self.dialect) from error

    @contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """A read-only connection (or the open transaction, to see its own writes)."""
        current = self._open()
        if current is not None:
            yield current
            return
        try:
            with self.engine.connect() as connection:
                connection.execution_options(tercel_read=True)
                yield connection
        except sa.exc.DBAPIError as error:
            raise translate(error, self.dialect) from error
