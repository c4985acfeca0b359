"""The repositories the rest of Tercel calls, as Protocols (memory and SQL implement them).

A `Store` groups one repository per resource. Every method takes a tenant (default
``main``). Writes that must land together run inside ``with store.transaction():``; each
method on its own is atomic. Missing things: ``get`` raises `NotFoundError`, ``find``
returns None.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from tercel.engine.execution import Execution, LogEntry, TaskRun
from tercel.engine.state import State
from tercel.store.records import (
    DEFAULT_TENANT,
    Delay,
    FlowIdentity,
    FlowRecord,
    Job,
    KVEntry,
    MetricEntry,
    NamespaceRecord,
    Page,
    SecretRecord,
    TestRunRecord,
    TestSuiteRecord,
    TriggerState,
)
from tercel.store.scheduling import DelayRepository, JobQueue, TriggerRepository

__all__ = [
    "DEFAULT_TENANT",
    "Delay",
    "DelayRepository",
    "ExecutionRepository",
    "FlowIdentity",
    "FlowRecord",
    "FlowRepository",
    "Job",
    "JobQueue",
    "KVEntry",
    "KVRepository",
    "LogRepository",
    "MetricEntry",
    "MetricRepository",
    "NamespaceRecord",
    "NamespaceRepository",
    "Page",
    "SecretRecord",
    "SecretRepository",
    "Store",
    "TestRunRecord",
    "TestSuiteRecord",
    "TestSuiteRepository",
    "TriggerRepository",
    "TriggerState",
    "iter_pages",
]


class FlowRepository(Protocol):
    """Flows (current revision) and every revision's YAML source."""

    def save(
        self,
        source: str,
        flow: FlowIdentity,
        *,
        tenant: str = DEFAULT_TENANT,
        now: datetime | None = None,
    ) -> FlowRecord:
        """Store `source` as the flow's next revision (the same source again adds none)."""

    def get(
        self,
        namespace: str,
        flow_id: str,
        revision: int | None = None,
        *,
        tenant: str = DEFAULT_TENANT,
    ) -> FlowRecord:
        """The current (or a given) revision; NotFoundError if absent or deleted."""

    def find(
        self,
        namespace: str,
        flow_id: str,
        revision: int | None = None,
        *,
        tenant: str = DEFAULT_TENANT,
    ) -> FlowRecord | None:
        """Like `get`, None when absent or deleted (a given revision is found even if deleted)."""

    def revisions(
        self, namespace: str, flow_id: str, *, tenant: str = DEFAULT_TENANT
    ) -> list[FlowRecord]:
        """Every revision, oldest first (empty when the flow never existed)."""

    def list(
        self, namespace: str | None = None, *, tenant: str | None = DEFAULT_TENANT
    ) -> list[FlowRecord]:
        """Current flows under a namespace prefix (all when None; every tenant when
        `tenant` is None), sorted by namespace then id."""

    def search(
        self,
        *,
        namespace: str | None = None,
        query: str | None = None,
        page: int = 1,
        size: int = 25,
        tenant: str = DEFAULT_TENANT,
    ) -> Page[FlowRecord]:
        """Current flows by namespace prefix and a case-insensitive text in id/namespace."""

    def delete(
        self,
        namespace: str,
        flow_id: str,
        *,
        tenant: str = DEFAULT_TENANT,
        now: datetime | None = None,
    ) -> FlowRecord:
        """Mark deleted (a new revision records it); NotFoundError if absent."""

    def namespaces(self, *, tenant: str = DEFAULT_TENANT) -> builtins.list[str]:
        """Distinct namespaces of current flows, sorted."""


class ExecutionRepository(Protocol):
    """Executions and their task runs, task runs written one row each and incrementally."""

    def create(self, execution: Execution) -> None:
        """Insert a new execution with its task runs (ConflictError if the id exists)."""

    def save(self, execution: Execution, changed_task_runs: Iterable[TaskRun] | None) -> None:
        """Write the execution and only `changed_task_runs` (upserted). None rewrites every
        task run (use it after restart/replay removed some). Call `create` first for a new
        execution: `save` on an unknown one writes its row and only the given task runs."""

    def get(self, execution_id: str, *, tenant: str | None = None) -> Execution:
        """The execution with its task runs in creation order; NotFoundError if absent."""

    def find(self, execution_id: str, *, tenant: str | None = None) -> Execution | None:
        """Like `get`, None when absent."""

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
        """Newest first. `namespace` is a prefix; `labels` must all match; `query` (Kestra's
        ``q``) matches, case-insensitively, part of the id, flow id or namespace."""

    def count(
        self,
        *,
        tenant: str = DEFAULT_TENANT,
        namespace: str | None = None,
        flow_id: str | None = None,
        states: Iterable[State] | None = None,
    ) -> int:
        """How many executions match (flow concurrency counts RUNNING + PAUSED with it)."""

    def ids_in_states(self, states: Iterable[State], *, tenant: str | None = None) -> list[str]:
        """Ids of executions in these states, oldest first (crash recovery, queued starts)."""

    def delete(self, execution_id: str, *, tenant: str | None = None) -> bool:
        """Delete an execution, its task runs, labels, logs, metrics and timers."""


class LogRepository(Protocol):
    """Log lines, written in batches."""

    def append(self, entries: Sequence[LogEntry]) -> None:
        """Insert a batch in one statement."""

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
        """Lines of an execution in insertion order, filtered; `offset` skips matching lines
        (a follower passes how many it already has)."""

    def delete(
        self,
        execution_id: str,
        *,
        levels: Iterable[str] | None = None,
        tenant: str | None = None,
    ) -> int:
        """Delete an execution's lines (only those at `levels`, e.g. ``["DEBUG", "TRACE"]``,
        when given); the number deleted."""


class MetricRepository(Protocol):
    """Metrics recorded by tasks."""

    def append(self, entries: Sequence[MetricEntry]) -> None:
        """Insert a batch."""

    def list(self, execution_id: str, *, tenant: str | None = None) -> list[MetricEntry]:
        """Metrics of an execution, in insertion order."""


class KVRepository(Protocol):
    """Per-namespace key-value store; implements `tercel.plugins.context.KVStore`."""

    def get(self, namespace: str, key: str, *, tenant: str = DEFAULT_TENANT) -> Any | None:
        """The value, or None when absent or expired."""

    def entry(self, namespace: str, key: str, *, tenant: str = DEFAULT_TENANT) -> KVEntry | None:
        """The entry with its type and expiry, None when absent or expired."""

    def set(
        self,
        namespace: str,
        key: str,
        value: Any,
        *,
        ttl_seconds: float | None = None,
        kv_type: str | None = None,
        overwrite: bool = True,
        description: str | None = None,
        tenant: str = DEFAULT_TENANT,
        now: datetime | None = None,
    ) -> None:
        """Store a value (type deduced unless `kv_type` forces it); ConflictError when
        `overwrite` is false and a live entry exists; InvalidNameError for a bad key."""

    def delete(self, namespace: str, key: str, *, tenant: str = DEFAULT_TENANT) -> bool:
        """Delete; True when something was deleted."""

    def keys(
        self, namespace: str, prefix: str | None = None, *, tenant: str = DEFAULT_TENANT
    ) -> list[str]:
        """Keys of live entries, sorted."""

    def list(self, namespace: str, *, tenant: str = DEFAULT_TENANT) -> list[KVEntry]:
        """Live entries, sorted by key."""

    def purge(
        self,
        select: Callable[[str, str], bool],
        *,
        expired_only: bool = True,
        tenant: str = DEFAULT_TENANT,
    ) -> int:
        """Delete the entries whose (namespace, key) `select` accepts, only expired ones when
        `expired_only`; the number deleted."""


class NamespaceRepository(Protocol):
    """Namespace descriptions, variables and plugin defaults."""

    def put(self, record: NamespaceRecord) -> NamespaceRecord:
        """Create or replace; returns the stored record (with `updated` set)."""

    def find(self, namespace: str, *, tenant: str = DEFAULT_TENANT) -> NamespaceRecord | None:
        """The stored record, None when none was stored."""

    def list(
        self, prefix: str | None = None, *, tenant: str = DEFAULT_TENANT
    ) -> list[NamespaceRecord]:
        """Stored namespaces under a prefix, sorted."""

    def delete(self, namespace: str, *, tenant: str = DEFAULT_TENANT) -> bool:
        """Delete the stored record."""

    def effective(self, namespace: str, *, tenant: str = DEFAULT_TENANT) -> NamespaceRecord:
        """Variables and plugin defaults merged down the hierarchy (child wins)."""


class SecretRepository(Protocol):
    """Encrypted secret rows; encryption is `tercel.secrets`' job, never done here."""

    def put(self, record: SecretRecord) -> None:
        """Create or replace."""

    def find(
        self, namespace: str, name: str, *, tenant: str = DEFAULT_TENANT
    ) -> SecretRecord | None:
        """The row, None when absent."""

    def names(self, namespace: str, *, tenant: str = DEFAULT_TENANT) -> list[str]:
        """Names stored in exactly this namespace, sorted."""

    def delete(self, namespace: str, name: str, *, tenant: str = DEFAULT_TENANT) -> bool:
        """Delete; True when something was deleted."""


class TestSuiteRepository(Protocol):
    """Flow unit tests kept on the server, and the results of their runs."""

    def put(self, record: TestSuiteRecord) -> TestSuiteRecord:
        """Create or replace; returns the stored record (with `updated` set)."""

    def find(
        self, namespace: str, suite_id: str, *, tenant: str = DEFAULT_TENANT
    ) -> TestSuiteRecord | None:
        """The stored suite, None when absent."""

    def list(
        self,
        *,
        namespace: str | None = None,
        flow_id: str | None = None,
        tenant: str = DEFAULT_TENANT,
    ) -> list[TestSuiteRecord]:
        """Suites in a namespace (and its children) or of a flow, sorted by namespace, id."""

    def delete(self, namespace: str, suite_id: str, *, tenant: str = DEFAULT_TENANT) -> bool:
        """Delete a suite (its past results stay); True when something was deleted."""

    def add_run(self, record: TestRunRecord) -> None:
        """Keep the result of one run."""

    def find_run(self, run_id: str, *, tenant: str = DEFAULT_TENANT) -> TestRunRecord | None:
        """A run's result by its id."""

    def runs(
        self,
        *,
        namespace: str | None = None,
        suite_id: str | None = None,
        flow_id: str | None = None,
        tenant: str = DEFAULT_TENANT,
        limit: int = 100,
    ) -> builtins.list[TestRunRecord]:
        """Results of runs, newest first, filtered by exact namespace, suite and flow."""


class Store(Protocol):
    """Every repository of one database (read-only attributes, so implementations may
    use their own repository classes)."""

    @property
    def flows(self) -> FlowRepository: ...

    @property
    def executions(self) -> ExecutionRepository: ...

    @property
    def logs(self) -> LogRepository: ...

    @property
    def metrics(self) -> MetricRepository: ...

    @property
    def kv(self) -> KVRepository: ...

    @property
    def namespaces(self) -> NamespaceRepository: ...

    @property
    def secrets(self) -> SecretRepository: ...

    @property
    def triggers(self) -> TriggerRepository: ...

    @property
    def jobs(self) -> JobQueue: ...

    @property
    def tests(self) -> TestSuiteRepository: ...

    @property
    def delays(self) -> DelayRepository: ...

    def transaction(self) -> AbstractContextManager[None]:
        """Group the calls made inside into one atomic transaction (re-entrant).

        Only the thread (and asyncio task) that opened it joins it; on PostgreSQL a failed
        statement aborts the whole transaction, so do not keep using it after an error."""

    def execution_lock(self, execution_id: str) -> AbstractContextManager[None]:
        """Serialise executors on one execution (across processes on PostgreSQL).

        It is a thread (and process) lock, re-entrant in one thread: coroutines of one event
        loop share a thread, so hold it only around synchronous code."""

    def close(self) -> None:
        """Release connections."""


def iter_pages(search: Any, size: int = 500, **filters: Any) -> Iterator[Any]:
    """Every item of a paged `search` callable.

    All pages are read before the first item is yielded, so that a caller may delete what
    it receives (PurgeExecutions) without shifting the pages it has not read yet.
    """
    items: list[Any] = []
    page = 1
    while True:
        result: Page[Any] = search(page=page, size=size, **filters)
        items.extend(result.items)
        if page * size >= result.total or not result.items:
            break
        page += 1
    yield from items
