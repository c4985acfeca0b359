"""Authentication: basic auth and bearer tokens; /health stays open."""

from __future__ import annotations

from pathlib import Path

from tercel.api.app import create_app
from tercel.config import Settings
from tercel.store.sql import SqlStore
from tests.integration.api.conftest import TestClient


def secured(store: SqlStore, tmp_path: Path) -> TestClient:
    settings = Settings(
        home=tmp_path, basic_auth_user="admin", basic_auth_password="pw", api_tokens=("tok",)
    )
    return TestClient(create_app(store, settings))


def test_requests_without_credentials_get_401(store: SqlStore, tmp_path: Path) -> None:
    with secured(store, tmp_path) as client:
        response = client.get("/api/v1/main/flows/search")
        assert response.status_code == 401
        assert "authentication" in response.json()["message"]
        assert client.get("/health").status_code == 200


def test_basic_auth_and_tokens_are_accepted(store: SqlStore, tmp_path: Path) -> None:
    with secured(store, tmp_path) as client:
        url = "/api/v1/main/flows/search"
        assert client.get(url, auth=("admin", "pw")).status_code == 200
        assert client.get(url, auth=("admin", "wrong")).status_code == 401
        assert client.get(url, headers={"Authorization": "Bearer tok"}).status_code == 200
        assert client.get(url, headers={"Authorization": "Bearer nope"}).status_code == 401
        assert client.get(url, headers={"Authorization": "Basic !!!"}).status_code == 401
