"""The store on SQLAlchemy Core: SQLite (WAL) for one node, PostgreSQL for many."""

from __future__ import annotations

from tercel.store.sql.store import SqlStore

__all__ = ["SqlStore"]
