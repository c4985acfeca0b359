"""In-memory log lines and metrics (see `memory`)."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable, Sequence

from tercel.engine.execution import LogEntry
from tercel.store.records import MetricEntry, level_number


class MemoryLogs:
    """Log lines per execution, in insertion order."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._lines: dict[str, list[LogEntry]] = {}

    def append(self, entries: Sequence[LogEntry]) -> None:
        """See `LogRepository.append`."""
        with self._lock:
            for entry in entries:
                self._lines.setdefault(entry.execution_id or "", []).append(copy.copy(entry))

    def list(
        self,
        execution_id: str,
        *,
        min_level: str | None = None,
        task_id: str | None = None,
        task_run_id: str | None = None,
        attempt: int | None = None,
        offset: int = 0,
        limit: int | None = None,
        tenant: str | None = None,
    ) -> list[LogEntry]:
        """See `LogRepository.list`."""
        floor = level_number(min_level) if min_level else None
        with self._lock:
            found = [
                copy.copy(entry)
                for entry in self._lines.get(execution_id, [])
                if (tenant is None or entry.tenant_id == tenant)
                and (floor is None or level_number(entry.level) >= floor)
                and (task_id is None or entry.task_id == task_id)
                and (task_run_id is None or entry.task_run_id == task_run_id)
                and (attempt is None or entry.attempt_number == attempt)
            ]
        found = found[offset:]
        return found if limit is None else found[:limit]

    def delete(
        self,
        execution_id: str,
        *,
        levels: Iterable[str] | None = None,
        tenant: str | None = None,
    ) -> int:
        """See `LogRepository.delete`."""
        doomed = {level_number(level) for level in levels} if levels is not None else None
        with self._lock:
            lines = self._lines.get(execution_id, [])
            kept = [
                entry
                for entry in lines
                if (tenant is not None and entry.tenant_id != tenant)
                or (doomed is not None and level_number(entry.level) not in doomed)
            ]
            if kept:
                self._lines[execution_id] = kept
            else:
                self._lines.pop(execution_id, None)
            return len(lines) - len(kept)


class MemoryMetrics:
    """Metrics per execution."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._entries: dict[str, list[MetricEntry]] = {}

    def append(self, entries: Sequence[MetricEntry]) -> None:
        """See `MetricRepository.append`."""
        with self._lock:
            for entry in entries:
                self._entries.setdefault(entry.execution_id or "", []).append(entry)

    def list(self, execution_id: str, *, tenant: str | None = None) -> list[MetricEntry]:
        """See `MetricRepository.list`."""
        with self._lock:
            return [
                entry
                for entry in self._entries.get(execution_id, [])
                if tenant is None or entry.tenant_id == tenant
            ]

    def delete(self, execution_id: str) -> None:
        """Forget an execution's metrics."""
        with self._lock:
            self._entries.pop(execution_id, None)
