"""`TestSuiteRepository` on SQL: stored flow unit tests and their run results."""

from __future__ import annotations

import builtins
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from tercel.store.records import DEFAULT_TENANT, TestRunRecord, TestSuiteRecord
from tercel.store.sql.database import Database
from tercel.store.sql.dialect import upsert
from tercel.store.sql.flows import namespace_filter
from tercel.store.sql.schema import test_runs, test_suites


class SqlTests:
    """Test suites (one row each, upserted) and run results (appended)."""

    __test__ = False  # not a pytest class

    def __init__(self, db: Database) -> None:
        self._db = db
        self._upsert = upsert(test_suites, db.dialect, ["tenant_id", "namespace", "id"])

    def put(self, record: TestSuiteRecord) -> TestSuiteRecord:
        """See `TestSuiteRepository.put`."""
        moment = datetime.now(UTC)
        row = {
            "tenant_id": record.tenant,
            "namespace": record.namespace,
            "id": record.id,
            "flow_id": record.flow_id,
            "source": record.source,
            "disabled": record.disabled,
            "updated": moment,
        }
        with self._db.transaction() as conn:
            conn.execute(self._upsert, [row])
        return TestSuiteRecord(
            record.tenant,
            record.namespace,
            record.id,
            record.flow_id,
            record.source,
            record.disabled,
            moment,
        )

    def find(
        self, namespace: str, suite_id: str, *, tenant: str = DEFAULT_TENANT
    ) -> TestSuiteRecord | None:
        """See `TestSuiteRepository.find`."""
        query = sa.select(test_suites).where(
            test_suites.c.tenant_id == tenant,
            test_suites.c.namespace == namespace,
            test_suites.c.id == suite_id,
        )
        with self._db.read() as conn:
            row = conn.execute(query).first()
        return None if row is None else _suite(row)

    def list(
        self,
        *,
        namespace: str | None = None,
        flow_id: str | None = None,
        tenant: str = DEFAULT_TENANT,
    ) -> builtins.list[TestSuiteRecord]:
        """See `TestSuiteRepository.list`."""
        query = sa.select(test_suites).where(test_suites.c.tenant_id == tenant)
        if namespace is not None:
            query = query.where(namespace_filter(test_suites.c.namespace, namespace))
        if flow_id is not None:
            query = query.where(test_suites.c.flow_id == flow_id)
        query = query.order_by(test_suites.c.namespace, test_suites.c.id)
        with self._db.read() as conn:
            return [_suite(row) for row in conn.execute(query)]

    def delete(self, namespace: str, suite_id: str, *, tenant: str = DEFAULT_TENANT) -> bool:
        """See `TestSuiteRepository.delete`."""
        with self._db.transaction() as conn:
            result = conn.execute(
                test_suites.delete().where(
                    test_suites.c.tenant_id == tenant,
                    test_suites.c.namespace == namespace,
                    test_suites.c.id == suite_id,
                )
            )
            return result.rowcount > 0

    def add_run(self, record: TestRunRecord) -> None:
        """See `TestSuiteRepository.add_run`."""
        with self._db.transaction() as conn:
            conn.execute(
                test_runs.insert(),
                [
                    {
                        "tenant_id": record.tenant,
                        "id": record.id,
                        "namespace": record.namespace,
                        "test_suite_id": record.test_suite_id,
                        "flow_id": record.flow_id,
                        "state": record.state,
                        "start_date": record.start_date,
                        "end_date": record.end_date,
                        "result": record.result,
                    }
                ],
            )

    def find_run(self, run_id: str, *, tenant: str = DEFAULT_TENANT) -> TestRunRecord | None:
        """See `TestSuiteRepository.find_run`."""
        query = sa.select(test_runs).where(
            test_runs.c.tenant_id == tenant, test_runs.c.id == run_id
        )
        with self._db.read() as conn:
            row = conn.execute(query).first()
        return None if row is None else _run(row)

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
        query = sa.select(test_runs).where(test_runs.c.tenant_id == tenant)
        if namespace is not None:
            query = query.where(test_runs.c.namespace == namespace)
        if suite_id is not None:
            query = query.where(test_runs.c.test_suite_id == suite_id)
        if flow_id is not None:
            query = query.where(test_runs.c.flow_id == flow_id)
        query = query.order_by(test_runs.c.start_date.desc(), test_runs.c.id.desc()).limit(limit)
        with self._db.read() as conn:
            return [_run(row) for row in conn.execute(query)]


def _suite(row: Any) -> TestSuiteRecord:
    return TestSuiteRecord(
        row.tenant_id, row.namespace, row.id, row.flow_id, row.source, row.disabled, row.updated
    )


def _run(row: Any) -> TestRunRecord:
    return TestRunRecord(
        row.tenant_id,
        row.id,
        row.namespace,
        row.test_suite_id,
        row.flow_id,
        row.state,
        row.start_date,
        row.end_date,
        dict(row.result or {}),
    )
