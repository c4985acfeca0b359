"""Jobs: index running jobs by heartbeat (partial), so claims use the queued-jobs index.

The (status, heartbeat) index of 0001 covered `status`, so SQLite's planner preferred it
for claims and sorted every queued job per claim; a partial index on running jobs serves
the dead-worker scan without competing.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 13:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jobs_status_heartbeat"))
        batch_op.create_index(
            "ix_jobs_running",
            ["heartbeat"],
            unique=False,
            postgresql_where=sa.text("status = 'RUNNING'"),
            sqlite_where=sa.text("status = 'RUNNING'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_jobs_running",
            postgresql_where=sa.text("status = 'RUNNING'"),
            sqlite_where=sa.text("status = 'RUNNING'"),
        )
        batch_op.create_index(
            batch_op.f("ix_jobs_status_heartbeat"), ["status", "heartbeat"], unique=False
        )
