"""An API application on a real SQLite store and local storage under a temp dir."""

from __future__ import annotations

import base64
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from tercel.api.app import create_app
from tercel.config import Settings
from tercel.runtime.local import LocalRuntime
from tercel.server import Server
from tercel.storage.local import LocalStorage
from tercel.store.sql import SqlStore

with warnings.catch_warnings():
    # Starlette's TestClient warns that it prefers another HTTP client; httpx is what we have.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

KEY = base64.b64encode(bytes(range(32))).decode()

HELLO = """\
id: hello
namespace: company.team
description: Says hello
inputs:
  - id: user
    type: STRING
    defaults: world
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: "Hello {{ inputs.user }}"
"""


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    """A migrated SQLite store."""
    opened = SqlStore.open(f"sqlite:///{tmp_path / 'tercel.db'}")
    yield opened
    opened.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with an encryption key, no authentication."""
    return Settings(home=tmp_path, encryption_key=KEY)


@pytest.fixture
def client(store: SqlStore, settings: Settings, tmp_path: Path) -> Iterator[TestClient]:
    """A client of the API (no executor)."""
    app = create_app(store, settings, storage=LocalStorage(tmp_path / "storage"))
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def server_client(tmp_path: Path) -> Iterator[TestClient]:
    """A client of a full server (executor, workers, scheduler) on SQLite."""
    store = SqlStore.open(f"sqlite:///{tmp_path / 'tercel.db'}")
    runtime = LocalRuntime(store=store, storage=LocalStorage(tmp_path / "storage"))
    runtime._owned.append(store.close)
    server = Server(Settings(home=tmp_path, encryption_key=KEY), runtime)
    with TestClient(server.app) as test_client:
        yield test_client


def yaml_post(client: TestClient, url: str, body: str) -> object:
    """POST a YAML body."""
    return client.post(url, content=body, headers={"Content-Type": "application/x-yaml"})
