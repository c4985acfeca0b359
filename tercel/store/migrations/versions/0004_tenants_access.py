"""Tenants and access control: tenants, users, groups, service accounts and their API tokens,
roles, role bindings, login sessions and the audit log.

An existing install keeps working: every tenant its data already uses gets a row (``main``
always), and a super-admin user ``admin`` exists with no usable password, so nothing asks
for a login until an operator sets one (``TERCEL_ADMIN_PASSWORD``, or the API while open).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 23:45:06
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("service_account_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=150), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_api_tokens_service_account_id"), ["service_account_id"], unique=False
        )

    op.create_table(
        "audit_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("tenant_id", sa.String(length=64), server_default="main", nullable=False),
        sa.Column("date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_type", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=150), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("resource", sa.String(length=32), nullable=False),
        sa.Column("resource_id", sa.String(length=512), nullable=True),
        sa.Column("namespace", sa.String(length=150), nullable=True),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=1024), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("details", sa.JSON(none_as_null=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_actor"), ["actor"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_log_tenant_id_date"), ["tenant_id", "date"], unique=False
        )

    op.create_table(
        "group_members",
        sa.Column("group_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("group_id", "user_id", name=op.f("pk_group_members")),
    )
    with op.batch_alter_table("group_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_group_members_user_id"), ["user_id"], unique=False)

    op.create_table(
        "groups",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), server_default="main", nullable=False),
        sa.Column("name", sa.String(length=150), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_groups")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_groups_tenant_id_name")),
    )
    op.create_table(
        "role_bindings",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), server_default="main", nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=150), nullable=False),
        sa.Column("namespace", sa.String(length=150), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_bindings")),
    )
    with op.batch_alter_table("role_bindings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_role_bindings_subject_type_subject_id"),
            ["subject_type", "subject_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_role_bindings_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "roles",
        sa.Column("tenant_id", sa.String(length=64), server_default="main", nullable=False),
        sa.Column("name", sa.String(length=150), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("permissions", sa.JSON(none_as_null=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "name", name=op.f("pk_roles")),
    )
    op.create_table(
        "service_accounts",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), server_default="main", nullable=False),
        sa.Column("name", sa.String(length=150), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_accounts")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_service_accounts_tenant_id_name")),
    )
    op.create_table(
        "sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_sessions")),
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sessions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "tenants",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=150), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("super_admin", sa.Boolean(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("password_changed", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    _existing_data_lands_in_tenants()


def downgrade() -> None:
    op.drop_table("users")
    op.drop_table("tenants")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sessions_user_id"))

    op.drop_table("sessions")
    op.drop_table("service_accounts")
    op.drop_table("roles")
    with op.batch_alter_table("role_bindings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_role_bindings_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_role_bindings_subject_type_subject_id"))

    op.drop_table("role_bindings")
    op.drop_table("groups")
    with op.batch_alter_table("group_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_members_user_id"))

    op.drop_table("group_members")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_tenant_id_date"))
        batch_op.drop_index(batch_op.f("ix_audit_log_actor"))

    op.drop_table("audit_log")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_service_account_id"))

    op.drop_table("api_tokens")


#: Tables whose tenant ids become tenants.
_DATA_TABLES = ("flows", "executions", "namespaces", "kv", "secrets", "triggers")


def _existing_data_lands_in_tenants() -> None:
    """A tenant row for ``main`` and every tenant the data uses; the ``admin`` user."""
    conn = op.get_bind()
    now = datetime.now(UTC)
    found = {"main"}
    for table in _DATA_TABLES:
        column = sa.table(table, sa.column("tenant_id")).c.tenant_id
        found.update(conn.execute(sa.select(column).distinct()).scalars())
    tenants = sa.table(
        "tenants", sa.column("id"), sa.column("name"), sa.column("created", sa.DateTime)
    )
    op.bulk_insert(tenants, [{"id": t, "name": t, "created": now} for t in sorted(found)])
    users = sa.table(
        "users",
        sa.column("id"),
        sa.column("username"),
        sa.column("password_hash"),
        sa.column("super_admin", sa.Boolean),
        sa.column("disabled", sa.Boolean),
        sa.column("created", sa.DateTime),
        sa.column("password_changed", sa.DateTime),
    )
    op.bulk_insert(
        users,
        [
            {
                "id": uuid.uuid4().hex,
                "username": "admin",
                "password_hash": "!",  # no password matches: set one to log in
                "super_admin": True,
                "disabled": False,
                "created": now,
                "password_changed": now,
            }
        ],
    )
