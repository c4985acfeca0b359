"""The narrow interface a runnable task sees while it runs, and what it returns.

A plugin never touches the database, the engine or the clock directly: everything it may do
goes through `TaskContext`. The few tasks that read or change what the server holds (past
executions, their logs, flows) get narrow, tenant-scoped capabilities for it
(`ExecutionQueries`, `LogQueries`, `FlowQueries`), never the store itself. The runtime
provides the real implementation (`tercel.runtime.task_context`); `tercel.testing` builds the
same class over temp dirs and the in-memory store so plugin authors test what production runs.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from tercel.model.task import Task

# Re-exported: plugin authors find every type a task sees in this module.
from tercel.storage.api import InternalStorage as InternalStorage  # noqa: PLC0414

if TYPE_CHECKING:
    from tercel.api.files_service import NamespaceFiles
    from tercel.ascode.sync import Operation
    from tercel.engine.execution import Execution, LogEntry
    from tercel.engine.state import State
    from tercel.store.records import FlowRecord


class TaskLogger(Protocol):
    """Log lines of the current attempt; secret values are masked before they are stored."""

    def trace(self, message: str) -> None: ...
    def debug(self, message: str) -> None: ...
    def info(self, message: str) -> None: ...
    def warning(self, message: str) -> None: ...
    def error(self, message: str) -> None: ...
    def log(self, level: str, message: str) -> None: ...
    def flush(self) -> None:
        """Write buffered lines now (a running script's lines show up within a batch)."""


class KVStore(Protocol):
    """The key-value store of a namespace (Kestra §10.3)."""

    def get(self, namespace: str, key: str) -> Any | None:
        """The value, or None when absent or expired."""

    def set(
        self,
        namespace: str,
        key: str,
        value: Any,
        *,
        ttl_seconds: float | None = None,
        kv_type: str | None = None,
        overwrite: bool = True,
    ) -> None:
        """Store a value; ConflictError when `overwrite` is false and the key exists."""

    def delete(self, namespace: str, key: str) -> bool:
        """Delete; True when something was deleted."""

    def keys(self, namespace: str, prefix: str | None = None) -> list[str]:
        """Keys of non-expired entries, sorted."""

    def purge(self, select: Callable[[str, str], bool], *, expired_only: bool = True) -> int:
        """Delete the entries whose (namespace, key) `select` accepts (only expired ones
        when `expired_only`); the number deleted."""


class ExecutionQueries(Protocol):
    """The executions of the task's tenant (execution.Count, PurgeExecutions, Resume...)."""

    def find(self, execution_id: str) -> Execution | None:
        """The execution with its task runs, or None when it does not exist."""

    def search(
        self,
        *,
        namespace: str | None = None,
        flow_id: str | None = None,
        states: Collection[State] | None = None,
        start_from: datetime | None = None,
        start_to: datetime | None = None,
        parent_id: str | None = None,
    ) -> Iterator[Execution]:
        """Matching executions without their task runs, newest first; `namespace` is a
        prefix. Every page is read before the first is yielded, so the caller may delete
        what it receives."""

    def count_metrics(self, execution_id: str) -> int:
        """How many metrics the execution recorded."""

    def delete(self, execution_id: str) -> None:
        """Delete the execution with its task runs, logs, metrics and timers."""


class LogQueries(Protocol):
    """The stored log lines of the tenant's executions (log.Fetch, log.PurgeLogs)."""

    def list(self, execution_id: str, *, min_level: str | None = None) -> list[LogEntry]:
        """Lines of an execution in the order they were logged, from `min_level` up."""

    def delete(self, execution_id: str, *, levels: Collection[str] | None = None) -> int:
        """Delete an execution's lines (only those at `levels` when given, in one
        transaction); the number deleted."""


class FlowQueries(Protocol):
    """The flows of the task's tenant (git PushFlows, SyncFlows, SyncNamespaceFiles)."""

    def list(self, namespace: str) -> list[FlowRecord]:
        """Current flows of `namespace` and its child namespaces, by namespace then id."""

    def apply(
        self,
        namespace: str,
        operations: Sequence[Operation],
        files: NamespaceFiles | None = None,
    ) -> None:
        """Make flows-as-code `operations` in `namespace`, all or none (`files` holds the
        namespace files that `file` operations change); StaleStateError when an object
        moved since it was read."""


class TaskContext(Protocol):
    """What a running task may see and do."""

    tenant_id: str
    namespace: str
    flow_id: str
    execution_id: str
    task_id: str
    task_run_id: str
    attempt_number: int
    #: The render context (`flow`, `execution`, `inputs`, `outputs`, `taskrun`, ...).
    variables: Mapping[str, Any]
    logger: TaskLogger
    kv: KVStore
    storage: InternalStorage
    #: A private, empty working directory for this attempt (deleted afterwards).
    working_dir: Path

    def render(self, value: Any, extra: Mapping[str, Any] | None = None) -> Any:
        """Render strings (recursively in lists and maps) with the task's context."""

    def render_typed(self, expression: str, extra: Mapping[str, Any] | None = None) -> Any:
        """Render a single expression and return its typed value (list, bool, ...)."""

    def file_uri(self, name: str) -> str:
        """The ``kestra:///`` URI for a file this task produces, under its task-run folder."""

    def metric(
        self, name: str, kind: str, value: float, tags: Mapping[str, str] | None = None
    ) -> None:
        """Record a `counter` or `timer` metric."""

    def secret(self, name: str) -> str:
        """A secret's value (and register it for masking)."""

    def namespace_files(self) -> list[tuple[str, bytes]]:
        """(relative path, content) of every namespace file of the flow's namespace."""

    def resume_execution(self, execution_id: str, inputs: Mapping[str, Any] | None) -> None:
        """Resume a paused execution of the tenant; TercelError when it cannot be (a
        `TaskError` when this context cannot resume executions at all)."""

    @property
    def executions(self) -> ExecutionQueries | None:
        """The tenant's executions; None when this context has no execution store."""

    @property
    def execution_logs(self) -> LogQueries | None:
        """The tenant's stored log lines; None when this context has no execution store."""

    @property
    def flows(self) -> FlowQueries | None:
        """The tenant's flows; None when this context has no execution store."""

    @property
    def cancelled(self) -> bool:
        """True once the execution was killed or the task timed out: stop soon."""


@dataclass(slots=True)
class TaskResult:
    """What a runnable task returns: its outputs and, optionally, a non-SUCCESS state."""

    outputs: dict[str, Any] | None = None
    #: e.g. WARNING for a script that asked for it; None means SUCCESS.
    state: State | None = None
    metrics: list[dict[str, Any]] = field(default_factory=list)


class RunnableTask(Task):
    """A task a worker runs. Subclasses implement `run`; a failure raises `TaskError`."""

    #: False for types that are declared (they validate) but cannot run yet.
    runnable: ClassVar[bool] = True

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Do the work. Raise `tercel.errors.TaskError` with a user-facing message to fail."""
        from tercel.errors import PluginNotRunnableError

        raise PluginNotRunnableError(
            f"task type `{self.type}` is declared but this version of Tercel cannot run it yet"
        )
