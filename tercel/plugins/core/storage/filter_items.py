"""`storage.FilterItems`: keep (or drop) the rows of an Ion file matching an expression."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from tercel.errors import TaskError, TercelError
from tercel.model.registry import plugin
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult
from tercel.plugins.core.storage import ion
from tercel.plugins.core.storage.files import local_file, new_file, render_uri, store
from tercel.plugins.core.storage.items import render_for_row
from tercel.plugins.core.templating.properties import render_enum
from tercel.templating import is_truthy


@plugin(
    "io.kestra.plugin.core.storage.FilterItems",
    aliases=("io.kestra.core.tasks.storages.FilterItems",),
)
class FilterItems(RunnableTask):
    """Filter the rows of `from` with `filterCondition`, rendered once per row.

    A row's fields are variables of the expression (``{{ age > 18 }}``); a row that is not a
    map is ``{{ value }}``.
    """

    from_: str = Field(alias="from", description="The Ion file to filter (kestra:///...).")
    filter_condition: str = Field(
        description=(
            "Expression rendered for each row; truthy (anything but `false`, `0`, `-0` or "
            "blank) means the row matches."
        )
    )
    filter_type: str = Field(
        default="INCLUDE", description="INCLUDE keeps matching rows, EXCLUDE drops them."
    )
    error_or_null_behavior: str = Field(
        default="FAIL",
        description=(
            "When the expression fails on a row: FAIL the task, INCLUDE or EXCLUDE the row."
        ),
    )

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Output ``{"uri", "processedItemsTotal", "droppedItemsTotal"}``."""
        uri = render_uri(ctx, self.from_, "from")
        include = render_enum(ctx, self.filter_type, "filterType", ("INCLUDE", "EXCLUDE"))
        on_error = render_enum(
            ctx, self.error_or_null_behavior, "errorOrNullBehavior", ("FAIL", "INCLUDE", "EXCLUDE")
        )
        processed = dropped = 0
        target = new_file(ctx, ".ion")
        with target.open("w", encoding="utf-8") as output:
            for line, row in ion.iter_lines(local_file(ctx, uri)):
                processed += 1
                if self._keep(ctx, row, include == "INCLUDE", on_error, processed):
                    output.write(line + "\n")
                else:
                    dropped += 1
        return TaskResult(
            outputs={
                "uri": store(ctx, target),
                "processedItemsTotal": processed,
                "droppedItemsTotal": dropped,
            }
        )

    def _keep(self, ctx: TaskContext, row: Any, include: bool, on_error: str, line: int) -> bool:
        try:
            matched = is_truthy(render_for_row(ctx, self.filter_condition, row))
        except TercelError as error:
            if on_error == "FAIL":
                raise TaskError(f"`filterCondition` failed on item {line}: {error}") from None
            return on_error == "INCLUDE"
        return matched if include else not matched
