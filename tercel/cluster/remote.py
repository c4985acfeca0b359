"""The executor's side of remote workers: a task attempt becomes a row of `jobs`.

`RemoteDispatcher` replaces the in-process pool for runnable tasks: `run_task` enqueues a
job (in the executor's step transaction, so the job exists exactly when its RUNNING task
run does) and the result comes back later through the execution inbox. A WorkingDirectory
still runs on the executor's own pool: its children share one temporary directory.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from tercel.engine.api import RunTask
from tercel.runtime.dispatch import Dispatcher, JobDone
from tercel.store.records import JOB_QUEUED

if TYPE_CHECKING:
    from tercel.plugins.context import InternalStorage
    from tercel.runtime.logs import LogWriter
    from tercel.runtime.tracked import Tracked
    from tercel.runtime.worker import WorkerPool
    from tercel.store.api import Store
    from tercel.store.sql.cluster import SqlCluster

#: Job kind of a task attempt for workers without a group.
TASK_KIND = "task"
#: How long a "is any worker of this group alive?" answer is reused.
GROUP_CHECK_SECONDS = 2.0


def task_kind(worker_group: str | None) -> str:
    """The job kind workers of `worker_group` (None: no group) claim."""
    return TASK_KIND if not worker_group else f"{TASK_KIND}:{worker_group}"


class WorkerGroups:
    """Whether a worker group has a live worker (from the components table, cached)."""

    def __init__(self, cluster: SqlCluster, liveness: float) -> None:
        self._cluster = cluster
        self._liveness = liveness
        self._checked = -1.0
        self._groups: set[str | None] = set()

    def alive(self, group: str | None) -> bool:
        """True when a worker of `group` beat within the liveness timeout."""
        now = time.monotonic()
        if self._checked < 0 or now - self._checked > GROUP_CHECK_SECONDS:
            since = datetime.now(UTC) - timedelta(seconds=self._liveness)
            self._groups = {c.worker_group for c in self._cluster.live(since, role="worker")}
            self._checked = now
        return group in self._groups


class RemoteDispatcher(Dispatcher):
    """Runs task attempts on worker processes through the `jobs` table."""

    def __init__(
        self,
        pool: WorkerPool,
        *,
        store: Store,
        storage: InternalStorage,
        logs: LogWriter,
        clock: Callable[[], datetime],
        cluster: SqlCluster,
        groups: WorkerGroups,
        work_root: Path | None = None,
    ) -> None:
        super().__init__(
            pool, store=store, storage=storage, logs=logs, clock=clock, work_root=work_root
        )
        self.cluster = cluster
        self.groups = groups
        #: Task runs with a job out on a worker: task-run id -> execution id.
        self.remote: dict[str, str] = {}

    def run_task(self, tracked: Tracked, effect: RunTask, done: JobDone) -> None:
        """Enqueue the attempt for a worker (of the task's group, if it names one)."""
        del done  # the result arrives through the execution inbox
        execution = tracked.execution
        group = effect.task.worker_group.key if effect.task.worker_group is not None else None
        self.store.jobs.enqueue(
            task_kind(group),
            {
                "executionId": execution.id,
                "taskRunId": effect.task_run.id,
                "taskId": effect.task.id,
                "attempt": effect.attempt_number,
                "workerGroup": group,
            },
            key=execution.id,
            tenant=execution.tenant_id,
        )
        self.remote[effect.task_run.id] = execution.id
        if group is not None and not self.groups.alive(group):
            # Said where the user looks: the task run's own logs.
            self.context(
                tracked,
                task=effect.task,
                task_run_id=effect.task_run.id,
                attempt_number=effect.attempt_number,
                variables=effect.context,
            ).logger.warning(
                f"waiting for a worker of worker group `{group}`: none is running; the task "
                f"starts when one does (`tercel server worker --worker-group {group}`)"
            )

    def adopt(self, task_run_id: str, execution_id: str) -> None:
        """A job another executor enqueued is now this one's to follow (take-over)."""
        self.remote[task_run_id] = execution_id

    def settled(self, task_run_id: str) -> None:
        """The attempt's result arrived."""
        self.remote.pop(task_run_id, None)

    def kill(self, task_run_id: str) -> bool:
        """Stop an attempt: a queued job is withdrawn (False: report KILLED now); a running
        one is flagged and its worker reports KILLED."""
        execution_id = self.remote.get(task_run_id)
        if execution_id is None:
            return super().kill(task_run_id)
        for job in self.cluster.jobs_of(execution_id):
            if job.payload.get("taskRunId") != task_run_id:
                continue
            if job.status == JOB_QUEUED and self.cluster.drop_job(job.id, status=JOB_QUEUED):
                self.remote.pop(task_run_id, None)
                return False
            self.cluster.ask_kill(job.id)
            return True
        return False

    def kill_execution(self, execution_id: str) -> int:
        """Stop every attempt of an execution, local or remote."""
        killed = super().kill_execution(execution_id)
        for job in self.cluster.jobs_of(execution_id):
            self.cluster.ask_kill(job.id)
            killed += 1
        return killed
