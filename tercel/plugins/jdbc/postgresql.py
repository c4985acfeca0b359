"""`io.kestra.plugin.jdbc.postgresql.Query` and `Queries`."""

from __future__ import annotations

from typing import ClassVar

from tercel.model.registry import plugin
from tercel.plugins.jdbc.query import JdbcQueries, JdbcQuery


@plugin("io.kestra.plugin.jdbc.postgresql.Query")
class PostgresQuery(JdbcQuery):
    """Run SQL on postgresql and fetch its result."""

    driver: ClassVar[str] = "postgresql"
    default_url: ClassVar[str | None] = None


@plugin("io.kestra.plugin.jdbc.postgresql.Queries")
class PostgresQueries(JdbcQueries):
    """Run several SQL statements on postgresql, in one transaction by default."""

    driver: ClassVar[str] = "postgresql"
    default_url: ClassVar[str | None] = None
