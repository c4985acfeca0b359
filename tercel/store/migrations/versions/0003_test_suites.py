"""Flow unit tests on the server: stored test suites and the results of their runs.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-08 00:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "test_suites",
        sa.Column("tenant_id", sa.String(length=64), server_default="main", nullable=False),
        sa.Column("namespace", sa.String(length=150), nullable=False),
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("flow_id", sa.String(length=100), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "namespace", "id", name=op.f("pk_test_suites")),
    )
    op.create_table(
        "test_runs",
        sa.Column("tenant_id", sa.String(length=64), server_default="main", nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("namespace", sa.String(length=150), nullable=False),
        sa.Column("test_suite_id", sa.String(length=100), nullable=False),
        sa.Column("flow_id", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("start_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", sa.JSON(none_as_null=True), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_test_runs")),
    )
    with op.batch_alter_table("test_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_test_runs_tenant_id_namespace_test_suite_id_start_date"),
            ["tenant_id", "namespace", "test_suite_id", "start_date"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("test_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_test_runs_tenant_id_namespace_test_suite_id_start_date"))
    op.drop_table("test_runs")
    op.drop_table("test_suites")
