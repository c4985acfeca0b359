"""Tenants on a real server: nothing of one tenant is reachable from another.

Each test builds the same namespace in two tenants (`main` and `acme`) and checks that
flows, executions, logs, KV, secrets, namespace files, internal-storage URIs, subflows and
flow triggers never cross between them.
"""

from __future__ import annotations

import time
from typing import Any

from tests.integration.api.conftest import TestClient

YAML = {"Content-Type": "application/x-yaml"}
A, B = "main", "acme"


def api(tenant: str) -> str:
    return f"/api/v1/{tenant}"


def new_tenant(client: TestClient, tenant: str = B) -> None:
    response = client.post("/api/v1/tenants", json={"id": tenant, "name": tenant.title()})
    assert response.status_code == 200, response.text


def push(client: TestClient, tenant: str, source: str) -> None:
    response = client.post(f"{api(tenant)}/flows", content=source, headers=YAML)
    assert response.status_code == 200, response.text


def run(client: TestClient, tenant: str, flow_id: str, ns: str = "company.team") -> dict[str, Any]:
    response = client.post(f"{api(tenant)}/executions/{ns}/{flow_id}", params={"wait": "true"})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def messages(client: TestClient, tenant: str, execution_id: str) -> list[str]:
    return [e["message"] for e in client.get(f"{api(tenant)}/logs/{execution_id}").json()]


def test_tenants_are_created_listed_renamed_and_deleted(server_client: TestClient) -> None:
    assert server_client.get(f"{api(B)}/flows/search").status_code == 404  # unknown tenant
    new_tenant(server_client)
    assert server_client.post("/api/v1/tenants", json={"id": B}).status_code == 409
    assert server_client.post("/api/v1/tenants", json={"id": "Bad Id"}).status_code == 422
    assert server_client.post("/api/v1/tenants", json={"id": "users"}).status_code == 422
    ids = [t["id"] for t in server_client.get("/api/v1/tenants").json()["results"]]
    assert ids == [B, A]
    renamed = server_client.put(f"/api/v1/tenants/{B}", json={"name": "Acme Corp"}).json()
    assert renamed["name"] == "Acme Corp"
    push(server_client, B, HELLO)
    refused = server_client.delete(f"/api/v1/tenants/{B}")
    assert refused.status_code == 409
    assert "flows" in refused.json()["message"]
    assert server_client.delete(f"/api/v1/tenants/{B}", params={"force": "true"}).status_code == 204
    assert server_client.get(f"{api(B)}/flows/search").status_code == 404
    assert server_client.delete(f"/api/v1/tenants/{A}").status_code == 409  # main stays


HELLO = """\
id: hello
namespace: company.team
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: "hello from {{ flow.tenantId }}"
"""


def test_flows_executions_and_logs_stay_in_their_tenant(server_client: TestClient) -> None:
    new_tenant(server_client)
    push(server_client, A, HELLO)
    assert server_client.get(f"{api(B)}/flows/company.team/hello").status_code == 404
    assert server_client.get(f"{api(B)}/flows/search").json()["total"] == 0
    done = run(server_client, A, "hello")
    assert server_client.get(f"{api(B)}/executions/{done['id']}").status_code == 404
    logs = server_client.get(f"{api(B)}/logs/{done['id']}")
    assert logs.status_code == 404 or logs.json() == []
    assert server_client.get(f"{api(B)}/executions/search").json()["total"] == 0
    assert server_client.delete(f"{api(B)}/executions/{done['id']}").status_code == 404
    assert server_client.post(f"{api(B)}/executions/company.team/hello").status_code == 404
    push(server_client, B, HELLO)
    other = run(server_client, B, "hello")
    assert "hello from acme" in messages(server_client, B, other["id"])
    assert server_client.get(f"{api(A)}/executions/search").json()["total"] == 1


KV_WRITER = """\
id: kv
namespace: company.team
tasks:
  - id: before
    type: io.kestra.plugin.core.log.Log
    message: "before={{ kv('color', errorOnMissing=false) ?? 'none' }}"
  - id: set
    type: io.kestra.plugin.core.kv.Set
    key: color
    value: "{{ flow.tenantId }}-blue"
  - id: get
    type: io.kestra.plugin.core.kv.Get
    key: color
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: "after={{ outputs.get.value }}"
"""


def test_kv_of_a_task_is_its_tenants_kv(server_client: TestClient) -> None:
    new_tenant(server_client)
    put = server_client.put(
        f"{api(A)}/namespaces/company.team/kv/color",
        content='"main-red"',
        headers={"Content-Type": "application/json"},
    )
    assert put.status_code in (200, 204), put.text
    push(server_client, B, KV_WRITER)
    done = run(server_client, B, "kv")
    assert done["state"]["current"] == "SUCCESS", done
    logged = messages(server_client, B, done["id"])
    assert "before=none" in logged  # main's key is not seen from acme
    assert "after=acme-blue" in logged
    main_value = server_client.get(f"{api(A)}/namespaces/company.team/kv/color").json()
    assert main_value["value"] == "main-red"  # and acme's write did not touch main
    acme_value = server_client.get(f"{api(B)}/namespaces/company.team/kv/color").json()
    assert acme_value["value"] == "acme-blue"


READER = """\
id: reader
namespace: company.team
tasks:
  - id: read
    type: io.kestra.plugin.core.log.Log
    message: "file={{ read('notes.txt') }}"
"""


def test_namespace_files_and_read_stay_in_their_tenant(server_client: TestClient) -> None:
    new_tenant(server_client)
    upload = server_client.post(
        f"{api(A)}/namespaces/company.team/files",
        params={"path": "/notes.txt"},
        files={"fileContent": ("notes.txt", b"main's notes")},
    )
    assert upload.status_code == 204, upload.text
    listing = server_client.get(f"{api(B)}/namespaces/company.team/files/directory").json()
    assert listing == []
    missing = server_client.get(
        f"{api(B)}/namespaces/company.team/files", params={"path": "/notes.txt"}
    )
    assert missing.status_code == 404
    push(server_client, B, READER)
    failed = run(server_client, B, "reader")
    assert failed["state"]["current"] == "FAILED"
    assert not any("main's notes" in m for m in messages(server_client, B, failed["id"]))
    push(server_client, A, READER)
    ok = run(server_client, A, "reader")
    assert "file=main's notes" in messages(server_client, A, ok["id"])


FILE_INPUT = """\
id: writer
namespace: company.team
inputs:
  - id: data
    type: FILE
tasks:
  - id: size
    type: io.kestra.plugin.core.log.Log
    message: "stored {{ inputs.data }}"
"""

URI_READER = """\
id: urireader
namespace: company.team
inputs:
  - id: uri
    type: STRING
tasks:
  - id: read
    type: io.kestra.plugin.core.log.Log
    message: "got={{ read(inputs.uri) }}"
"""


def test_internal_storage_uris_do_not_reach_another_tenant(server_client: TestClient) -> None:
    new_tenant(server_client)
    push(server_client, A, FILE_INPUT)
    written = server_client.post(
        f"{api(A)}/executions/company.team/writer",
        params={"wait": "true"},
        files={"data": ("plans.txt", b"secret plans of main")},
    ).json()
    assert written["state"]["current"] == "SUCCESS", written
    uri = written["inputs"]["data"]
    assert uri.startswith("kestra:///company/team/writer/executions/")
    mine = server_client.get(f"{api(A)}/executions/{written['id']}/file", params={"path": uri})
    assert mine.content == b"secret plans of main"
    theirs = server_client.get(f"{api(B)}/executions/{written['id']}/file", params={"path": uri})
    assert theirs.status_code == 404
    push(server_client, B, URI_READER)
    response = server_client.post(
        f"{api(B)}/executions/company.team/urireader",
        params={"wait": "true"},
        files={"uri": (None, uri)},
    )
    attempt = response.json()
    assert attempt["state"]["current"] == "FAILED"
    assert not any("secret plans" in m for m in messages(server_client, B, attempt["id"]))


SECRET_USER = """\
id: secretive
namespace: company.team
tasks:
  - id: show
    type: io.kestra.plugin.core.log.Log
    message: "token={{ secret('API_TOKEN') }}"
"""


def test_secrets_stay_in_their_tenant(server_client: TestClient) -> None:
    new_tenant(server_client)
    stored = server_client.put(
        f"{api(A)}/namespaces/company.team/secrets/API_TOKEN", json={"value": "main-only"}
    )
    assert stored.status_code == 204, stored.text
    names = server_client.get(f"{api(B)}/namespaces/company.team/secrets").json()
    assert names["total"] == 0
    push(server_client, B, SECRET_USER)
    failed = run(server_client, B, "secretive")
    assert failed["state"]["current"] == "FAILED"
    assert not any("main-only" in m for m in messages(server_client, B, failed["id"]))


CHILD = """\
id: child
namespace: company.shared
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: "child of {{ flow.tenantId }}"
"""

PARENT = """\
id: parent
namespace: company.team
tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: company.shared
    flowId: child
    wait: true
"""


def test_a_subflow_cannot_call_into_another_tenant(server_client: TestClient) -> None:
    new_tenant(server_client)
    push(server_client, A, CHILD)
    push(server_client, B, PARENT)
    failed = run(server_client, B, "parent")
    assert failed["state"]["current"] == "FAILED"
    main_runs = server_client.get(f"{api(A)}/executions/search", params={"flowId": "child"})
    assert main_runs.json()["total"] == 0
    push(server_client, A, PARENT)
    assert run(server_client, A, "parent")["state"]["current"] == "SUCCESS"


LISTENER = """\
id: listener
namespace: company.team
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: "upstream {{ trigger.executionId }}"
triggers:
  - id: on-hello
    type: io.kestra.plugin.core.trigger.Flow
    conditions:
      - type: io.kestra.plugin.core.condition.ExecutionFlow
        namespace: company.team
        flowId: hello
"""


def test_a_flow_trigger_never_fires_on_another_tenants_execution(
    server_client: TestClient,
) -> None:
    new_tenant(server_client)
    push(server_client, B, LISTENER)
    push(server_client, A, HELLO)
    push(server_client, B, HELLO)
    run(server_client, A, "hello")
    own = run(server_client, B, "hello")
    deadline = time.monotonic() + 20
    found: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not found:
        search = server_client.get(f"{api(B)}/executions/search", params={"flowId": "listener"})
        found = search.json()["results"]
        time.sleep(0.05)
    time.sleep(0.5)  # a wrongly fired second execution would have appeared by now
    search = server_client.get(f"{api(B)}/executions/search", params={"flowId": "listener"})
    fired = search.json()["results"]
    assert len(fired) == 1
    assert fired[0]["trigger"]["variables"]["executionId"] == own["id"]
