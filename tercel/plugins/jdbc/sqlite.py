"""`io.kestra.plugin.jdbc.sqlite.Query` and `Queries`."""

from __future__ import annotations

from typing import ClassVar

from tercel.model.registry import plugin
from tercel.plugins.jdbc.query import JdbcQueries, JdbcQuery


@plugin("io.kestra.plugin.jdbc.sqlite.Query")
class SqliteQuery(JdbcQuery):
    """Run SQL on sqlite and fetch its result."""

    driver: ClassVar[str] = "sqlite"
    default_url: ClassVar[str | None] = None


@plugin("io.kestra.plugin.jdbc.sqlite.Queries")
class SqliteQueries(JdbcQueries):
    """Run several SQL statements on sqlite, in one transaction by default."""

    driver: ClassVar[str] = "sqlite"
    default_url: ClassVar[str | None] = None
