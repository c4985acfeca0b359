"""The server on each storage backend: start-up check, namespace files API, execution files."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from tercel.config import Settings
from tercel.runtime.local import LocalRuntime
from tercel.server import Server
from tercel.storage.api import InternalStorage
from tercel.storage.uri import namespace_file
from tercel.store.sql import SqlStore

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

TERCEL = str(Path(sys.executable).parent / "tercel")
API = "/api/v1/main"

READER = """\
id: reader
namespace: company.team
inputs:
  - id: data
    type: FILE
tasks:
  - id: size
    type: io.kestra.plugin.core.storage.Size
    uri: "{{ inputs.data }}"
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_server_refuses_to_start_when_its_storage_does_not_answer(tmp_path: Path) -> None:
    pytest.importorskip("boto3")
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "key",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_REGION": "us-east-1",
        "TERCEL_STORAGE_URL": f"s3://files?endpoint=http://127.0.0.1:{free_port()}",
    }
    result = subprocess.run(
        [TERCEL, "server", "local", "--home", str(tmp_path), "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert result.returncode == 2
    assert "internal storage s3://files/" in result.stderr
    assert "cannot be reached" in result.stderr
    assert "secret" not in result.stderr


@pytest.fixture
def client(storage: InternalStorage, tmp_path: Path) -> Iterator[TestClient]:
    """A full server (executor, workers) whose internal storage is `storage`."""
    store = SqlStore.open(f"sqlite:///{tmp_path / 'tercel.db'}")
    runtime = LocalRuntime(store=store, storage=storage)
    runtime._owned.append(store.close)
    server = Server(Settings(home=tmp_path), runtime)
    with TestClient(server.app) as test_client:
        yield test_client


def test_namespace_files_api_works_on_every_backend(
    client: TestClient, storage: InternalStorage
) -> None:
    files = f"{API}/namespaces/company.team/files"
    for path, content in (("/sql/a.sql", b"select 1"), ("/sql/deep/b.sql", b"select 2")):
        done = client.post(files, params={"path": path}, files={"fileContent": ("x", content)})
        assert done.status_code == 204, done.text
    listing = client.get(f"{files}/directory", params={"path": "/sql"}).json()
    assert [(item["fileName"], item["type"]) for item in listing] == [
        ("deep", "Directory"),
        ("a.sql", "File"),
    ]
    assert client.get(f"{files}/stats", params={"path": "/sql/a.sql"}).json()["size"] == 8
    moved = client.put(files, params={"from": "/sql", "to": "/queries"})
    assert moved.status_code == 204, moved.text
    assert client.get(files, params={"path": "/queries/deep/b.sql"}).content == b"select 2"
    assert storage.exists(namespace_file("company.team", "queries/a.sql"))
    assert client.delete(files, params={"path": "/queries"}).status_code == 204
    assert storage.list(namespace_file("company.team")) == []


def test_execution_files_are_served_streamed_and_only_to_their_execution(
    client: TestClient,
) -> None:
    created = client.post(
        f"{API}/flows", content=READER, headers={"Content-Type": "application/x-yaml"}
    )
    assert created.status_code == 200, created.text
    body = client.post(
        f"{API}/executions/company.team/reader",
        params={"wait": "true"},
        files={"data": ("data.csv", b"a,b\n1,2\n", "text/csv")},
    ).json()
    assert body["state"]["current"] == "SUCCESS"
    assert body["taskRunList"][0]["outputs"] == {"size": 8}
    uri = body["inputs"]["data"]
    url = f"{API}/executions/{body['id']}/file"
    assert client.get(url, params={"path": uri}).content == b"a,b\n1,2\n"
    encoded = uri.replace("/executions/", "/%65xecutions/")
    assert client.get(url, params={"path": encoded}).content == b"a,b\n1,2\n"
    for outside in (
        uri.replace(body["id"], "someone-else"),
        uri.replace(f"/executions/{body['id']}/", "/executions%2Fx/"),
        uri.rsplit("/", 3)[0] + "/",
        "kestra:///company/team/_files/x",
    ):
        assert client.get(url, params={"path": outside}).status_code == 422, outside
