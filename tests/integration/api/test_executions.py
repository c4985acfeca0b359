"""Executions over HTTP on a real runtime: create with inputs, wait, search, logs, kill."""

from __future__ import annotations

import time

from tests.integration.api.conftest import HELLO, TestClient

FLOWS = "/api/v1/main/flows"
EXECUTIONS = "/api/v1/main/executions"
YAML = {"Content-Type": "application/x-yaml"}

SLEEPY = """\
id: sleepy
namespace: company.team
tasks:
  - id: first
    type: io.kestra.plugin.core.log.Log
    message: starting
  - id: wait
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT30S
"""

FILE_INPUT = """\
id: reader
namespace: company.team
inputs:
  - id: data
    type: FILE
tasks:
  - id: show
    type: io.kestra.plugin.core.log.Log
    message: "got {{ inputs.data }}"
"""

SECRET_FLOW = """\
id: secretive
namespace: company.team.app
tasks:
  - id: show
    type: io.kestra.plugin.core.log.Log
    message: "token={{ secret('API_TOKEN') }}"
"""


def push(client: TestClient, source: str) -> None:
    response = client.post(FLOWS, content=source, headers=YAML)
    assert response.status_code == 200, response.text


def wait_for(client: TestClient, execution_id: str, states: set[str]) -> dict:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        body = client.get(f"{EXECUTIONS}/{execution_id}").json()
        if body["state"]["current"] in states:
            return body
        time.sleep(0.05)
    raise AssertionError(f"execution never reached {states}: {body['state']['current']}")


def test_execution_with_multipart_inputs_and_wait(server_client: TestClient) -> None:
    push(server_client, HELLO)
    response = server_client.post(
        f"{EXECUTIONS}/company.team/hello",
        params={"wait": "true", "labels": ["team:data"]},
        files={"user": (None, "Ada")},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["state"]["current"] == "SUCCESS"
    assert body["inputs"] == {"user": "Ada"}
    assert {"key": "team", "value": "data"} in body["labels"]
    assert body["url"].endswith(f"/executions/company.team/hello/{body['id']}")
    logs = server_client.get(f"/api/v1/main/logs/{body['id']}").json()
    assert any(entry["message"] == "Hello Ada" for entry in logs)
    text = server_client.get(f"/api/v1/main/logs/{body['id']}/download").text
    assert "Hello Ada" in text


def test_execution_without_body_uses_defaults_and_search_finds_it(
    server_client: TestClient,
) -> None:
    push(server_client, HELLO)
    created = server_client.post(f"{EXECUTIONS}/company.team/hello").json()
    done = wait_for(server_client, created["id"], {"SUCCESS"})
    assert done["inputs"] == {"user": "world"}
    found = server_client.get(
        f"{EXECUTIONS}/search", params={"namespace": "company", "state": "SUCCESS"}
    ).json()
    assert [e["id"] for e in found["results"]] == [created["id"]]
    none = server_client.get(f"{EXECUTIONS}/search", params={"state": "FAILED"}).json()
    assert none["total"] == 0


def test_file_input_is_stored_and_readable(server_client: TestClient) -> None:
    push(server_client, FILE_INPUT)
    body = server_client.post(
        f"{EXECUTIONS}/company.team/reader",
        params={"wait": "true"},
        files={"data": ("data.csv", b"a,b\n1,2\n", "text/csv")},
    ).json()
    assert body["state"]["current"] == "SUCCESS"
    uri = body["inputs"]["data"]
    assert uri.endswith("/inputs/data/data.csv")
    content = server_client.get(f"{EXECUTIONS}/{body['id']}/file", params={"path": uri})
    assert content.content == b"a,b\n1,2\n"
    outside = server_client.get(
        f"{EXECUTIONS}/{body['id']}/file", params={"path": "kestra:///other/file"}
    )
    assert outside.status_code == 422


def test_kill_a_running_execution(server_client: TestClient) -> None:
    push(server_client, SLEEPY)
    created = server_client.post(f"{EXECUTIONS}/company.team/sleepy").json()
    wait_for(server_client, created["id"], {"RUNNING"})
    assert server_client.delete(f"{EXECUTIONS}/{created['id']}/kill").status_code == 202
    killed = wait_for(server_client, created["id"], {"KILLED"})
    assert killed["state"]["current"] == "KILLED"
    again = server_client.delete(f"{EXECUTIONS}/{created['id']}/kill")
    assert again.status_code == 409


def test_stored_secret_is_used_and_masked(server_client: TestClient) -> None:
    response = server_client.put(
        "/api/v1/main/namespaces/company.team/secrets",
        json={"key": "API_TOKEN", "value": "tok-987654"},
    )
    assert response.status_code == 204
    push(server_client, SECRET_FLOW)
    body = server_client.post(
        f"{EXECUTIONS}/company.team.app/secretive", params={"wait": "true"}
    ).json()
    assert body["state"]["current"] == "SUCCESS"
    logs = server_client.get(f"/api/v1/main/logs/{body['id']}").text
    assert "token=" in logs
    assert "tok-987654" not in logs


def test_labels_and_change_status_on_a_terminated_execution(server_client: TestClient) -> None:
    push(server_client, HELLO)
    body = server_client.post(f"{EXECUTIONS}/company.team/hello", params={"wait": "true"}).json()
    labelled = server_client.post(
        f"{EXECUTIONS}/{body['id']}/labels", json=[{"key": "reviewed", "value": "yes"}]
    )
    assert labelled.status_code == 200
    assert {"key": "reviewed", "value": "yes"} in labelled.json()["labels"]
    changed = server_client.post(
        f"{EXECUTIONS}/{body['id']}/change-status", params={"status": "FAILED"}
    )
    assert changed.json()["state"]["current"] == "FAILED"
    bad = server_client.post(f"{EXECUTIONS}/{body['id']}/change-status", params={"status": "NOPE"})
    assert bad.status_code == 422
    assert "status" in bad.json()["message"]


def test_bad_execution_requests_are_4xx(server_client: TestClient) -> None:
    missing = server_client.post(f"{EXECUTIONS}/company.team/ghost")
    assert missing.status_code == 404
    push(server_client, FILE_INPUT)
    required = server_client.post(f"{EXECUTIONS}/company.team/reader")
    assert required.status_code == 422
    assert "data" in required.json()["message"]
    bad_label = server_client.post(
        f"{EXECUTIONS}/company.team/reader", params={"labels": "nocolon"}
    )
    assert bad_label.status_code == 422
    assert "labels" in bad_label.json()["message"]
    assert server_client.get(f"{EXECUTIONS}/nope").status_code == 404
    bad_state = server_client.get(f"{EXECUTIONS}/search", params={"state": "SLEEPING"})
    assert bad_state.status_code == 422
    bad_level = server_client.get("/api/v1/main/logs/nope", params={"minLevel": "LOUD"})
    assert bad_level.status_code in (404, 422)


def test_follow_streams_until_terminated(server_client: TestClient) -> None:
    push(server_client, HELLO)
    created = server_client.post(f"{EXECUTIONS}/company.team/hello").json()
    with server_client.stream("GET", f"{EXECUTIONS}/{created['id']}/follow") as stream:
        text = "".join(stream.iter_text())
    assert "event: execution" in text
    assert '"SUCCESS"' in text
    with server_client.stream("GET", f"/api/v1/main/logs/{created['id']}/follow") as stream:
        logs = "".join(stream.iter_text())
    assert "Hello world" in logs
    assert "event: end" in logs


APPROVAL = """\
id: approval
namespace: company.team
tasks:
  - id: wait_for_approval
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - id: approved
        type: BOOLEAN
      - id: reason
        type: STRING
        defaults: none given
  - id: report
    type: io.kestra.plugin.core.log.Log
    message: "approved={{ outputs.wait_for_approval.onResume.approved }}"
"""


def test_resume_a_paused_execution_with_on_resume_inputs(server_client: TestClient) -> None:
    push(server_client, APPROVAL)
    created = server_client.post(f"{EXECUTIONS}/company.team/approval").json()
    wait_for(server_client, created["id"], {"PAUSED"})
    not_paused = server_client.post(f"{EXECUTIONS}/nope/resume")
    assert not_paused.status_code == 404
    resumed = server_client.post(
        f"{EXECUTIONS}/{created['id']}/resume", files={"approved": (None, "true")}
    )
    assert resumed.status_code == 204, resumed.text
    done = wait_for(server_client, created["id"], {"SUCCESS", "FAILED"})
    assert done["state"]["current"] == "SUCCESS"
    logs = server_client.get(f"/api/v1/main/logs/{created['id']}").json()
    assert any(entry["message"] == "approved=true" for entry in logs)
    again = server_client.post(f"{EXECUTIONS}/{created['id']}/resume")
    assert again.status_code == 409


FLAKY = """\
id: flaky
namespace: company.team
tasks:
  - id: first
    type: io.kestra.plugin.core.output.OutputValues
    values:
      n: 1
  - id: check
    type: io.kestra.plugin.core.execution.Fail
    condition: "{{ kv('fixed') ?? true }}"
    errorMessage: not fixed yet
  - id: last
    type: io.kestra.plugin.core.log.Log
    message: done
"""


def test_restart_reruns_the_failed_task_in_the_same_execution(
    server_client: TestClient,
) -> None:
    push(server_client, FLAKY)
    failed = server_client.post(f"{EXECUTIONS}/company.team/flaky", params={"wait": "true"}).json()
    assert failed["state"]["current"] == "FAILED"
    server_client.put("/api/v1/main/namespaces/company.team/kv/fixed", content="false")
    restarted = server_client.post(f"{EXECUTIONS}/{failed['id']}/restart")
    assert restarted.status_code == 200, restarted.text
    done = wait_for(server_client, failed["id"], {"SUCCESS", "FAILED"})
    assert done["state"]["current"] == "SUCCESS"
    assert done["metadata"]["attemptNumber"] == 2
    assert [tr["taskId"] for tr in done["taskRunList"]] == ["first", "check", "last"]
    not_failed = server_client.post(f"{EXECUTIONS}/{failed['id']}/restart")
    assert not_failed.status_code == 409


def test_replay_from_a_task_run_creates_a_new_execution(server_client: TestClient) -> None:
    push(server_client, HELLO)
    first = server_client.post(f"{EXECUTIONS}/company.team/hello", params={"wait": "true"}).json()
    task_run_id = first["taskRunList"][0]["id"]
    replayed = server_client.post(
        f"{EXECUTIONS}/{first['id']}/replay", params={"taskRunId": task_run_id}
    )
    assert replayed.status_code == 200, replayed.text
    new_id = replayed.json()["id"]
    assert new_id != first["id"]
    done = wait_for(server_client, new_id, {"SUCCESS", "FAILED"})
    assert done["state"]["current"] == "SUCCESS"
    assert done["originalId"] == first["id"]
    unknown = server_client.post(f"{EXECUTIONS}/{first['id']}/replay", params={"taskRunId": "x"})
    assert unknown.status_code == 404
    assert "taskRunId" in unknown.json()["message"]


def test_namespace_plugin_defaults_apply_to_executions(server_client: TestClient) -> None:
    defaults = [{"type": "io.kestra.plugin.core.log.Log", "values": {"level": "WARN"}}]
    response = server_client.put(
        "/api/v1/main/namespaces/company", json={"pluginDefaults": defaults}
    )
    assert response.status_code == 200
    push(server_client, HELLO.replace("    message:", "    level: ERROR\n    message:"))
    push(server_client, HELLO.replace("id: hello", "id: plain"))
    plain = server_client.post(f"{EXECUTIONS}/company.team/plain", params={"wait": "true"}).json()
    logs = server_client.get(f"/api/v1/main/logs/{plain['id']}").json()
    assert {e["level"] for e in logs if e["taskId"] == "say"} == {"WARN"}
    own = server_client.post(f"{EXECUTIONS}/company.team/hello", params={"wait": "true"}).json()
    logs = server_client.get(f"/api/v1/main/logs/{own['id']}").json()
    assert {e["level"] for e in logs if e["taskId"] == "say"} == {"ERROR"}


CHILD = """\
id: child
namespace: company.team
tasks:
  - id: nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT30S
"""

PARENT = """\
id: parent
namespace: company.team
tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: company.team
    flowId: child
    wait: true
"""


def test_kill_cascades_to_subflows(server_client: TestClient) -> None:
    push(server_client, CHILD)
    push(server_client, PARENT)
    parent = server_client.post(f"{EXECUTIONS}/company.team/parent").json()
    deadline = time.monotonic() + 20
    children: dict = {"total": 0}
    while time.monotonic() < deadline and children["total"] == 0:
        children = server_client.get(f"{EXECUTIONS}/search", params={"flowId": "child"}).json()
        time.sleep(0.05)
    child_id = children["results"][0]["id"]
    wait_for(server_client, child_id, {"RUNNING"})
    assert server_client.delete(f"{EXECUTIONS}/{parent['id']}/kill").status_code == 202
    assert wait_for(server_client, parent["id"], {"KILLED"})["state"]["current"] == "KILLED"
    assert wait_for(server_client, child_id, {"KILLED"})["state"]["current"] == "KILLED"


SCRIPTED = """\
id: scripted
namespace: company.team
tasks:
  - id: show
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    namespaceFiles:
      enabled: true
    commands:
      - cat data/greeting.txt
"""


def test_scripts_see_namespace_files_uploaded_through_the_api(server_client: TestClient) -> None:
    uploaded = server_client.post(
        "/api/v1/main/namespaces/company.team/files",
        params={"path": "/data/greeting.txt"},
        files={"fileContent": ("greeting.txt", b"hello from namespace files")},
    )
    assert uploaded.status_code == 204
    push(server_client, SCRIPTED)
    done = server_client.post(f"{EXECUTIONS}/company.team/scripted", params={"wait": "true"}).json()
    logs = server_client.get(f"/api/v1/main/logs/{done['id']}").json()
    assert done["state"]["current"] == "SUCCESS", logs
    assert any("hello from namespace files" in entry["message"] for entry in logs)
    deleted = server_client.delete(f"/api/v1/main/logs/{done['id']}").json()
    assert deleted["deleted"] == len(logs)
    assert server_client.get(f"/api/v1/main/logs/{done['id']}").json() == []


CHAINED_INPUTS = """\
id: chained
namespace: company.team
inputs:
  - id: region
    type: SELECT
    values: [eu, us]
  - id: zone
    type: SELECT
    expression: "{{ inputs.region == 'eu' ? ['eu-west'] : ['us-east'] }}"
    dependsOn:
      inputs: [region]
  - id: label
    type: STRING
    defaults: "{{ flow.id }}-{{ inputs.zone }}"
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: "{{ inputs.label }}"
"""


def test_an_input_is_checked_against_the_values_its_dependency_allows(
    server_client: TestClient,
) -> None:
    push(server_client, CHAINED_INPUTS)
    url = f"{EXECUTIONS}/company.team/chained"
    ok = server_client.post(url, data={"region": "us", "zone": "us-east"}, params={"wait": "true"})
    assert ok.status_code == 200, ok.text
    assert ok.json()["inputs"] == {"region": "us", "zone": "us-east", "label": "chained-us-east"}
    wrong = server_client.post(url, data={"region": "us", "zone": "eu-west"})
    assert wrong.status_code == 422, wrong.text
    assert "zone" in wrong.json()["message"]
