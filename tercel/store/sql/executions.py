"""Executions on SQL: one row per execution, one row per task run, labels for search.

`save(execution, changed)` upserts the execution row and only the changed task runs, in
one executemany statement: the cost of a step does not grow with the number of task runs
the execution already has.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa

from tercel.engine.execution import Execution, TaskRun
from tercel.engine.state import State
from tercel.errors import ConflictError, NotFoundError
from tercel.store.positions import PositionIndex
from tercel.store.records import DEFAULT_TENANT, Page
from tercel.store.sql.database import Database
from tercel.store.sql.dialect import upsert
from tercel.store.sql.flows import namespace_filter
from tercel.store.sql.schema import (
    delays,
    execution_labels,
    executions,
    logs,
    metrics,
    task_runs,
)


def _execution_row(execution: Execution) -> dict[str, Any]:
    # A shallow copy without task runs: `to_wire` then costs nothing per task run.
    header = dataclasses.replace(execution, task_run_list=[]).to_wire()
    del header["taskRunList"]
    return {
        "id": execution.id,
        "tenant_id": execution.tenant_id,
        "namespace": execution.namespace,
        "flow_id": execution.flow_id,
        "flow_revision": execution.flow_revision,
        "state": execution.state.current.value,
        "start_date": execution.state.start_date,
        "end_date": execution.state.end_date,
        "parent_id": execution.parent_id,
        "data": header,
    }


def _task_run_row(task_run: TaskRun, position: int) -> dict[str, Any]:
    return {
        "id": task_run.id,
        "execution_id": task_run.execution_id,
        "tenant_id": task_run.tenant_id,
        "position": position,
        "task_id": task_run.task_id,
        "parent_task_run_id": task_run.parent_task_run_id,
        "value": task_run.value,
        "state": task_run.state.current.value,
        "data": task_run.to_wire(),
    }


class SqlExecutions:
    """`ExecutionRepository` on SQL."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._positions = PositionIndex()
        #: Labels last written per execution, so that a step rewrites them only on change.
        self._labels_written: OrderedDict[str, tuple[tuple[str, str], ...]] = OrderedDict()
        self._upsert_execution = upsert(executions, db.dialect, ["id"])
        # RETURNING says whether a row was inserted (rowcount is -1 on some drivers).
        self._insert_execution = upsert(executions, db.dialect, ["id"], []).returning(
            executions.c.id
        )
        # Position is the creation order: set on insert, never moved by an update.
        self._upsert_task_run = upsert(
            task_runs,
            db.dialect,
            ["id"],
            [c.name for c in task_runs.columns if c.name not in ("id", "position")],
        )

    def create(self, execution: Execution) -> None:
        """See `ExecutionRepository.create`."""
        with self._db.transaction() as conn:
            # One statement instead of a look-up then an insert (this is every start's path);
            # DO NOTHING rather than a failed insert, which would abort a PostgreSQL
            # transaction shared with other executions' steps.
            inserted = conn.execute(self._insert_execution, _execution_row(execution))
            if inserted.first() is None:
                raise ConflictError(f"execution `{execution.id}` already exists")
            self._write(conn, execution, None, created=True)

    def save(self, execution: Execution, changed_task_runs: Iterable[TaskRun] | None) -> None:
        """See `ExecutionRepository.save`."""
        try:
            with self._db.transaction() as conn:
                self._write(conn, execution, changed_task_runs)
        except BaseException:
            self._labels_written.pop(execution.id, None)
            raise

    def _write(
        self,
        conn: sa.Connection,
        execution: Execution,
        changed: Iterable[TaskRun] | None,
        *,
        created: bool = False,
    ) -> None:
        # `created`: the execution row was just inserted, nothing of it exists to replace.
        if not created:
            conn.execute(self._upsert_execution, [_execution_row(execution)])
        if changed is None:
            if not created:
                conn.execute(task_runs.delete().where(task_runs.c.execution_id == execution.id))
            changed_list = execution.task_run_list
            positions: list[int] = list(range(len(changed_list)))
        else:
            changed_list = list(changed)
            positions = self._positions.positions(execution, changed_list)
        if changed_list:
            rows = [_task_run_row(tr, pos) for tr, pos in zip(changed_list, positions, strict=True)]
            conn.execute(self._upsert_task_run, rows)
        self._write_labels(conn, execution, created=created)

    def _write_labels(
        self, conn: sa.Connection, execution: Execution, *, created: bool = False
    ) -> None:
        labels = tuple(sorted(execution.label_map().items()))
        if self._labels_written.get(execution.id) == labels:
            return
        if not created:
            conn.execute(
                execution_labels.delete().where(execution_labels.c.execution_id == execution.id)
            )
        if labels:
            conn.execute(
                execution_labels.insert(),
                [
                    {
                        "execution_id": execution.id,
                        "tenant_id": execution.tenant_id,
                        "key": key,
                        "value": value,
                    }
                    for key, value in labels
                ],
            )
        self._labels_written[execution.id] = labels
        self._labels_written.move_to_end(execution.id)
        while len(self._labels_written) > 1024:
            self._labels_written.popitem(last=False)

    def get(self, execution_id: str, *, tenant: str | None = None) -> Execution:
        """See `ExecutionRepository.get`."""
        found = self.find(execution_id, tenant=tenant)
        if found is None:
            raise NotFoundError(f"execution `{execution_id}` does not exist")
        return found

    def find(self, execution_id: str, *, tenant: str | None = None) -> Execution | None:
        """See `ExecutionRepository.find`."""
        query = sa.select(executions.c.data).where(executions.c.id == execution_id)
        if tenant is not None:
            query = query.where(executions.c.tenant_id == tenant)
        # Another process may have written this execution since: trust the database again.
        self._labels_written.pop(execution_id, None)
        with self._db.read() as conn:
            data = conn.execute(query).scalar()
            if data is None:
                return None
            return self._load(conn, [data])[0]

    @staticmethod
    def _load(conn: sa.Connection, headers: list[dict[str, Any]]) -> list[Execution]:
        loaded = {h["id"]: Execution.from_wire({**h, "taskRunList": []}) for h in headers}
        if loaded:
            rows = conn.execute(
                sa.select(task_runs.c.execution_id, task_runs.c.data)
                .where(task_runs.c.execution_id.in_(list(loaded)))
                .order_by(task_runs.c.execution_id, task_runs.c.position, task_runs.c.id)
            )
            for execution_id, data in rows:
                loaded[execution_id].task_run_list.append(
                    TaskRun.from_wire(cast("dict[str, Any]", data))
                )
        return [loaded[h["id"]] for h in headers]

    @staticmethod
    def _filters(
        tenant: str | None,
        namespace: str | None,
        flow_id: str | None,
        states: Iterable[State] | None,
    ) -> list[sa.ColumnElement[bool]]:
        where: list[sa.ColumnElement[bool]] = []
        if tenant is not None:
            where.append(executions.c.tenant_id == tenant)
        if namespace is not None:
            where.append(namespace_filter(executions.c.namespace, namespace))
        if flow_id is not None:
            where.append(executions.c.flow_id == flow_id)
        if states is not None:
            where.append(executions.c.state.in_([State(s).value for s in states]))
        return where

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
        where = self._filters(tenant, namespace, flow_id, states)
        if start_from is not None:
            where.append(executions.c.start_date >= start_from)
        if start_to is not None:
            where.append(executions.c.start_date <= start_to)
        if parent_id is not None:
            where.append(executions.c.parent_id == parent_id)
        if query:
            needle = query.lower()
            where.append(
                sa.or_(
                    *(
                        sa.func.lower(column).contains(needle, autoescape=True)
                        for column in (
                            executions.c.id,
                            executions.c.flow_id,
                            executions.c.namespace,
                        )
                    )
                )
            )
        for key, value in (labels or {}).items():
            where.append(
                sa.exists().where(
                    execution_labels.c.execution_id == executions.c.id,
                    execution_labels.c.key == key,
                    execution_labels.c.value == value,
                )
            )
        with self._db.read() as conn:
            total = conn.execute(
                sa.select(sa.func.count()).select_from(executions).where(*where)
            ).scalar_one()
            headers: list[dict[str, Any]] = list(
                conn.execute(
                    sa.select(executions.c.data)
                    .where(*where)
                    .order_by(executions.c.start_date.desc(), executions.c.id)
                    .limit(size)
                    .offset(max(page - 1, 0) * size)
                ).scalars()
            )
            if with_task_runs:
                items = self._load(conn, headers)
            else:
                items = [Execution.from_wire({**h, "taskRunList": []}) for h in headers]
        return Page(items, int(total), page, size)

    def count(
        self,
        *,
        tenant: str = DEFAULT_TENANT,
        namespace: str | None = None,
        flow_id: str | None = None,
        states: Iterable[State] | None = None,
    ) -> int:
        """See `ExecutionRepository.count`."""
        where = self._filters(tenant, namespace, flow_id, states)
        with self._db.read() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count()).select_from(executions).where(*where)
                ).scalar_one()
            )

    def ids_in_states(self, states: Iterable[State], *, tenant: str | None = None) -> list[str]:
        """See `ExecutionRepository.ids_in_states`."""
        where = self._filters(tenant, None, None, states)
        with self._db.read() as conn:
            return list(
                conn.execute(
                    sa.select(executions.c.id)
                    .where(*where)
                    .order_by(executions.c.start_date, executions.c.id)
                ).scalars()
            )

    def delete(self, execution_id: str, *, tenant: str | None = None) -> bool:
        """See `ExecutionRepository.delete`."""
        where = [executions.c.id == execution_id]
        if tenant is not None:
            where.append(executions.c.tenant_id == tenant)
        with self._db.transaction() as conn:
            if conn.execute(sa.select(executions.c.id).where(*where)).first() is None:
                return False
            for table in (task_runs, execution_labels):
                conn.execute(table.delete().where(table.c.execution_id == execution_id))
            for table in (logs, metrics, delays):
                conn.execute(table.delete().where(table.c.execution_id == execution_id))
            conn.execute(executions.delete().where(*where))
        self._positions.forget(execution_id)
        self._labels_written.pop(execution_id, None)
        return True
