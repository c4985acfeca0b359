"""Triggers in a running server: webhooks and flow triggers start executions."""

from __future__ import annotations

import time

from tests.integration.api.conftest import TestClient

YAML = {"Content-Type": "application/x-yaml"}
EXECUTIONS = "/api/v1/main/executions"

HOOKED = """\
id: hooked
namespace: company.team
inputs:
  - id: who
    type: STRING
    defaults: nobody
tasks:
  - id: show
    type: io.kestra.plugin.core.log.Log
    message: "{{ trigger.body.name }} via {{ trigger.headers['x-source'][0] }}"
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: s3cret-key
    inputs:
      who: "{{ trigger.body.name }}"
"""

UPSTREAM = """\
id: upstream
namespace: company.team
labels:
  env: prod
tasks:
  - id: done
    type: io.kestra.plugin.core.output.OutputValues
    values:
      rows: 42
"""

DOWNSTREAM = """\
id: downstream
namespace: company.other
inputs:
  - id: rows
    type: STRING
    defaults: none
tasks:
  - id: report
    type: io.kestra.plugin.core.log.Log
    message: "upstream {{ trigger.flowId }} {{ trigger.state }}"
triggers:
  - id: after-upstream
    type: io.kestra.plugin.core.trigger.Flow
    inputs:
      rows: "{{ outputs.done.values.rows }}"
    conditions:
      - type: io.kestra.plugin.core.condition.ExecutionStatus
        in: [SUCCESS]
      - type: io.kestra.plugin.core.condition.ExecutionNamespace
        namespace: company
        prefix: true
      - type: io.kestra.plugin.core.condition.ExecutionLabels
        labels:
          env: prod
"""


def push(client: TestClient, source: str) -> None:
    response = client.post("/api/v1/main/flows", content=source, headers=YAML)
    assert response.status_code == 200, response.text


def executions_of(client: TestClient, flow_id: str, expected: int) -> list[dict]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = client.get(f"{EXECUTIONS}/search", params={"flowId": flow_id}).json()
        done = [e for e in found["results"] if e["state"]["current"] == "SUCCESS"]
        if len(done) >= expected:
            return done
        time.sleep(0.05)
    raise AssertionError(f"{flow_id}: fewer than {expected} successful executions")


def test_webhook_starts_an_execution_with_body_and_headers(server_client: TestClient) -> None:
    push(server_client, HOOKED)
    response = server_client.post(
        f"{EXECUTIONS}/webhook/company.team/hooked/s3cret-key",
        json={"name": "Ada"},
        headers={"X-Source": "ci"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["trigger"]["variables"]["body"] == {"name": "Ada"}
    assert body["inputs"] == {"who": "Ada"}
    (done,) = executions_of(server_client, "hooked", 1)
    logs = server_client.get(f"/api/v1/main/logs/{done['id']}").json()
    assert any(entry["message"] == "Ada via ci" for entry in logs)


def test_webhook_with_a_wrong_key_or_flow_is_404(server_client: TestClient) -> None:
    push(server_client, HOOKED)
    wrong_key = server_client.post(f"{EXECUTIONS}/webhook/company.team/hooked/guess")
    assert wrong_key.status_code == 404
    assert "webhook" in wrong_key.json()["message"]
    assert server_client.get(f"{EXECUTIONS}/webhook/company.team/none/k").status_code == 404


def test_flow_trigger_starts_downstream_with_upstream_outputs(server_client: TestClient) -> None:
    push(server_client, UPSTREAM)
    push(server_client, DOWNSTREAM)
    upstream = server_client.post(
        f"{EXECUTIONS}/company.team/upstream", params={"wait": "true"}
    ).json()
    assert upstream["state"]["current"] == "SUCCESS"
    (downstream,) = executions_of(server_client, "downstream", 1)
    variables = downstream["trigger"]["variables"]
    assert variables["executionId"] == upstream["id"]
    assert variables["state"] == "SUCCESS"
    assert downstream["inputs"] == {"rows": "42"}


def test_flow_trigger_conditions_filter_upstream(server_client: TestClient) -> None:
    push(server_client, UPSTREAM.replace("env: prod", "env: dev"))
    push(server_client, DOWNSTREAM)
    server_client.post(f"{EXECUTIONS}/company.team/upstream", params={"wait": "true"})
    time.sleep(0.5)
    found = server_client.get(f"{EXECUTIONS}/search", params={"flowId": "downstream"}).json()
    assert found["total"] == 0


def test_webhook_key_can_come_from_a_secret(server_client: TestClient) -> None:
    stored = server_client.put(
        "/api/v1/main/namespaces/company/secrets", json={"key": "HOOK_KEY", "value": "k-777"}
    )
    assert stored.status_code == 204
    push(server_client, HOOKED.replace("key: s3cret-key", "key: \"{{ secret('HOOK_KEY') }}\""))
    ok = server_client.post(f"{EXECUTIONS}/webhook/company.team/hooked/k-777", json={"name": "B"})
    assert ok.status_code == 200, ok.text
    wrong = server_client.post(f"{EXECUTIONS}/webhook/company.team/hooked/k-778")
    assert wrong.status_code == 404


def test_webhook_conditions_false_answer_204(server_client: TestClient) -> None:
    guarded = HOOKED + (
        "    conditions:\n"
        "      - type: io.kestra.plugin.core.condition.Expression\n"
        "        expression: \"{{ trigger.body.name == 'allowed' }}\"\n"
    )
    push(server_client, guarded)
    url = f"{EXECUTIONS}/webhook/company.team/hooked/s3cret-key"
    assert server_client.post(url, json={"name": "other"}).status_code == 204
    assert server_client.post(url, json={"name": "allowed"}).status_code == 200


def test_stop_after_disables_the_trigger(server_client: TestClient) -> None:
    failing = """\
id: fragile
namespace: company.team
tasks:
  - id: boom
    type: io.kestra.plugin.core.execution.Fail
    errorMessage: boom
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: k
    stopAfter: [FAILED]
"""
    push(server_client, failing)
    first = server_client.post(f"{EXECUTIONS}/webhook/company.team/fragile/k")
    assert first.status_code == 200
    deadline = time.monotonic() + 20
    state: dict = {}
    while time.monotonic() < deadline:
        states = server_client.get("/api/v1/main/triggers/company.team/fragile").json()
        state = states["results"][0] if states["results"] else {}
        if state.get("disabled"):
            break
        time.sleep(0.05)
    assert state.get("disabled") is True
    assert server_client.post(f"{EXECUTIONS}/webhook/company.team/fragile/k").status_code == 404


def simple(flow_id: str) -> str:
    return (
        f"id: {flow_id}\nnamespace: company.team\ntasks:\n"
        "  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n"
    )


JOINED = """\
id: joined
namespace: company.report
tasks:
  - id: t
    type: io.kestra.plugin.core.log.Log
    message: both done
triggers:
  - id: both
    type: io.kestra.plugin.core.trigger.Flow
    preconditions:
      id: both
      flows:
        - namespace: company.team
          flowId: first
        - namespace: company.team
          flowId: second
      where:
        - id: same-namespace
          filters:
            - field: NAMESPACE
              type: STARTS_WITH
              value: company.
"""


def test_preconditions_wait_for_every_listed_flow(server_client: TestClient) -> None:
    push(server_client, simple("first"))
    push(server_client, simple("second"))
    push(server_client, JOINED)
    server_client.post(f"{EXECUTIONS}/company.team/first", params={"wait": "true"})
    time.sleep(0.5)
    none = server_client.get(f"{EXECUTIONS}/search", params={"flowId": "joined"}).json()
    assert none["total"] == 0
    server_client.post(f"{EXECUTIONS}/company.team/second", params={"wait": "true"})
    (joined,) = executions_of(server_client, "joined", 1)
    assert joined["trigger"]["variables"]["flowId"] == "second"
    # reset on success: one more upstream alone does not fire again
    server_client.post(f"{EXECUTIONS}/company.team/first", params={"wait": "true"})
    time.sleep(0.5)
    again = server_client.get(f"{EXECUTIONS}/search", params={"flowId": "joined"}).json()
    assert again["total"] == 1


def test_flow_triggered_executions_get_namespace_plugin_defaults(
    server_client: TestClient,
) -> None:
    defaults = [{"type": "io.kestra.plugin.core.log.Log", "values": {"level": "WARN"}}]
    assert server_client.put(
        "/api/v1/main/namespaces/company.other", json={"pluginDefaults": defaults}
    ).is_success
    push(server_client, UPSTREAM)
    push(server_client, DOWNSTREAM)
    server_client.post(f"{EXECUTIONS}/company.team/upstream", params={"wait": "true"})
    (downstream,) = executions_of(server_client, "downstream", 1)
    logs = server_client.get(f"/api/v1/main/logs/{downstream['id']}").json()
    assert {entry["level"] for entry in logs if entry["taskId"] == "report"} == {"WARN"}


def test_webhook_can_wait_and_return_the_flow_outputs(server_client: TestClient) -> None:
    waiting = """\
id: answering
namespace: company.team
tasks:
  - id: compute
    type: io.kestra.plugin.core.output.OutputValues
    values:
      doubled: "{{ trigger.body.n * 2 }}"
outputs:
  - id: result
    type: STRING
    value: "{{ outputs.compute.values.doubled }}"
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: k
    wait: true
    returnOutputs: true
"""
    push(server_client, waiting)
    response = server_client.post(f"{EXECUTIONS}/webhook/company.team/answering/k", json={"n": 21})
    assert response.status_code == 200, response.text
    assert response.json() == {"result": "42"}
