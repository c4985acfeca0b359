"""The flows-as-code endpoints: one namespace's changes in one transaction, or none."""

from __future__ import annotations

import base64
import secrets
import threading
from pathlib import Path

from tercel.api.files_service import NamespaceFiles
from tercel.ascode.fingerprint import secret_digest
from tercel.ascode.sync import NamespaceSync, Operation
from tercel.errors import StaleStateError
from tercel.storage.local import LocalStorage
from tercel.store.sql import SqlStore
from tests.integration.api.conftest import HELLO, TestClient

STATE = "/api/v1/main/namespaces/company.team/sync/state"
APPLY = "/api/v1/main/namespaces/company.team/sync/apply"


def op(kind: str, name: str, expected: object = None, action: str = "create", **payload: object):
    return {"kind": kind, "action": action, "name": name, "expected": expected, **payload}


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def nothing_stored(client: TestClient) -> None:
    assert client.get("/api/v1/main/flows/company.team/hello").status_code == 404
    assert client.get("/api/v1/main/namespaces/company.team").status_code == 404
    files = client.get("/api/v1/main/namespaces/company.team/files/directory").json()
    assert files == []
    assert client.get("/api/v1/main/namespaces/company.team/kv").json() == []


def test_a_failing_operation_leaves_nothing_of_the_namespace_applied(client: TestClient) -> None:
    operations = [
        op("flow", "hello", source=HELLO),
        op("settings", "company.team", settings={"variables": {"a": 1}}),
        op("kv", "seed", value=1),
        op("file", "scripts/ok.py", content=b64("print(1)")),
        op("file", "../outside.py", content=b64("print(2)")),
    ]
    response = client.post(APPLY, json={"operations": operations})
    assert response.status_code == 422
    assert "must stay inside the namespace" in response.json()["message"]
    nothing_stored(client)


def test_an_invalid_flow_is_refused_with_its_positions_before_anything_is_written(
    client: TestClient,
) -> None:
    broken = HELLO.replace("message:", "mesage:")
    operations = [op("kv", "seed", value=1), op("flow", "hello", source=broken)]
    response = client.post(APPLY, json={"operations": operations})
    assert response.status_code == 422
    problem = response.json()["problems"][0]
    assert (problem["path"], problem["line"]) == ("company.team/hello", 11)
    nothing_stored(client)


def test_a_moved_object_is_a_409_listing_it_and_nothing_is_applied(client: TestClient) -> None:
    first = client.post(APPLY, json={"operations": [op("flow", "hello", source=HELLO)]})
    assert first.status_code == 200, first.text
    assert first.json()["applied"][0]["revision"] == 1
    stale = [
        op("settings", "company.team", settings={"variables": {"a": 1}}),
        op("flow", "hello", None, source=HELLO.replace("Says hello", "changed")),
    ]
    response = client.post(APPLY, json={"operations": stale})
    assert response.status_code == 409
    assert response.json()["moved"] == [
        {"kind": "flow", "name": "hello", "expected": None, "actual": 1}
    ]
    assert client.get("/api/v1/main/namespaces/company.team").json()["variables"] == {}

    fresh = [{**stale[1], "action": "update", "expected": 1}]
    assert client.post(APPLY, json={"operations": fresh}).status_code == 200
    flow = client.get("/api/v1/main/flows/company.team/hello").json()
    assert (flow["revision"], flow["description"]) == (2, "changed")


def test_state_compares_secret_values_by_one_time_digest_and_never_returns_them(
    client: TestClient,
) -> None:
    value = "a-secret-value-123"
    applied = client.post(APPLY, json={"operations": [op("secret", "db_password", value=value)]})
    assert applied.status_code == 200
    nonce = secrets.token_hex(16)
    body = {
        "nonce": nonce,
        "secretDigests": {"DB_PASSWORD": secret_digest(nonce, value)},
    }
    state = client.post(STATE, json=body)
    assert value not in state.text
    [entry] = state.json()["secrets"]
    assert (entry["name"], entry["same"]) == ("DB_PASSWORD", True)
    body["secretDigests"] = {"DB_PASSWORD": secret_digest(nonce, "another")}
    assert client.post(STATE, json=body).json()["secrets"][0]["same"] is False


def test_malformed_operations_are_422_naming_the_field(client: TestClient) -> None:
    response = client.post(APPLY, json={"operations": [{"kind": "flow", "action": "create"}]})
    assert response.status_code == 422
    assert "operations[0].name" in response.json()["message"]
    response = client.post(APPLY, json={"operations": [op("job", "x")]})
    assert "operations[0].kind" in response.json()["message"]


def test_two_applies_racing_on_one_namespace_take_turns(store: SqlStore, tmp_path: Path) -> None:
    sync = NamespaceSync(store, NamespaceFiles(LocalStorage(tmp_path / "files")), None)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def apply(message: str) -> None:
        source = HELLO.replace("Says hello", message)
        operation = Operation("flow", "create", "hello", None, source)
        barrier.wait()
        try:
            sync.apply("main", "company.team", [operation])
            outcomes.append("applied")
        except StaleStateError as error:
            outcomes.append(f"refused: {error.moved[0]['actual']}")

    threads = [threading.Thread(target=apply, args=(m,)) for m in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["applied", "refused: 1"]
    assert [r.revision for r in store.flows.revisions("company.team", "hello")] == [1]
