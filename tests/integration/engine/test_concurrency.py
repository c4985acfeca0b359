"""Flow `concurrency`: a second execution waits in QUEUED, or is cancelled at once."""

from __future__ import annotations

import asyncio

from engine_helpers import SLEEP_TYPE, TIMEOUT, flow_of

from tercel.engine.state import State
from tercel.runtime.local import LocalRuntime
from tercel.runtime.tracked import Tracked


def limited(behavior: str) -> str:
    return f"""
id: limited
namespace: company.team
concurrency:
  limit: 1
  behavior: {behavior}
tasks:
  - id: nap
    type: {SLEEP_TYPE}
    seconds: 0.3
"""


async def _start_two(runtime: LocalRuntime, behavior: str) -> tuple[Tracked, Tracked]:
    flow = flow_of(limited(behavior))
    first = runtime.submit(flow, runtime.create(flow))
    for _ in range(100):
        await asyncio.sleep(0.01)
        if first.execution.state.current is State.RUNNING:
            break
    second = runtime.submit(flow, runtime.create(flow))
    return first, second


async def test_a_queued_execution_runs_once_the_first_one_ends(runtime: LocalRuntime) -> None:
    first, second = await _start_two(runtime, "QUEUE")
    ended_first = await runtime.wait(first, TIMEOUT)
    ended_second = await runtime.wait(second, TIMEOUT)
    assert ended_first.state.current is State.SUCCESS
    assert ended_second.state.current is State.SUCCESS
    states = [h.state for h in ended_second.state.histories]
    assert states[:3] == [State.CREATED, State.QUEUED, State.RUNNING]
    second_start = ended_second.task_run_list[0].state.start_date
    assert second_start is not None
    assert ended_first.state.end_date is not None
    assert second_start >= ended_first.state.end_date


async def test_cancel_ends_the_second_execution_at_once(runtime: LocalRuntime) -> None:
    first, second = await _start_two(runtime, "CANCEL")
    ended_second = await runtime.wait(second, TIMEOUT)
    assert ended_second.state.current is State.CANCELLED
    assert ended_second.task_run_list == []
    ended_first = await runtime.wait(first, TIMEOUT)
    assert ended_first.state.current is State.SUCCESS
