"""Test cases as transient executions on the real runtime: mocks, states, isolation, timeouts."""

from __future__ import annotations

import time

import pytest
from stack_http_server import LocalHttpServer

from tercel.flowtests.loader import SuiteResult, check_against_flows, validate_test_source
from tercel.flowtests.runner import CaseOutcome, CaseSpec, RunOptions, run_cases
from tercel.model.flow import Flow
from tercel.model.loader import load_flow

pytestmark = pytest.mark.integration

NOTIFY = """id: notify
namespace: company.team
tasks:
  - id: compute
    type: io.kestra.plugin.core.debug.Return
    format: "{{ 6 * 7 }}"
  - id: slack
    type: io.kestra.plugin.slack.notifications.SlackIncomingWebhook
    url: "{URL}"
    payload: '{"text": "answer {{ outputs.compute.value }}"}'
  - id: after
    type: io.kestra.plugin.core.debug.Return
    format: "after {{ outputs.slack ?? 'no slack outputs' }}"
errors:
  - id: on_error
    type: io.kestra.plugin.core.log.Log
    message: "failed"
"""

HEADER = """id: suite
namespace: company.team
flowId: {flow}
testCases:
"""


def _suite(flow_id: str, cases: str) -> SuiteResult:
    [result] = validate_test_source(HEADER.format(flow=flow_id) + cases, "tests/suite.yml")
    assert result.problems == [], result.problems
    return result


async def _run(
    flow: Flow, cases: str, *, flows: tuple[Flow, ...] = (), timeout: float = 30.0, jobs: int = 4
) -> list[CaseOutcome]:
    result = _suite(flow.id, cases)
    known = {(f.namespace, f.id): f for f in (flow, *flows)}
    assert check_against_flows(result, lambda ns, fid: known[(ns, fid)]) == []
    assert result.suite is not None
    specs = [CaseSpec(result, index, flow) for index in range(len(result.suite.test_cases))]
    return await run_cases(
        specs, flows=(flow, *flows), options=RunOptions(timeout=timeout, jobs=jobs)
    )


def _failures(outcome: CaseOutcome) -> list[str]:
    return [r.error_message or "" for _, r in outcome.results if not r.is_success] + [
        e.message for e in outcome.errors
    ]


@pytest.fixture
def receiver():  # type: ignore[no-untyped-def]
    with LocalHttpServer() as server:
        server.route("POST", "/hook", status=200, body=b"ok")
        yield server


async def test_a_mocked_slack_task_sends_nothing_and_an_unmocked_one_does(
    receiver: LocalHttpServer,
) -> None:
    flow = load_flow(NOTIFY.replace("{URL}", receiver.url("/hook")))
    cases = """  - id: mocked
    type: io.kestra.core.tests.flow.UnitTest
    fixtures:
      tasks:
        - id: slack
    assertions:
      - value: "{{ outputs.compute.value }}"
        equalTo: 42
      - value: "{{ tasks.slack.state }}"
        equalTo: SUCCESS
"""
    [outcome] = await _run(flow, cases)
    assert outcome.state == "SUCCESS", _failures(outcome)
    assert receiver.requests == []
    [outcome] = await _run(
        flow,
        cases.replace(
            "        - id: slack\n", "        - id: compute\n          outputs: {value: 42}\n"
        ),
    )
    assert outcome.state == "SUCCESS", _failures(outcome)
    assert [r.json() for r in receiver.requests] == [{"text": "answer 42"}]


async def test_a_mocked_failure_reaches_the_errors_branch(receiver: LocalHttpServer) -> None:
    # The webhook answers 200: only the fixture makes the task fail.
    flow = load_flow(NOTIFY.replace("{URL}", receiver.url("/hook")))
    cases = """  - id: slack_fails
    type: io.kestra.core.tests.flow.UnitTest
    fixtures:
      tasks:
        - id: slack
          state: FAILED
    assertions:
      - value: "{{ tasks.on_error.state }}"
        equalTo: SUCCESS
      - value: "{{ execution.state }}"
        equalTo: FAILED
      - value: "{{ tasks.after ?? 'not run' }}"
        equalTo: not run
"""
    [outcome] = await _run(flow, cases)
    assert outcome.state == "SUCCESS", _failures(outcome)
    assert outcome.execution_state == "FAILED"
    assert receiver.requests == []


async def test_mocked_states_and_outputs_are_what_the_execution_sees() -> None:
    flow = load_flow(NOTIFY.replace("{URL}", "http://127.0.0.1:9/never"))
    cases = """  - id: warning_with_outputs
    type: io.kestra.core.tests.flow.UnitTest
    fixtures:
      files:
        body.txt: mocked body
      tasks:
        - id: slack
          state: WARNING
          outputs:
            uri: "{{ files['body.txt'] }}"
            count: 3
    assertions:
      - value: "{{ execution.state }}"
        equalTo: WARNING
      - value: "{{ read(outputs.slack.uri) }}"
        equalTo: mocked body
      - value: "{{ outputs.slack.count }}"
        greaterThanOrEqualTo: 3
        lessThan: 4
  - id: failing_assertions_fail_the_case
    type: io.kestra.core.tests.flow.UnitTest
    fixtures:
      tasks:
        - id: slack
    assertions:
      - value: "{{ outputs.compute.value }}"
        equalTo: 41
      - value: "{{ execution.state }}"
        in: [FAILED, KILLED]
"""
    first, second = await _run(flow, cases)
    assert first.state == "SUCCESS", _failures(first)
    assert second.state == "FAILED"
    assert _failures(second) == [
        "expected '{{ outputs.compute.value }}' to equal '41' but was '42'",
        "expected '{{ execution.state }}' to be one of '[FAILED, KILLED]' but was 'SUCCESS'",
    ]


async def test_a_mocked_subflow_creates_no_execution() -> None:
    child = load_flow("""id: child
namespace: company.team
tasks:
  - id: boom
    type: io.kestra.plugin.core.execution.Fail
    errorMessage: the child ran
""")
    parent = load_flow("""id: parent
namespace: company.team
tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: company.team
    flowId: child
    wait: true
    transmitFailed: true
""")
    cases = """  - id: mocked
    type: io.kestra.core.tests.flow.UnitTest
    fixtures:
      tasks:
        - id: call
          outputs: {executionId: none, state: SUCCESS, outputs: {rows: 3}}
    assertions:
      - value: "{{ execution.state }}"
        equalTo: SUCCESS
      - value: "{{ outputs.call.outputs.rows }}"
        equalTo: 3
  - id: not_mocked
    type: io.kestra.core.tests.flow.UnitTest
    assertions:
      - value: "{{ execution.state }}"
        equalTo: FAILED
"""
    mocked, real = await _run(parent, cases, flows=(child,))
    assert mocked.state == "SUCCESS", _failures(mocked)
    assert real.state == "SUCCESS", _failures(real)


async def test_a_fixture_with_a_value_mocks_only_that_iteration() -> None:
    flow = load_flow("""id: loop
namespace: company.team
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: ["a", "b"]
    tasks:
      - id: echo
        type: io.kestra.plugin.core.debug.Return
        format: "real {{ taskrun.value }}"
""")
    cases = """  - id: only_b
    type: io.kestra.core.tests.flow.UnitTest
    fixtures:
      tasks:
        - id: echo
          value: b
          outputs: {value: mocked}
    assertions:
      - value: "{{ outputs.echo['a'].value }}"
        equalTo: real a
      - value: "{{ outputs.echo['b'].value }}"
        equalTo: mocked
"""
    [outcome] = await _run(flow, cases)
    assert outcome.state == "SUCCESS", _failures(outcome)


async def test_parallel_cases_are_isolated_from_each_other() -> None:
    # Each case writes its own input to the same KV key, waits, then reads it back: with a
    # shared store the cases would read each other's value.
    flow = load_flow("""id: kv
namespace: company.team
inputs:
  - id: who
    type: STRING
tasks:
  - id: put
    type: io.kestra.plugin.core.kv.Set
    key: shared
    value: "{{ inputs.who }}"
  - id: wait
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT0.3S
  - id: get
    type: io.kestra.plugin.core.kv.Get
    key: shared
""")
    case = """  - id: case_{n}
    type: io.kestra.core.tests.flow.UnitTest
    fixtures:
      inputs: {{who: writer{n}}}
    assertions:
      - value: "{{{{ outputs.get.value }}}}"
        equalTo: writer{n}
"""
    started = time.monotonic()
    outcomes = await _run(flow, "".join(case.format(n=n) for n in range(4)), jobs=4)
    elapsed = time.monotonic() - started
    assert [o.state for o in outcomes] == ["SUCCESS"] * 4, [_failures(o) for o in outcomes]
    assert len({o.execution_id for o in outcomes}) == 4
    # Four 0.3 s sleeps in parallel, not one after the other.
    assert elapsed < 4 * 0.3 + 1.0


async def test_an_infinite_loop_is_stopped_by_the_case_timeout() -> None:
    flow = load_flow("""id: forever
namespace: company.team
tasks:
  - id: loop
    type: io.kestra.plugin.core.flow.LoopUntil
    condition: "{{ false }}"
    checkFrequency:
      maxIterations: 100000000
      maxDuration: P3650D
      interval: PT0.01S
    tasks:
      - id: spin
        type: io.kestra.plugin.core.debug.Return
        format: again
""")
    cases = """  - id: never_ends
    type: io.kestra.core.tests.flow.UnitTest
    assertions:
      - value: "{{ execution.state }}"
        equalTo: SUCCESS
"""
    started = time.monotonic()
    [outcome] = await _run(flow, cases, timeout=1.0)
    assert time.monotonic() - started < 10
    assert outcome.state == "ERROR"
    assert outcome.errors[0].message == "the execution did not end within 1s: killed"
    assert outcome.execution_state == "KILLED"


async def test_a_task_inside_a_working_directory_can_be_mocked() -> None:
    flow = load_flow("""id: wd
namespace: company.team
tasks:
  - id: dir
    type: io.kestra.plugin.core.flow.WorkingDirectory
    tasks:
      - id: script
        type: io.kestra.plugin.scripts.shell.Commands
        taskRunner:
          type: io.kestra.plugin.core.runner.Process
        commands:
          - exit 3
      - id: after
        type: io.kestra.plugin.core.debug.Return
        format: "{{ outputs.script.exitCode }}"
""")
    cases = """  - id: script_mocked
    type: io.kestra.core.tests.flow.UnitTest
    fixtures:
      tasks:
        - id: script
          outputs: {exitCode: 0}
    assertions:
      - value: "{{ outputs.after.value }}"
        equalTo: 0
      - value: "{{ execution.state }}"
        equalTo: SUCCESS
  - id: script_runs
    type: io.kestra.core.tests.flow.UnitTest
    assertions:
      - value: "{{ execution.state }}"
        equalTo: FAILED
      - value: "{{ outputs.script.exitCode }}"
        equalTo: 3
"""
    mocked, real = await _run(flow, cases)
    assert mocked.state == "SUCCESS", _failures(mocked)
    assert real.state == "SUCCESS", _failures(real)
