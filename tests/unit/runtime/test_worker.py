"""The worker pool runs attempts, enforces timeouts and stops killed tasks."""

from __future__ import annotations

import asyncio

from runtime_helpers import BoomTask, Harness, SleepTask

from tercel.engine.state import State
from tercel.runtime.worker import Job, JobResult, WorkerPool


async def _run(pool: WorkerPool, job: Job) -> JobResult:
    done: asyncio.Future[JobResult] = asyncio.get_running_loop().create_future()
    pool.submit(job, done.set_result)
    return await done


async def test_a_successful_attempt_reports_its_outputs(harness: Harness) -> None:
    task = SleepTask(id="t", type="test.Sleep", seconds=0, message="hi {{ inputs.name }}")
    result = await _run(WorkerPool(), Job("exec1", "tr1", 1, task, harness.context()))
    harness.writer.flush()
    assert result.state is State.SUCCESS
    assert result.outputs == {"slept": 0}
    assert [e.message for e in harness.store.logs.list("exec1")] == ["hi Ada"]


async def test_a_task_error_fails_the_attempt_and_is_logged(harness: Harness) -> None:
    result = await _run(
        WorkerPool(), Job("exec1", "tr1", 1, BoomTask(id="t", type="x"), harness.context())
    )
    harness.writer.flush()
    assert result.state is State.FAILED
    assert result.error == "it went boom"
    errors = harness.store.logs.list("exec1", min_level="ERROR")
    assert [e.message for e in errors] == ["it went boom"]


async def test_a_plugin_bug_fails_the_attempt_instead_of_the_runtime(harness: Harness) -> None:
    task = BoomTask(id="t", type="x", bug=True)
    result = await _run(WorkerPool(), Job("exec1", "tr1", 1, task, harness.context()))
    assert result.state is State.FAILED
    assert result.error == "ZeroDivisionError: division by zero"


async def test_a_timeout_fails_the_attempt_with_the_duration(harness: Harness) -> None:
    task = SleepTask(id="t", type="test.Sleep", seconds=5)
    ctx = harness.context()
    result = await _run(WorkerPool(), Job("exec1", "tr1", 1, task, ctx, timeout=0.05))
    assert result.state is State.FAILED
    assert result.timed_out
    assert result.error == "timed out after PT0.05S"
    assert ctx.cancelled


async def test_killing_a_running_attempt_reports_killed(harness: Harness) -> None:
    pool = WorkerPool()
    done: asyncio.Future[JobResult] = asyncio.get_running_loop().create_future()
    task = SleepTask(id="t", type="test.Sleep", seconds=5)
    pool.submit(Job("exec1", "tr1", 1, task, harness.context()), done.set_result)
    await asyncio.sleep(0.01)
    assert pool.kill_execution("exec1") == 1
    result = await asyncio.wait_for(done, 1)
    assert result.state is State.KILLED
    assert pool.running == 0


async def test_the_pool_runs_at_most_its_concurrency_at_once(harness: Harness) -> None:
    pool = WorkerPool(concurrency=2)
    SleepTask.started.clear()
    results: list[JobResult] = []
    for n in range(4):
        task = SleepTask(id=f"t{n}", type="test.Sleep", seconds=0.05)
        pool.submit(
            Job("exec1", f"tr{n}", 1, task, harness.context(f"t{n}", f"tr{n}")), results.append
        )
    await asyncio.sleep(0.02)
    assert len(SleepTask.started) == 2
    await pool.drain()
    assert len(results) == 4


async def test_closing_the_pool_right_after_submitting_does_not_hang(harness: Harness) -> None:
    pool = WorkerPool()
    task = SleepTask(id="t", type="test.Sleep", seconds=5)
    pool.submit(Job("exec1", "tr1", 1, task, harness.context()), lambda _: None)
    await asyncio.wait_for(pool.close(), 1)
    assert pool.running == 0
