"""The tables, as SQLAlchemy Core metadata (the migrations create them; the code queries them).

Every table carries `tenant_id` (default ``main``) so that multi-tenancy needs no data
migration later. Dates are stored in UTC and read back as aware datetimes on both SQLite
and PostgreSQL (`UtcDateTime`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from tercel.store.records import DEFAULT_TENANT

#: The newest migration (`tercel/store/migrations/versions`): a database at this revision
#: needs no migration, so opening it does not even import Alembic.
SCHEMA_REVISION = "0005"

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UtcDateTime(sa.TypeDecorator[datetime]):
    """An aware UTC datetime on every backend (SQLite has no time zones: store naive UTC)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Normalise to UTC; strip the zone for SQLite."""
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Always aware, in UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


#: A 64-bit auto-increment key (SQLite only auto-increments INTEGER PRIMARY KEY).
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON(none_as_null=True)


def _tenant() -> sa.Column[str]:
    return sa.Column(
        "tenant_id",
        sa.String(64),
        nullable=False,
        default=DEFAULT_TENANT,
        server_default=DEFAULT_TENANT,
    )


flows = sa.Table(
    "flows",
    metadata,
    _tenant(),
    sa.Column("namespace", sa.String(150), nullable=False),
    sa.Column("id", sa.String(100), nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("deleted", sa.Boolean, nullable=False, default=False),
    sa.Column("updated", UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "namespace", "id"),
)

flow_revisions = sa.Table(
    "flow_revisions",
    metadata,
    _tenant(),
    sa.Column("namespace", sa.String(150), nullable=False),
    sa.Column("flow_id", sa.String(100), nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("deleted", sa.Boolean, nullable=False, default=False),
    sa.Column("updated", UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "namespace", "flow_id", "revision"),
)

executions = sa.Table(
    "executions",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    _tenant(),
    sa.Column("namespace", sa.String(150), nullable=False),
    sa.Column("flow_id", sa.String(100), nullable=False),
    sa.Column("flow_revision", sa.Integer, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("start_date", UtcDateTime),
    sa.Column("end_date", UtcDateTime),
    sa.Column("parent_id", sa.String(64)),
    #: The execution's wire JSON without `taskRunList` (task runs are rows of their own).
    sa.Column("data", Json, nullable=False),
    sa.Index(None, "tenant_id", "namespace", "flow_id", "start_date"),
    sa.Index(None, "tenant_id", "start_date"),
    sa.Index(None, "state"),
    sa.Index(None, "parent_id"),
)

execution_labels = sa.Table(
    "execution_labels",
    metadata,
    sa.Column(
        "execution_id",
        sa.String(64),
        sa.ForeignKey("executions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    _tenant(),
    sa.Column("key", sa.String(255), nullable=False),
    sa.Column("value", sa.String(1024), nullable=False),
    sa.PrimaryKeyConstraint("execution_id", "key"),
    sa.Index(None, "tenant_id", "key", "value"),
)

task_runs = sa.Table(
    "task_runs",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column(
        "execution_id",
        sa.String(64),
        sa.ForeignKey("executions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    _tenant(),
    #: Index in the execution's `taskRunList` (creation order).
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("task_id", sa.String(100), nullable=False),
    sa.Column("parent_task_run_id", sa.String(64)),
    sa.Column("value", sa.Text),
    sa.Column("state", sa.String(16), nullable=False),
    #: The task run's wire JSON.
    sa.Column("data", Json, nullable=False),
    sa.Index(None, "execution_id", "position"),
)

logs = sa.Table(
    "logs",
    metadata,
    sa.Column("seq", BigId, primary_key=True, autoincrement=True),
    _tenant(),
    sa.Column("namespace", sa.String(150), nullable=False),
    sa.Column("flow_id", sa.String(100), nullable=False),
    sa.Column("execution_id", sa.String(64)),
    sa.Column("task_id", sa.String(100)),
    sa.Column("task_run_id", sa.String(64)),
    sa.Column("attempt_number", sa.Integer),
    sa.Column("trigger_id", sa.String(100)),
    sa.Column("timestamp", UtcDateTime, nullable=False),
    sa.Column("level", sa.String(8), nullable=False),
    sa.Column("level_num", sa.SmallInteger, nullable=False),
    sa.Column("thread", sa.String(100)),
    sa.Column("message", sa.Text, nullable=False),
    sa.Index(None, "execution_id", "seq"),
    sa.Index(None, "execution_id", "task_run_id"),
    sa.Index(None, "tenant_id", "timestamp"),
)

metrics = sa.Table(
    "metrics",
    metadata,
    sa.Column("seq", BigId, primary_key=True, autoincrement=True),
    _tenant(),
    sa.Column("namespace", sa.String(150), nullable=False),
    sa.Column("flow_id", sa.String(100), nullable=False),
    sa.Column("execution_id", sa.String(64)),
    sa.Column("task_id", sa.String(100)),
    sa.Column("task_run_id", sa.String(64)),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("type", sa.String(16), nullable=False),
    sa.Column("value", sa.Float, nullable=False),
    sa.Column("tags", Json),
    sa.Column("timestamp", UtcDateTime, nullable=False),
    sa.Index(None, "execution_id", "seq"),
)

kv = sa.Table(
    "kv",
    metadata,
    _tenant(),
    sa.Column("namespace", sa.String(150), nullable=False),
    sa.Column("key", sa.String(255), nullable=False),
    sa.Column("value", Json),
    sa.Column("type", sa.String(16), nullable=False),
    sa.Column("expiration", UtcDateTime),
    sa.Column("description", sa.Text),
    sa.Column("updated", UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "namespace", "key"),
)

namespaces = sa.Table(
    "namespaces",
    metadata,
    _tenant(),
    sa.Column("id", sa.String(150), nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("variables", Json),
    sa.Column("plugin_defaults", Json),
    sa.Column("updated", UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "id"),
)

secrets = sa.Table(
    "secrets",
    metadata,
    _tenant(),
    sa.Column("namespace", sa.String(150), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    #: nonce (12 bytes) + AES-GCM ciphertext and tag; never the value.
    sa.Column("ciphertext", sa.LargeBinary, nullable=False),
    sa.Column("updated", UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "namespace", "name"),
)

test_suites = sa.Table(
    "test_suites",
    metadata,
    _tenant(),
    sa.Column("namespace", sa.String(150), nullable=False),
    sa.Column("id", sa.String(100), nullable=False),
    sa.Column("flow_id", sa.String(100), nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.Column("updated", UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "namespace", "id"),
)

test_runs = sa.Table(
    "test_runs",
    metadata,
    _tenant(),
    sa.Column("id", sa.String(64), nullable=False),
    sa.Column("namespace", sa.String(150), nullable=False),
    sa.Column("test_suite_id", sa.String(100), nullable=False),
    sa.Column("flow_id", sa.String(100), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("start_date", UtcDateTime, nullable=False),
    sa.Column("end_date", UtcDateTime, nullable=False),
    #: Kestra's `TestSuiteRunResult` as JSON.
    sa.Column("result", Json),
    sa.PrimaryKeyConstraint("tenant_id", "id"),
    sa.Index(None, "tenant_id", "namespace", "test_suite_id", "start_date"),
)

triggers = sa.Table(
    "triggers",
    metadata,
    _tenant(),
    sa.Column("namespace", sa.String(150), nullable=False),
    sa.Column("flow_id", sa.String(100), nullable=False),
    sa.Column("trigger_id", sa.String(100), nullable=False),
    sa.Column("date", UtcDateTime),
    sa.Column("next_execution_date", UtcDateTime),
    sa.Column("execution_id", sa.String(64)),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.Column("backfill", Json),
    sa.Column("locked_by", sa.String(255)),
    sa.Column("locked_until", UtcDateTime),
    sa.Column("extra", Json),
    sa.Column("updated", UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "namespace", "flow_id", "trigger_id"),
    sa.Index(None, "next_execution_date"),
)

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    _tenant(),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("key", sa.String(255)),
    sa.Column("payload", Json, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("claimed_by", sa.String(255)),
    sa.Column("heartbeat", UtcDateTime),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("created", UtcDateTime, nullable=False),
    # Claims scan only queued jobs: a partial index keeps that scan short on both backends.
    sa.Index(
        "ix_jobs_queued",
        "id",
        postgresql_where=sa.text("status = 'QUEUED'"),
        sqlite_where=sa.text("status = 'QUEUED'"),
    ),
    # Finding a dead worker's jobs scans only running ones.
    sa.Index(
        "ix_jobs_running",
        "heartbeat",
        postgresql_where=sa.text("status = 'RUNNING'"),
        sqlite_where=sa.text("status = 'RUNNING'"),
    ),
    # An executor finds the jobs of one execution (kill, take-over after a crash).
    sa.Index(None, "key"),
)

#: The live processes of a cluster (`tercel server <role>`), one row each, kept fresh by a
#: heartbeat; `tercel server status` and worker-group checks read it.
components = sa.Table(
    "components",
    metadata,
    sa.Column("id", sa.String(128), primary_key=True),
    # A process serves every tenant; the column keeps the rule that every table has one.
    _tenant(),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("worker_group", sa.String(255)),
    sa.Column("threads", sa.Integer),
    sa.Column("health_url", sa.String(512)),
    sa.Column("waiting_for", sa.String(512)),
    sa.Column("started", UtcDateTime, nullable=False),
    sa.Column("heartbeat", UtcDateTime, nullable=False),
    sa.Index(None, "role", "heartbeat"),
)

#: Events for an execution whose executor may be another process (a worker's result, a
#: kill or resume from a webserver, a subflow's end): the executor that owns the execution
#: deletes them in the transaction that applies them, so none is lost or applied twice.
execution_events = sa.Table(
    "execution_events",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    _tenant(),
    sa.Column("execution_id", sa.String(64), nullable=False),
    sa.Column("payload", Json, nullable=False),
    sa.Column("created", UtcDateTime, nullable=False),
    sa.Index(None, "execution_id"),
)

delays = sa.Table(
    "delays",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    _tenant(),
    sa.Column("execution_id", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("due", UtcDateTime, nullable=False),
    sa.Column("payload", Json),
    sa.Index(None, "due"),
    sa.Index(None, "execution_id"),
)

# -- tenants and access control (`tercel.access`) ---------------------------------------------
tenants = sa.Table(
    "tenants",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("created", UtcDateTime, nullable=False),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(150), nullable=False, unique=True),
    #: argon2id hash (PHC string); never the password.
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("super_admin", sa.Boolean, nullable=False, default=False),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.Column("created", UtcDateTime, nullable=False),
    sa.Column("password_changed", UtcDateTime, nullable=False),
)

groups = sa.Table(
    "groups",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    _tenant(),
    sa.Column("name", sa.String(150), nullable=False),
    sa.Column("created", UtcDateTime, nullable=False),
    sa.UniqueConstraint("tenant_id", "name"),
)

group_members = sa.Table(
    "group_members",
    metadata,
    sa.Column("group_id", sa.String(64), nullable=False),
    sa.Column("user_id", sa.String(64), nullable=False),
    sa.PrimaryKeyConstraint("group_id", "user_id"),
    sa.Index(None, "user_id"),
)

service_accounts = sa.Table(
    "service_accounts",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    _tenant(),
    sa.Column("name", sa.String(150), nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("created", UtcDateTime, nullable=False),
    sa.UniqueConstraint("tenant_id", "name"),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    #: The public part of the token (``tct_<id>_<secret>``): finds the row.
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("service_account_id", sa.String(64), nullable=False),
    sa.Column("name", sa.String(150), nullable=False),
    #: SHA-256 of the secret part (high-entropy random): never the token.
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("created", UtcDateTime, nullable=False),
    sa.Column("expires", UtcDateTime),
    sa.Column("revoked", UtcDateTime),
    sa.Column("last_used", UtcDateTime),
    sa.Index(None, "service_account_id"),
)

roles = sa.Table(
    "roles",
    metadata,
    _tenant(),
    sa.Column("name", sa.String(150), nullable=False),
    sa.Column("description", sa.Text),
    #: {"FLOW": ["READ", ...], ...}
    sa.Column("permissions", Json, nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "name"),
)

role_bindings = sa.Table(
    "role_bindings",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    _tenant(),
    #: USER, GROUP or SERVICE_ACCOUNT
    sa.Column("subject_type", sa.String(32), nullable=False),
    sa.Column("subject_id", sa.String(64), nullable=False),
    sa.Column("role", sa.String(150), nullable=False),
    #: None: the whole tenant; else this namespace and its children.
    sa.Column("namespace", sa.String(150)),
    sa.Column("created", UtcDateTime, nullable=False),
    sa.Index(None, "subject_type", "subject_id"),
    sa.Index(None, "tenant_id"),
)

sessions = sa.Table(
    "sessions",
    metadata,
    #: SHA-256 of the cookie's value: a stolen database row does not log anyone in.
    sa.Column("id_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.String(64), nullable=False),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created", UtcDateTime, nullable=False),
    sa.Column("expires", UtcDateTime, nullable=False),
    sa.Index(None, "user_id"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    _tenant(),
    sa.Column("date", UtcDateTime, nullable=False),
    #: USER, SERVICE_ACCOUNT, SUPER_ADMIN (basic auth, TERCEL_API_TOKENS) or ANONYMOUS
    sa.Column("actor_type", sa.String(32), nullable=False),
    sa.Column("actor", sa.String(150), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("resource", sa.String(32), nullable=False),
    sa.Column("resource_id", sa.String(512)),
    sa.Column("namespace", sa.String(150)),
    sa.Column("method", sa.String(10), nullable=False),
    sa.Column("path", sa.String(1024), nullable=False),
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("ip", sa.String(64)),
    #: api, ui or cli
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("details", Json),
    sa.Index(None, "tenant_id", "date"),
    sa.Index(None, "actor"),
)

#: The tables of the instance rather than of one tenant: they have no `tenant_id`.
INSTANCE_TABLES = frozenset({"tenants", "users", "group_members", "api_tokens", "sessions"})
