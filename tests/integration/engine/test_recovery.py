"""A runtime that dies mid-run loses nothing: a new one resumes from the SQLite file."""

from __future__ import annotations

import asyncio
from pathlib import Path

from engine_helpers import flow_of, sqlite_runtime

from tercel.engine.state import State
from tercel.model.registry import plugin
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult

SLOW_FIRST = "io.tercel.tests.SlowFirstAttempt"


@plugin(SLOW_FIRST)
class SlowFirstAttempt(RunnableTask):
    """Hangs on its first attempt (so that the process can die during it), then succeeds."""

    async def run(self, ctx: TaskContext) -> TaskResult:
        if ctx.attempt_number == 1:
            await asyncio.sleep(60)
        return TaskResult(outputs={"attempt": ctx.attempt_number})


FLOW = f"""
id: durable
namespace: company.team
tasks:
  - id: first
    type: io.kestra.plugin.core.debug.Return
    format: before the crash
  - id: work
    type: {SLOW_FIRST}
  - id: last
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ outputs.work.attempt }}}}"
"""


async def test_a_running_attempt_is_run_again_after_a_crash(tmp_path: Path) -> None:
    home = tmp_path / "home"
    flow = flow_of(FLOW)
    first = sqlite_runtime(home)
    first.start()
    execution = first.create(flow)
    first.submit(flow, execution)
    for _ in range(100):
        await asyncio.sleep(0.02)
        runs = first.store.executions.get(execution.id).task_runs_of("work")
        if runs and runs[0].state.current is State.RUNNING:
            break
    await first.crash()

    second = sqlite_runtime(home)
    async with second:
        second.add_flows([flow])
        resumed = second.recover()
        assert [t.execution.id for t in resumed] == [execution.id]
        ended = await second.wait(resumed[0], 10)
        assert ended.state.current is State.SUCCESS
        work = ended.task_runs_of("work")[0]
        assert [a.state.current for a in work.attempts] == [State.RESUBMITTED, State.SUCCESS]
        assert ended.task_runs_of("last")[0].outputs == {"value": "2"}
        lines = second.store.logs.list(execution.id, task_id="work")
        assert any("interrupted by a restart" in line.message for line in lines)


async def test_a_pause_delay_survives_a_crash(tmp_path: Path) -> None:
    home = tmp_path / "home"
    flow = flow_of(
        """
id: delayed
namespace: company.team
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
    delay: PT0.5S
  - id: after
    type: io.kestra.plugin.core.debug.Return
    format: resumed
"""
    )
    first = sqlite_runtime(home)
    first.start()
    execution = first.create(flow)
    first.submit(flow, execution)
    for _ in range(100):
        await asyncio.sleep(0.02)
        if first.store.executions.get(execution.id).state.current is State.PAUSED:
            break
    await first.crash()

    second = sqlite_runtime(home)
    async with second:
        second.add_flows([flow])
        resumed = second.recover()
        ended = await second.wait(resumed[0], 10)
        assert ended.state.current is State.SUCCESS
        assert ended.task_runs_of("after")[0].outputs == {"value": "resumed"}


async def test_a_parent_waiting_for_its_subflow_finishes_after_a_crash(tmp_path: Path) -> None:
    home = tmp_path / "home"
    child = flow_of(
        f"""
id: slow-child
namespace: company.team
tasks:
  - id: work
    type: {SLOW_FIRST}
outputs:
  - id: attempt
    type: STRING
    value: "{{{{ outputs.work.attempt }}}}"
"""
    )
    parent = flow_of(
        """
id: waiting-parent
namespace: company.team
tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: company.team
    flowId: slow-child
  - id: show
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.call.outputs.attempt }}"
"""
    )
    first = sqlite_runtime(home)
    first.start()
    first.add_flows([child])
    execution = first.create(parent)
    first.submit(parent, execution)
    for _ in range(200):
        await asyncio.sleep(0.02)
        children = first.store.executions.search(parent_id=execution.id).items
        if children and children[0].state.current is State.RUNNING:
            break
    await first.crash()

    second = sqlite_runtime(home)
    async with second:
        second.add_flows([parent, child])
        resumed = {t.execution.id: t for t in second.recover()}
        assert execution.id in resumed
        ended = await second.wait(resumed[execution.id], 10)
        assert ended.state.current is State.SUCCESS
        assert ended.task_runs_of("show")[0].outputs == {"value": "2"}
