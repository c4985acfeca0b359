"""Limits a caller cannot get past: body sizes (413), 64-bit integers and malformed
namespaces (422), refused uploads leaving nothing on disk, webhooks served by their key
alone with wrong keys rate-limited (429). A full server on SQLite, driven over HTTP."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tercel.config import Settings
from tercel.runtime.local import LocalRuntime
from tercel.server import Server
from tercel.storage.local import LocalStorage
from tercel.store.sql import SqlStore
from tests.integration.api.conftest import HELLO, KEY, TestClient

FLOWS = "/api/v1/main/flows"
EXECUTIONS = "/api/v1/main/executions"
YAML = {"Content-Type": "application/x-yaml"}
HUGE = 2**63  # one past the largest signed 64-bit integer

REQUIRED_FILE = """\
id: upload
namespace: company.team
inputs:
  - id: data
    type: FILE
  - id: who
    type: STRING
tasks:
  - id: show
    type: io.kestra.plugin.core.log.Log
    message: "{{ inputs.who }} sent {{ inputs.data }}"
"""

WEBHOOK = """\
id: hook
namespace: company.team
tasks:
  - id: show
    type: io.kestra.plugin.core.log.Log
    message: "{{ trigger.body }}"
triggers:
  - id: web
    type: io.kestra.plugin.core.trigger.Webhook
    key: right-key
"""

Serve = Callable[..., TestClient]


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Serve]:
    """Start a full server with some settings changed; stopped after the test."""
    clients: list[TestClient] = []

    def start(**settings: object) -> TestClient:
        store = SqlStore.open(f"sqlite:///{tmp_path / 'tercel.db'}")
        runtime = LocalRuntime(store=store, storage=LocalStorage(tmp_path / "storage"))
        runtime._owned.append(store.close)
        server = Server(Settings(home=tmp_path, encryption_key=KEY, **settings), runtime)
        client = TestClient(server.app)
        client.__enter__()
        clients.append(client)
        return client

    yield start
    for client in clients:
        client.__exit__(None, None, None)


def stored_files(tmp_path: Path) -> list[Path]:
    return [p for p in (tmp_path / "storage").rglob("*") if p.is_file()]


# -- sizes --------------------------------------------------------------------------------
def test_a_flow_over_the_flow_size_limit_is_413_naming_the_setting(serve: Serve) -> None:
    client = serve(max_flow_size=64 * 1024)
    padded = HELLO + "# " + "x" * 70_000 + "\n"
    response = client.post(FLOWS, content=padded, headers=YAML)
    assert response.status_code == 413
    assert "TERCEL_MAX_FLOW_SIZE" in response.json()["message"]
    assert client.post(FLOWS, content=HELLO, headers=YAML).status_code == 200


def test_a_body_sent_without_a_length_is_cut_off_at_the_limit(serve: Serve) -> None:
    client = serve(max_flow_size=64 * 1024)

    def chunks() -> Iterator[bytes]:
        yield HELLO.encode()
        for _ in range(100):
            yield b"# " + b"x" * 1022 + b"\n"

    response = client.post(FLOWS, content=chunks(), headers=YAML)
    assert response.status_code == 413
    assert "at most 64KB" in response.json()["message"]


def test_json_and_webhook_bodies_have_their_own_limits(serve: Serve) -> None:
    client = serve(max_body_size=1024, max_webhook_size=2048)
    client.post(FLOWS, content=WEBHOOK, headers=YAML)
    labels = [{"key": f"k{i}", "value": "v" * 50} for i in range(40)]
    response = client.post(f"{EXECUTIONS}/abc/labels", json=labels)
    assert response.status_code == 413
    assert "TERCEL_MAX_BODY_SIZE" in response.json()["message"]
    hook = f"{EXECUTIONS}/webhook/company.team/hook/right-key"
    assert client.post(hook, content=b"x" * 1500).status_code == 200
    response = client.post(hook, content=b"x" * 3000)
    assert response.status_code == 413
    assert "TERCEL_MAX_WEBHOOK_SIZE" in response.json()["message"]


def test_an_upload_over_the_limit_is_413_and_stores_nothing(serve: Serve, tmp_path: Path) -> None:
    client = serve(max_upload_size=256 * 1024)
    client.post(FLOWS, content=REQUIRED_FILE, headers=YAML)
    response = client.post(
        f"{EXECUTIONS}/company.team/upload",
        files={"data": ("big.bin", b"\0" * 300_000), "who": (None, "Ada")},
    )
    assert response.status_code == 413
    assert "TERCEL_MAX_UPLOAD_SIZE" in response.json()["message"]
    assert stored_files(tmp_path) == []


# -- refused uploads leave nothing -----------------------------------------------------------
def test_a_refused_execution_start_leaves_no_uploaded_file(serve: Serve, tmp_path: Path) -> None:
    client = serve()
    client.post(FLOWS, content=REQUIRED_FILE, headers=YAML)
    # `who` is required and missing: 422, and the 1 MB file must not stay on disk.
    response = client.post(
        f"{EXECUTIONS}/company.team/upload", files={"data": ("big.bin", b"\1" * 1_000_000)}
    )
    assert response.status_code == 422
    assert "who" in response.json()["message"]
    assert stored_files(tmp_path) == []
    assert not list((tmp_path / "storage").rglob("executions/*"))


def test_file_parts_for_undeclared_inputs_are_not_stored(serve: Serve, tmp_path: Path) -> None:
    client = serve()
    client.post(FLOWS, content=REQUIRED_FILE, headers=YAML)
    response = client.post(
        f"{EXECUTIONS}/company.team/upload",
        params={"wait": "true"},
        files={
            "data": ("data.csv", b"a,b\n"),
            "who": (None, "Ada"),
            "stowaway": ("extra.bin", b"\2" * 10_000),
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["state"]["current"] == "SUCCESS"
    assert [p.name for p in stored_files(tmp_path)] == ["data.csv"]


def test_a_large_file_input_is_stored_whole(serve: Serve, tmp_path: Path) -> None:
    client = serve()
    client.post(FLOWS, content=REQUIRED_FILE, headers=YAML)
    content = bytes(range(256)) * 20_000  # 5 MB: spooled to disk, copied in chunks
    body = client.post(
        f"{EXECUTIONS}/company.team/upload",
        params={"wait": "true"},
        files={"data": ("big.bin", content), "who": (None, "Ada")},
    ).json()
    [stored] = stored_files(tmp_path)
    assert stored.read_bytes() == content
    assert body["inputs"]["data"].endswith("/inputs/data/big.bin")


def test_a_namespace_zip_upload_is_unpacked_from_disk(serve: Serve) -> None:
    client = serve()
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("scripts/a.py", "print('a')\n" * 1000)
    files = "/api/v1/main/namespaces/company.team/files"
    response = client.post(
        files, params={"path": "/"}, files={"fileContent": ("s.zip", archive.getvalue())}
    )
    assert response.status_code == 204, response.text
    read = client.get(files, params={"path": "/scripts/a.py"})
    assert read.content == b"print('a')\n" * 1000


# -- integers and names --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "field"),
    [
        (f"{FLOWS}/search?page={HUGE}", "page"),
        (f"{FLOWS}/search?size={HUGE}", "size"),
        (f"{EXECUTIONS}/search?page={HUGE}", "page"),
        (f"{FLOWS}/company.team/hello?revision={HUGE}", "revision"),
        (f"/api/v1/main/triggers/search?page={HUGE}", "page"),
        (f"/api/v1/main/logs/abc?attempt={HUGE}", "attempt"),
    ],
)
def test_integers_beyond_64_bits_are_422_naming_the_field(
    serve: Serve, url: str, field: str
) -> None:
    client = serve()
    client.post(FLOWS, content=HELLO, headers=YAML)
    response = client.get(url)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field


def test_an_execution_start_with_a_huge_revision_is_422(serve: Serve) -> None:
    client = serve()
    client.post(FLOWS, content=HELLO, headers=YAML)
    response = client.post(f"{EXECUTIONS}/company.team/hello", params={"revision": HUGE})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "revision"


BAD_NAMESPACES = ["a..b", "a.b.", "a...b", ".a", "a._files."]


@pytest.mark.parametrize("namespace", BAD_NAMESPACES)
def test_malformed_namespaces_are_refused_on_every_resource(serve: Serve, namespace: str) -> None:
    client = serve()
    urls = [
        ("GET", f"{FLOWS}/{namespace}"),
        ("GET", f"{FLOWS}/{namespace}/hello"),
        ("POST", f"{EXECUTIONS}/{namespace}/hello"),
        ("POST", f"{EXECUTIONS}/webhook/{namespace}/hook/key"),
        ("PUT", f"/api/v1/main/namespaces/{namespace}"),
        ("GET", f"/api/v1/main/namespaces/{namespace}/files?path=/a"),
        ("GET", f"/api/v1/main/namespaces/{namespace}/kv"),
        ("PUT", f"/api/v1/main/namespaces/{namespace}/kv/key"),
        ("GET", f"/api/v1/main/namespaces/{namespace}/secrets"),
        ("GET", f"/api/v1/main/triggers/{namespace}/hello"),
    ]
    for method, url in urls:
        response = client.request(method, url, json={})
        assert response.status_code == 422, (method, url, response.text)
        assert "namespace" in response.json()["message"], (method, url)
    flow = HELLO.replace("namespace: company.team", f"namespace: {namespace}")
    response = client.post(FLOWS, content=flow, headers=YAML)
    assert response.status_code == 422
    [problem] = response.json()["problems"]
    assert (problem["line"], problem["location"]) == (2, "namespace")


# -- webhooks --------------------------------------------------------------------------------
def test_webhooks_are_served_by_their_key_when_auth_is_on(serve: Serve) -> None:
    client = serve(basic_auth_user="admin", basic_auth_password="pw")
    assert client.post(FLOWS, content=WEBHOOK, headers=YAML).status_code == 401
    client.post(FLOWS, content=WEBHOOK, headers=YAML, auth=("admin", "pw"))
    response = client.post(f"{EXECUTIONS}/webhook/company.team/hook/right-key", json={"a": 1})
    assert response.status_code == 200, response.text
    assert response.json()["trigger"]["id"] == "web"
    # The rest of the API still needs credentials.
    assert client.get(f"{EXECUTIONS}/{response.json()['id']}").status_code == 401


def test_wrong_webhook_keys_are_rate_limited_per_address(serve: Serve) -> None:
    client = serve(basic_auth_user="admin", basic_auth_password="pw", webhook_failures=5)
    client.post(FLOWS, content=WEBHOOK, headers=YAML, auth=("admin", "pw"))
    wrong = f"{EXECUTIONS}/webhook/company.team/hook/guess"
    assert [client.post(wrong).status_code for _ in range(5)] == [404] * 5
    refused = client.post(wrong)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    # Refused before the key is looked at: the right key from this address waits too.
    right = f"{EXECUTIONS}/webhook/company.team/hook/right-key"
    assert client.post(right).status_code == 429
