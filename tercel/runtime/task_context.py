"""The real `TaskContext`: what a runnable task sees while one of its attempts runs."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tercel.errors import TaskError, TemplateError
from tercel.runtime.services import ExecutionServices
from tercel.runtime.task_queries import StoreExecutions, StoreFlows, StoreLogs
from tercel.runtime.template_places import Placer, with_place

if TYPE_CHECKING:
    from tercel.plugins.context import (
        ExecutionQueries,
        FlowQueries,
        KVStore,
        LogQueries,
        TaskLogger,
    )
    from tercel.storage.api import InternalStorage
    from tercel.store.api import Store
    from tercel.templating.services import TemplateServices


class RuntimeTaskContext:
    """A `TaskContext` bound to one attempt of one task run of one execution."""

    def __init__(
        self,
        *,
        tenant_id: str,
        namespace: str,
        flow_id: str,
        execution_id: str,
        task_id: str,
        task_run_id: str,
        attempt_number: int,
        variables: Mapping[str, Any],
        logger: TaskLogger,
        kv: KVStore,
        storage: InternalStorage,
        services: TemplateServices,
        work_root: Path | None = None,
        shared_dir: Path | None = None,
        store: Store | None = None,
        resume: Callable[[str, Mapping[str, Any] | None], None] | None = None,
        clock: Callable[[], datetime] | None = None,
        place: Placer | None = None,
    ) -> None:
        self.tenant_id = tenant_id
        self.namespace = namespace
        self.flow_id = flow_id
        self.execution_id = execution_id
        self.task_id = task_id
        self.task_run_id = task_run_id
        self.attempt_number = attempt_number
        self.variables = variables
        self.logger: TaskLogger = logger
        self.kv = kv
        self.storage = storage
        self.services = services
        self.metrics: list[dict[str, Any]] = []
        self._store = store
        #: Called before a task reads the store (flushes buffered log lines).
        self.before_store_read: Callable[[], None] | None = None
        self._resume = resume
        self._work_root = work_root
        # A WorkingDirectory's children share one directory, which they must not delete.
        self._working_dir: Path | None = shared_dir
        self._owns_dir = shared_dir is None
        self._cancelled = False
        self._clock = clock or (lambda: datetime.now(UTC))
        #: Finds a template's YAML position, used only once rendering failed.
        self._place = place

    @property
    def working_dir(self) -> Path:
        """A private, empty directory for this attempt, created on first use."""
        if self._working_dir is None:
            self._working_dir = Path(
                tempfile.mkdtemp(prefix=f"tercel-{self.task_id}-", dir=self._work_root)
            )
        return self._working_dir

    @working_dir.setter
    def working_dir(self, path: Path) -> None:
        self._working_dir = path
        self._owns_dir = False

    def _context(self, extra: Mapping[str, Any] | None) -> Mapping[str, Any]:
        if not extra:
            return self.variables
        return {**self.variables, **extra}

    def render(self, value: Any, extra: Mapping[str, Any] | None = None) -> Any:
        """Render strings (recursively in lists and maps) with the task's context."""
        from tercel.templating import render_value

        try:
            return render_value(value, self._context(extra), services=self.services)
        except TemplateError as error:
            raise with_place(error, self._place, self.task_id, value) from None

    def render_typed(self, expression: str, extra: Mapping[str, Any] | None = None) -> Any:
        """Render one expression and return its typed value."""
        from tercel.templating import render_typed

        try:
            return render_typed(expression, self._context(extra), services=self.services)
        except TemplateError as error:
            raise with_place(error, self._place, self.task_id, expression) from None

    def file_uri(self, name: str) -> str:
        """The ``kestra:///`` URI for a file this task produces."""
        from tercel.storage.uri import task_file

        return task_file(
            self.namespace,
            self.flow_id,
            self.execution_id,
            task_id=self.task_id,
            task_run_id=self.task_run_id,
            name=name,
        )

    def metric(
        self, name: str, kind: str, value: float, tags: Mapping[str, str] | None = None
    ) -> None:
        """Record a `counter` or `timer` metric of this attempt."""
        self.metrics.append(
            {
                "name": name,
                "type": kind,
                "value": value,
                "tags": dict(tags or {}),
                "timestamp": self._clock().isoformat(),
                "executionId": self.execution_id,
                "taskId": self.task_id,
                "taskRunId": self.task_run_id,
            }
        )

    def secret(self, name: str) -> str:
        """A secret's value; it is masked in every log line from now on."""
        return self.services.secret(name)

    def namespace_files(self) -> list[tuple[str, bytes]]:
        """Every namespace file of the flow's namespace, local folders included."""
        # The runtime's services also see local namespace folders (`tercel run --flows DIR`);
        # other services (tercel.testing's) only know the files in internal storage.
        if isinstance(self.services, ExecutionServices):
            return self.services.namespace_files()
        return self._stored_namespace_files()

    def _stored_namespace_files(self) -> list[tuple[str, bytes]]:
        """The files stored under ``kestra:///<ns>/_files/`` (services without local files)."""
        from tercel.storage.uri import namespace_file, namespace_file_path

        return [
            (namespace_file_path(self.namespace, uri), self.storage.get(uri))
            for uri in self.storage.list(namespace_file(self.namespace))
        ]

    def _flush(self) -> None:
        if self.before_store_read is not None:
            self.before_store_read()

    @property
    def executions(self) -> ExecutionQueries | None:
        """The tenant's executions (execution.Count, PurgeExecutions, Resume...)."""
        if self._store is None:
            return None
        return StoreExecutions(self._store, self.tenant_id, self._flush)

    @property
    def execution_logs(self) -> LogQueries | None:
        """The tenant's stored log lines (log.Fetch, log.PurgeLogs)."""
        if self._store is None:
            return None
        return StoreLogs(self._store, self.tenant_id, self._flush)

    @property
    def flows(self) -> FlowQueries | None:
        """The tenant's flows (the git Sync*/Push* tasks)."""
        if self._store is None:
            return None
        return StoreFlows(self._store, self.tenant_id, self._flush)

    def resume_execution(self, execution_id: str, inputs: Mapping[str, Any] | None) -> None:
        """Resume a paused execution (execution.Resume)."""
        if self._resume is None:
            raise TaskError("resuming executions is not available in this runtime")
        self._resume(execution_id, inputs)

    @property
    def cancelled(self) -> bool:
        """True once the execution was killed or the attempt timed out."""
        return self._cancelled

    def cancel(self) -> None:
        """Ask the task to stop (it sees `cancelled` become true)."""
        self._cancelled = True

    def close(self) -> None:
        """Delete the attempt's working directory."""
        if self._working_dir is not None and self._owns_dir:
            shutil.rmtree(self._working_dir, ignore_errors=True)
            self._working_dir = None
