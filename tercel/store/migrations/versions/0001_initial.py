"""Initial schema: every table, each with tenant_id.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 13:03:31.929646
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "delays",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("tenant_id", sa.String(length=64), server_default="main", nullable=False),
        sa.Column("execution_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("due", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON(none_as_null=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delays")),
    )
    with op.batch_alter_table("delays", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delays_due"), ["due"], unique=False)
        batch_op.create_index(batch_op.f("ix_delays_execution_id"), ["execution_id"], unique=False)

    op.create_table(
        "executions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), server_default="main", nullable=False),
        sa.Column("namespace", sa.String(length=150), nullable=False),
        sa.Column("flow_id", sa.String(length=100), nullable=False),
        sa.Column("flow_revision", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("start_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("parent_id", sa.String(length=64), nullable=True),
        sa.Column("data", sa.JSON(none_as_null=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_executions")),
    )
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_executions_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_executions_state"), ["state"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_executions_tenant_id_namespace_flow_id_start_date"),
            ["tenant_id", "namespace", "flow_id", "start_date"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_executions_tenant_id_start_date"),
            ["tenant_id", "start_date"],
            unique=False,
        )

    op.create_table(
        "flow_revisions",
        sa.Column("tenant_id", sa.String(length=64), server_default="main", nullable=False),
        sa.Column("namespace", sa.String(length=150), nullable=False),
        sa.Column("flow_id", sa.String(length=100), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "namespace", "flow_id", "revision", name=op.f("pk_flow_revisions")
        ),
    )
    op.create_table(
        "flows",
        sa.Column("tenant_id", sa.String(length=64), server_default="main", nullable=False),
        sa.Column("namespace", sa.String(length=150), nullable=False),
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "namespace", "id", name=op.f("pk_flows")),
    )
    op.create_table(
        "jobs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("tenant_id", sa.String(length=64), server_default="main", nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=True),
        sa.Column("payload", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("claimed_by", sa.String(length=255), nullable=True),
        sa.Column("heartbeat", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_jobs_queued",
            ["id"],
            unique=False,
            postgresql_where=sa.text("status = 'QUEUED'"),
            sqlite_where=sa.text("status = 'QUEUED'"),
        )
        batch_op.create_index(
            batch_op.f("ix_jobs_status_heartbeat"), ["status", "heartbeat"], unique=False
        )

    op.create_table(
        "kv",
        sa.Column("tenant_id", sa.String(length=64), server_default="main", nullable=False),
        sa.Column("namespace", sa.String(length=150), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("value", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("expiration", sa.DateTime(timezone=True), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "namespace", "key", name=op.f("pk_kv")),
    )
    op.create_table(
        "logs",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("tenant_id", sa.String(length=64), server_default="main", nullable=False),
        sa.Column("namespace", sa.String(length=150), nullable=False),
        sa.Column("flow_id", sa.String(length=100), nullable=False),
        sa.Column("execution_id", sa.String(length=64), nullable=True),
        sa.Column("task_id", sa.String(length=100), nullable=True),
        sa.Column("task_run_id", sa.String(length=64), nullable=True),
        sa.Column("attempt_number", sa.Integer(), nullable=True),
        sa.Column("trigger_id", sa.String(length=100), nullable=True),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("level_num", sa.SmallInteger(), nullable=False),
        sa.Column("thread", sa.String(length=100), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_logs")),
    )
    with op.batch_alter_table("logs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_logs_execution_id_seq"), ["execution_id", "seq"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_logs_execution_id_task_run_id"),
            ["execution_id", "task_run_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_logs_tenant_id_timestamp"), ["tenant_id", "timestamp"], unique=False
        )

    op.create_table(
        "metrics",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("tenant_id", sa.String(length=64), server_default="main", nullable=False),
        sa.Column("namespace", sa.String(length=150), nullable=False),
        sa.Column("flow_id", sa.String(length=100), nullable=False),
        sa.Column("execution_id", sa.String(length=64), nullable=True),
        sa.Column("task_id", sa.String(length=100), nullable=True),
        sa.Column("task_run_id", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("tags", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_metrics")),
    )
    with op.batch_alter_table("metrics", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_metrics_execution_id_seq"), ["execution_id", "seq"], unique=False
        )

    op.create_table(
        "namespaces",
        sa.Column("tenant_id", sa.String(length=64), server_default="main", nullable=False),
        sa.Column("id", sa.String(length=150), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("variables", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("plugin_defaults", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_namespaces")),
    )
    op.create_table(
        "secrets",
        sa.Column("tenant_id", sa.String(length=64), server_default="main", nullable=False),
        sa.Column("namespace", sa.String(length=150), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "namespace", "name", name=op.f("pk_secrets")),
    )
    op.create_table(
        "triggers",
        sa.Column("tenant_id", sa.String(length=64), server_default="main", nullable=False),
        sa.Column("namespace", sa.String(length=150), nullable=False),
        sa.Column("flow_id", sa.String(length=100), nullable=False),
        sa.Column("trigger_id", sa.String(length=100), nullable=False),
        sa.Column("date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_execution_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("execution_id", sa.String(length=64), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("backfill", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("locked_by", sa.String(length=255), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("extra", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "namespace", "flow_id", "trigger_id", name=op.f("pk_triggers")
        ),
    )
    with op.batch_alter_table("triggers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_triggers_next_execution_date"), ["next_execution_date"], unique=False
        )

    op.create_table(
        "execution_labels",
        sa.Column("execution_id", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), server_default="main", nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("value", sa.String(length=1024), nullable=False),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["executions.id"],
            name=op.f("fk_execution_labels_execution_id_executions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("execution_id", "key", name=op.f("pk_execution_labels")),
    )
    with op.batch_alter_table("execution_labels", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_execution_labels_tenant_id_key_value"),
            ["tenant_id", "key", "value"],
            unique=False,
        )

    op.create_table(
        "task_runs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("execution_id", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), server_default="main", nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(length=100), nullable=False),
        sa.Column("parent_task_run_id", sa.String(length=64), nullable=True),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("data", sa.JSON(none_as_null=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["executions.id"],
            name=op.f("fk_task_runs_execution_id_executions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_runs")),
    )
    with op.batch_alter_table("task_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_task_runs_execution_id_position"),
            ["execution_id", "position"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("task_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_runs_execution_id_position"))

    op.drop_table("task_runs")
    with op.batch_alter_table("execution_labels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_execution_labels_tenant_id_key_value"))

    op.drop_table("execution_labels")
    with op.batch_alter_table("triggers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_triggers_next_execution_date"))

    op.drop_table("triggers")
    op.drop_table("secrets")
    op.drop_table("namespaces")
    with op.batch_alter_table("metrics", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_metrics_execution_id_seq"))

    op.drop_table("metrics")
    with op.batch_alter_table("logs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_logs_tenant_id_timestamp"))
        batch_op.drop_index(batch_op.f("ix_logs_execution_id_task_run_id"))
        batch_op.drop_index(batch_op.f("ix_logs_execution_id_seq"))

    op.drop_table("logs")
    op.drop_table("kv")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jobs_status_heartbeat"))
        batch_op.drop_index(
            "ix_jobs_queued",
            postgresql_where=sa.text("status = 'QUEUED'"),
            sqlite_where=sa.text("status = 'QUEUED'"),
        )

    op.drop_table("jobs")
    op.drop_table("flows")
    op.drop_table("flow_revisions")
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_executions_tenant_id_start_date"))
        batch_op.drop_index(batch_op.f("ix_executions_tenant_id_namespace_flow_id_start_date"))
        batch_op.drop_index(batch_op.f("ix_executions_state"))
        batch_op.drop_index(batch_op.f("ix_executions_parent_id"))

    op.drop_table("executions")
    with op.batch_alter_table("delays", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delays_execution_id"))
        batch_op.drop_index(batch_op.f("ix_delays_due"))

    op.drop_table("delays")
