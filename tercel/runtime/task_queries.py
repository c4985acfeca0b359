"""What a task may ask of the store: the `ExecutionQueries`, `LogQueries` and `FlowQueries`
of `tercel.plugins.context`, each bound to one tenant.

A task never holds the `Store`: these wrappers expose only what the core tasks need
(counting and purging executions and logs, fetching logs, syncing flows from Git), always
in the tenant of the execution that runs the task. `before_read` runs before every read so
that lines the attempt logged are in the store when a task reads them back (log.Fetch).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from tercel.store.api import iter_pages

if TYPE_CHECKING:
    from tercel.api.files_service import NamespaceFiles
    from tercel.ascode.sync import Operation
    from tercel.engine.execution import Execution, LogEntry
    from tercel.engine.state import State
    from tercel.store.api import Store
    from tercel.store.records import FlowRecord


def _nothing() -> None:
    """The default `before_read`: nothing is buffered."""


class StoreExecutions:
    """`ExecutionQueries` over a store, in one tenant."""

    def __init__(
        self, store: Store, tenant_id: str, before_read: Callable[[], None] = _nothing
    ) -> None:
        self._store = store
        self._tenant_id = tenant_id
        self._before_read = before_read

    def find(self, execution_id: str) -> Execution | None:
        """The execution with its task runs, or None."""
        self._before_read()
        return self._store.executions.find(execution_id, tenant=self._tenant_id)

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
        """Matching executions without task runs, newest first, every page read first."""
        self._before_read()
        yield from iter_pages(
            self._store.executions.search,
            tenant=self._tenant_id,
            namespace=namespace,
            flow_id=flow_id,
            states=states,
            start_from=start_from,
            start_to=start_to,
            parent_id=parent_id,
            with_task_runs=False,
        )

    def count_metrics(self, execution_id: str) -> int:
        """How many metrics the execution recorded."""
        self._before_read()
        return len(self._store.metrics.list(execution_id, tenant=self._tenant_id))

    def delete(self, execution_id: str) -> None:
        """Delete the execution and everything recorded with it."""
        self._store.executions.delete(execution_id, tenant=self._tenant_id)


class StoreLogs:
    """`LogQueries` over a store, in one tenant."""

    def __init__(
        self, store: Store, tenant_id: str, before_read: Callable[[], None] = _nothing
    ) -> None:
        self._store = store
        self._tenant_id = tenant_id
        self._before_read = before_read

    def list(self, execution_id: str, *, min_level: str | None = None) -> list[LogEntry]:
        """Lines of an execution in insertion order, from `min_level` up."""
        self._before_read()
        return self._store.logs.list(execution_id, min_level=min_level, tenant=self._tenant_id)

    def delete(self, execution_id: str, *, levels: Collection[str] | None = None) -> int:
        """Delete an execution's lines (only those at `levels` when given); how many."""
        self._before_read()
        if not levels:
            return self._store.logs.delete(execution_id, tenant=self._tenant_id)
        lines = self._store.logs.list(execution_id, tenant=self._tenant_id)
        kept = [line for line in lines if line.level not in levels]
        if len(kept) == len(lines):
            return 0
        # The repository deletes per execution: remove all, then restore the others.
        with self._store.transaction():
            self._store.logs.delete(execution_id, tenant=self._tenant_id)
            self._store.logs.append(kept)
        return len(lines) - len(kept)


class StoreFlows:
    """`FlowQueries` over a store, in one tenant."""

    def __init__(
        self, store: Store, tenant_id: str, before_read: Callable[[], None] = _nothing
    ) -> None:
        self._store = store
        self._tenant_id = tenant_id
        self._before_read = before_read

    def list(self, namespace: str) -> list[FlowRecord]:
        """Current flows of `namespace` and its children, by namespace then id."""
        self._before_read()
        return self._store.flows.list(namespace, tenant=self._tenant_id)

    def apply(
        self,
        namespace: str,
        operations: Sequence[Operation],
        files: NamespaceFiles | None = None,
    ) -> None:
        """Apply flows-as-code operations in one transaction (the API's sync service)."""
        from tercel.ascode.sync import NamespaceSync  # ascode sits above the runtime

        NamespaceSync(self._store, files, None).apply(self._tenant_id, namespace, operations)
