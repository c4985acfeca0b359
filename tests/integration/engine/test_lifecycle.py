"""Restart keeps the execution and re-runs what failed; replay makes a new execution."""

from __future__ import annotations

import asyncio

from engine_helpers import TIMEOUT, flow_of, run_to_end

from tercel.engine.state import State
from tercel.runtime.local import LocalRuntime

# `c` fails on its first attempt only (the undefined `ko` is rendered then), as in Kestra's
# own restart test flow.
RESTARTABLE = """
id: restartable
namespace: company.team
tasks:
  - id: a
    type: io.kestra.plugin.core.log.Log
    message: "{{ task.id }}"
  - id: c
    type: io.kestra.plugin.core.log.Log
    message: "{{ taskrun.attemptsCount == 1 ? 'ok' : ko }}"
  - id: d
    type: io.kestra.plugin.core.log.Log
    message: "{{ task.id }}"
"""


async def test_a_restarted_execution_keeps_its_id_and_reruns_the_failed_task(
    runtime: LocalRuntime,
) -> None:
    flow = flow_of(RESTARTABLE)
    failed = await run_to_end(runtime, flow)
    assert failed.state.current is State.FAILED
    assert [tr.task_id for tr in failed.task_run_list] == ["a", "c"]

    restarted = runtime.restart(failed.id)
    assert restarted.id == failed.id
    tracked = runtime.executor.tracked(failed.id)
    assert tracked is not None
    ended = await runtime.wait(tracked, TIMEOUT)
    assert ended.state.current is State.SUCCESS
    assert [tr.task_id for tr in ended.task_run_list] == ["a", "c", "d"]
    assert len(ended.task_runs_of("c")[0].attempts) == 2
    assert ended.attempt_number == 2
    stored = runtime.store.executions.get(failed.id)
    assert stored.state.current is State.SUCCESS


async def test_a_replay_is_a_new_execution_with_the_same_original_id(
    runtime: LocalRuntime,
) -> None:
    flow = flow_of(
        """
id: replayable
namespace: company.team
tasks:
  - id: first
    type: io.kestra.plugin.core.debug.Return
    format: one
  - id: second
    type: io.kestra.plugin.core.debug.Return
    format: two
"""
    )
    original = await run_to_end(runtime, flow)
    replayed = runtime.replay(original.id, original.task_run_list[1].id)
    assert replayed.id != original.id
    assert replayed.original_id == original.id
    tracked = runtime.executor.tracked(replayed.id)
    assert tracked is not None
    ended = await asyncio.wait_for(runtime.wait(tracked), TIMEOUT)
    assert ended.state.current is State.SUCCESS
    assert [tr.task_id for tr in ended.task_run_list] == ["first", "second"]
    assert ended.task_run_list[0].id != original.task_run_list[0].id
