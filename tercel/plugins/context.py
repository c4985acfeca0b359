"""The narrow interface a runnable task sees while it runs, and what it returns.

A plugin never touches the database, the engine or the clock directly: everything it may do
goes through `TaskContext`. The runtime provides the real implementation; `tercel.testing`
provides one backed by temp dirs and dicts so plugin authors can unit-test their tasks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar, Protocol

from tercel.model.task import Task

if TYPE_CHECKING:
    from tercel.engine.state import State


class TaskLogger(Protocol):
    """Log lines of the current attempt; secret values are masked before they are stored."""

    def trace(self, message: str) -> None: ...
    def debug(self, message: str) -> None: ...
    def info(self, message: str) -> None: ...
    def warning(self, message: str) -> None: ...
    def error(self, message: str) -> None: ...
    def log(self, level: str, message: str) -> None: ...


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


class InternalStorage(Protocol):
    """Files addressed by ``kestra:///...`` URIs (Kestra §10.1)."""

    def put(self, uri: str, source: Path | bytes | IO[bytes]) -> str:
        """Store bytes (or a local file's, or an open binary file's content) at `uri`."""

    def get(self, uri: str) -> bytes:
        """Whole content (NotFoundError if absent)."""

    def local_path(self, uri: str) -> Path:
        """A local path to read the file from without copying it into memory."""

    def exists(self, uri: str) -> bool:
        """Whether something is stored at `uri`."""

    def size(self, uri: str) -> int:
        """Size in bytes."""

    def delete(self, uri: str) -> bool:
        """Delete; True when something was deleted."""

    def list(self, prefix_uri: str) -> list[str]:
        """URIs stored under a prefix, sorted."""


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
