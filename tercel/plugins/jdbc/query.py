"""The JDBC `Query` and `Queries` tasks, shared by every database family.

`Query` runs its SQL (several statements are allowed; rows come from the last one) and
returns what `fetchType` asks for: NONE, FETCH_ONE (`row`), FETCH (`rows`) or STORE (`uri`,
an `.ion` row file the storage tasks read); `size` counts the rows. `Queries` runs each
statement, in one transaction by default, and returns one such result per statement that
returned rows in `outputs`.
"""

from __future__ import annotations

import asyncio
import functools
import tempfile
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from tercel.errors import TaskError
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult
from tercel.plugins.core.templating.properties import (
    Text,
    render_bool,
    render_enum,
    render_int,
    render_map,
    render_str,
    require_str,
)
from tercel.plugins.jdbc.execute import (
    FETCH_TYPES,
    Plan,
    StatementResult,
    driver_errors,
    run_plan,
)
from tercel.plugins.jdbc.statements import split_statements
from tercel.plugins.jdbc.urls import Target, parse_jdbc_url


class JdbcTask(RunnableTask):
    """Connection and fetch properties of every JDBC task."""

    #: The driver a subclass talks to (`duckdb`, `sqlite`, `postgresql`).
    driver: ClassVar[str] = ""
    #: The URL used when `url` is not set (DuckDB: an in-memory database).
    default_url: ClassVar[str | None] = None

    url: Text | None = Field(default=None, description="JDBC URL, e.g. jdbc:duckdb:/data/w.db")
    username: Text | None = None
    password: Text | None = None
    sql: Text = Field(description="The SQL to run (rendered).")
    parameters: dict[str, Any] | str | None = Field(
        default=None, description="Values for `:name` placeholders in `sql`."
    )
    fetch_type: str = Field(default="NONE", description="NONE, FETCH_ONE, FETCH or STORE.")
    fetch_size: int | str = 10_000
    auto_commit: bool | str = True
    after_s_q_l: Text | None = Field(default=None, alias="afterSQL")
    time_zone_id: str | None = None
    # Deprecated booleans of Kestra 0.x, read when `fetchType` is left at NONE.
    fetch: bool | str | None = None
    fetch_one: bool | str | None = None
    store: bool | str | None = None

    def target(self, ctx: TaskContext) -> Target:
        """Where to connect, checked to be this task's database."""
        url = render_str(ctx, self.url) or self.default_url
        if not url:
            raise TaskError("property `url` is required (a JDBC URL)")
        target = parse_jdbc_url(
            url, username=render_str(ctx, self.username), password=render_str(ctx, self.password)
        )
        if target.driver != self.driver:
            raise TaskError(
                f"`{self.type}` connects to {self.driver}, but `url` is a {target.driver} URL"
            )
        return target

    def render_sql(self, ctx: TaskContext) -> str:
        """The rendered `sql` (subclasses may add variables or stage files first)."""
        return require_str(ctx, self.sql, "sql")

    def resolved_fetch_type(self, ctx: TaskContext) -> str:
        """`fetchType`, or the deprecated `store`/`fetchOne`/`fetch` flags."""
        kind = render_enum(ctx, self.fetch_type, "fetchType", FETCH_TYPES)
        if kind != "NONE":
            return kind
        for flag, name, meaning in (
            (self.store, "store", "STORE"),
            (self.fetch_one, "fetchOne", "FETCH_ONE"),
            (self.fetch, "fetch", "FETCH"),
        ):
            if render_bool(ctx, flag, name, False):
                return meaning
        return "NONE"

    async def execute(
        self, ctx: TaskContext, statements: list[str], *, transaction: bool, fetch_each: bool
    ) -> tuple[str, list[StatementResult], list[str]]:
        """Run the statements in a thread; return the fetch type, results and stored URIs."""
        if not statements:
            raise TaskError("property `sql` holds no statement")
        kind = self.resolved_fetch_type(ctx)
        fetch_size = render_int(ctx, self.fetch_size, "fetchSize") or 10_000
        after = split_statements(render_str(ctx, self.after_s_q_l) or "")
        with tempfile.TemporaryDirectory(prefix="tercel-sql-") as folder:
            plan = Plan(
                target=self.target(ctx),
                statements=statements,
                parameters=render_map(ctx, self.parameters, "parameters"),
                fetch_type=kind,
                fetch_size=max(1, fetch_size),
                transaction=transaction,
                fetch_each=fetch_each,
                store_dir=Path(folder),
                after=after,
                cancelled=lambda: ctx.cancelled,
            )
            try:
                results = await asyncio.to_thread(functools.partial(run_plan, plan))
            except driver_errors() as error:
                raise TaskError(_sql_error(error)) from None
            uris = []
            for index, result in enumerate(results):
                if result.stored is not None:
                    name = "result.ion" if len(results) == 1 else f"result-{index}.ion"
                    uris.append(ctx.storage.put(ctx.file_uri(name), result.stored))
                else:
                    uris.append("")
        return kind, results, uris


def output_of(kind: str, result: StatementResult | None, uri: str) -> dict[str, Any]:
    """Kestra's outputs for one statement: `row`/`rows`/`uri` and `size`."""
    if kind == "NONE":
        return {}
    if result is None:
        return {"size": 0, "rows": []} if kind == "FETCH" else {"size": 0}
    outputs: dict[str, Any] = {"size": result.size}
    if kind == "FETCH_ONE":
        outputs["row"] = result.row
    elif kind == "FETCH":
        outputs["rows"] = result.rows
    elif kind == "STORE":
        outputs["uri"] = uri
    return outputs


class JdbcQuery(JdbcTask):
    """Run SQL and fetch the result of its last statement."""

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Run `sql`; return `row`, `rows` or `uri` and `size` depending on `fetchType`."""
        statements = split_statements(self.render_sql(ctx))
        transaction = not render_bool(ctx, self.auto_commit, "autoCommit", True)
        kind, results, uris = await self.execute(
            ctx, statements, transaction=transaction, fetch_each=False
        )
        result = results[-1] if results else None
        outputs = output_of(kind, result, uris[-1] if uris else "")
        if result is not None and result.size is not None:
            ctx.metric("fetch.size", "counter", float(result.size))
        return TaskResult(outputs=outputs)


class JdbcQueries(JdbcTask):
    """Run several statements (one transaction by default); one output per result set."""

    transaction: bool | str = Field(default=True, description="All statements or none.")

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Run each statement of `sql`; `outputs` lists the fetched results in order."""
        statements = split_statements(self.render_sql(ctx))
        transaction = render_bool(ctx, self.transaction, "transaction", True)
        kind, results, uris = await self.execute(
            ctx, statements, transaction=transaction, fetch_each=True
        )
        outputs = [output_of(kind, result, uri) for result, uri in zip(results, uris, strict=True)]
        total = sum(result.size or 0 for result in results)
        ctx.metric("fetch.size", "counter", float(total))
        return TaskResult(outputs={"outputs": outputs} if kind != "NONE" else {})


def _sql_error(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return f"SQL error: {text}"
