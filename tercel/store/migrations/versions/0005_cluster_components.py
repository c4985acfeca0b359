"""Cluster: live components, the executions' event inbox, jobs looked up by execution.

`tercel server executor|worker|scheduler|webserver` register in `components` and keep their
row fresh; events for an execution another process drives go through `execution_events`.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08 00:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "components",
        sa.Column("id", sa.String(128), nullable=False),
        sa.Column("tenant_id", sa.String(64), server_default="main", nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("worker_group", sa.String(255)),
        sa.Column("threads", sa.Integer),
        sa.Column("health_url", sa.String(512)),
        sa.Column("waiting_for", sa.String(512)),
        sa.Column("started", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_components")),
    )
    op.create_index(
        op.f("ix_components_role_heartbeat"), "components", ["role", "heartbeat"], unique=False
    )
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "execution_events",
        sa.Column("id", big_id, autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(64), server_default="main", nullable=False),
        sa.Column("execution_id", sa.String(64), nullable=False),
        sa.Column("payload", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_execution_events")),
    )
    op.create_index(
        op.f("ix_execution_events_execution_id"),
        "execution_events",
        ["execution_id"],
        unique=False,
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_jobs_key"), ["key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jobs_key"))
    op.drop_index(op.f("ix_execution_events_execution_id"), table_name="execution_events")
    op.drop_table("execution_events")
    op.drop_index(op.f("ix_components_role_heartbeat"), table_name="components")
    op.drop_table("components")
