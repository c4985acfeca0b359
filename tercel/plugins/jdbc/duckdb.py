"""`io.kestra.plugin.jdbc.duckdb.Query` and `Queries`.

As in Kestra, DuckDB tasks can stage `inputFiles` (``kestra://`` URIs are downloaded) in the
working directory and read them in SQL through ``{{ workingDir }}``, e.g.
``SELECT * FROM read_json_auto('{{ workingDir }}/deals.json')``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from tercel.errors import TaskError
from tercel.model.registry import plugin
from tercel.plugins.context import TaskContext
from tercel.plugins.jdbc.query import JdbcQueries, JdbcQuery, JdbcTask
from tercel.plugins.scripts.files import write_input_files


class DuckDbTask(JdbcTask):
    """DuckDB specifics: in-memory by default, `inputFiles`, `{{ workingDir }}` in `sql`."""

    driver: ClassVar[str] = "duckdb"
    default_url: ClassVar[str | None] = "jdbc:duckdb:"

    input_files: dict[str, Any] | str | None = Field(
        default=None, description="Files written to the working directory before the SQL runs."
    )

    def render_sql(self, ctx: TaskContext) -> str:
        """Stage `inputFiles`, then render `sql` with `workingDir` available."""
        write_input_files(ctx, self.input_files)
        rendered = ctx.render(self.sql, {"workingDir": str(ctx.working_dir)})
        if not isinstance(rendered, str) or not rendered.strip():
            raise TaskError("property `sql` is required and rendered to an empty value")
        return rendered


@plugin("io.kestra.plugin.jdbc.duckdb.Query")
class DuckDbQuery(DuckDbTask, JdbcQuery):
    """Run SQL on DuckDB and fetch its result."""


@plugin("io.kestra.plugin.jdbc.duckdb.Queries")
class DuckDbQueries(DuckDbTask, JdbcQueries):
    """Run several SQL statements on DuckDB, in one transaction by default."""
