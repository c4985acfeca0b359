"""What only the SQL store promises: incremental writes, exclusive claims, migrations, pragmas."""

from __future__ import annotations

import asyncio
import contextvars
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from store_builders import T0, finish, make_execution, make_task_run

from tercel.errors import ConflictError, StoreError
from tercel.store.records import TriggerState
from tercel.store.sql import SqlStore
from tercel.store.sql.migrate import current_revision, downgrade, head_revision, upgrade
from tercel.store.sql.schema import INSTANCE_TABLES, SCHEMA_REVISION, metadata, task_runs


@contextmanager
def rows_written(store: SqlStore) -> Iterator[Counter[str]]:
    """Count rows handed to INSERT/UPDATE statements, per table (executemany counts each row)."""
    written: Counter[str] = Counter()

    def count(conn: Any, clause: Any, multiparams: Any, params: Any, options: Any) -> None:
        table = getattr(clause, "table", None)
        if getattr(clause, "is_dml", False) and table is not None:
            written[table.name] += len(multiparams) if multiparams else 1
            written["statements"] += 1

    sa.event.listen(store.engine, "before_execute", count)
    try:
        yield written
    finally:
        sa.event.remove(store.engine, "before_execute", count)


def test_a_step_of_a_10000_task_run_execution_writes_only_what_changed(sql_store: SqlStore) -> None:
    execution = make_execution(tasks=10_000)
    sql_store.executions.create(execution)
    with rows_written(sql_store) as written:
        for step in range(50):
            at = T0 + timedelta(seconds=step)
            finish(execution.task_run_list[step], at)
            new = make_task_run(execution, f"extra{step}", at=at)
            sql_store.executions.save(execution, [execution.task_run_list[step], new])
    assert written["task_runs"] == 100, "two task runs per step, never the whole list"
    assert written["executions"] == 50
    assert written["statements"] <= 100, "one execution upsert and one task-run upsert per step"
    loaded = sql_store.executions.get(execution.id)
    assert len(loaded.task_run_list) == 10_050
    assert loaded.task_run_list[49].state.current.value == "SUCCESS"
    assert loaded.task_run_list[-1].task_id == "extra49"
    with sql_store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(task_runs)).scalar() == 10_050


def test_a_failed_transaction_writes_nothing(sql_store: SqlStore) -> None:
    execution = make_execution(tasks=1)

    def crash_between_writes() -> None:
        with sql_store.transaction():
            sql_store.executions.create(execution)
            sql_store.jobs.enqueue("task", {"executionId": execution.id})
            raise RuntimeError("crash between writes")

    with pytest.raises(RuntimeError):
        crash_between_writes()
    assert sql_store.executions.find(execution.id) is None
    assert sql_store.jobs.count() == 0


def test_two_concurrent_claimers_never_claim_the_same_job(sql_store: SqlStore) -> None:
    total = 400
    for n in range(total):
        sql_store.jobs.enqueue("task", {"n": n})
    claimed: dict[str, list[int]] = {"a": [], "b": [], "c": []}
    errors: list[Exception] = []

    def work(worker: str) -> None:
        try:
            while batch := sql_store.jobs.claim(worker, limit=3):
                claimed[worker].extend(job.id for job in batch)
        except Exception as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(name,)) for name in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    every = [job_id for ids in claimed.values() for job_id in ids]
    assert len(every) == total
    assert len(set(every)) == total, "a job was claimed twice"


def test_the_execution_lock_serialises_read_modify_write(sql_store: SqlStore) -> None:
    sql_store.kv.set("ns", "counter", 0)

    def bump() -> None:
        for _ in range(20):
            with sql_store.execution_lock("exec-1"):
                value = sql_store.kv.get("ns", "counter")
                sql_store.kv.set("ns", "counter", value + 1)

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sql_store.kv.get("ns", "counter") == 80


def test_creating_an_existing_execution_is_a_conflict(sql_store: SqlStore) -> None:
    execution = make_execution()
    sql_store.executions.create(execution)
    with pytest.raises(ConflictError):
        sql_store.executions.create(execution)


def test_migrations_go_up_from_an_empty_database(sql_store: SqlStore) -> None:
    downgrade(sql_store.engine, "base")
    inspector = sa.inspect(sql_store.engine)
    assert set(inspector.get_table_names()) <= {"alembic_version"}
    assert current_revision(sql_store.engine) is None
    upgrade(sql_store.engine)
    assert current_revision(sql_store.engine) == head_revision()
    inspector = sa.inspect(sql_store.engine)
    tables = set(inspector.get_table_names())
    assert {table.name for table in metadata.sorted_tables} <= tables
    for table in metadata.sorted_tables:
        columns = {column["name"]: column for column in inspector.get_columns(table.name)}
        if table.name in INSTANCE_TABLES:
            assert "tenant_id" not in columns, f"{table.name} is an instance table"
            continue
        assert "tenant_id" in columns, f"{table.name} has no tenant_id"
    upgrade(sql_store.engine)  # already at head: nothing to do


def test_the_migrations_create_exactly_the_tables_the_code_queries(sql_store: SqlStore) -> None:
    # A new SQLite store is created at head without the migrations: rebuild it through them.
    downgrade(sql_store.engine, "base")
    upgrade(sql_store.engine)
    with sql_store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == [], "schema.py changed without a migration"


def test_a_new_sqlite_database_is_created_at_head_with_the_schema_the_migrations_build(
    tmp_path: Path,
) -> None:
    fresh = SqlStore.open(f"sqlite:///{tmp_path / 'fresh.db'}")
    migrated_engine = sa.create_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
    upgrade(migrated_engine)
    try:
        assert current_revision(fresh.engine) == head_revision()
        for engine in (fresh.engine, migrated_engine):
            with engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"compare_type": True})
                assert compare_metadata(context, metadata) == []
        fresh_inspector, migrated_inspector = (
            sa.inspect(fresh.engine),
            sa.inspect(migrated_engine),
        )
        assert fresh_inspector.get_table_names() == migrated_inspector.get_table_names()
        for table in migrated_inspector.get_table_names():

            def index_names(inspector: sa.Inspector, name: str = table) -> set[str | None]:
                return {index["name"] for index in inspector.get_indexes(name)}

            assert index_names(fresh_inspector) == index_names(migrated_inspector), table
        # ... and the rows the data migrations write.
        for query in ("SELECT id FROM tenants", "SELECT username, super_admin FROM users"):
            with fresh.engine.connect() as a, migrated_engine.connect() as b:
                fresh_rows = a.execute(sa.text(query)).all()
                assert fresh_rows == b.execute(sa.text(query)).all()
                assert fresh_rows
    finally:
        fresh.close()
        migrated_engine.dispose()


def test_the_code_knows_the_newest_migration() -> None:
    assert head_revision() == SCHEMA_REVISION


def test_an_unreachable_database_is_a_store_error_without_the_password() -> None:
    with pytest.raises(StoreError, match="cannot open the database") as caught:
        SqlStore.open("postgresql://tercel:hunter2@127.0.0.1:1/nowhere")
    assert "hunter2" not in str(caught.value)


def test_opening_twice_is_harmless(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'home' / 'tercel.db'}"
    first = SqlStore.open(url)
    first.kv.set("ns", "k", "v")
    second = SqlStore.open(url)
    assert second.kv.get("ns", "k") == "v"
    first.close()
    second.close()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    store = SqlStore.open_home(tmp_path / "home")
    assert (tmp_path / "home" / "tercel.db").exists()
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    store.close()


CLAIMER = """
import sys
from tercel.store.sql import SqlStore
store = SqlStore.open(sys.argv[1], migrate=False)
claimed = []
while batch := store.jobs.claim(sys.argv[2], limit=2):
    claimed.extend(job.id for job in batch)
print(" ".join(map(str, claimed)))
"""


def test_claimers_in_separate_processes_never_claim_the_same_job(sql_store: SqlStore) -> None:
    total = 300
    for n in range(total):
        sql_store.jobs.enqueue("task", {"n": n})
    url = sql_store.engine.url.render_as_string(hide_password=False)
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIMER, url, f"w{i}"], stdout=subprocess.PIPE, text=True
        )
        for i in range(3)
    ]
    outputs = [worker.communicate(timeout=120)[0] for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0, 0]
    every = [int(job_id) for output in outputs for job_id in output.split()]
    assert len(every) == total
    assert len(set(every)) == total, "a job was claimed by two processes"


def test_concurrent_first_saves_of_a_flow_get_distinct_revisions(sql_store: SqlStore) -> None:
    class Ref:
        namespace = "company"
        id = "raced"

    revisions: list[int] = []
    errors: list[Exception] = []

    def save(n: int) -> None:
        try:
            revisions.append(sql_store.flows.save(f"id: raced # {n}\n", Ref()).revision)
        except Exception as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=save, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(revisions) == [1, 2, 3, 4]
    assert [r.revision for r in sql_store.flows.revisions("company", "raced")] == [1, 2, 3, 4]


def test_the_execution_lock_is_reentrant_in_one_thread(sql_store: SqlStore) -> None:
    with (
        sql_store.execution_lock("e1"),
        sql_store.execution_lock("e1"),
        sql_store.execution_lock("e2"),
    ):
        sql_store.kv.set("ns", "inside", True)
    assert sql_store.kv.get("ns", "inside") is True


def test_an_in_memory_sqlite_database_works_across_calls() -> None:
    store = SqlStore.open("sqlite://")
    store.kv.set("ns", "k", 1)
    assert store.kv.get("ns", "k") == 1
    store.close()


def test_racing_schedulers_fire_each_date_once(sql_store: SqlStore) -> None:
    sql_store.triggers.save(
        TriggerState("main", "company", "daily", "schedule", next_execution_date=T0)
    )
    fired: list[tuple[str, int]] = []
    errors: list[Exception] = []

    def scheduler(name: str) -> None:
        try:
            for day in range(10):
                due = T0 + timedelta(days=day)
                following = TriggerState(
                    "main",
                    "company",
                    "daily",
                    "schedule",
                    date=due,
                    next_execution_date=due + timedelta(days=1),
                    execution_id=f"{name}-{day}",
                )
                if sql_store.triggers.advance(following, due):
                    fired.append((name, day))
                else:
                    # Lost the race: read the stored state and wait for it to move on.
                    while True:
                        stored = sql_store.triggers.find("company", "daily", "schedule")
                        assert stored is not None
                        if stored.next_execution_date != due:
                            break
        except Exception as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=scheduler, args=(f"s{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(day for _, day in fired) == list(range(10)), "every date fired exactly once"


WRITER = """
import sys
sys.path.insert(0, sys.argv[2])
from store_builders import make_execution, make_task_run
from tercel.store.sql import SqlStore
store = SqlStore.open(sys.argv[1], migrate=False)
while True:
    execution = make_execution(tasks=20)
    store.executions.create(execution)
    for step in range(20):
        make_task_run(execution, f"more{step}")
        store.executions.save(execution, execution.task_run_list[-1:])
    print(execution.id, flush=True)
"""


def test_a_killed_writer_leaves_only_whole_writes(sql_store: SqlStore) -> None:
    url = sql_store.engine.url.render_as_string(hide_password=False)
    here = str(Path(__file__).resolve().parent)
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, url, here], stdout=subprocess.PIPE, text=True
    )
    assert writer.stdout is not None
    finished = [writer.stdout.readline().strip() for _ in range(3)]
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=30)
    writer.stdout.close()
    for execution_id in finished:
        assert len(sql_store.executions.get(execution_id).task_run_list) == 40
    for execution in sql_store.executions.search(size=1000).items:
        # The one being written when the process died has its creation (20) plus the steps
        # that committed: never a half-written step.
        assert 20 <= len(execution.task_run_list) <= 40
        assert [tr.task_id for tr in execution.task_run_list][:20] == [f"t{i}" for i in range(20)]


PG_URL = os.environ.get("TEST_DATABASE_URL")


@pytest.mark.postgres
@pytest.mark.skipif(
    not PG_URL, reason="TEST_DATABASE_URL is not set: run under scripts/with-postgres.sh"
)
def test_an_enqueue_in_another_process_wakes_a_postgresql_worker(pg_store: SqlStore) -> None:
    assert PG_URL is not None
    other = SqlStore.open(PG_URL, migrate=False)
    try:
        pg_store.jobs.wait(0.01)  # starts the listener
        woken: list[bool] = []
        waiter = threading.Thread(target=lambda: woken.append(pg_store.jobs.wait(30)))
        waiter.start()
        time.sleep(0.2)
        other.jobs.enqueue("task", {})
        waiter.join(timeout=30)
        assert woken == [True]
    finally:
        other.close()


def test_readers_are_not_blocked_by_an_open_write_transaction(sql_store: SqlStore) -> None:
    sql_store.kv.set("ns", "k", "committed")
    seen: list[object] = []
    with sql_store.transaction():
        sql_store.kv.set("ns", "k", "uncommitted")
        reader = threading.Thread(target=lambda: seen.append(sql_store.kv.get("ns", "k")))
        reader.start()
        reader.join(timeout=10)
        assert not reader.is_alive(), "the reader waited for the writer"
    assert seen == ["committed"]
    assert sql_store.kv.get("ns", "k") == "uncommitted"


def test_concurrent_timer_takers_never_take_the_same_timer(sql_store: SqlStore) -> None:
    ids = {sql_store.delays.schedule(f"e{n}", "retry", T0) for n in range(300)}
    taken: list[int] = []
    errors: list[Exception] = []

    def take() -> None:
        try:
            while batch := sql_store.delays.take_due(T0, limit=5):
                taken.extend(delay.id for delay in batch)
        except Exception as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=take) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(taken) == sorted(ids)


OPENER = """
import sys
from tercel.store.sql import SqlStore
store = SqlStore.open(sys.argv[1])
store.kv.set("ns", sys.argv[2], 1)
store.close()
"""


def test_processes_opening_a_new_sqlite_file_at_once_all_succeed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh' / 'tercel.db'}"
    openers = [subprocess.Popen([sys.executable, "-c", OPENER, url, f"p{i}"]) for i in range(3)]
    assert [opener.wait(timeout=120) for opener in openers] == [0, 0, 0]
    store = SqlStore.open(url)
    assert store.kv.keys("ns") == ["p0", "p1", "p2"]
    assert current_revision(store.engine) == head_revision()
    store.close()


def test_values_json_cannot_hold_are_stored_as_text(sql_store: SqlStore) -> None:
    execution = make_execution(tasks=1)
    execution.inputs = {"when": T0, "day": T0.date(), "wait": timedelta(minutes=2), "tags": ("a",)}
    execution.task_run_list[0].outputs = {"at": T0}
    sql_store.executions.create(execution)
    loaded = sql_store.executions.get(execution.id)
    assert loaded.inputs == {
        "when": "2025-01-02T03:04:05.123Z",
        "day": "2025-01-02",
        "wait": "PT2M",
        "tags": ["a"],
    }
    assert loaded.task_run_list[0].outputs == {"at": "2025-01-02T03:04:05.123Z"}


def test_a_context_copied_inside_a_transaction_does_not_reuse_its_connection(
    sql_store: SqlStore,
) -> None:
    with sql_store.transaction():
        sql_store.kv.set("ns", "k", "inside")
        copied = contextvars.copy_context()
        seen_during: list[object] = []
        thread = threading.Thread(
            target=lambda: seen_during.append(copied.run(sql_store.kv.get, "ns", "k"))
        )
        thread.start()
        thread.join(timeout=10)
    assert seen_during == [None], "another thread must not read through this transaction"
    assert copied.run(sql_store.kv.get, "ns", "k") == "inside", "a stale copy works once it ended"


async def test_a_task_started_inside_a_transaction_works_after_it_ends(sql_store: SqlStore) -> None:
    release = asyncio.Event()

    async def later() -> object:
        await release.wait()
        sql_store.kv.set("ns", "from-task", 1)
        return sql_store.kv.get("ns", "from-task")

    with sql_store.transaction():
        sql_store.kv.set("ns", "k", 1)
        task = asyncio.create_task(later())
    release.set()
    assert await task == 1
    assert await asyncio.to_thread(sql_store.kv.get, "ns", "k") == 1
