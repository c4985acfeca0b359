"""What Kestra's server-side tests assert, through a running server's API: flow triggers with
missing inputs, MultipleCondition, preconditions order, resume validation, replay, restart."""

from __future__ import annotations

import time

from tests.integration.api.conftest import TestClient
from tests.integration.server.test_triggers import EXECUTIONS, executions_of, push


def simple(flow_id: str, namespace: str = "company.team", labels: str = "") -> str:
    return (
        f"id: {flow_id}\nnamespace: {namespace}\n{labels}tasks:\n"
        "  - id: t\n    type: io.kestra.plugin.core.debug.Return\n    format: ok\n"
    )


def run(client: TestClient, namespace: str, flow_id: str) -> dict:
    response = client.post(f"{EXECUTIONS}/{namespace}/{flow_id}", params={"wait": "true"})
    assert response.status_code == 200, response.text
    return response.json()


def count(client: TestClient, flow_id: str) -> int:
    found = client.get(f"{EXECUTIONS}/search", params={"flowId": flow_id}).json()
    return int(found["total"])


def ended(client: TestClient, execution_id: str) -> dict:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        wire = client.get(f"{EXECUTIONS}/{execution_id}").json()
        if wire["state"]["current"] in ("SUCCESS", "WARNING", "FAILED", "KILLED"):
            return wire
        time.sleep(0.05)
    raise AssertionError(f"{execution_id} did not end")


LISTENER_WITH_REQUIRED_INPUT = """\
id: listener
namespace: company.other
inputs:
  - id: from-parent
    type: STRING
tasks:
  - id: t
    type: io.kestra.plugin.core.debug.Return
    format: "started by {{ trigger.flowId }}"
triggers:
  - id: on-success
    type: io.kestra.plugin.core.trigger.Flow
    conditions:
      - type: io.kestra.plugin.core.condition.ExecutionStatus
        in: [SUCCESS]
"""


def test_flow_trigger_starts_a_listener_whose_required_input_has_no_value(
    server_client: TestClient,
) -> None:
    push(server_client, simple("upstream"))
    push(server_client, LISTENER_WITH_REQUIRED_INPUT)
    run(server_client, "company.team", "upstream")
    (listener,) = executions_of(server_client, "listener", 1)
    assert listener["taskRunList"][0]["outputs"] == {"value": "started by upstream"}
    assert listener["inputs"].get("from-parent") is None


MULTIPLE = """\
id: joined
namespace: company.report
tasks:
  - id: t
    type: io.kestra.plugin.core.debug.Return
    format: joined
triggers:
  - id: both
    type: io.kestra.plugin.core.trigger.Flow
    conditions:
      - id: multiple
        type: io.kestra.plugin.core.condition.MultipleCondition
        window: P1D
        windowAdvance: P0D
        conditions:
          success:
            type: io.kestra.plugin.core.condition.ExecutionStatus
            in: [SUCCESS]
          first:
            type: io.kestra.plugin.core.condition.ExecutionFlow
            namespace: company.team
            flowId: first
          second:
            type: io.kestra.plugin.core.condition.ExecutionFlow
            namespace: company.team
            flowId: second
"""


def test_multiple_condition_fires_once_every_named_condition_held(
    server_client: TestClient,
) -> None:
    push(server_client, simple("first"))
    push(server_client, simple("second"))
    push(server_client, MULTIPLE)
    run(server_client, "company.team", "first")
    time.sleep(0.5)
    assert count(server_client, "joined") == 0
    second = run(server_client, "company.team", "second")
    (joined,) = executions_of(server_client, "joined", 1)
    assert joined["trigger"]["variables"]["executionId"] == second["id"]
    # The window starts over after it fired (resetOnSuccess defaults to true).
    run(server_client, "company.team", "second")
    time.sleep(0.5)
    assert count(server_client, "joined") == 1


PRECONDITIONS_WITH_EXPRESSION = """\
id: listen
namespace: company.team
tasks:
  - id: t
    type: io.kestra.plugin.core.debug.Return
    format: listened
triggers:
  - id: flow
    type: io.kestra.plugin.core.trigger.Flow
    preconditions:
      id: flow
      where:
        - id: labelled-a
          filters:
            - field: FLOW_ID
              type: EQUAL_TO
              value: a
            - field: EXPRESSION
              type: IS_TRUE
              value: "{{ labels.some == 'label' }}"
        - id: b
          filters:
            - field: FLOW_ID
              type: EQUAL_TO
              value: b
"""


def test_preconditions_stop_at_the_first_mismatch_and_an_unrenderable_filter_is_only_false(
    server_client: TestClient,
) -> None:
    # `b` has no labels: `labels.some` is never rendered for it, since its flow id already
    # failed the first filter of `labelled-a`. `company.other.a` has no labels either and
    # does reach the expression: that filter cannot render, which is false for that event
    # only and must not silence the trigger for the next ones.
    push(server_client, simple("a", labels="labels:\n  some: label\n"))
    push(server_client, simple("a", namespace="company.other"))
    push(server_client, simple("b"))
    push(server_client, PRECONDITIONS_WITH_EXPRESSION)
    run(server_client, "company.other", "a")
    run(server_client, "company.team", "b")
    time.sleep(0.3)
    assert count(server_client, "listen") == 0
    run(server_client, "company.team", "a")
    (listened,) = executions_of(server_client, "listen", 1)
    assert listened["trigger"]["variables"]["flowId"] == "a"


PAUSE_ASKING = """\
id: asking
namespace: company.team
tasks:
  - id: pause
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - id: asked
        type: STRING
  - id: last
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.pause.onResume.asked }}"
"""


def test_resume_without_a_required_on_resume_input_is_refused_with_the_reason(
    server_client: TestClient,
) -> None:
    push(server_client, PAUSE_ASKING)
    paused = run(server_client, "company.team", "asking")
    assert paused["state"]["current"] == "PAUSED"
    url = f"{EXECUTIONS}/{paused['id']}/resume"
    refused = server_client.post(url)
    assert refused.status_code == 422, refused.text
    assert "Invalid input for `asked`, missing required input" in refused.json()["message"]
    still = server_client.get(f"{EXECUTIONS}/{paused['id']}").json()
    assert still["state"]["current"] == "PAUSED"
    accepted = server_client.post(url, files={"asked": (None, "yes")})
    assert accepted.status_code == 204, accepted.text
    done = ended(server_client, paused["id"])
    assert done["state"]["current"] == "SUCCESS"
    assert done["taskRunList"][-1]["outputs"] == {"value": "yes"}


NESTED = """\
id: nested
namespace: company.team
inputs:
  - id: failed
    type: BOOLEAN
    defaults: false
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: ["x", "y"]
    tasks:
      - id: seq
        type: io.kestra.plugin.core.flow.Sequential
        tasks:
          - id: leaf
            type: io.kestra.plugin.core.debug.Return
            format: "{{ inputs.failed ? ko : taskrun.value }}"
  - id: end
    type: io.kestra.plugin.core.debug.Return
    format: end
"""


def test_replay_answer_is_a_child_of_the_original_with_its_state_history(
    server_client: TestClient,
) -> None:
    push(server_client, NESTED)
    original = run(server_client, "company.team", "nested")
    assert original["state"]["current"] == "SUCCESS"
    last = original["taskRunList"][-1]
    response = server_client.post(
        f"{EXECUTIONS}/{original['id']}/replay", params={"taskRunId": last["id"]}
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["id"] != original["id"]
    assert answer["parentId"] == original["id"]
    assert [h["state"] for h in answer["state"]["histories"]] == [
        "CREATED",
        "RUNNING",
        "SUCCESS",
        "RESTARTED",
    ]
    assert answer["taskRunList"][-1]["state"]["current"] == "RESTARTED"
    assert ended(server_client, answer["id"])["state"]["current"] == "SUCCESS"


def test_restart_answer_sets_failed_flowable_parents_running(server_client: TestClient) -> None:
    push(server_client, NESTED)
    response = server_client.post(
        f"{EXECUTIONS}/company.team/nested",
        params={"wait": "true"},
        files={"failed": (None, "true")},
    )
    failed = response.json()
    assert failed["state"]["current"] == "FAILED"
    answer = server_client.post(f"{EXECUTIONS}/{failed['id']}/restart").json()
    assert answer["state"]["current"] == "RESTARTED"
    assert len(answer["state"]["histories"]) == 4
    states: dict[str, set[str]] = {}
    for task_run in answer["taskRunList"]:
        states.setdefault(task_run["taskId"], set()).add(task_run["state"]["current"])
    assert states == {"each": {"RUNNING"}, "seq": {"RUNNING"}, "leaf": {"RESTARTED"}}
    assert ended(server_client, failed["id"])["state"]["current"] == "FAILED"
