"""Execution logs: a batched writer that masks secrets, and the logger a task sees.

Every log line of an execution goes through one `LogWriter`: it masks every secret value
registered so far, keeps the line in memory and writes lines to the log store in batches
(one write per executor step instead of one per line).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from tercel.engine.execution import Execution, LogEntry, TaskRun

if TYPE_CHECKING:
    from tercel.secrets.masking import SecretMasker

_log = logging.getLogger(__name__)

#: Kestra's level names, lowest first.
LEVELS: tuple[str, ...] = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR")
_RANK = {name: rank for rank, name in enumerate(LEVELS)}
_ALIASES = {"WARNING": "WARN", "FATAL": "ERROR", "CRITICAL": "ERROR"}


def normalize_level(level: str) -> str:
    """Kestra's name of a level (``warning`` → ``WARN``); unknown names become ``INFO``."""
    upper = level.upper()
    upper = _ALIASES.get(upper, upper)
    return upper if upper in _RANK else "INFO"


def level_rank(level: str) -> int:
    """Position of a level in `LEVELS` (higher is more severe)."""
    return _RANK[normalize_level(level)]


class LogSink(Protocol):
    """Where batches of log lines go (the store's `logs` repository)."""

    def append(self, entries: list[LogEntry]) -> None:
        """Store the lines."""


class LogWriter:
    """Masks and buffers log lines, writing them to a sink in batches.

    `echo` (optional) sees every masked line as it is emitted, e.g. to print it on a terminal.
    """

    def __init__(
        self,
        sink: LogSink,
        masker: SecretMasker,
        *,
        batch_size: int = 500,
        echo: Callable[[LogEntry], None] | None = None,
    ) -> None:
        self._sink = sink
        self.masker = masker
        self._batch_size = batch_size
        self._buffer: list[LogEntry] = []
        self.echo = echo

    def emit(self, entry: LogEntry) -> None:
        """Mask the line's message and queue it; flush when the batch is full."""
        entry.message = self.masker.mask(entry.message)
        self._buffer.append(entry)
        if self.echo is not None:
            try:
                self.echo(entry)
            except Exception:  # noqa: BLE001 - a display problem must never fail a task
                _log.exception("could not display a log line")
        if len(self._buffer) >= self._batch_size:
            self.flush()

    def flush(self) -> None:
        """Write every queued line to the sink."""
        if not self._buffer:
            return
        batch, self._buffer = self._buffer, []
        self._sink.append(batch)

    @property
    def pending(self) -> int:
        """Lines queued but not written yet."""
        return len(self._buffer)


class AttemptLogger:
    """The `TaskLogger` of one attempt of one task run (lines below `min_level` are dropped)."""

    def __init__(
        self,
        writer: LogWriter,
        *,
        tenant_id: str,
        namespace: str,
        flow_id: str,
        execution_id: str,
        task_id: str | None,
        task_run_id: str | None,
        attempt_number: int | None,
        min_level: str = "TRACE",
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._writer = writer
        self._tenant_id = tenant_id
        self._namespace = namespace
        self._flow_id = flow_id
        self._execution_id = execution_id
        self._task_id = task_id
        self._task_run_id = task_run_id
        self._attempt_number = attempt_number
        self._min_rank = level_rank(min_level)
        self._clock = clock or (lambda: datetime.now(UTC))

    def log(self, level: str, message: str) -> None:
        """Emit one line at `level`."""
        name = normalize_level(level)
        if _RANK[name] < self._min_rank:
            return
        self._writer.emit(
            LogEntry(
                namespace=self._namespace,
                flow_id=self._flow_id,
                execution_id=self._execution_id,
                timestamp=self._clock(),
                level=name,
                message=str(message),
                task_id=self._task_id,
                task_run_id=self._task_run_id,
                attempt_number=self._attempt_number,
                tenant_id=self._tenant_id,
            )
        )

    def trace(self, message: str) -> None:
        """Emit a TRACE line."""
        self.log("TRACE", message)

    def debug(self, message: str) -> None:
        """Emit a DEBUG line."""
        self.log("DEBUG", message)

    def info(self, message: str) -> None:
        """Emit an INFO line."""
        self.log("INFO", message)

    def warning(self, message: str) -> None:
        """Emit a WARN line."""
        self.log("WARN", message)

    def error(self, message: str) -> None:
        """Emit an ERROR line."""
        self.log("ERROR", message)

    def flush(self) -> None:
        """Nothing per attempt: the execution's `LogWriter` writes batches on its own."""


def execution_logger(
    writer: LogWriter,
    execution: Execution,
    task_run: TaskRun | None,
    clock: Callable[[], datetime] | None = None,
) -> AttemptLogger:
    """A logger for lines the executor writes about an execution (or one of its task runs)."""
    return AttemptLogger(
        writer,
        tenant_id=execution.tenant_id,
        namespace=execution.namespace,
        flow_id=execution.flow_id,
        execution_id=execution.id,
        task_id=task_run.task_id if task_run else None,
        task_run_id=task_run.id if task_run else None,
        attempt_number=len(task_run.attempts) if task_run and task_run.attempts else None,
        clock=clock,
    )
