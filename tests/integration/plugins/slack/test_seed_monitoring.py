"""The seed's monitoring flow, exactly as written, in a running server.

A Flow trigger listens for FAILED/WARNING executions anywhere; `runIf` routes by the failing
execution's namespace to #data-alerts or #product-alerts; the webhook URL comes from the
`monitors` namespace's variables through `render(namespace.slack.webhook)`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from stack_http_server import LocalHttpServer

from tests.integration.api.conftest import TestClient

pytestmark = pytest.mark.integration

API = "/api/v1/main"
YAML = {"Content-Type": "application/x-yaml"}

# As published in ../shared/seed/how-kestra-runs-on-kestra.txt (indentation restored).
MONITOR = """\
id: slack
namespace: monitors

tasks:
  - id: data
    type: io.kestra.plugin.slack.notifications.SlackExecution
    url: "{{ render(namespace.slack.webhook) }}"
    channel: "#data-alerts"
    username: "Kestra Monitor"
    iconEmoji: ":alert:"
    executionId: "{{ trigger.executionId }}"
    runIf: "{{ trigger.namespace | startsWith('data') }}"

  - id: product
    type: io.kestra.plugin.slack.notifications.SlackExecution
    url: "{{ render(namespace.slack.webhook) }}"
    channel: "#product-alerts"
    username: "Kestra Monitor"
    iconEmoji: ":alert:"
    executionId: "{{ trigger.executionId }}"
    runIf: "{{ trigger.namespace | startsWith('product') }}"

triggers:
  - id: listen
    type: io.kestra.plugin.core.trigger.Flow
    conditions:
      - type: io.kestra.plugin.core.condition.ExecutionStatus
        in:
          - FAILED
          - WARNING
"""


def failing(namespace: str, flow_id: str) -> str:
    return f"""\
id: {flow_id}
namespace: {namespace}
tasks:
  - id: extract
    type: io.kestra.plugin.core.log.Log
    message: extracting
  - id: load
    type: io.kestra.plugin.core.execution.Fail
    errorMessage: warehouse unreachable
"""


@pytest.fixture
def receiver() -> Iterator[LocalHttpServer]:
    with LocalHttpServer() as server:
        server.route("POST", "/services/T0/B0/x", body="ok")
        yield server


def push(client: TestClient, source: str) -> None:
    response = client.post(f"{API}/flows", content=source, headers=YAML)
    assert response.status_code == 200, response.text


def run(client: TestClient, namespace: str, flow_id: str) -> dict[str, Any]:
    response = client.post(f"{API}/executions/{namespace}/{flow_id}", params={"wait": "true"})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def monitor_runs(client: TestClient, expected: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = client.get(f"{API}/executions/search", params={"flowId": "slack"}).json()
        done = [e for e in found["results"] if e["state"]["current"] in ("SUCCESS", "FAILED")]
        if len(done) >= expected:
            return done
        time.sleep(0.05)
    raise AssertionError(f"fewer than {expected} finished monitor executions")


# Flow-level variables stand in for the namespace's: the same routing, without `namespace.*`.
MONITOR_WITH_FLOW_VARIABLES = MONITOR.replace(
    "render(namespace.slack.webhook)", "render(vars.slack.webhook)"
).replace("\ntasks:", "\nvariables:\n  slack:\n    webhook: WEBHOOK\n\ntasks:", 1)


def test_seed_monitoring_flow_as_written_routes_failures_by_namespace(
    server_client: TestClient, receiver: LocalHttpServer
) -> None:
    namespace = server_client.put(
        f"{API}/namespaces/monitors",
        json={"variables": {"slack": {"webhook": receiver.url("/services/T0/B0/x")}}},
    )
    assert namespace.status_code == 200, namespace.text
    push(server_client, MONITOR)
    check_routing(server_client, receiver)


def test_failures_are_routed_to_the_channel_of_their_namespace(
    server_client: TestClient, receiver: LocalHttpServer
) -> None:
    push(
        server_client,
        MONITOR_WITH_FLOW_VARIABLES.replace("WEBHOOK", receiver.url("/services/T0/B0/x")),
    )
    check_routing(server_client, receiver)


def check_routing(
    server_client: TestClient,
    receiver: LocalHttpServer,
) -> None:
    """Fail one flow in `data.*` and one in `product.*`; each alert reaches its channel."""
    push(server_client, failing("data.sources", "hubspot"))
    push(server_client, failing("product.web", "signup"))

    data_run = run(server_client, "data.sources", "hubspot")
    assert data_run["state"]["current"] == "FAILED"
    monitor_runs(server_client, 1)
    product_run = run(server_client, "product.web", "signup")
    runs = monitor_runs(server_client, 2)
    assert {r["state"]["current"] for r in runs} == {"SUCCESS"}, runs

    messages = [request.json() for request in receiver.requests]
    by_channel = {message["channel"]: message for message in messages}
    assert sorted(by_channel) == ["#data-alerts", "#product-alerts"]
    assert len(messages) == 2
    data = by_channel["#data-alerts"]
    assert data["username"] == "Kestra Monitor"
    assert data["icon_emoji"] == ":alert:"
    assert f"/executions/data.sources/hubspot/{data_run['id']}|" in data["text"]
    assert "[data.sources] hubspot ➛ FAILED> > load" in data["text"]
    fields = {f["title"]: f["value"] for f in data["attachments"][0]["fields"]}
    assert fields["Failed task"] == "load"
    assert fields["Status"] == "FAILED"
    product = by_channel["#product-alerts"]
    assert f"/executions/product.web/signup/{product_run['id']}|" in product["text"]


def test_successful_executions_send_nothing(
    server_client: TestClient, receiver: LocalHttpServer
) -> None:
    push(
        server_client,
        MONITOR_WITH_FLOW_VARIABLES.replace("WEBHOOK", receiver.url("/services/T0/B0/x")),
    )
    push(
        server_client,
        failing("data.sources", "fine").replace(
            "type: io.kestra.plugin.core.execution.Fail\n    errorMessage: warehouse unreachable",
            "type: io.kestra.plugin.core.log.Log\n    message: loaded",
        ),
    )
    assert run(server_client, "data.sources", "fine")["state"]["current"] == "SUCCESS"
    time.sleep(0.5)
    found = server_client.get(f"{API}/executions/search", params={"flowId": "slack"}).json()
    assert found["total"] == 0
    assert receiver.requests == []
