"""Secrets over HTTP: stored encrypted, listed by name, never returned."""

from __future__ import annotations

from pathlib import Path

from tercel.api.app import create_app
from tercel.config import Settings
from tercel.store.sql import SqlStore
from tests.integration.api.conftest import TestClient

SECRETS = "/api/v1/main/namespaces/company.team/secrets"


def test_secret_is_listed_by_name_and_never_readable(
    client: TestClient, store: SqlStore, tmp_path: Path
) -> None:
    response = client.put(SECRETS, json={"key": "db_password", "value": "s3cr3t-value"})
    assert response.status_code == 204
    assert client.put(f"{SECRETS}/API_KEY", json={"value": "k-123"}).status_code == 204
    listed = client.get(SECRETS).json()
    assert [s["key"] for s in listed["results"]] == ["API_KEY", "DB_PASSWORD"]
    assert "s3cr3t" not in client.get(SECRETS).text
    database = tmp_path / "tercel.db"
    if database.exists():  # SQLite: not even in the file's bytes
        assert b"s3cr3t-value" not in database.read_bytes()
    record = store.secrets.find("company.team", "DB_PASSWORD")
    assert record is not None
    assert b"s3cr3t-value" not in record.ciphertext


def test_delete_secret(client: TestClient) -> None:
    client.put(SECRETS, json={"key": "TOKEN", "value": "x"})
    assert client.delete(f"{SECRETS}/TOKEN").status_code == 204
    assert client.delete(f"{SECRETS}/TOKEN").status_code == 404
    assert client.get(SECRETS).json()["total"] == 0


def test_bad_secret_requests_are_422(client: TestClient) -> None:
    no_value = client.put(SECRETS, json={"key": "A"})
    assert no_value.status_code == 422
    assert "value" in no_value.json()["message"]
    bad_name = client.put(SECRETS, json={"key": "not-valid", "value": "x"})
    assert bad_name.status_code == 422
    assert "key" in bad_name.json()["message"]


def test_secrets_are_refused_without_an_encryption_key(store: SqlStore, tmp_path: Path) -> None:
    app = create_app(store, Settings(home=tmp_path))
    with TestClient(app) as client:
        response = client.put(SECRETS, json={"key": "A", "value": "x"})
    assert response.status_code == 422
    assert "TERCEL_ENCRYPTION_KEY" in response.json()["message"]
    assert store.secrets.names("company.team") == []
