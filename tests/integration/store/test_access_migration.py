"""Migration 0003 on an install from before tenants: its data lands in tenants (``main`` and
any other id it used) and an ``admin`` super-admin exists, with no usable password."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from tercel.store.sql import SqlStore
from tercel.store.sql.migrate import downgrade, head_revision, upgrade
from tercel.store.sql.schema import flows, kv, tenants, users


def test_existing_data_lands_in_tenants_with_an_admin_user(sql_store: SqlStore) -> None:
    downgrade(sql_store.engine, "0002")
    now = datetime.now(UTC)
    with sql_store.engine.begin() as conn:
        conn.execute(
            flows.insert(),
            [
                {
                    "tenant_id": "main",
                    "namespace": "a",
                    "id": "f",
                    "revision": 1,
                    "source": "id: f",
                    "deleted": False,
                    "updated": now,
                },
            ],
        )
        conn.execute(
            kv.insert(),
            [
                {
                    "tenant_id": "legacy",
                    "namespace": "a",
                    "key": "k",
                    "value": 1,
                    "type": "NUMBER",
                    "expiration": None,
                    "description": None,
                    "updated": now,
                }
            ],
        )
    upgrade(sql_store.engine)
    with sql_store.engine.connect() as conn:
        assert (
            conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
            == head_revision()
        )
        assert sorted(conn.execute(sa.select(tenants.c.id)).scalars()) == ["legacy", "main"]
        admin = conn.execute(sa.select(users)).one()
        assert conn.execute(sa.select(flows.c.tenant_id)).scalar() == "main"
    assert admin.username == "admin"
    assert admin.super_admin
    assert admin.password_hash == "!"  # no password matches until one is set
    reopened = SqlStore(sql_store.engine)
    assert reopened.access.find_user("admin") is not None
    assert reopened.access.any_password() is False  # the API stays open as it was
