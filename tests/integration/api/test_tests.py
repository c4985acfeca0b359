"""Flow unit tests over HTTP (Kestra's /tests endpoints) on a full server."""

from __future__ import annotations

import base64

import pytest

from tests.integration.api.conftest import TestClient

FLOWS = "/api/v1/main/flows"
TESTS = "/api/v1/main/tests"
YAML = {"Content-Type": "application/x-yaml"}

FLOW = """\
id: etl
namespace: company.team
tasks:
  - id: extract
    type: io.kestra.plugin.core.http.Request
    uri: http://127.0.0.1:9/unreachable
  - id: transform
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.extract.body | upper }}"
errors:
  - id: alert
    type: io.kestra.plugin.core.log.Log
    message: extract failed
"""

SUITE = """\
id: etl_tests
namespace: company.team
flowId: etl
testCases:
  - id: transforms_the_body
    type: io.kestra.core.tests.flow.UnitTest
    fixtures:
      tasks:
        - id: extract
          outputs: {body: rows}
    assertions:
      - value: "{{ outputs.transform.value }}"
        equalTo: ROWS
  - id: failure_alerts
    type: io.kestra.core.tests.flow.UnitTest
    fixtures:
      tasks:
        - id: extract
          state: FAILED
    assertions:
      - value: "{{ tasks.alert.state }}"
        equalTo: SUCCESS
      - value: "{{ execution.state }}"
        equalTo: SUCCESS
"""


def _setup(client: TestClient) -> None:
    assert client.post(FLOWS, content=FLOW, headers=YAML).status_code == 200
    created = client.post(TESTS, content=SUITE, headers=YAML)
    assert created.status_code == 200, created.text
    assert created.json()["flowId"] == "etl"


def test_a_test_is_created_listed_run_and_its_result_kept(server_client: TestClient) -> None:
    _setup(server_client)
    listed = server_client.get(f"{TESTS}/search", params={"namespace": "company.team"}).json()
    assert [(t["id"], t["lastRunState"]) for t in listed["results"]] == [("etl_tests", None)]
    run = server_client.post(f"{TESTS}/company.team/etl_tests/run")
    assert run.status_code == 200, run.text
    result = run.json()
    assert result["state"] == "FAILED"
    states = {r["testId"]: r["state"] for r in result["results"]}
    assert states == {"transforms_the_body": "SUCCESS", "failure_alerts": "FAILED"}
    failed = result["results"][1]["assertionResults"][1]
    assert (failed["expected"], failed["actual"], failed["isSuccess"]) == (
        "SUCCESS",
        "FAILED",
        False,
    )
    kept = server_client.get(f"{TESTS}/results/{result['id']}")
    assert kept.json() == result
    found = server_client.get(f"{TESTS}/results/search", params={"testSuiteId": "etl_tests"})
    assert [r["id"] for r in found.json()["results"]] == [result["id"]]
    listed = server_client.get(f"{TESTS}/search", params={"flowId": "etl"}).json()
    assert listed["results"][0]["lastRunState"] == "FAILED"


def test_a_test_run_leaves_no_trace_among_the_flow_executions(server_client: TestClient) -> None:
    _setup(server_client)
    body = {"testCases": ["transforms_the_body"]}
    result = server_client.post(f"{TESTS}/company.team/etl_tests/run", json=body).json()
    assert [r["testId"] for r in result["results"]] == ["transforms_the_body"]
    assert result["state"] == "SUCCESS"
    assert result["results"][0]["executionId"]
    executions = server_client.get(
        "/api/v1/main/executions/search", params={"namespace": "company.team", "flowId": "etl"}
    ).json()
    assert executions["total"] == 0
    missing = server_client.get(f"/api/v1/main/executions/{result['results'][0]['executionId']}")
    assert missing.status_code == 404


def test_invalid_tests_are_refused_with_positions(server_client: TestClient) -> None:
    assert server_client.post(FLOWS, content=FLOW, headers=YAML).status_code == 200
    bad = SUITE.replace(
        "        - id: extract\n          state", "        - id: extrct\n          state"
    )
    refused = server_client.post(TESTS, content=bad, headers=YAML)
    assert refused.status_code == 422
    [problem] = refused.json()["problems"]
    assert (problem["line"], problem["column"]) == (18, 15)
    assert problem["message"] == "flow `company.team.etl` has no task `extrct`"
    checked = server_client.post(f"{TESTS}/validate", content=bad, headers=YAML).json()
    assert checked["valid"] is False
    unknown = SUITE.replace("flowId: etl", "flowId: nope")
    assert server_client.post(TESTS, content=unknown, headers=YAML).status_code == 422


def test_a_test_is_read_updated_and_deleted(server_client: TestClient) -> None:
    _setup(server_client)
    assert server_client.post(TESTS, content=SUITE, headers=YAML).status_code == 409
    got = server_client.get(f"{TESTS}/company.team/etl_tests").json()
    assert got["source"] == SUITE
    assert [c["id"] for c in got["testCases"]] == ["transforms_the_body", "failure_alerts"]
    changed = SUITE.replace("equalTo: ROWS", "equalTo: rows")
    updated = server_client.put(f"{TESTS}/company.team/etl_tests", content=changed, headers=YAML)
    assert updated.status_code == 200, updated.text
    assert updated.json()["source"] == changed
    renamed = server_client.put(f"{TESTS}/company.team/other", content=changed, headers=YAML)
    assert renamed.status_code == 404
    assert server_client.delete(f"{TESTS}/company.team/etl_tests").status_code == 204
    assert server_client.get(f"{TESTS}/company.team/etl_tests").status_code == 404
    assert server_client.post(f"{TESTS}/company.team/etl_tests/run").status_code == 404


def test_a_server_test_run_is_not_given_the_process_secrets(
    server_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRET_API_TOKEN", base64.b64encode(b"server-only-token").decode())
    flow = FLOW.replace(
        "uri: http://127.0.0.1:9/unreachable",
        "uri: \"http://127.0.0.1:9/{{ secret('API_TOKEN') }}\"",
    )
    assert server_client.post(FLOWS, content=flow, headers=YAML).status_code == 200
    suite = SUITE.replace("{{ outputs.transform.value }}", "{{ secret('API_TOKEN') }}")
    assert server_client.post(TESTS, content=suite, headers=YAML).status_code == 200
    response = server_client.post(f"{TESTS}/company.team/etl_tests/run")
    assert response.status_code == 200
    assert "server-only-token" not in response.text
    first = response.json()["results"][0]
    assert first["state"] == "ERROR"
    assert "API_TOKEN" in first["errors"][0]["details"]
