"""Nothing that goes wrong while deciding a step leaves an execution half-updated."""

from __future__ import annotations

from engine_helpers import flow_of, run_to_end

from tercel.engine.plan import Plan, PlanContext
from tercel.engine.state import State
from tercel.model.registry import plugin
from tercel.plugins.core.flow.sequential import Sequential
from tercel.runtime.local import LocalRuntime

BROKEN_PLANNER = "io.tercel.tests.BrokenPlanner"


@plugin(BROKEN_PLANNER)
class BrokenPlanner(Sequential):
    """A flowable whose planning has a bug (not a TaskError): the engine step raises."""

    def plan(self, ctx: PlanContext) -> Plan:
        raise RuntimeError("planner bug: no lanes")


RETRY_DURATIONS = """
id: retry_durations
namespace: company.team
tasks:
  - id: flaky
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    commands: ["exit 1"]
    retry:
      type: constant
      interval: "PT0,1S"
      maxAttempt: 2
      maxDuration: P1W
"""


async def test_a_retry_with_week_and_comma_durations_retries_then_fails(
    runtime: LocalRuntime,
) -> None:
    execution = await run_to_end(runtime, flow_of(RETRY_DURATIONS))
    assert execution.state.current is State.FAILED
    (flaky,) = execution.task_run_list
    assert flaky.state.current is State.FAILED
    assert [a.state.current for a in flaky.attempts] == [State.FAILED, State.FAILED]
    messages = [line.message for line in runtime.store.logs.list(execution.id)]
    assert not any("could not go on" in message for message in messages)


BROKEN = f"""
id: broken_step
namespace: company.team
tasks:
  - id: before
    type: io.kestra.plugin.core.debug.Return
    format: ok
  - id: group
    type: {BROKEN_PLANNER}
    tasks:
      - id: inner
        type: io.kestra.plugin.core.debug.Return
        format: never
"""


async def test_an_engine_bug_fails_the_task_run_with_its_reason_and_position(
    runtime: LocalRuntime,
) -> None:
    flow = flow_of(BROKEN)
    runtime.executor.sources.add(flow, "broken.yml", BROKEN)
    execution = await run_to_end(runtime, flow)
    assert execution.state.current is State.FAILED
    stored = runtime.store.executions.get(execution.id)
    states = {run.task_id: run.state.current for run in stored.task_run_list}
    assert states == {"before": State.SUCCESS, "group": State.FAILED}
    lines = runtime.store.logs.list(execution.id, task_id="group", min_level="ERROR")
    assert [line.message for line in lines] == [
        "planner bug: no lanes (task `group`, tasks[1] at broken.yml:8:5)"
    ]
