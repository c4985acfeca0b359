"""Running statements on DuckDB, SQLite or PostgreSQL (blocking: called in a worker thread).

One call opens one connection, runs every statement (in one transaction when asked), fetches
what the fetch type says from each statement that returns rows, and closes the connection.
The drivers' differences (placeholders, transactions, result shapes) stay in this module.
"""

from __future__ import annotations

import contextlib
import functools
import re
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tercel.errors import TaskError
from tercel.plugins.core.storage.ion import dump_rows
from tercel.plugins.jdbc.statements import ParamStyle, bind_parameters
from tercel.plugins.jdbc.urls import Target
from tercel.plugins.jdbc.values import output_value, stored_value

FETCH_TYPES = ("NONE", "FETCH_ONE", "FETCH", "STORE")

_STYLES: dict[str, ParamStyle] = {"duckdb": "dollar", "sqlite": "named", "postgresql": "pyformat"}


@dataclass(slots=True)
class StatementResult:
    """What one statement gave back (only what the fetch type asked for)."""

    has_rows: bool = False
    row: dict[str, Any] | None = None
    rows: list[dict[str, Any]] | None = None
    stored: Path | None = None
    size: int | None = None


@dataclass(slots=True)
class Plan:
    """What to run and how to return its results."""

    target: Target
    statements: list[str]
    parameters: Mapping[str, Any] = field(default_factory=dict)
    fetch_type: str = "NONE"
    fetch_size: int = 10_000
    #: All statements commit together, or none does.
    transaction: bool = False
    #: Fetch from every statement that returns rows (Queries), else only from the last one.
    fetch_each: bool = False
    #: Where STORE writes `<index>.ion` files.
    store_dir: Path | None = None
    #: Statements run after fetching, in the same connection (Kestra's `afterSQL`).
    after: list[str] = field(default_factory=list)
    cancelled: Callable[[], bool] = lambda: False


def run_plan(plan: Plan) -> list[StatementResult]:
    """Run `plan`; results of the statements that returned rows (one, or each for Queries)."""
    with _connect(plan.target) as connection:
        try:
            if plan.transaction:
                connection.begin()
            results = _run_all(connection, plan)
            for statement in plan.after:
                connection.execute(*_bind(statement, plan.parameters, connection.style))
            if plan.transaction:
                connection.commit()
        except Exception:
            if plan.transaction:
                with contextlib.suppress(Exception):
                    connection.rollback()
            raise
    return results


def _run_all(connection: _Connection, plan: Plan) -> list[StatementResult]:
    results: list[StatementResult] = []
    last = len(plan.statements) - 1
    for index, statement in enumerate(plan.statements):
        if plan.cancelled():
            raise TaskError("query cancelled")
        description = connection.execute(*_bind(statement, plan.parameters, connection.style))
        if description is None or not (plan.fetch_each or index == last):
            continue
        columns = _column_names(description)
        results.append(_fetch(connection, columns, plan, len(results)))
    return results


def _fetch(connection: _Connection, columns: list[str], plan: Plan, index: int) -> StatementResult:
    kind = plan.fetch_type
    result = StatementResult(has_rows=True)
    if kind == "FETCH_ONE":
        first = connection.fetchmany(1)
        result.row = _as_map(columns, first[0], output_value) if first else None
        result.size = 1 if first else 0
    elif kind == "FETCH":
        result.rows = [_as_map(columns, row, output_value) for row in _batches(connection, plan)]
        result.size = len(result.rows)
    elif kind == "STORE":
        assert plan.store_dir is not None
        path = plan.store_dir / f"result-{index}.ion"
        with path.open("wb") as target:
            count = dump_rows(
                (_as_map(columns, row, stored_value) for row in _batches(connection, plan)), target
            )
        result.stored = path
        result.size = count
    return result


def _batches(connection: _Connection, plan: Plan) -> Iterator[tuple[Any, ...]]:
    while True:
        batch = connection.fetchmany(plan.fetch_size)
        if not batch:
            return
        if plan.cancelled():
            raise TaskError("query cancelled")
        yield from batch


def _as_map(
    columns: list[str], row: tuple[Any, ...], convert: Callable[[Any], Any]
) -> dict[str, Any]:
    return {name: convert(value) for name, value in zip(columns, row, strict=False)}


def _column_names(description: Any) -> list[str]:
    return [str(column[0]) for column in description]


def _bind(sql: str, parameters: Mapping[str, Any], style: ParamStyle) -> tuple[str, Any]:
    if not parameters:
        return sql, None
    text, used = bind_parameters(sql, set(parameters), style)
    if not used:
        # psycopg would read the doubled `%%` literally without parameters: keep the original.
        return sql, None
    return text, {name: parameters[name] for name in used}


# -- drivers ------------------------------------------------------------------------------------


class _Connection:
    """The few operations `run_plan` needs, on top of one DB-API connection."""

    style: ParamStyle

    def __init__(self, raw: Any, style: ParamStyle) -> None:
        self._raw = raw
        self._cursor: Any = None
        self.style = style

    def execute(self, sql: str, params: Any) -> Any:
        """Run one statement; return its cursor description (None when it has no rows)."""
        self._cursor = self._raw.cursor() if self._cursor is None else self._cursor
        if params is None:
            self._cursor.execute(sql)
        else:
            self._cursor.execute(sql, params)
        return self._cursor.description

    def fetchmany(self, size: int) -> list[tuple[Any, ...]]:
        """Up to `size` more rows of the last statement."""
        return list(self._cursor.fetchmany(size))

    def begin(self) -> None:
        """Start a transaction."""
        self.execute("BEGIN", None)

    def commit(self) -> None:
        """Commit the transaction."""
        self.execute("COMMIT", None)

    def rollback(self) -> None:
        """Roll the transaction back."""
        self.execute("ROLLBACK", None)

    def close(self) -> None:
        """Close the cursor and the connection."""
        with contextlib.suppress(Exception):
            if self._cursor is not None:
                self._cursor.close()
        self._raw.close()


class _DuckDbConnection(_Connection):
    """DuckDB answers INSERT/UPDATE/DELETE with a one-row `Count` result: not rows to fetch."""

    def execute(self, sql: str, params: Any) -> Any:
        """Run one statement; a data change without RETURNING has no rows."""
        description = super().execute(sql, params)
        if (
            description is not None
            and len(description) == 1
            and description[0][0] == "Count"
            and _DATA_CHANGE.match(sql)
            and not _RETURNING.search(sql)
        ):
            self._cursor.fetchall()
            return None
        return description


_DATA_CHANGE = re.compile(
    r"^\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*(insert|update|delete|merge|create|copy)\b",
    re.IGNORECASE | re.DOTALL,
)
_RETURNING = re.compile(r"\breturning\b", re.IGNORECASE)


@contextlib.contextmanager
def _connect(target: Target) -> Iterator[_Connection]:
    connection = _open(target)
    try:
        yield connection
    finally:
        connection.close()


def _open(target: Target) -> _Connection:
    style = _STYLES[target.driver]
    try:
        if target.driver == "duckdb":
            try:
                import duckdb
            except ImportError:
                raise TaskError(
                    "DuckDB tasks need the `duckdb` package (pip install 'tercel[dbt]' or duckdb)"
                ) from None
            if target.address != ":memory:":
                Path(target.address).parent.mkdir(parents=True, exist_ok=True)
            return _DuckDbConnection(duckdb.connect(target.address), style)
        if target.driver == "sqlite":
            # Autocommit mode: transactions only where the task asks for one.
            return _Connection(sqlite3.connect(target.address, isolation_level=None), style)
        import psycopg

        return _Connection(psycopg.connect(target.address, autocommit=True), style)
    except driver_errors() as error:
        message = f"cannot connect to the {target.driver} database: {_first_line(error)}"
        raise TaskError(message) from None


@functools.cache
def driver_errors() -> tuple[type[BaseException], ...]:
    """The base error classes of the drivers that are installed (DB-API `Error`s)."""
    found: list[type[BaseException]] = [sqlite3.Error]
    with contextlib.suppress(ImportError):
        import psycopg

        found.append(psycopg.Error)
    with contextlib.suppress(ImportError):
        import duckdb

        found.append(duckdb.Error)
    return tuple(found)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
