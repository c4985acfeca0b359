"""The worker pool: runs runnable tasks as asyncio tasks, with timeouts and kills.

Core tasks run in-process (no subprocess, no thread): a task's `run` is a coroutine, so a
pool is a bounded set of asyncio tasks. A job's outcome is reported through a callback, which
the executor turns into an engine event; the worker never touches the execution itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from tercel.engine.state import State
from tercel.errors import TaskError, TercelError
from tercel.model.durations import format_duration
from tercel.runners.ledger import Owner, ProcessLedger, current_owner

if TYPE_CHECKING:
    from tercel.plugins.context import RunnableTask
    from tercel.runtime.task_context import RuntimeTaskContext


@dataclass(slots=True)
class Job:
    """One attempt of one task run, handed to the pool."""

    execution_id: str
    task_run_id: str
    attempt_number: int
    task: RunnableTask
    context: RuntimeTaskContext
    #: Seconds before the attempt fails with "timed out after ..."; None = no limit.
    timeout: float | None = None


@dataclass(slots=True)
class JobResult:
    """What came of a job: the attempt's final state, its outputs and metrics."""

    job: Job
    state: State
    outputs: dict[str, Any] | None = None
    metrics: list[dict[str, Any]] = field(default_factory=list)
    #: The failure message shown to the user (also logged at ERROR), if any.
    error: str | None = None
    #: True when the attempt was stopped by its `timeout`.
    timed_out: bool = False


def timeout_message(seconds: float) -> str:
    """Kestra-style timeout message, e.g. ``timed out after PT1S``."""
    return f"timed out after {format_duration(timedelta(seconds=seconds))}"


class WorkerPool:
    """Runs jobs concurrently (at most `concurrency` at once) on the running event loop."""

    def __init__(self, concurrency: int = 64, ledger: ProcessLedger | None = None) -> None:
        self._slots = asyncio.Semaphore(concurrency)
        #: Where runners record the process groups and containers they start (crash clean-up).
        self.ledger = ledger
        self._running: dict[str, tuple[Job, asyncio.Task[None]]] = {}
        self._killed: set[str] = set()

    @property
    def running(self) -> int:
        """Jobs submitted and not finished yet."""
        return len(self._running)

    def submit(self, job: Job, done: Callable[[JobResult], None]) -> None:
        """Start `job`; `done` is called with its result on the event loop."""
        task = asyncio.get_running_loop().create_task(
            self._run(job, done), name=f"task-run-{job.task_run_id}"
        )
        self._running[job.task_run_id] = (job, task)
        # A task cancelled before it started never runs `_run`'s cleanup: forget it here too.
        task.add_done_callback(lambda _: self._forget(job.task_run_id, task))

    def _forget(self, task_run_id: str, task: asyncio.Task[None]) -> None:
        entry = self._running.get(task_run_id)
        if entry is not None and entry[1] is task:
            del self._running[task_run_id]

    def kill(self, task_run_id: str) -> bool:
        """Stop a running job; it reports KILLED. False if it is not running."""
        entry = self._running.get(task_run_id)
        if entry is None:
            return False
        job, task = entry
        self._killed.add(task_run_id)
        job.context.cancel()
        task.cancel()
        return True

    def kill_execution(self, execution_id: str) -> int:
        """Stop every running job of an execution; return how many were stopped."""
        ids = [tid for tid, (job, _) in self._running.items() if job.execution_id == execution_id]
        return sum(self.kill(task_run_id) for task_run_id in ids)

    async def drain(self) -> None:
        """Wait until every submitted job has finished."""
        while self._running:
            tasks = [task for _, task in self._running.values()]
            await asyncio.gather(*tasks, return_exceptions=True)
            for task_run_id, (_, task) in list(self._running.items()):
                if task.done():
                    self._forget(task_run_id, task)

    async def close(self, grace: float = 5.0) -> None:
        """Kill every job and wait (at most `grace` seconds) for them to stop."""
        for task_run_id in list(self._running):
            self.kill(task_run_id)
        tasks = [task for _, task in self._running.values()]
        if tasks:
            # A plugin that swallows cancellation must not keep the process alive forever.
            await asyncio.wait(tasks, timeout=grace)
        self._running.clear()

    async def _run(self, job: Job, done: Callable[[JobResult], None]) -> None:
        try:
            async with self._slots:
                result = await self._attempt(job)
        except asyncio.CancelledError:
            if job.task_run_id not in self._killed:
                raise
            result = JobResult(job, State.KILLED, outputs=None)
        finally:
            self._running.pop(job.task_run_id, None)
        self._killed.discard(job.task_run_id)
        job.context.close()
        done(result)

    async def _attempt(self, job: Job) -> JobResult:
        ctx = job.context
        if self.ledger is not None:
            # This job runs in its own asyncio task: the variable is set for it alone.
            label = f"{job.execution_id}/{job.task_run_id} attempt {job.attempt_number}"
            current_owner.set(Owner(self.ledger, label))
        try:
            if job.timeout is not None:
                async with asyncio.timeout(job.timeout):
                    outcome = await job.task.run(ctx)
            else:
                outcome = await job.task.run(ctx)
        except TimeoutError:
            if job.timeout is None:
                return self._failed(job, "timed out")
            ctx.cancel()
            result = self._failed(job, timeout_message(job.timeout))
            result.timed_out = True
            return result
        except asyncio.CancelledError:
            raise
        except TercelError as error:
            return self._failed(job, str(error) or type(error).__name__, error)
        except Exception as error:  # noqa: BLE001 - a plugin bug must fail the task, not the runtime
            return self._failed(job, f"{type(error).__name__}: {error}", error)
        state = outcome.state or State.SUCCESS
        metrics = [*ctx.metrics, *outcome.metrics]
        return JobResult(job, state, outputs=outcome.outputs, metrics=metrics)

    @staticmethod
    def _failed(job: Job, message: str, error: BaseException | None = None) -> JobResult:
        job.context.logger.error(message)
        outputs: dict[str, Any] | None = None
        # A task may attach outputs to its failure (Kestra keeps them on the task run).
        if isinstance(error, TaskError):
            carried = getattr(error, "outputs", None)
            if isinstance(carried, dict):
                outputs = carried
        return JobResult(
            job, State.FAILED, outputs=outputs, metrics=list(job.context.metrics), error=message
        )
