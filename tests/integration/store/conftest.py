"""The same repository tests run against memory, SQLite (a temp file) and PostgreSQL.

PostgreSQL tests need ``TEST_DATABASE_URL``; ``scripts/with-postgres.sh`` starts a
throw-away server and sets it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tercel.store.api import Store
from tercel.store.memory import MemoryStore
from tercel.store.sql import SqlStore
from tercel.store.sql.schema import metadata

# Tests import the builders module next to this file (pytest runs in importlib mode).
sys.path.insert(0, str(Path(__file__).resolve().parent))

PG_URL = os.environ.get("TEST_DATABASE_URL")
NO_PG = "TEST_DATABASE_URL is not set: run under scripts/with-postgres.sh to test PostgreSQL"

BACKENDS = [
    "memory",
    "sqlite",
    pytest.param(
        "postgresql", marks=[pytest.mark.postgres, pytest.mark.skipif(not PG_URL, reason=NO_PG)]
    ),
]
SQL_BACKENDS = BACKENDS[1:]


@pytest.fixture(scope="session")
def pg_store() -> Iterator[SqlStore]:
    assert PG_URL is not None
    store = SqlStore.open(PG_URL)
    yield store
    store.close()


def _truncate(store: SqlStore) -> None:
    names = ", ".join(table.name for table in metadata.sorted_tables)
    with store.engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


def _open(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if backend == "memory":
        yield MemoryStore()
    elif backend == "sqlite":
        store = SqlStore.open(f"sqlite:///{tmp_path / 'tercel.db'}")
        yield store
        store.close()
    else:
        pg = request.getfixturevalue("pg_store")
        _truncate(pg)
        yield pg


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Every backend."""
    yield from _open(request.param, request, tmp_path)


@pytest.fixture(params=SQL_BACKENDS)
def sql_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    """SQLite and PostgreSQL only (tests that read rows or count statements)."""
    for opened in _open(request.param, request, tmp_path):
        assert isinstance(opened, SqlStore)
        yield opened
