"""Flows run end to end on the real runtime: SQLite store, real templating, real core tasks."""

from __future__ import annotations

import asyncio

from engine_helpers import SLEEP_TYPE, flow_of, run_to_end

from tercel.engine.state import State
from tercel.runtime.local import LocalRuntime

HELLO = """
id: hello
namespace: company.team
inputs:
  - id: user
    type: STRING
    defaults: World
tasks:
  - id: greet
    type: io.kestra.plugin.core.log.Log
    message: "Hello, {{ inputs.user }}!"
  - id: compute
    type: io.kestra.plugin.core.debug.Return
    format: "{{ inputs.user | upper }}"
outputs:
  - id: shout
    type: STRING
    value: "{{ outputs.compute.value }}"
"""


async def test_a_flow_runs_to_success_with_outputs_persisted(runtime: LocalRuntime) -> None:
    execution = await run_to_end(runtime, flow_of(HELLO), {"user": "Ada"})
    assert execution.state.current is State.SUCCESS
    assert [tr.task_id for tr in execution.task_run_list] == ["greet", "compute"]
    assert execution.outputs == {"shout": "ADA"}
    stored = runtime.store.executions.get(execution.id)
    assert stored.state.current is State.SUCCESS
    assert stored.task_run_list[1].outputs == {"value": "ADA"}
    assert [tr.state.current for tr in stored.task_run_list] == [State.SUCCESS, State.SUCCESS]


async def test_task_logs_are_stored_with_their_task(runtime: LocalRuntime) -> None:
    execution = await run_to_end(runtime, flow_of(HELLO), {"user": "Ada"})
    lines = runtime.store.logs.list(execution.id, task_id="greet")
    assert [line.message for line in lines] == ["Hello, Ada!"]
    assert lines[0].task_run_id == execution.task_run_list[0].id


async def test_secrets_are_served_from_env_and_masked_in_logs(runtime: LocalRuntime) -> None:
    flow = flow_of(
        """
id: secret
namespace: company.team
tasks:
  - id: leak
    type: io.kestra.plugin.core.log.Log
    message: "token={{ secret('TOKEN') }}"
"""
    )
    execution = await run_to_end(runtime, flow)
    assert execution.state.current is State.SUCCESS
    messages = [line.message for line in runtime.store.logs.list(execution.id)]
    assert "token=******" in messages
    assert not any("super-secret-token" in message for message in messages)


async def test_a_failure_runs_the_errors_branch_and_the_execution_fails(
    runtime: LocalRuntime,
) -> None:
    flow = flow_of(
        """
id: failing
namespace: company.team
tasks:
  - id: boom
    type: io.kestra.plugin.core.execution.Fail
    errorMessage: it broke
  - id: never
    type: io.kestra.plugin.core.log.Log
    message: not reached
errors:
  - id: report
    type: io.kestra.plugin.core.log.Log
    message: "{% for e in errorLogs() %}{{ e.taskId }}: {{ e.message }}{% endfor %}"
"""
    )
    execution = await run_to_end(runtime, flow)
    assert execution.state.current is State.FAILED
    assert [tr.task_id for tr in execution.task_run_list] == ["boom", "report"]
    report = runtime.store.logs.list(execution.id, task_id="report")
    assert [line.message for line in report] == ["boom: it broke"]


async def test_retries_add_attempts_not_task_runs(runtime: LocalRuntime) -> None:
    flow = flow_of(
        """
id: retry
namespace: company.team
tasks:
  - id: flaky
    type: io.kestra.plugin.core.execution.Fail
    retry:
      type: constant
      interval: PT0.01S
      maxAttempt: 3
"""
    )
    execution = await run_to_end(runtime, flow)
    assert execution.state.current is State.FAILED
    assert len(execution.task_run_list) == 1
    assert len(execution.task_run_list[0].attempts) == 3


async def test_foreach_outputs_are_keyed_by_value(runtime: LocalRuntime) -> None:
    flow = flow_of(
        """
id: loop
namespace: company.team
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: ["a", "b", "c"]
    concurrencyLimit: 2
    tasks:
      - id: up
        type: io.kestra.plugin.core.debug.Return
        format: "{{ taskrun.value | upper }}"
  - id: after
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.up['b'].value }}"
"""
    )
    execution = await run_to_end(runtime, flow)
    assert execution.state.current is State.SUCCESS
    assert len(execution.task_run_list) == 5
    assert execution.task_runs_of("after")[0].outputs == {"value": "B"}


async def test_a_task_over_its_timeout_fails(runtime: LocalRuntime) -> None:
    flow = flow_of(
        f"""
id: slow
namespace: company.team
tasks:
  - id: nap
    type: {SLEEP_TYPE}
    seconds: 5
    timeout: PT0.2S
"""
    )
    execution = await run_to_end(runtime, flow)
    assert execution.state.current is State.FAILED
    lines = runtime.store.logs.list(execution.id, min_level="ERROR")
    assert any("timed out after PT0.2S" in line.message for line in lines)


async def test_killing_an_execution_stops_its_running_task(runtime: LocalRuntime) -> None:
    flow = flow_of(
        f"""
id: long
namespace: company.team
tasks:
  - id: nap
    type: {SLEEP_TYPE}
    seconds: 30
  - id: next
    type: io.kestra.plugin.core.log.Log
    message: not reached
"""
    )
    execution = runtime.create(flow)
    tracked = runtime.submit(flow, execution)
    await asyncio.sleep(0.2)
    assert runtime.kill(execution.id)
    ended = await runtime.wait(tracked, 5)
    assert ended.state.current is State.KILLED
    assert [tr.task_id for tr in ended.task_run_list] == ["nap"]
    assert ended.task_run_list[0].state.current is State.KILLED
    assert runtime.store.executions.get(execution.id).state.current is State.KILLED


async def test_a_subflow_runs_as_a_child_execution(runtime: LocalRuntime) -> None:
    child = flow_of(
        """
id: child
namespace: company.team
inputs:
  - id: who
    type: STRING
tasks:
  - id: answer
    type: io.kestra.plugin.core.debug.Return
    format: "hi {{ inputs.who }}"
outputs:
  - id: answer
    type: STRING
    value: "{{ outputs.answer.value }}"
"""
    )
    parent = flow_of(
        """
id: parent
namespace: company.team
tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: company.team
    flowId: child
    inputs:
      who: parent
  - id: show
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.call.outputs.answer }}"
"""
    )
    runtime.add_flows([child])
    execution = await run_to_end(runtime, parent)
    assert execution.state.current is State.SUCCESS
    assert execution.task_runs_of("show")[0].outputs == {"value": "hi parent"}
    children = runtime.store.executions.search(parent_id=execution.id).items
    assert [c.flow_id for c in children] == ["child"]
    assert children[0].state.current is State.SUCCESS
    assert children[0].label_map()["system.correlationId"] == execution.id


async def test_templates_see_the_namespace_variables_with_parents_merged_in(
    runtime: LocalRuntime,
) -> None:
    from tercel.store.records import NamespaceRecord

    runtime.store.namespaces.put(
        NamespaceRecord("main", "company", variables={"slack": {"webhook": "W", "channel": "#c"}})
    )
    runtime.store.namespaces.put(
        NamespaceRecord("main", "company.team", variables={"slack": {"channel": "#team"}})
    )
    flow = flow_of(
        """
id: notify
namespace: company.team
tasks:
  - id: route
    type: io.kestra.plugin.core.debug.Return
    format: "{{ namespace.slack.channel }} {{ render(namespace.slack.webhook) }}"
"""
    )
    execution = await run_to_end(runtime, flow)
    assert execution.state.current is State.SUCCESS
    assert execution.task_run_list[0].outputs == {"value": "#team W"}


DEPENDENT_INPUTS = """
id: deploy
namespace: company.team
inputs:
  - id: region
    type: SELECT
    values: [eu, us]
  - id: zone
    type: SELECT
    expression: "{{ inputs.region == 'eu' ? ['eu-west', 'eu-north'] : ['us-east'] }}"
    dependsOn:
      inputs: [region]
  - id: gdpr
    type: BOOLEAN
    defaults: true
    dependsOn:
      inputs: [region]
      condition: "{{ inputs.region == 'eu' }}"
  - id: target
    type: STRING
    defaults: "{{ flow.namespace }}/{{ inputs.zone }}/{{ namespace.cluster }}"
tasks:
  - id: noop
    type: io.kestra.plugin.core.debug.Return
    format: "{{ inputs.target }}"
"""


async def test_an_input_depending_on_another_sees_its_value(runtime: LocalRuntime) -> None:
    import pytest

    from tercel.errors import InputError
    from tercel.store.records import NamespaceRecord

    runtime.store.namespaces.put(NamespaceRecord("main", "company", variables={"cluster": "k1"}))
    flow = flow_of(DEPENDENT_INPUTS)
    us = runtime.create(flow, {"region": "us", "zone": "us-east"})
    assert us.inputs == {"region": "us", "zone": "us-east", "target": "company.team/us-east/k1"}
    eu = runtime.create(flow, {"region": "eu", "zone": "eu-north"})
    assert eu.inputs["gdpr"] is True
    with pytest.raises(InputError, match="zone"):
        runtime.create(flow, {"region": "us", "zone": "eu-west"})


LISTENED = """
id: listened
namespace: company.team
tasks:
  - id: boom
    type: io.kestra.plugin.core.execution.Fail
listeners:
  - tasks:
      - id: always
        type: io.kestra.plugin.core.debug.Return
        format: "ended {{ execution.state }}"
  - conditions:
      - type: io.kestra.plugin.core.condition.ExecutionStatus
        in: [FAILED]
    tasks:
      - id: on-failure
        type: io.kestra.plugin.core.debug.Return
        format: failed
  - conditions:
      - type: io.kestra.plugin.core.condition.ExecutionStatus
        in: [SUCCESS]
    tasks:
      - id: on-success
        type: io.kestra.plugin.core.debug.Return
        format: succeeded
"""


async def test_deprecated_listeners_run_after_the_end_when_their_conditions_hold(
    runtime: LocalRuntime,
) -> None:
    execution = await run_to_end(runtime, flow_of(LISTENED))
    assert execution.state.current is State.FAILED
    assert [tr.task_id for tr in execution.task_run_list] == ["boom", "always", "on-failure"]
    assert execution.task_run_list[1].outputs == {"value": "ended FAILED"}
    stored = runtime.store.executions.get(execution.id)
    assert stored.state.current is State.FAILED
    assert [tr.state.current for tr in stored.task_run_list[1:]] == [State.SUCCESS] * 2


RETRIED_IN_PLACE = """
id: wd-retry
namespace: company.team
tasks:
  - id: wd
    type: io.kestra.plugin.core.flow.WorkingDirectory
    tasks:
      - id: flaky
        type: io.kestra.plugin.scripts.shell.Commands
        taskRunner:
          type: io.kestra.plugin.core.runner.Process
        retry:
          type: constant
          interval: PT0.2S
          maxAttempt: 3
        commands:
          - test -f tried-once || { touch tried-once; exit 1; }
      - id: after
        type: io.kestra.plugin.scripts.shell.Commands
        taskRunner:
          type: io.kestra.plugin.core.runner.Process
        commands:
          - test -f tried-once
"""


async def test_working_directory_children_are_retried_in_their_directory(
    runtime: LocalRuntime,
) -> None:
    execution = await run_to_end(runtime, flow_of(RETRIED_IN_PLACE))
    assert execution.state.current is State.SUCCESS
    flaky = execution.task_runs_of("flaky")[0]
    assert [a.state.current for a in flaky.attempts] == [State.FAILED, State.SUCCESS]
    assert State.RETRYING in [h.state for h in flaky.state.histories]
    assert State.RETRYING in [h.state for h in execution.state.histories]
    assert execution.task_runs_of("after")[0].state.current is State.SUCCESS
