"""`GET /ui/failures`: why executions failed, for the execution page and the list."""

from __future__ import annotations

from tests.integration.api.conftest import TestClient

FLOWS = "/api/v1/main/flows"
EXECUTIONS = "/api/v1/main/executions"
FAILURES = "/api/v1/main/ui/failures"
YAML = {"Content-Type": "application/x-yaml"}

BROKEN = """\
id: broken
namespace: company.team
tasks:
  - id: before
    type: io.kestra.plugin.core.log.Log
    message: fine
  - id: group
    type: io.kestra.plugin.core.flow.Sequential
    tasks:
      - id: gate
        type: io.kestra.plugin.core.execution.Fail
        errorMessage: "the gate is closed for {{ secret('GATE_TOKEN') }}"
"""

SHAKY = """\
id: shaky
namespace: company.team
tasks:
  - id: optional
    type: io.kestra.plugin.core.execution.Fail
    allowFailure: true
    errorMessage: optional step broke
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: done
"""


def run(client: TestClient, source: str, flow_id: str) -> dict:
    assert client.post(FLOWS, content=source, headers=YAML).status_code == 200
    response = client.post(f"{EXECUTIONS}/company.team/{flow_id}", params={"wait": "true"})
    assert response.status_code == 200, response.text
    return response.json()


def test_failures_name_the_innermost_failed_task_and_its_last_errors(
    server_client: TestClient,
) -> None:
    secret = server_client.put(
        "/api/v1/main/namespaces/company.team/secrets/GATE_TOKEN", json={"value": "s3cr3t-v4lue"}
    )
    assert secret.status_code < 300, secret.text
    failed = run(server_client, BROKEN, "broken")
    shaky = run(server_client, SHAKY, "shaky")
    assert (failed["state"]["current"], shaky["state"]["current"]) == ("FAILED", "WARNING")
    response = server_client.get(
        FAILURES, params=[("id", failed["id"]), ("id", shaky["id"]), ("id", "unknown")]
    )
    assert response.status_code == 200, response.text
    failures = response.json()["failures"]
    assert set(failures) == {failed["id"], shaky["id"]}

    summary = failures[failed["id"]]
    assert [(r["taskId"], r["state"]) for r in summary["taskRuns"]] == [("gate", "FAILED")]
    assert summary["taskRuns"][0]["errors"][-1] == "the gate is closed for ******"
    assert summary["reason"] == "gate: the gate is closed for ******"
    assert "s3cr3t" not in response.text

    warning = failures[shaky["id"]]
    assert [r["taskId"] for r in warning["taskRuns"]] == ["optional"]
    assert warning["reason"] == "optional: optional step broke"


def test_failures_of_a_successful_execution_are_empty_and_ids_are_required(
    server_client: TestClient,
) -> None:
    ok = run(
        server_client,
        SHAKY.replace("execution.Fail", "debug.Return").replace("errorMessage", "format"),
        "shaky",
    )
    summary = server_client.get(FAILURES, params={"id": ok["id"]}).json()["failures"][ok["id"]]
    assert summary == {"state": "SUCCESS", "reason": None, "taskRuns": [], "errors": []}
    assert server_client.get(FAILURES).status_code == 422
