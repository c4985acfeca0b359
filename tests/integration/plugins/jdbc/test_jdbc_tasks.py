"""JDBC Query/Queries on real DuckDB, SQLite and PostgreSQL (TEST_DATABASE_URL)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tercel.errors import TaskError
from tercel.ids import short_id
from tercel.plugins.core.storage import ion
from tercel.testing import FakeTaskContext, run_task

pytestmark = pytest.mark.integration

DATABASES = ["duckdb", "sqlite", "postgresql"]


def postgres_url() -> tuple[str, str] | None:
    """(jdbc url, username) of the test PostgreSQL, from TEST_DATABASE_URL."""
    raw = os.environ.get("TEST_DATABASE_URL")
    if not raw:
        return None
    parts = urlsplit(raw.replace("postgresql+psycopg://", "postgresql://"))
    return f"jdbc:postgresql://{parts.hostname}:{parts.port}{parts.path}", parts.username or ""


class Database:
    """One database under test: its task types, connection properties and a fresh table."""

    def __init__(self, kind: str, tmp_path: Path) -> None:
        self.kind = kind
        self.table = f"deals_{short_id().lower()}"
        self.props: dict[str, str] = {}
        if kind == "duckdb":
            self.props["url"] = f"jdbc:duckdb:{tmp_path / 'warehouse.duckdb'}"
        elif kind == "sqlite":
            self.props["url"] = f"jdbc:sqlite:{tmp_path / 'app.sqlite'}"
        else:
            found = postgres_url()
            if found is None:
                pytest.skip("TEST_DATABASE_URL is not set (run through scripts/with-postgres.sh)")
            self.props = {"url": found[0], "username": found[1]}

    def task(self, sql: str, kind: str = "Query", **extra: object) -> dict[str, object]:
        return {
            "id": "q",
            "type": f"io.kestra.plugin.jdbc.{self.kind}.{kind}",
            "sql": sql,
            **self.props,
            **extra,
        }


@pytest.fixture(params=DATABASES)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    database = Database(request.param, tmp_path)
    yield database
    if database.kind == "postgresql":
        import psycopg

        raw = os.environ["TEST_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(raw, autocommit=True) as connection:
            connection.execute(f"DROP TABLE IF EXISTS {database.table}")


@pytest.fixture
def ctx(tmp_path: Path) -> FakeTaskContext:
    return FakeTaskContext(tmp_path, variables={"inputs": {"stage": "won"}})


async def create_deals(db: Database, ctx: FakeTaskContext) -> None:
    sql = f"""
    CREATE TABLE {db.table} (id INTEGER, name VARCHAR(50), stage VARCHAR(20),
                             amount DECIMAL(10, 2), closed DATE);
    INSERT INTO {db.table} VALUES (1, 'Acme', 'won', 1200.50, '2026-01-05');
    INSERT INTO {db.table} VALUES (2, 'Globex', 'lost', 300.00, NULL);
    INSERT INTO {db.table} VALUES (3, 'Initech', 'won', 99.99, '2026-02-01');
    """
    assert (await run_task(db.task(sql), ctx)).outputs == {}


async def test_fetch_returns_every_row_as_a_map(db: Database, ctx: FakeTaskContext) -> None:
    await create_deals(db, ctx)
    task = db.task(f"SELECT id, name, amount FROM {db.table} ORDER BY id", fetchType="FETCH")
    outputs = (await run_task(task, ctx)).outputs
    assert outputs is not None
    assert outputs["size"] == 3
    assert outputs["rows"][0] == {"id": 1, "name": "Acme", "amount": 1200.5}
    assert [row["name"] for row in outputs["rows"]] == ["Acme", "Globex", "Initech"]


async def test_fetch_one_with_named_parameters(db: Database, ctx: FakeTaskContext) -> None:
    await create_deals(db, ctx)
    task = db.task(
        f"SELECT COUNT(*) AS n, SUM(amount) AS total FROM {db.table} WHERE stage = :stage",
        fetchType="FETCH_ONE",
        parameters={"stage": "{{ inputs.stage }}"},
    )
    outputs = (await run_task(task, ctx)).outputs
    assert outputs == {"size": 1, "row": {"n": 2, "total": 1300.49}}


async def test_fetch_one_of_no_rows_is_null(db: Database, ctx: FakeTaskContext) -> None:
    await create_deals(db, ctx)
    task = db.task(f"SELECT id FROM {db.table} WHERE id < 0", fetchType="FETCH_ONE")
    assert (await run_task(task, ctx)).outputs == {"size": 0, "row": None}


async def test_store_writes_an_ion_file_the_storage_tasks_read(
    db: Database, ctx: FakeTaskContext
) -> None:
    await create_deals(db, ctx)
    task = db.task(f"SELECT * FROM {db.table} ORDER BY id", fetchType="STORE", fetchSize=2)
    outputs = (await run_task(task, ctx)).outputs
    assert outputs is not None
    assert outputs["size"] == 3
    uri = outputs["uri"]
    assert uri.endswith(".ion")
    rows = list(ion.iter_rows(ctx.storage.local_path(uri)))
    assert rows[0]["name"] == "Acme"
    assert Decimal(str(rows[0]["amount"])) == Decimal("1200.50")
    # SQLite has no date type: it keeps the text it was given.
    expected_date = "2026-01-05" if db.kind == "sqlite" else date(2026, 1, 5)
    assert rows[0]["closed"] == expected_date
    assert rows[1]["closed"] is None
    filtered = await run_task(
        {
            "id": "f",
            "type": "io.kestra.plugin.core.storage.FilterItems",
            "from": uri,
            "filterCondition": "{{ stage == 'won' }}",
        },
        ctx,
    )
    assert filtered.outputs is not None
    kept = list(ion.iter_rows(ctx.storage.local_path(filtered.outputs["uri"])))
    assert [row["id"] for row in kept] == [1, 3]


async def test_queries_return_one_output_per_result(db: Database, ctx: FakeTaskContext) -> None:
    await create_deals(db, ctx)
    sql = f"""
    UPDATE {db.table} SET stage = 'won' WHERE id = 2;
    SELECT COUNT(*) AS n FROM {db.table} WHERE stage = 'won';
    SELECT name FROM {db.table} ORDER BY id DESC;
    """
    outputs = (await run_task(db.task(sql, "Queries", fetchType="FETCH"), ctx)).outputs
    assert outputs == {
        "outputs": [
            {"size": 1, "rows": [{"n": 3}]},
            {"size": 3, "rows": [{"name": "Initech"}, {"name": "Globex"}, {"name": "Acme"}]},
        ]
    }


async def test_queries_roll_back_together_when_one_fails(
    db: Database, ctx: FakeTaskContext
) -> None:
    await create_deals(db, ctx)
    sql = f"DELETE FROM {db.table}; SELECT no_such_column FROM {db.table}"
    with pytest.raises(TaskError, match="SQL error"):
        await run_task(db.task(sql, "Queries"), ctx)
    count = db.task(f"SELECT COUNT(*) AS n FROM {db.table}", fetchType="FETCH_ONE")
    assert (await run_task(count, ctx)).outputs == {"size": 1, "row": {"n": 3}}


async def test_sql_errors_fail_the_task_with_the_database_message(
    db: Database, ctx: FakeTaskContext
) -> None:
    with pytest.raises(TaskError, match=r"SQL error: .*(missing_table|MISSING_TABLE)"):
        await run_task(db.task("SELECT * FROM missing_table", fetchType="FETCH"), ctx)


async def test_a_url_of_another_database_is_refused(tmp_path: Path) -> None:
    task = {
        "id": "q",
        "type": "io.kestra.plugin.jdbc.duckdb.Query",
        "url": f"jdbc:sqlite:{tmp_path / 'x.db'}",
        "sql": "SELECT 1",
    }
    with pytest.raises(TaskError, match="connects to duckdb, but `url` is a sqlite URL"):
        await run_task(task, FakeTaskContext(tmp_path))


async def test_duckdb_without_url_is_in_memory(tmp_path: Path) -> None:
    task = {
        "id": "q",
        "type": "io.kestra.plugin.jdbc.duckdb.Query",
        "sql": "SELECT 40 + 2 AS answer",
        "fetchType": "FETCH_ONE",
    }
    outputs = (await run_task(task, FakeTaskContext(tmp_path))).outputs
    assert outputs == {"size": 1, "row": {"answer": 42}}


async def test_deprecated_fetch_one_flag_still_works(tmp_path: Path) -> None:
    task = {
        "id": "q",
        "type": "io.kestra.plugin.jdbc.sqlite.Query",
        "url": f"jdbc:sqlite:{tmp_path / 'x.db'}",
        "sql": "SELECT 'a' AS v",
        "fetchOne": True,
    }
    outputs = (await run_task(task, FakeTaskContext(tmp_path))).outputs
    assert outputs == {"size": 1, "row": {"v": "a"}}


async def test_wrong_postgres_password_fails_without_echoing_it(tmp_path: Path) -> None:
    task = {
        "id": "q",
        "type": "io.kestra.plugin.jdbc.postgresql.Query",
        "url": "jdbc:postgresql://127.0.0.1:1/nowhere",
        "username": "u",
        "password": "hunter2-secret",
        "sql": "SELECT 1",
    }
    with pytest.raises(TaskError, match="cannot connect to the postgresql database") as raised:
        await run_task(task, FakeTaskContext(tmp_path))
    assert "hunter2-secret" not in str(raised.value)


async def test_duckdb_reads_input_files_from_the_working_dir(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    uri = ctx.storage.put(ctx.file_uri("deals.json"), b'[{"id": 1, "v": 2}, {"id": 2, "v": 5}]')
    task = {
        "id": "q",
        "type": "io.kestra.plugin.jdbc.duckdb.Query",
        "inputFiles": {"deals.json": uri},
        "sql": "SELECT SUM(v) AS total FROM read_json_auto('{{ workingDir }}/deals.json')",
        "fetchType": "FETCH_ONE",
    }
    outputs = (await run_task(task, ctx)).outputs
    assert outputs == {"size": 1, "row": {"total": 7}}
