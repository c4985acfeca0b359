"""Trigger-driven blueprints in a running server: flow-trigger alerts, webhook, backfill."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from stack_http_server import LocalHttpServer

from tercel.blueprints import get_blueprint
from tests.integration.api.conftest import TestClient

pytestmark = pytest.mark.integration

API = "/api/v1/main"
YAML = {"Content-Type": "application/x-yaml"}


def push(client: TestClient, source: str) -> None:
    response = client.post(f"{API}/flows", content=source, headers=YAML)
    assert response.status_code == 200, response.text


def push_blueprint(client: TestClient, blueprint_id: str) -> None:
    for source in get_blueprint(blueprint_id).sources():
        push(client, source)


def finished(client: TestClient, flow_id: str, expected: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 30
    done: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        found = client.get(f"{API}/executions/search", params={"flowId": flow_id}).json()
        done = [
            e for e in found["results"] if e["state"]["current"] in ("SUCCESS", "FAILED", "WARNING")
        ]
        if len(done) >= expected:
            return done
        time.sleep(0.05)
    raise AssertionError(f"{flow_id}: {len(done)} of {expected} executions finished")


def outputs_of(execution: dict[str, Any], task_id: str) -> dict[str, Any]:
    (run,) = [tr for tr in execution["taskRunList"] if tr["taskId"] == task_id]
    result: dict[str, Any] = run["outputs"]
    return result


@pytest.fixture
def receiver() -> Iterator[LocalHttpServer]:
    with LocalHttpServer() as server:
        server.route("POST", "/hook", body="ok")
        yield server


def test_namespace_routed_alerting(server_client: TestClient, receiver: LocalHttpServer) -> None:
    stored = server_client.put(
        f"{API}/namespaces/company/secrets",
        json={"key": "SLACK_WEBHOOK", "value": receiver.url("/hook")},
    )
    assert stored.status_code == 204, stored.text
    push_blueprint(server_client, "namespace-routed-alerting")
    push(
        server_client,
        """\
id: nightly
namespace: product.web
tasks:
  - id: boom
    type: io.kestra.plugin.core.execution.Fail
    errorMessage: broken
""",
    )
    failed = server_client.post(f"{API}/executions/product.web/nightly", params={"wait": "true"})
    assert failed.json()["state"]["current"] == "FAILED"
    (alert,) = finished(server_client, "slack_alerts", 1)
    assert alert["state"]["current"] == "SUCCESS"
    (message,) = [request.json() for request in receiver.requests]
    assert message["channel"] == "#product-alerts"
    assert "[product.web] nightly ➛ FAILED> > boom" in message["text"]


def test_webhook_triggered(server_client: TestClient) -> None:
    push_blueprint(server_client, "webhook-triggered")
    url = f"{API}/executions/webhook/company.product/on_signup/change-me-to-a-long-random-key"
    response = server_client.post(url, json={"email": "ada@example.com", "plan": "pro"})
    assert response.status_code == 200, response.text
    (execution,) = finished(server_client, "on_signup", 1)
    assert execution["state"]["current"] == "SUCCESS"
    assert execution["inputs"] == {"plan": "pro"}
    full = server_client.get(f"{API}/executions/{execution['id']}").json()
    assert outputs_of(full, "record") == {"values": {"email": "ada@example.com"}}


def test_backfill_schedule(server_client: TestClient) -> None:
    push_blueprint(server_client, "backfill-schedule")
    ref = {"namespace": "company.data", "flowId": "daily_snapshot", "triggerId": "daily"}
    backfill = {"start": "2025-03-01T00:00:00Z", "end": "2025-03-03T23:00:00Z"}
    response = server_client.put(f"{API}/triggers", json={**ref, "backfill": backfill})
    assert response.status_code == 200, response.text
    executions = finished(server_client, "daily_snapshot", 3)
    days = []
    for execution in executions:
        assert execution["state"]["current"] == "SUCCESS"
        full = server_client.get(f"{API}/executions/{execution['id']}").json()
        days.append(outputs_of(full, "snapshot")["values"]["day"])
    assert sorted(days) == ["2025-03-01", "2025-03-02", "2025-03-03"]
