"""An in-memory `Store`: for unit tests and the fast path of `tercel run`.

It keeps copies of what it is given (mutating a saved execution does not change the
stored one) and follows the same rules as the SQL store, so that the repository test
suite runs unchanged against both. One lock guards everything; `transaction()` holds it
but cannot roll back.
"""

from __future__ import annotations

import builtins
import dataclasses
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TypeVar

from tercel.engine.execution import Execution, TaskRun
from tercel.engine.state import State
from tercel.errors import ConflictError, NotFoundError
from tercel.store.copying import copy_header, copy_task_run
from tercel.store.memory_logs import MemoryLogs, MemoryMetrics
from tercel.store.memory_queue import MemoryDelays, MemoryJobs, MemoryTriggers
from tercel.store.memory_state import MemoryKV, MemoryNamespaces, MemorySecrets
from tercel.store.memory_tests import MemoryTests
from tercel.store.positions import PositionIndex
from tercel.store.records import (
    DEFAULT_TENANT,
    FlowIdentity,
    FlowRecord,
    Page,
    namespace_matches,
)

Clock = Callable[[], datetime]
T = TypeVar("T")


def utc_now() -> datetime:
    """The default clock."""
    return datetime.now(UTC)


def paginate(items: Sequence[T], page: int, size: int) -> Sequence[T]:
    """Items of a 1-based page."""
    start = max(page - 1, 0) * size
    return items[start : start + size]


class MemoryFlows:
    """Flows and revisions in a dict."""

    def __init__(self, lock: threading.RLock, clock: Clock) -> None:
        self._lock = lock
        self._clock = clock
        self._revisions: dict[tuple[str, str, str], list[FlowRecord]] = {}

    def save(
        self,
        source: str,
        flow: FlowIdentity,
        *,
        tenant: str = DEFAULT_TENANT,
        now: datetime | None = None,
    ) -> FlowRecord:
        """See `FlowRepository.save`."""
        with self._lock:
            revisions = self._revisions.setdefault((tenant, flow.namespace, flow.id), [])
            if revisions and not revisions[-1].deleted and revisions[-1].source == source:
                return revisions[-1]
            record = FlowRecord(
                tenant,
                flow.namespace,
                flow.id,
                len(revisions) + 1,
                source,
                False,
                now or self._clock(),
            )
            revisions.append(record)
            return record

    def get(
        self,
        namespace: str,
        flow_id: str,
        revision: int | None = None,
        *,
        tenant: str = DEFAULT_TENANT,
    ) -> FlowRecord:
        """See `FlowRepository.get`."""
        record = self.find(namespace, flow_id, revision, tenant=tenant)
        if record is None:
            raise NotFoundError(_flow_missing(namespace, flow_id, revision))
        return record

    def find(
        self,
        namespace: str,
        flow_id: str,
        revision: int | None = None,
        *,
        tenant: str = DEFAULT_TENANT,
    ) -> FlowRecord | None:
        """See `FlowRepository.find`."""
        with self._lock:
            revisions = self._revisions.get((tenant, namespace, flow_id))
            if not revisions:
                return None
            if revision is None:
                return None if revisions[-1].deleted else revisions[-1]
            if 1 <= revision <= len(revisions):
                return revisions[revision - 1]
            return None

    def revisions(
        self, namespace: str, flow_id: str, *, tenant: str = DEFAULT_TENANT
    ) -> list[FlowRecord]:
        """See `FlowRepository.revisions`."""
        with self._lock:
            return list(self._revisions.get((tenant, namespace, flow_id), []))

    def list(
        self, namespace: str | None = None, *, tenant: str | None = DEFAULT_TENANT
    ) -> list[FlowRecord]:
        """See `FlowRepository.list`."""
        with self._lock:
            found = [
                revisions[-1]
                for (flow_tenant, flow_ns, _), revisions in self._revisions.items()
                if revisions
                and not revisions[-1].deleted
                and (tenant is None or flow_tenant == tenant)
                and (namespace is None or namespace_matches(flow_ns, namespace))
            ]
        return sorted(found, key=lambda record: (record.tenant, record.namespace, record.id))

    def search(
        self,
        *,
        namespace: str | None = None,
        query: str | None = None,
        page: int = 1,
        size: int = 25,
        tenant: str = DEFAULT_TENANT,
    ) -> Page[FlowRecord]:
        """See `FlowRepository.search`."""
        found = self.list(namespace, tenant=tenant)
        if query:
            needle = query.lower()
            found = [r for r in found if needle in r.id.lower() or needle in r.namespace.lower()]
        return Page(paginate(found, page, size), len(found), page, size)

    def delete(
        self,
        namespace: str,
        flow_id: str,
        *,
        tenant: str = DEFAULT_TENANT,
        now: datetime | None = None,
    ) -> FlowRecord:
        """See `FlowRepository.delete`."""
        with self._lock:
            current = self.get(namespace, flow_id, tenant=tenant)
            record = dataclasses.replace(
                current, revision=current.revision + 1, deleted=True, updated=now or self._clock()
            )
            self._revisions[(tenant, namespace, flow_id)].append(record)
            return record

    def namespaces(self, *, tenant: str = DEFAULT_TENANT) -> builtins.list[str]:
        """See `FlowRepository.namespaces`."""
        return sorted({record.namespace for record in self.list(tenant=tenant)})


def _flow_missing(namespace: str, flow_id: str, revision: int | None) -> str:
    where = f"flow `{namespace}.{flow_id}`"
    return f"{where} has no revision {revision}" if revision else f"{where} does not exist"


@dataclasses.dataclass(slots=True)
class _StoredExecution:
    header: Execution
    runs: dict[str, tuple[int, TaskRun]]


class MemoryExecutions:
    """Executions with task runs kept one entry each, written incrementally."""

    def __init__(self, lock: threading.RLock, store: MemoryStore) -> None:
        self._lock = lock
        self._store = store
        self._rows: dict[str, _StoredExecution] = {}
        self._positions = PositionIndex()

    def create(self, execution: Execution) -> None:
        """See `ExecutionRepository.create`."""
        with self._lock:
            if execution.id in self._rows:
                raise ConflictError(f"execution `{execution.id}` already exists")
            self.save(execution, None)

    def save(self, execution: Execution, changed_task_runs: Iterable[TaskRun] | None) -> None:
        """See `ExecutionRepository.save`."""
        header = copy_header(execution)
        with self._lock:
            stored = self._rows.get(execution.id)
            if changed_task_runs is None:
                changed_task_runs = execution.task_run_list
                stored = _StoredExecution(header, {})
                self._rows[execution.id] = stored
            elif stored is None:
                stored = _StoredExecution(header, {})
                self._rows[execution.id] = stored
            else:
                stored.header = header
            changed = list(changed_task_runs)
            positions = self._positions.positions(execution, changed)
            for position, task_run in zip(positions, changed, strict=True):
                old = stored.runs.get(task_run.id)
                kept = old[0] if old is not None else position
                stored.runs[task_run.id] = (kept, copy_task_run(task_run))

    def get(self, execution_id: str, *, tenant: str | None = None) -> Execution:
        """See `ExecutionRepository.get`."""
        found = self.find(execution_id, tenant=tenant)
        if found is None:
            raise NotFoundError(f"execution `{execution_id}` does not exist")
        return found

    def find(self, execution_id: str, *, tenant: str | None = None) -> Execution | None:
        """See `ExecutionRepository.find`."""
        with self._lock:
            stored = self._rows.get(execution_id)
            if stored is None or (tenant is not None and stored.header.tenant_id != tenant):
                return None
            return self._materialise(stored, with_task_runs=True)

    @staticmethod
    def _materialise(stored: _StoredExecution, *, with_task_runs: bool) -> Execution:
        execution = copy_header(stored.header)
        if with_task_runs:
            ordered = sorted(stored.runs.values(), key=lambda pair: pair[0])
            execution.task_run_list = [copy_task_run(task_run) for _, task_run in ordered]
        return execution

    def _matching(
        self,
        tenant: str | None,
        namespace: str | None,
        flow_id: str | None,
        states: Iterable[State] | None,
    ) -> Iterator[_StoredExecution]:
        wanted = set(states) if states is not None else None
        for stored in self._rows.values():
            header = stored.header
            if tenant is not None and header.tenant_id != tenant:
                continue
            if namespace is not None and not namespace_matches(header.namespace, namespace):
                continue
            if flow_id is not None and header.flow_id != flow_id:
                continue
            if wanted is not None and header.state.current not in wanted:
                continue
            yield stored

    def search(
        self,
        *,
        tenant: str = DEFAULT_TENANT,
        namespace: str | None = None,
        flow_id: str | None = None,
        states: Iterable[State] | None = None,
        labels: Mapping[str, str] | None = None,
        start_from: datetime | None = None,
        start_to: datetime | None = None,
        parent_id: str | None = None,
        query: str | None = None,
        page: int = 1,
        size: int = 25,
        with_task_runs: bool = True,
    ) -> Page[Execution]:
        """See `ExecutionRepository.search`."""
        needle = query.lower() if query else None
        with self._lock:
            found: list[_StoredExecution] = []
            for stored in self._matching(tenant, namespace, flow_id, states):
                header = stored.header
                start = header.state.start_date
                if start_from is not None and (start is None or start < start_from):
                    continue
                if start_to is not None and (start is None or start > start_to):
                    continue
                if parent_id is not None and header.parent_id != parent_id:
                    continue
                if needle is not None and not any(
                    needle in text.lower() for text in (header.id, header.flow_id, header.namespace)
                ):
                    continue
                if labels and any(header.label_map().get(k) != v for k, v in labels.items()):
                    continue
                found.append(stored)
            found.sort(key=_newest_first)
            chosen = found[max(page - 1, 0) * size : max(page - 1, 0) * size + size]
            items = [self._materialise(s, with_task_runs=with_task_runs) for s in chosen]
            return Page(items, len(found), page, size)

    def count(
        self,
        *,
        tenant: str = DEFAULT_TENANT,
        namespace: str | None = None,
        flow_id: str | None = None,
        states: Iterable[State] | None = None,
    ) -> int:
        """See `ExecutionRepository.count`."""
        with self._lock:
            return sum(1 for _ in self._matching(tenant, namespace, flow_id, states))

    def ids_in_states(self, states: Iterable[State], *, tenant: str | None = None) -> list[str]:
        """See `ExecutionRepository.ids_in_states`."""
        with self._lock:
            found = list(self._matching(tenant, None, None, states))
        found.sort(key=lambda s: s.header.state.start_date or datetime.min.replace(tzinfo=UTC))
        return [stored.header.id for stored in found]

    def delete(self, execution_id: str, *, tenant: str | None = None) -> bool:
        """See `ExecutionRepository.delete`."""
        with self._lock:
            if self.find(execution_id, tenant=tenant) is None:
                return False
            del self._rows[execution_id]
            self._positions.forget(execution_id)
            self._store.logs.delete(execution_id)
            self._store.metrics.delete(execution_id)
            self._store.delays.cancel(execution_id)
            return True


def _newest_first(stored: _StoredExecution) -> tuple[float, str]:
    start = stored.header.state.start_date
    return (-(start.timestamp() if start else 0.0), stored.header.id)


class MemoryStore:
    """Every repository, in memory. `clock` decides what "now" is (KV expiry, defaults)."""

    def __init__(self, clock: Clock = utc_now) -> None:
        self._lock = threading.RLock()
        self._clock = clock
        self._execution_locks = [threading.RLock() for _ in range(64)]
        self.flows = MemoryFlows(self._lock, clock)
        self.logs = MemoryLogs(self._lock)
        self.metrics = MemoryMetrics(self._lock)
        self.kv = MemoryKV(self._lock, clock)
        self.namespaces = MemoryNamespaces(self._lock, clock)
        self.secrets = MemorySecrets(self._lock)
        self.triggers = MemoryTriggers(self._lock, clock)
        self.jobs = MemoryJobs(self._lock, clock)
        self.delays = MemoryDelays(self._lock)
        self.tests = MemoryTests(self._lock, clock)
        self.executions = MemoryExecutions(self._lock, self)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the store's lock for the block (no rollback in memory)."""
        with self._lock:
            yield

    @contextmanager
    def execution_lock(self, execution_id: str) -> Iterator[None]:
        """A per-execution lock for threads of this process."""
        with self._execution_locks[hash(execution_id) % len(self._execution_locks)]:
            yield

    def close(self) -> None:
        """Nothing to release."""
