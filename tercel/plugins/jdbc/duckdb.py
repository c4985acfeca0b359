"""`io.kestra.plugin.jdbc.duckdb.Query` and `Queries`."""

from __future__ import annotations

from typing import ClassVar

from tercel.model.registry import plugin
from tercel.plugins.jdbc.query import JdbcQueries, JdbcQuery


@plugin("io.kestra.plugin.jdbc.duckdb.Query")
class DuckDbQuery(JdbcQuery):
    """Run SQL on duckdb and fetch its result."""

    driver: ClassVar[str] = "duckdb"
    default_url: ClassVar[str | None] = "jdbc:duckdb:"


@plugin("io.kestra.plugin.jdbc.duckdb.Queries")
class DuckDbQueries(JdbcQueries):
    """Run several SQL statements on duckdb, in one transaction by default."""

    driver: ClassVar[str] = "duckdb"
    default_url: ClassVar[str | None] = "jdbc:duckdb:"
