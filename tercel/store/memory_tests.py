"""`TestSuiteRepository` in memory (unit tests and `tercel test`'s transient runtimes)."""

from __future__ import annotations

import builtins
import dataclasses
import threading
from collections.abc import Callable
from datetime import datetime

from tercel.store.records import DEFAULT_TENANT, TestRunRecord, TestSuiteRecord

Clock = Callable[[], datetime]


class MemoryTests:
    """Test suites and their run results, held in dicts under the store's lock."""

    __test__ = False  # not a pytest class

    def __init__(self, lock: threading.RLock, clock: Clock) -> None:
        self._lock = lock
        self._clock = clock
        self._suites: dict[tuple[str, str, str], TestSuiteRecord] = {}
        self._runs: dict[tuple[str, str], TestRunRecord] = {}

    def put(self, record: TestSuiteRecord) -> TestSuiteRecord:
        """See `TestSuiteRepository.put`."""
        stored = dataclasses.replace(record, updated=self._clock())
        with self._lock:
            self._suites[(record.tenant, record.namespace, record.id)] = stored
        return stored

    def find(
        self, namespace: str, suite_id: str, *, tenant: str = DEFAULT_TENANT
    ) -> TestSuiteRecord | None:
        """See `TestSuiteRepository.find`."""
        with self._lock:
            return self._suites.get((tenant, namespace, suite_id))

    def list(
        self,
        *,
        namespace: str | None = None,
        flow_id: str | None = None,
        tenant: str = DEFAULT_TENANT,
    ) -> builtins.list[TestSuiteRecord]:
        """See `TestSuiteRepository.list`."""
        with self._lock:
            found = [
                record
                for (owner, ns, _), record in self._suites.items()
                if owner == tenant
                and (namespace is None or ns == namespace or ns.startswith(namespace + "."))
                and (flow_id is None or record.flow_id == flow_id)
            ]
        return sorted(found, key=lambda record: (record.namespace, record.id))

    def delete(self, namespace: str, suite_id: str, *, tenant: str = DEFAULT_TENANT) -> bool:
        """See `TestSuiteRepository.delete`."""
        with self._lock:
            return self._suites.pop((tenant, namespace, suite_id), None) is not None

    def add_run(self, record: TestRunRecord) -> None:
        """See `TestSuiteRepository.add_run`."""
        with self._lock:
            self._runs[(record.tenant, record.id)] = record

    def find_run(self, run_id: str, *, tenant: str = DEFAULT_TENANT) -> TestRunRecord | None:
        """See `TestSuiteRepository.find_run`."""
        with self._lock:
            return self._runs.get((tenant, run_id))

    def runs(
        self,
        *,
        namespace: str | None = None,
        suite_id: str | None = None,
        flow_id: str | None = None,
        tenant: str = DEFAULT_TENANT,
        limit: int = 100,
    ) -> builtins.list[TestRunRecord]:
        """See `TestSuiteRepository.runs`."""
        with self._lock:
            found = [
                run
                for run in self._runs.values()
                if run.tenant == tenant
                and (namespace is None or run.namespace == namespace)
                and (suite_id is None or run.test_suite_id == suite_id)
                and (flow_id is None or run.flow_id == flow_id)
            ]
        found.sort(key=lambda run: (run.start_date, run.id), reverse=True)
        return found[:limit]
