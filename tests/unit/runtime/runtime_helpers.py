"""Helpers for runtime unit tests: tasks to run and contexts on memory stores."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import ClassVar

from tercel.errors import TaskError
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult
from tercel.runtime.logs import AttemptLogger, LogWriter
from tercel.runtime.services import ExecutionServices, SecretSource
from tercel.runtime.task_context import RuntimeTaskContext
from tercel.secrets.masking import SecretMasker
from tercel.storage.local import LocalStorage
from tercel.store.memory import MemoryStore


class SleepTask(RunnableTask):
    """Sleeps `seconds`, logs, then returns `{"slept": seconds}`."""

    seconds: float = 0.0
    message: str | None = None
    started: ClassVar[list[str]] = []

    async def run(self, ctx: TaskContext) -> TaskResult:
        SleepTask.started.append(self.id)
        if self.message:
            ctx.logger.info(ctx.render(self.message))
        await asyncio.sleep(self.seconds)
        return TaskResult(outputs={"slept": self.seconds})


class BoomTask(RunnableTask):
    """Fails with a TaskError, or with a plugin bug."""

    bug: bool = False

    async def run(self, ctx: TaskContext) -> TaskResult:
        if self.bug:
            raise ZeroDivisionError("division by zero")
        raise TaskError("it went boom")


class Harness:
    """Builds contexts bound to one fake execution."""

    def __init__(self, tmp_path: Path) -> None:
        self.store = MemoryStore()
        self.storage = LocalStorage(tmp_path / "storage")
        self.masker = SecretMasker()
        self.writer = LogWriter(self.store.logs, self.masker)
        self.secrets = SecretSource({"TOKEN": "s3cr3t-value"})
        self.tmp_path = tmp_path

    def services(self, execution_id: str = "exec1") -> ExecutionServices:
        return ExecutionServices(
            tenant_id="main",
            namespace="company.team",
            flow_id="flow",
            execution_id=execution_id,
            secrets=self.secrets,
            masker=self.masker,
            kv_store=self.store.kv,
            storage=self.storage,
            error_logs=lambda: [
                e.to_wire() for e in self.store.logs.list(execution_id, min_level="ERROR")
            ],
            files_root=self.tmp_path / "files",
        )

    def context(self, task_id: str = "t", task_run_id: str = "tr1") -> RuntimeTaskContext:
        logger = AttemptLogger(
            self.writer,
            tenant_id="main",
            namespace="company.team",
            flow_id="flow",
            execution_id="exec1",
            task_id=task_id,
            task_run_id=task_run_id,
            attempt_number=1,
        )
        return RuntimeTaskContext(
            tenant_id="main",
            namespace="company.team",
            flow_id="flow",
            execution_id="exec1",
            task_id=task_id,
            task_run_id=task_run_id,
            attempt_number=1,
            variables={"inputs": {"name": "Ada"}},
            logger=logger,
            kv=self.store.kv,
            storage=self.storage,
            services=self.services(),
            work_root=self.tmp_path,
        )
