"""`SqlStore`: every repository on one SQLite or PostgreSQL database."""

from __future__ import annotations

import functools
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from tercel.errors import StoreError
from tercel.store.sql.cluster import SqlCluster
from tercel.store.sql.database import Database
from tercel.store.sql.dialect import (
    advisory_key,
    advisory_lock,
    advisory_unlock,
    configure_sqlite,
    engine_options,
    normalise_url,
)
from tercel.store.sql.executions import SqlExecutions
from tercel.store.sql.flows import SqlFlows
from tercel.store.sql.logs import SqlLogs, SqlMetrics
from tercel.store.sql.queue import SqlDelays, SqlJobs
from tercel.store.sql.schema import SCHEMA_REVISION, metadata
from tercel.store.sql.schema import tenants as tenants_table
from tercel.store.sql.schema import users as users_table
from tercel.store.sql.state import SqlKV, SqlNamespaces, SqlSecrets
from tercel.store.sql.tests import SqlTests
from tercel.store.sql.triggers import SqlTriggers

if TYPE_CHECKING:
    from tercel.store.sql.access import AccessRepository

#: The database file under a home directory (`tercel server local --home DIR`).
SQLITE_FILE = "tercel.db"


def stored_revision(engine: sa.Engine) -> str | None:
    """The migration revision recorded in the database (None when it has none yet).

    A database that cannot be reached raises (the driver's error), it is not "empty".
    """
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def create_at_head(engine: sa.Engine) -> bool:
    """Create the tables of a new, empty SQLite database as they are now; False if not empty.

    Running the whole migration chain on every new temporary database (`tercel run`'s
    default) costs more than the run itself; a database with no table gets `schema.py`'s
    tables directly and is stamped with the newest revision, which the schema tests prove
    equal to what the migrations build. A database with any table migrates as usual.
    PostgreSQL always migrates: there, several processes may open a new database at once
    and the migrations' advisory lock orders them.
    """
    with engine.begin() as connection:
        if sa.inspect(connection).get_table_names():
            return False
        metadata.create_all(connection)
        seed_new_database(connection)
        connection.execute(
            sa.text(
                "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
                "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
            )
        )
        connection.execute(
            sa.text("INSERT INTO alembic_version (version_num) VALUES (:revision)"),
            {"revision": SCHEMA_REVISION},
        )
    return True


def seed_new_database(connection: sa.Connection) -> None:
    """The rows the data migrations give a new database: the ``main`` tenant and the
    ``admin`` super-admin without a usable password (see migration 0004)."""
    now = datetime.now(UTC)
    connection.execute(sa.insert(tenants_table).values(id="main", name="main", created=now))
    connection.execute(
        sa.insert(users_table).values(
            id=uuid.uuid4().hex,
            username="admin",
            password_hash="!",  # noqa: S106 - not a password: no password matches "!"
            super_admin=True,
            disabled=False,
            created=now,
            password_changed=now,
        )
    )


class SqlStore:
    """The `Store` on SQLAlchemy Core. Open it with `SqlStore.open(url)`."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.db = Database(engine)
        self.flows = SqlFlows(self.db)
        self.executions = SqlExecutions(self.db)
        self.logs = SqlLogs(self.db)
        self.metrics = SqlMetrics(self.db)
        self.kv = SqlKV(self.db)
        self.namespaces = SqlNamespaces(self.db)
        self.secrets = SqlSecrets(self.db)
        self.tests = SqlTests(self.db)
        self.triggers = SqlTriggers(self.db)
        self.jobs = SqlJobs(self.db)
        self.delays = SqlDelays(self.db)
        #: Components, the execution inbox and task jobs by execution (`tercel server <role>`).
        self.cluster = SqlCluster(self.db)
        self._local_locks = [threading.RLock() for _ in range(64)]
        self._held = threading.local()

    @functools.cached_property
    def access(self) -> AccessRepository:
        """Tenants, users, roles, bindings, sessions, audit log (SQL stores only).

        Imported on first use: `tercel run` never needs it (nor argon2, which it imports).
        """
        from tercel.store.sql.access import AccessRepository

        return AccessRepository(self.db)

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> SqlStore:
        """Connect to `url` (``sqlite:///path.db``, ``postgresql://...``) and migrate to head.

        SQLite files get WAL, ``synchronous=NORMAL``, a 30 s busy timeout and foreign keys;
        their parent directory is created.
        """
        url = normalise_url(url)
        if url.startswith("sqlite:///") and ":memory:" not in url:
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, **engine_options(url))
        if engine.dialect.name == "sqlite":
            configure_sqlite(engine)
        try:
            if migrate and engine.dialect.name == "sqlite" and create_at_head(engine):
                pass
            elif migrate and stored_revision(engine) != SCHEMA_REVISION:
                from tercel.store.sql.migrate import upgrade

                upgrade(engine)
        except sa.exc.DBAPIError as error:
            engine.dispose()
            shown = engine.url.render_as_string(hide_password=True)
            raise StoreError(f"cannot open the database {shown}: {error.orig}") from error
        return cls(engine)

    @classmethod
    def open_home(cls, home: Path | str) -> SqlStore:
        """The SQLite store of a home directory (``<home>/tercel.db``)."""
        path = Path(home).resolve() / SQLITE_FILE
        return cls.open(f"sqlite:///{path}")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Make the repository calls inside one transaction (nested blocks join it)."""
        with self.db.transaction():
            yield

    @contextmanager
    def execution_lock(self, execution_id: str) -> Iterator[None]:
        """Serialise work on one execution (re-entrant in one thread).

        PostgreSQL: a session advisory lock on a dedicated connection, so executors in
        other processes and on other machines wait too. SQLite (one node): a lock shared
        by this process's threads.
        """
        held: set[str] = self._held.__dict__.setdefault("ids", set())
        if execution_id in held:
            yield
            return
        with self._local_locks[hash(execution_id) % len(self._local_locks)]:
            held.add(execution_id)
            try:
                if self.db.is_postgresql:
                    with self._advisory(execution_id):
                        yield
                else:
                    yield
            finally:
                held.discard(execution_id)

    @contextmanager
    def _advisory(self, name: str) -> Iterator[None]:
        key = advisory_key(name)
        with self.engine.connect() as connection:
            advisory_lock(connection, key)
            connection.commit()
            try:
                yield
            finally:
                advisory_unlock(connection, key)
                connection.commit()

    def close(self) -> None:
        """Stop the job listener and close every pooled connection."""
        self.jobs.close()
        self.engine.dispose()
