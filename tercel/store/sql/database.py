"""Connections and transactions shared by the SQL repositories.

Each repository method runs in its own transaction unless a `Database.transaction()` block
is open on this thread/task, in which case it joins it: that is how several writes (an
execution, its task runs and the jobs they start) commit together.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import sqlalchemy as sa

from tercel.store.sql.dialect import POSTGRESQL


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

    @contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        """A write transaction; joins the one already open in this context."""
        current = self._current.get()
        if current is not None:
            yield current
            return
        with self.engine.begin() as connection:
            token = self._current.set(connection)
            try:
                yield connection
            finally:
                self._current.reset(token)

    @contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """A read-only connection (or the open transaction, to see its own writes)."""
        current = self._current.get()
        if current is not None:
            yield current
            return
        with self.engine.connect() as connection:
            connection.execution_options(tercel_read=True)
            yield connection
