"""An API application on a real SQLite store and local storage under a temp dir."""

from __future__ import annotations

import base64
import contextlib
import os
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

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


PG_URL = os.environ.get("TEST_DATABASE_URL")


@contextmanager
def fresh_postgres() -> Iterator[str]:
    """A new, empty PostgreSQL database for one test (dropped afterwards)."""
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set: run under scripts/with-postgres.sh")
    name = f"tercel_api_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
        yield PG_URL.rsplit("/", 1)[0] + "/" + name
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    finally:
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    """A migrated store: SQLite, and PostgreSQL when TEST_DATABASE_URL is set."""
    if request.param == "sqlite":
        opened = SqlStore.open(f"sqlite:///{tmp_path / 'tercel.db'}")
        yield opened
        opened.close()
        return
    with fresh_postgres() as url:
        opened = SqlStore.open(url)
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


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def server_client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    """A client of a full server (executor, workers, scheduler) on SQLite (and PostgreSQL)."""
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'tercel.db'}"
        else:
            url = stack.enter_context(fresh_postgres())
        store = SqlStore.open(url)
        runtime = LocalRuntime(store=store, storage=LocalStorage(tmp_path / "storage"))
        runtime._owned.append(store.close)
        server = Server(Settings(home=tmp_path, encryption_key=KEY), runtime)
        with TestClient(server.app) as test_client:
            yield test_client


def yaml_post(client: TestClient, url: str, body: str) -> object:
    """POST a YAML body."""
    return client.post(url, content=body, headers={"Content-Type": "application/x-yaml"})
