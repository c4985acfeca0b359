"""Backfills of a Schedule trigger through the API, run by the server's scheduler."""

from __future__ import annotations

import time

from tests.integration.api.conftest import TestClient

YAML = {"Content-Type": "application/x-yaml"}
TRIGGERS = "/api/v1/main/triggers"

HOURLY = """\
id: hourly
namespace: company.team
inputs:
  - id: note
    type: STRING
    defaults: regular
tasks:
  - id: t
    type: io.kestra.plugin.core.log.Log
    message: "{{ trigger.date }} {{ inputs.note }}"
triggers:
  - id: every-hour
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 * * * *"
    timezone: UTC
"""

REF = {"namespace": "company.team", "flowId": "hourly", "triggerId": "every-hour"}


def test_backfill_creates_one_execution_per_past_date(server_client: TestClient) -> None:
    assert server_client.post("/api/v1/main/flows", content=HOURLY, headers=YAML).is_success
    backfill = {
        "start": "2025-01-01T00:00:00Z",
        "end": "2025-01-01T02:00:00Z",
        "inputs": {"note": "backfilled"},
        "labels": {"reason": "gap"},
    }
    response = server_client.put(TRIGGERS, json={**REF, "backfill": backfill})
    assert response.status_code == 200, response.text
    assert response.json()["backfill"]["currentDate"] == "2025-01-01T00:00:00.000Z"
    deadline = time.monotonic() + 20
    found: dict = {"total": 0}
    while time.monotonic() < deadline and found["total"] < 3:
        found = server_client.get(
            "/api/v1/main/executions/search", params={"flowId": "hourly"}
        ).json()
        time.sleep(0.1)
    assert found["total"] == 3
    dates = sorted(e["trigger"]["variables"]["date"] for e in found["results"])
    assert dates == [
        "2025-01-01T00:00:00+00:00",
        "2025-01-01T01:00:00+00:00",
        "2025-01-01T02:00:00+00:00",
    ]
    execution = found["results"][0]
    assert execution["inputs"] == {"note": "backfilled"}
    assert {"key": "reason", "value": "gap"} in execution["labels"]
    assert {"key": "system.backfill", "value": "true"} in execution["labels"]
    state = server_client.get(f"{TRIGGERS}/company.team/hourly").json()["results"][0]
    assert state["backfill"] is None


def test_backfill_pause_unpause_delete_and_bad_input(server_client: TestClient) -> None:
    assert server_client.post("/api/v1/main/flows", content=HOURLY, headers=YAML).is_success
    paused = {"start": "2020-01-01T00:00:00Z", "end": "2020-01-02T00:00:00Z", "paused": True}
    assert server_client.put(TRIGGERS, json={**REF, "backfill": paused}).status_code == 200
    assert server_client.put(TRIGGERS, json={**REF, "backfill": paused}).status_code == 409
    time.sleep(1.5)
    none = server_client.get("/api/v1/main/executions/search", params={"flowId": "hourly"})
    assert none.json()["total"] == 0
    assert server_client.put(f"{TRIGGERS}/backfill/unpause", json=REF).status_code == 200
    assert server_client.put(f"{TRIGGERS}/backfill/pause", json=REF).status_code == 200
    assert server_client.post(f"{TRIGGERS}/backfill/delete", json=REF).status_code == 200
    assert server_client.post(f"{TRIGGERS}/backfill/delete", json=REF).status_code == 404
    backwards = {"start": "2025-01-02T00:00:00Z", "end": "2025-01-01T00:00:00Z"}
    bad = server_client.put(TRIGGERS, json={**REF, "backfill": backwards})
    assert bad.status_code == 422
    assert "backfill.end" in bad.json()["message"]
    no_date = server_client.put(TRIGGERS, json={**REF, "backfill": {"start": "soon"}})
    assert no_date.status_code == 422
    assert "backfill.start" in no_date.json()["message"]
    unknown = server_client.put(TRIGGERS, json={**REF, "triggerId": "nope", "disabled": True})
    assert unknown.status_code == 404
    assert "triggerId" in unknown.json()["message"]


EVERY_SECOND = """\
id: ticking
namespace: company.team
tasks:
  - id: t
    type: io.kestra.plugin.core.log.Log
    message: tick
triggers:
  - id: each-second
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "* * * * * *"
    withSeconds: true
"""
TICK = {"namespace": "company.team", "flowId": "ticking", "triggerId": "each-second"}


def count(client: TestClient) -> int:
    found = client.get("/api/v1/main/executions/search", params={"flowId": "ticking"})
    return int(found.json()["total"])


def test_disable_enable_and_unlock_a_schedule(server_client: TestClient) -> None:
    disabled = server_client.put(TRIGGERS, json={**TICK, "disabled": True})
    assert disabled.status_code == 404  # no such flow yet
    assert server_client.post("/api/v1/main/flows", content=EVERY_SECOND, headers=YAML).is_success
    assert server_client.put(TRIGGERS, json={**TICK, "disabled": True}).json()["disabled"] is True
    time.sleep(2.5)
    assert count(server_client) == 0
    assert server_client.put(TRIGGERS, json={**TICK, "disabled": False}).status_code == 200
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and count(server_client) == 0:
        time.sleep(0.1)
    assert count(server_client) >= 1
    listed = server_client.get(f"{TRIGGERS}/search", params={"namespace": "company"}).json()
    assert [t["triggerId"] for t in listed["results"]] == ["each-second"]
    unlocked = server_client.post(f"{TRIGGERS}/company.team/ticking/each-second/unlock")
    assert unlocked.status_code == 200
    missing = server_client.post(f"{TRIGGERS}/company.team/ticking/nope/unlock")
    assert missing.status_code == 404


def test_triggers_are_listed_with_their_type_before_any_state(server_client: TestClient) -> None:
    hooked = HOURLY.replace("id: hourly", "id: hooked").replace(
        "  - id: every-hour\n    type: io.kestra.plugin.core.trigger.Schedule\n"
        '    cron: "0 * * * *"\n    timezone: UTC\n',
        "  - id: hook\n    type: io.kestra.plugin.core.trigger.Webhook\n    key: k\n",
    )
    assert server_client.post("/api/v1/main/flows", content=hooked, headers=YAML).is_success
    listed = server_client.get(f"{TRIGGERS}/company.team/hooked").json()
    assert [(t["triggerId"], t["type"]) for t in listed["results"]] == [
        ("hook", "io.kestra.plugin.core.trigger.Webhook")
    ]
    assert listed["results"][0]["disabled"] is False
    assert server_client.get(f"{TRIGGERS}/company.team/none").status_code == 404
