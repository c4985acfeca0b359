"""Test helpers for plugin authors: a real `TaskContext` on temp dirs and in-memory stores.

Write a unit test for a task in three lines::

    async def test_return_renders_its_format(tmp_path: Path) -> None:
        ctx = FakeTaskContext(tmp_path, variables={"inputs": {"name": "Ada"}})
        result = await run_task({"id": "t", "type": "io.kestra.plugin.core.debug.Return",
                                 "format": "hi {{ inputs.name }}"}, ctx)
        assert result.outputs == {"value": "hi Ada"}

`FakeTaskContext` is the runtime's own context class (`RuntimeTaskContext`): it renders with
Tercel's template engine, keeps KV entries (and the executions, logs and flows that tasks
query through `ctx.executions`, `ctx.execution_logs` and `ctx.flows`) in a `MemoryStore`,
stores internal files (``kestra:///...``) with `LocalStorage` under its base directory, and
collects log lines and metrics in lists that the test can inspect (`ctx.logs`, `ctx.metrics`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from tercel.errors import NotFoundError, SecretError
from tercel.ids import short_id
from tercel.model.task import AnyTask, Task
from tercel.plugins.context import RunnableTask, TaskResult
from tercel.runtime.task_context import RuntimeTaskContext
from tercel.secrets.masking import SecretMasker
from tercel.storage.local import LocalStorage
from tercel.storage.uri import from_path, is_internal, namespace_path
from tercel.store.api import Store
from tercel.store.memory import MemoryStore

__all__ = ["FakeTaskContext", "LogLine", "parse_task", "run_task"]

_TASK_ADAPTER: TypeAdapter[Task] = TypeAdapter(AnyTask)


@dataclass(frozen=True, slots=True)
class LogLine:
    """One line a task logged: `level` is Kestra's (TRACE, DEBUG, INFO, WARN, ERROR)."""

    level: str
    message: str


class FakeLogger:
    """A `TaskLogger` that keeps every line, with secret values already masked."""

    def __init__(self, context: FakeTaskContext) -> None:
        self._context = context
        self.lines: list[LogLine] = []

    def trace(self, message: str) -> None:
        """Log at TRACE."""
        self.log("TRACE", message)

    def debug(self, message: str) -> None:
        """Log at DEBUG."""
        self.log("DEBUG", message)

    def info(self, message: str) -> None:
        """Log at INFO."""
        self.log("INFO", message)

    def warning(self, message: str) -> None:
        """Log at WARN (Kestra's name for the level)."""
        self.log("WARN", message)

    def error(self, message: str) -> None:
        """Log at ERROR."""
        self.log("ERROR", message)

    def log(self, level: str, message: str) -> None:
        """Log at `level`; ``WARNING`` is stored as Kestra's ``WARN``."""
        normalized = level.upper()
        if normalized == "WARNING":
            normalized = "WARN"
        self.lines.append(LogLine(normalized, self._context.mask(message)))

    def flush(self) -> None:
        """Nothing to write: lines are kept as they come."""


class FakeServices:
    """`TemplateServices` of a `FakeTaskContext`: `secret()`, `kv()`, `read()`, files, logs."""

    def __init__(self, context: FakeTaskContext) -> None:
        self._context = context

    def secret(self, name: str) -> str:
        """The context's secret (masked in later log lines)."""
        return self._context.secret(name)

    def kv(self, namespace: str | None, key: str, error_on_missing: bool) -> Any:
        """A value of the context's KV store."""
        value = self._context.kv.get(namespace or self._context.namespace, key)
        if value is None and error_on_missing:
            raise NotFoundError(f"key `{key}` not found in the KV store")
        return value

    def read(self, path_or_uri: str) -> str:
        """A ``kestra://`` file, or a namespace file of the context's namespace."""
        uri = path_or_uri if is_internal(path_or_uri) else self.file_uri(path_or_uri)
        return self._context.storage.get(uri).decode("utf-8")

    def file_uri(self, path: str) -> str:
        """``kestra:///<ns>/_files/<path>``."""
        return from_path(f"{namespace_path(self._context.namespace)}/_files/{path.lstrip('/')}")

    def file_size(self, uri: str) -> int:
        """Size of a stored file."""
        return self._context.storage.size(uri if is_internal(uri) else self.file_uri(uri))

    def file_exists(self, uri: str) -> bool:
        """Whether a stored file exists."""
        return self._context.storage.exists(uri if is_internal(uri) else self.file_uri(uri))

    def error_logs(self) -> list[dict[str, Any]]:
        """The ERROR lines logged so far through the context."""
        return [
            {"taskId": self._context.task_id, "level": "ERROR", "message": line.message}
            for line in self._context.logs
            if line.level == "ERROR"
        ]


class FakeTaskContext(RuntimeTaskContext):
    """The runtime's `TaskContext` for unit tests: temp working dir, in-memory store.

    It is `tercel.runtime.task_context.RuntimeTaskContext` (rendering, file URIs,
    cancellation, the execution, log and flow queries, resuming) with test-friendly parts:
    log lines and metrics kept in lists, secrets from a dict, resumes recorded in `resumed`.
    `base_dir` holds the working directory and the internal storage; pass pytest's
    `tmp_path`, or leave it out and call `close()` (or use ``with``) to delete a temp dir.
    `variables` are merged over a default render context that has `flow`, `execution`,
    `task` and `taskrun` filled from the ids given here.
    """

    def __init__(
        self,
        base_dir: Path | None = None,
        *,
        variables: Mapping[str, Any] | None = None,
        namespace: str = "company.team",
        flow_id: str = "flow",
        task_id: str = "task",
        execution_id: str | None = None,
        task_run_id: str | None = None,
        tenant_id: str = "main",
        secrets: Mapping[str, str] | None = None,
        store: Store | None = None,
    ) -> None:
        self._temp: tempfile.TemporaryDirectory[str] | None = None
        if base_dir is None:
            self._temp = tempfile.TemporaryDirectory(prefix="tercel-test-")
            base_dir = Path(self._temp.name)
        self.base_dir = base_dir
        working_dir = base_dir / "work"
        working_dir.mkdir(parents=True, exist_ok=True)
        # Kestra upper-cases secret names; `secret('db_password')` finds DB_PASSWORD.
        self._secrets = {name.upper(): value for name, value in (secrets or {}).items()}
        self._masker = SecretMasker()
        #: `(execution_id, inputs)` of every `resume_execution` call, in order.
        self.resumed: list[tuple[str, dict[str, Any] | None]] = []
        self._logger = FakeLogger(self)
        memory = store if store is not None else MemoryStore()
        super().__init__(
            tenant_id=tenant_id,
            namespace=namespace,
            flow_id=flow_id,
            execution_id=execution_id or short_id(),
            task_id=task_id,
            task_run_id=task_run_id or short_id(),
            attempt_number=1,
            variables={},
            logger=self._logger,
            kv=memory.kv,
            storage=LocalStorage(base_dir / "storage"),
            #: What `secret()`, `kv()`, `read()`... call while rendering.
            services=FakeServices(self),
            shared_dir=working_dir,
            store=memory,
            resume=self._record_resume,
        )
        merged = self._default_variables()
        merged.update(variables or {})
        #: The render context; tests may add keys (e.g. ``ctx.variables["outputs"][...]``).
        self.variables = merged

    @property
    def store(self) -> Store:
        """The in-memory store behind `kv` and the execution, log and flow queries: a test
        puts the executions and logs a task should find here."""
        if self._store is None:
            raise AttributeError("the test removed this context's store")
        return self._store

    @store.setter
    def store(self, store: Store) -> None:
        # A test may remove the store to see how a task fails without one.
        self._store = store

    def _default_variables(self) -> dict[str, Any]:
        return {
            "flow": {"id": self.flow_id, "namespace": self.namespace, "tenantId": self.tenant_id},
            "execution": {"id": self.execution_id},
            "task": {"id": self.task_id},
            "taskrun": {"id": self.task_run_id, "attemptsCount": 0},
            "inputs": {},
            "outputs": {},
            "vars": {},
            "labels": {},
        }

    # -- what differs from the runtime ------------------------------------------------------

    def metric(
        self, name: str, kind: str, value: float, tags: Mapping[str, str] | None = None
    ) -> None:
        """Record a metric as ``{"name", "type", "value", "tags"}`` in `metrics`."""
        self.metrics.append({"name": name, "type": kind, "value": value, "tags": dict(tags or {})})

    def secret(self, name: str) -> str:
        """The secret `name` (case-insensitive); its value is masked in later log lines."""
        try:
            value = self._secrets[name.upper()]
        except KeyError:
            raise SecretError(f"secret `{name}` is not defined") from None
        self._masker.add(value)
        return value

    def _record_resume(self, execution_id: str, inputs: Mapping[str, Any] | None) -> None:
        """Record a resume request (the runtime's context feeds it to the engine)."""
        self.resumed.append((execution_id, dict(inputs) if inputs is not None else None))

    # -- test conveniences ----------------------------------------------------------------------

    @property
    def logs(self) -> list[LogLine]:
        """Every line logged so far."""
        return self._logger.lines

    def messages(self, level: str | None = None) -> list[str]:
        """Messages logged so far, optionally only those at `level`."""
        return [line.message for line in self.logs if level is None or line.level == level]

    def mask(self, text: str) -> str:
        """`text` with every secret value read so far replaced by ``******``."""
        return self._masker.mask(text)

    def close(self) -> None:
        """Delete the temp dir created when no `base_dir` was given."""
        super().close()
        if self._temp is not None:
            self._temp.cleanup()
            self._temp = None

    def __enter__(self) -> FakeTaskContext:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def parse_task(definition: Mapping[str, Any]) -> Task:
    """Validate a task map (as in YAML) into its registered class; aliases resolve."""
    return _TASK_ADAPTER.validate_python(dict(definition))


async def run_task(task: RunnableTask | Mapping[str, Any], ctx: FakeTaskContext) -> TaskResult:
    """Parse `task` if it is a map, then run it with `ctx` and return its result."""
    parsed = parse_task(task) if isinstance(task, Mapping) else task
    if not isinstance(parsed, RunnableTask):
        raise TypeError(f"`{parsed.type}` is not a runnable task")
    return await parsed.run(ctx)
