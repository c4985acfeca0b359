"""The worker process's loop: claim task jobs, run them on the runtime's pool, post results.

A claim takes as many jobs as there are free threads (`FOR UPDATE SKIP LOCKED`, one
statement); an empty claim waits for ``NOTIFY`` (a fallback poll only). While jobs run, the
worker refreshes its heartbeat and theirs, and reads kill requests. A result is posted to
the execution's inbox in the transaction that deletes the job: if an executor declared this
worker dead and took the job away meanwhile, the late result is dropped, so no attempt
completes twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tercel.cluster.remote import task_kind
from tercel.cluster.wire import event_to_wire
from tercel.errors import TercelError
from tercel.runtime.logs import execution_logger
from tercel.runtime.recovery import attempt_effect, find_task
from tercel.runtime.template_places import FlowSources
from tercel.runtime.tracked import TemplateRenderer, Tracked

if TYPE_CHECKING:
    from tercel.engine.api import Event
    from tercel.engine.execution import Execution, TaskRun
    from tercel.model.flow import Flow
    from tercel.runtime.local import LocalRuntime
    from tercel.store.records import Job
    from tercel.store.sql.store import SqlStore

_log = logging.getLogger(__name__)

#: How long a namespace's variables (`namespace.*`) are reused between jobs.
ENVIRONMENT_SECONDS = 1.0
#: How often buffered log lines of running tasks are written (live logs in the UI).
LOG_FLUSH_SECONDS = 0.2


@dataclass(slots=True)
class _Running:
    job: Job
    execution: Execution
    task_run: TaskRun


class JobConsumer:
    """Claims and runs the task jobs of one worker group (None: workers without one)."""

    def __init__(
        self,
        runtime: LocalRuntime,
        store: SqlStore,
        *,
        worker_id: str,
        threads: int,
        worker_group: str | None = None,
        heartbeat: float = 5.0,
        poll: float = 2.0,
    ) -> None:
        self.runtime = runtime
        self.store = store
        self.worker_id = worker_id
        self.threads = threads
        self.worker_group = worker_group
        self.kind = task_kind(worker_group)
        self.heartbeat = heartbeat
        self.poll = poll
        self._running: dict[int, _Running] = {}
        self._handing_back: set[int] = set()
        self._slot_freed = asyncio.Event()
        self._stopping = False
        # One thread waits for NOTIFY, so a notification between two waits is not missed.
        self._waiter = ThreadPoolExecutor(1, thread_name_prefix="tercel-claim-wait")
        self._sources = FlowSources()
        self._finished: list[tuple[Job, Event, _Running | None]] = []
        self._environments: dict[tuple[str, str], tuple[float, Mapping[str, Any]]] = {}

    @property
    def busy(self) -> int:
        """Jobs running now."""
        return len(self._running)

    def waiting_for(self) -> str:
        """What the worker waits for, as `/health` and `tercel server status` show it."""
        if self._stopping:
            return f"stopping: {self.busy} task(s) to finish"
        if self.busy >= self.threads:
            return f"a free thread ({self.busy}/{self.threads} busy)"
        return f"jobs of kind `{self.kind}` ({self.busy}/{self.threads} busy)"

    # -- the loops -----------------------------------------------------------------------
    async def run(self) -> None:
        """Claim and start jobs until `stop` is called."""
        loop = asyncio.get_running_loop()
        flusher = loop.create_task(self._flush_logs(), name="tercel-worker-logs")
        try:
            while not self._stopping:
                free = self.threads - len(self._running)
                if free <= 0:
                    self._slot_freed.clear()
                    await self._slot_freed.wait()
                    continue
                try:
                    claimed = self.store.jobs.claim(self.worker_id, kinds=[self.kind], limit=free)
                except TercelError as error:
                    # The heartbeat gives up (and the process exits) after the liveness
                    # timeout; until then, wait for the database to come back.
                    _log.warning("cannot claim jobs, retrying: %s", error)
                    await asyncio.sleep(1.0)
                    continue
                for job in claimed:
                    self._start(job)
                if not claimed:
                    await loop.run_in_executor(self._waiter, self.store.jobs.wait, self.poll)
        finally:
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher

    async def beat(self) -> None:
        """Refresh the running jobs' heartbeats and act on kill requests (call periodically)."""
        ids = list(self._running)
        if not ids:
            return
        now = datetime.now(UTC)
        self.store.jobs.heartbeat(ids, self.worker_id, now)
        for job_id in self.store.cluster.kill_requested(ids):
            running = self._running.get(job_id)
            if running is not None:
                self.runtime.pool.kill(running.task_run.id)

    async def stop(self, grace: float) -> None:
        """Stop claiming; let running tasks end within `grace` seconds, then hand the
        others back to the queue for another worker."""
        self._stopping = True
        self._slot_freed.set()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        while self._running and loop.time() < deadline:
            await asyncio.sleep(0.1)
        for job_id, running in list(self._running.items()):
            self._handing_back.add(job_id)
            execution_logger(
                self.runtime.logs, running.execution, running.task_run, self.runtime.executor.clock
            ).warning(
                f"worker {self.worker_id} stopped before the task ended (grace period "
                f"{grace:g} s); handed back to the queue for another worker"
            )
            self.runtime.pool.kill(running.task_run.id)
        end = loop.time() + 5.0
        while self._running and loop.time() < end:
            await asyncio.sleep(0.05)
        self._post_finished()
        self._flush()
        self._waiter.shutdown(wait=False, cancel_futures=True)

    async def _flush_logs(self) -> None:
        while True:
            await asyncio.sleep(LOG_FLUSH_SECONDS)
            if self.runtime.logs.pending:
                try:
                    self._flush()
                except TercelError as error:
                    _log.warning("cannot write log lines yet: %s", error)

    def _flush(self) -> None:
        with self.store.transaction():
            self.runtime.logs.flush()
            self.runtime.dispatcher.flush()

    # -- one job -------------------------------------------------------------------------
    def _start(self, job: Job) -> None:
        payload = job.payload
        try:
            execution = self.store.executions.find(str(payload["executionId"]), tenant=job.tenant)
            task_run = (
                next(
                    (t for t in execution.task_run_list if t.id == payload["taskRunId"]),
                    None,
                )
                if execution is not None
                else None
            )
            if execution is None or task_run is None or task_run.state.current.is_terminated:
                # Killed or finished meanwhile: nothing to run, nobody waits for a result.
                self.store.cluster.finish_job(job.id, self.worker_id)
                return
            flow = self.runtime.flows.resolve(
                execution.namespace, execution.flow_id, execution.flow_revision, execution.tenant_id
            )
            task = find_task(flow, task_run.task_id)
            if task is None:
                raise TercelError(
                    f"flow {flow.namespace}.{flow.id} has no task `{task_run.task_id}`"
                )
        except (TercelError, KeyError) as error:
            _log.warning("job %s cannot run: %s", job.id, error)
            self.store.jobs.fail(job.id, str(error))
            return
        tracked = self._tracked(flow, execution)
        effect = attempt_effect(tracked, task_run, task, int(payload.get("attempt", 1)))
        self._running[job.id] = _Running(job, execution, task_run)
        self.runtime.dispatcher.run_task(
            tracked, effect, lambda _execution, _task_run, event: self._done(job, event)
        )

    def _tracked(self, flow: Flow, execution: Execution) -> Tracked:
        """What the executor would hold for this execution (services, renderer, variables)."""
        runtime = self.runtime
        services = runtime.factory.services_for(flow, execution)
        tracked = Tracked(
            flow,
            execution,
            services,
            TemplateRenderer(services, self._sources.placer(flow)),
            None,
        )
        tracked.environment = self._environment(flow, execution)
        return tracked

    def _environment(self, flow: Flow, execution: Execution) -> Mapping[str, Any]:
        """The executor's environment for the execution (`namespace.*` read at most once
        a second per namespace, as the API's caches do)."""
        key = (execution.tenant_id, flow.namespace)
        now = time.monotonic()
        cached = self._environments.get(key)
        if cached is not None and now - cached[0] < ENVIRONMENT_SECONDS:
            return cached[1]
        environment = self.runtime.executor.environment_for(flow, execution)
        self._environments[key] = (now, environment)
        return environment

    def _done(self, job: Job, event: Event) -> None:
        """Queue the result: the results of jobs that end together are posted in one
        transaction (`_post_finished`)."""
        running = self._running.pop(job.id, None)
        self._finished.append((job, event, running))
        if len(self._finished) == 1:
            asyncio.get_running_loop().call_soon(self._post_finished)

    def _post_finished(self) -> None:
        """Post each result and drop its job, in one transaction (or hand the job back)."""
        batch, self._finished = self._finished, []
        if not batch:
            return
        try:
            with self.store.transaction():
                self.runtime.logs.flush()
                self.runtime.dispatcher.flush()
                for job, event, running in batch:
                    self._post(job, event, running)
        except TercelError:
            _log.exception("cannot post the results of jobs %s", [job.id for job, _, _ in batch])
        finally:
            self._slot_freed.set()

    def _post(self, job: Job, event: Event, running: _Running | None) -> None:
        if job.id in self._handing_back:
            self._handing_back.discard(job.id)
            self.store.jobs.release(job.id)
            return
        if self.store.cluster.finish_job(job.id, self.worker_id):
            self.store.cluster.post(
                str(job.payload["executionId"]), event_to_wire(event), tenant=job.tenant
            )
        elif running is not None:
            _log.warning(
                "result of task run %s dropped: its job was taken away (this worker was "
                "declared dead, or the task was killed)",
                running.task_run.id,
            )
