"""Connections and transactions shared by the SQL repositories.

Each repository method runs in its own transaction unless a `Database.transaction()` block
is open in this context (thread or task), in which case it joins it: that is how several
writes (an execution, its task runs and the jobs they start) commit together.

Driver errors leave this module as Tercel errors: a unique-key violation is a
`ConflictError`, anything else the database reports is a `StoreError` naming the backend.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import sqlalchemy as sa

from tercel.errors import ConflictError, StoreError
from tercel.store.sql.dialect import POSTGRESQL


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
        self._current: ContextVar[sa.Connection | None] = ContextVar(
            f"tercel_tx_{id(self)}", default=None
        )

    @property
    def is_postgresql(self) -> bool:
        """True on PostgreSQL (row locks across processes), False on SQLite."""
        return self.dialect == POSTGRESQL

    @property
    def in_transaction(self) -> bool:
        """True inside a `transaction()` block of this context."""
        return self._current.get() is not None

    @contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        """A write transaction; joins the one already open in this context."""
        current = self._current.get()
        if current is not None:
            yield current
            return
        try:
            with self.engine.begin() as connection:
                token = self._current.set(connection)
                try:
                    yield connection
                finally:
                    self._current.reset(token)
        except sa.exc.DBAPIError as error:
            raise translate(error, self.dialect) from error

    @contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """A read-only connection (or the open transaction, to see its own writes)."""
        current = self._current.get()
        if current is not None:
            yield current
            return
        try:
            with self.engine.connect() as connection:
                connection.execution_options(tercel_read=True)
                yield connection
        except sa.exc.DBAPIError as error:
            raise translate(error, self.dialect) from error
