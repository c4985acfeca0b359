"""A stored secret's value is never in the database in clear."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import sqlalchemy as sa

from tercel.secrets import EncryptedSecrets
from tercel.store.sql import SqlStore
from tercel.store.sql.schema import secrets as secrets_table


def test_the_raw_row_holds_ciphertext_only(sql_store: SqlStore) -> None:
    value = "p4ssw0rd-that-must-not-leak"
    secrets = EncryptedSecrets(sql_store.secrets, base64.b64encode(os.urandom(32)).decode())
    secrets.set("company", "db_password", value)
    with sql_store.engine.connect() as conn:
        rows = conn.execute(sa.select(secrets_table)).all()
    assert len(rows) == 1
    raw = bytes(rows[0].ciphertext)
    assert value.encode() not in raw
    assert value not in repr(tuple(rows[0]))
    assert secrets.get("company", "db_password") == value


def test_the_sqlite_file_never_contains_the_value(tmp_path: Path) -> None:
    value = "another-secret-value-1234567890"
    store = SqlStore.open_home(tmp_path)
    EncryptedSecrets(store.secrets, "k" * 32).set("company", "token", value)
    store.close()
    for path in tmp_path.glob("tercel.db*"):
        assert value.encode() not in path.read_bytes(), f"{path.name} holds the secret in clear"
