"""From a `RunTask` effect to a job on the worker pool, and from its result to an event.

The dispatcher builds the real `TaskContext` of an attempt (logger, KV, storage, template
services, timeout) and turns the worker's `JobResult` into the engine's `TaskRunResult`.
A server with remote workers would replace this class; the executor only calls `run_task`,
`run_working_directory`, `kill` and `kill_execution`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tercel.engine.api import (
    Event,
    PlannedTaskRun,
    RunTask,
    RunWorkingDirectory,
    TaskRunResult,
    TaskRunStarted,
)
from tercel.engine.state import State
from tercel.errors import TercelError
from tercel.runtime.logs import AttemptLogger, LogWriter
from tercel.runtime.task_context import RuntimeTaskContext
from tercel.runtime.worker import Job, JobResult, WorkerPool
from tercel.storage.tenant import tenant_storage
from tercel.store.tenant_kv import TenantKV

if TYPE_CHECKING:
    from tercel.model.task import Task
    from tercel.plugins.context import KVStore
    from tercel.runtime.mocks import TaskMock, TaskMocks
    from tercel.runtime.tracked import Tracked
    from tercel.storage.api import InternalStorage
    from tercel.store.api import Store

#: Reports the event that ends a job: (execution id, task-run id, event).
JobDone = Callable[[str, str, Event], None]
#: Queues an event for an execution.
Send = Callable[[str, Event], None]


class Dispatcher:
    """Runs task attempts in-process on a `WorkerPool`."""

    def __init__(
        self,
        pool: WorkerPool,
        *,
        store: Store,
        storage: InternalStorage,
        logs: LogWriter,
        clock: Callable[[], datetime],
        work_root: Path | None = None,
    ) -> None:
        self.pool = pool
        self.store = store
        self.storage = storage
        self.logs = logs
        self.clock = clock
        self.work_root = work_root
        self._wd_tasks: dict[str, asyncio.Task[None]] = {}
        self._metrics: list[Any] = []
        #: Resumes a paused execution (set by the executor's owner).
        self.resume: Callable[[str, Mapping[str, Any] | None], None] | None = None
        #: Tasks a flow unit test replaced (`tercel test`): they end as told, never run.
        self.mocks: TaskMocks | None = None

    @property
    def kv(self) -> KVStore:
        """The KV store tasks see."""
        return self.store.kv

    def context(
        self,
        tracked: Tracked,
        *,
        task: Task,
        task_run_id: str,
        attempt_number: int,
        variables: Mapping[str, Any],
        shared_dir: Path | None = None,
    ) -> RuntimeTaskContext:
        """The `TaskContext` of one attempt."""
        execution = tracked.execution
        logger = AttemptLogger(
            self.logs,
            tenant_id=execution.tenant_id,
            namespace=execution.namespace,
            flow_id=execution.flow_id,
            execution_id=execution.id,
            task_id=task.id,
            task_run_id=task_run_id,
            attempt_number=attempt_number,
            min_level=task.log_level or "TRACE",
            clock=self.clock,
        )
        context = RuntimeTaskContext(
            tenant_id=execution.tenant_id,
            namespace=execution.namespace,
            flow_id=execution.flow_id,
            execution_id=execution.id,
            task_id=task.id,
            task_run_id=task_run_id,
            attempt_number=attempt_number,
            variables=variables,
            logger=logger,
            kv=TenantKV(self.store.kv, execution.tenant_id),
            storage=tenant_storage(self.storage, execution.tenant_id),
            services=tracked.services,
            work_root=self.work_root,
            shared_dir=shared_dir,
            store=self.store,
            resume=self.resume,
            clock=self.clock,
            place=tracked.renderer.place,
        )
        context.before_store_read = self.logs.flush
        return context

    def _timeout(self, tracked: Tracked, effect: RunTask) -> float | None:
        if effect.timeout is not None:
            return effect.timeout.total_seconds()
        if effect.timeout_expression:
            from tercel.model.durations import parse_duration

            text = tracked.renderer.render(effect.timeout_expression, effect.context)
            try:
                return parse_duration(text).total_seconds()
            except ValueError as error:
                raise TercelError(f"property `timeout`: {error}") from error
        return None

    def run_task(self, tracked: Tracked, effect: RunTask, done: JobDone) -> None:
        """Start one attempt; `done` gets its `TaskRunResult`."""
        from tercel.plugins.context import RunnableTask

        execution_id = tracked.execution.id
        task_run_id = effect.task_run.id
        ctx = self.context(
            tracked,
            task=effect.task,
            task_run_id=task_run_id,
            attempt_number=effect.attempt_number,
            variables=effect.context,
        )
        mock = self.mock_of(tracked, effect.task.id, effect.task_run.value)
        if mock is not None:
            done(
                execution_id,
                task_run_id,
                self.mocked_result(tracked, mock, ctx, effect.context, effect.attempt_number),
            )
            return
        try:
            if not isinstance(effect.task, RunnableTask):
                raise TercelError(f"task type `{effect.task.type}` cannot be run by a worker")
            timeout = self._timeout(tracked, effect)
        except TercelError as error:
            ctx.logger.error(str(error))
            done(
                execution_id,
                task_run_id,
                TaskRunResult(
                    task_run_id,
                    State.FAILED,
                    attempt_number=effect.attempt_number,
                    error=str(error),
                ),
            )
            return
        job = Job(execution_id, task_run_id, effect.attempt_number, effect.task, ctx, timeout)
        self.pool.submit(job, lambda result: done(execution_id, task_run_id, self._event(result)))

    def mock_of(self, tracked: Tracked, task_id: str, value: str | None) -> TaskMock | None:
        """The test fixture that replaces this task run, if any."""
        if self.mocks is None:
            return None
        return self.mocks.find(tracked.execution.id, task_id, value)

    def mocked_result(
        self,
        tracked: Tracked,
        mock: TaskMock,
        ctx: RuntimeTaskContext,
        variables: Mapping[str, Any],
        attempt_number: int,
    ) -> TaskRunResult:
        """The attempt result of a mocked task run: its fixture's state and rendered outputs."""
        from tercel.engine.rendering import render_value
        from tercel.runtime.mocks import mock_error

        note = f"mocked by a test fixture: not run, ends {mock.state.value}"
        ctx.logger.info(note)
        state, error = mock.state, mock_error(mock)
        outputs: dict[str, Any] | None = None
        try:
            if mock.outputs is not None:
                extra = self.mocks.variables if self.mocks is not None else {}
                context = {**variables, **extra}
                outputs = dict(render_value(tracked.renderer, dict(mock.outputs), context))
        except TercelError as failure:
            state, error = State.FAILED, f"mocked outputs: {failure}"
        if error is not None:
            ctx.logger.error(error)
        return TaskRunResult(
            ctx.task_run_id, state, outputs=outputs, attempt_number=attempt_number, error=error
        )

    def _event(self, result: JobResult) -> TaskRunResult:
        job = result.job
        if result.metrics:
            self._store_metrics(job, result.metrics)
        return TaskRunResult(
            job.task_run_id,
            result.state,
            outputs=result.outputs,
            attempt_number=job.attempt_number,
            error=result.error,
            timed_out=result.timed_out,
        )

    def _store_metrics(self, job: Job, metrics: list[dict[str, Any]]) -> None:
        from tercel.store.records import MetricEntry

        ctx = job.context
        entries = [
            MetricEntry(
                name=str(m["name"]),
                type=str(m.get("type", "counter")),
                value=float(m.get("value", 0.0)),
                timestamp=self.clock(),
                namespace=ctx.namespace,
                flow_id=ctx.flow_id,
                execution_id=ctx.execution_id,
                task_id=ctx.task_id,
                task_run_id=ctx.task_run_id,
                tags=dict(m.get("tags") or {}),
                tenant_id=ctx.tenant_id,
            )
            for m in metrics
        ]
        # Written with the executor's next step, in the same transaction (see `flush`).
        self._metrics.extend(entries)

    @property
    def pending(self) -> int:
        """Metrics recorded and not written yet."""
        return len(self._metrics)

    def flush(self) -> None:
        """Write the metrics recorded since the last call."""
        if self._metrics:
            batch, self._metrics = self._metrics, []
            self.store.metrics.append(batch)

    def run_working_directory(
        self, tracked: Tracked, effect: RunWorkingDirectory, done: JobDone, send: Send
    ) -> None:
        """Run a WorkingDirectory's children in order, in one shared temp dir."""
        task = asyncio.get_running_loop().create_task(
            self._working_directory(tracked, effect, done, send)
        )
        self._wd_tasks[effect.task_run.id] = task
        task.add_done_callback(lambda _: self._wd_tasks.pop(effect.task_run.id, None))

    async def _working_directory(
        self, tracked: Tracked, effect: RunWorkingDirectory, done: JobDone, send: Send
    ) -> None:
        from tercel.runtime import working_directory as wd

        execution = tracked.execution
        task_run_id = effect.task_run.id
        shared = Path(tempfile.mkdtemp(prefix="tercel-wd-", dir=self.work_root))
        wd_context = self.context(
            tracked,
            task=effect.task,
            task_run_id=task_run_id,
            attempt_number=effect.attempt_number,
            variables=effect.context,
            shared_dir=shared,
        )
        final = State.SUCCESS
        outputs: dict[str, Any] | None = None
        error: str | None = None
        try:
            wd.restore_cache(shared, effect.task, execution, wd_context.storage)
            wd.write_input_files(
                shared, effect.task, effect.context, tracked.services, tracked.renderer.place
            )
            for planned in effect.children:
                result = await self._working_directory_child(tracked, effect, planned, shared, send)
                if result.state in (State.FAILED, State.KILLED) and not planned.task.allow_failure:
                    final = result.state
                    break
            if final is State.SUCCESS:
                outputs = wd.upload_output_files(
                    shared,
                    effect.task,
                    context=effect.context,
                    services=tracked.services,
                    storage=wd_context.storage,
                    file_uri=wd_context.file_uri,
                    place=tracked.renderer.place,
                )
                wd.save_cache(shared, effect.task, execution, wd_context.storage)
        except (TercelError, OSError, ValueError, zipfile.BadZipFile) as failure:
            final, error = State.FAILED, str(failure)
            wd_context.logger.error(error)
        finally:
            shutil.rmtree(shared, ignore_errors=True)
        done(
            execution.id,
            task_run_id,
            TaskRunResult(
                task_run_id,
                final,
                outputs=outputs,
                attempt_number=effect.attempt_number,
                error=error,
            ),
        )

    async def _working_directory_child(
        self,
        tracked: Tracked,
        effect: RunWorkingDirectory,
        planned: PlannedTaskRun,
        shared: Path,
        send: Send,
    ) -> JobResult:
        """Run one WorkingDirectory child in `shared`, retrying it in place by its `retry`."""
        from tercel.engine.context import child_context
        from tercel.engine.retry import next_attempt_at
        from tercel.plugins.context import RunnableTask

        task = planned.task
        if not isinstance(task, RunnableTask):
            raise TercelError(f"`{task.id}` cannot run in a WorkingDirectory")
        execution = tracked.execution
        retry = planned.retry
        in_place = retry is not None and retry.behavior.upper() != "CREATE_NEW_EXECUTION"
        first_started = self.clock()
        attempt = 1
        while True:
            send(execution.id, TaskRunStarted(planned.task_run_id, attempt))
            variables = child_context(execution, effect, planned)
            variables["workingDir"] = str(shared)
            ctx = self.context(
                tracked,
                task=planned.task,
                task_run_id=planned.task_run_id,
                attempt_number=attempt,
                variables=variables,
                shared_dir=shared,
            )
            outcome: asyncio.Future[JobResult] = asyncio.get_running_loop().create_future()
            job = Job(execution.id, planned.task_run_id, attempt, task, ctx)
            mock = self.mock_of(tracked, task.id, None)
            if mock is not None:
                mocked = self.mocked_result(tracked, mock, ctx, variables, attempt)
                outcome.set_result(
                    JobResult(
                        job,
                        mocked.state,
                        outputs=dict(mocked.outputs or {}) or None,
                        error=mocked.error,
                    )
                )
            else:
                self.pool.submit(job, outcome.set_result)
            result = await outcome
            at = None
            if result.state is State.FAILED and in_place and retry is not None:
                at = next_attempt_at(
                    retry,
                    attempts_done=attempt,
                    first_started=first_started,
                    last_ended=self.clock(),
                    draw=random.random(),  # the jitter of `random` retries
                )
            event = self._event(result)
            if at is None:
                send(execution.id, event)
                # The next child renders with this one's outputs: let the executor apply it.
                await _applied(tracked, planned.task_run_id)
                return result
            send(execution.id, dataclasses.replace(event, retrying=True))
            await asyncio.sleep(max((at - self.clock()).total_seconds(), 0.0))
            attempt += 1

    def kill(self, task_run_id: str) -> bool:
        """Stop a running attempt (it reports KILLED); False if none is running."""
        wd = self._wd_tasks.get(task_run_id)
        if wd is not None:
            for job_id in [tid for tid in list(self._wd_tasks) if tid == task_run_id]:
                self._wd_tasks.pop(job_id, None)
            wd.cancel()
            return False
        return self.pool.kill(task_run_id)

    def kill_execution(self, execution_id: str) -> int:
        """Stop every running attempt of an execution."""
        return self.pool.kill_execution(execution_id)


async def _applied(tracked: Tracked, task_run_id: str, *, within: float = 10.0) -> None:
    """Wait (bounded) until the executor has applied a task run's final result.

    Events are applied by the executor loop in batches; a WorkingDirectory child that ends at
    once (a mocked or very quick task) would otherwise let the next child render before the
    outputs it refers to are in the execution.
    """
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        run = tracked.task_run(task_run_id)
        if run is not None and run.state.current.is_terminated:
            return
        await asyncio.sleep(0.001)
