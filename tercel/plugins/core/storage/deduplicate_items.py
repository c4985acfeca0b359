"""`storage.DeduplicateItems`: keep the last row of an Ion file for each key."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from tercel.errors import TaskError, TercelError
from tercel.model.registry import plugin
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult
from tercel.plugins.core.storage import ion
from tercel.plugins.core.storage.files import local_file, new_file, render_uri, store
from tercel.plugins.core.storage.items import render_for_row


@plugin(
    "io.kestra.plugin.core.storage.DeduplicateItems",
    aliases=("io.kestra.core.tasks.storages.DeduplicateItems",),
)
class DeduplicateItems(RunnableTask):
    """Drop every row of `from` whose key (`expr`) appears again later in the file.

    The file is read twice (keys first, then rows), so only the keys are held in memory;
    the rows kept stay in their original order.
    """

    from_: str = Field(alias="from", description="The Ion file to deduplicate (kestra:///...).")
    expr: str = Field(
        description="Expression giving a row's key, e.g. `{{ id }}` or `{{ a ~ '-' ~ b }}`."
    )

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Output ``{"uri", "numKeys", "processedItemsTotal", "droppedItemsTotal"}``."""
        source = local_file(ctx, render_uri(ctx, self.from_, "from"))
        last_index: dict[str, int] = {}
        for index, (_, row) in enumerate(ion.iter_lines(source)):
            last_index[self._key(ctx, row, index)] = index
        kept = set(last_index.values())
        processed = written = 0
        target = new_file(ctx, ".ion")
        with target.open("w", encoding="utf-8") as output:
            for index, (line, _) in enumerate(ion.iter_lines(source)):
                processed += 1
                if index in kept:
                    output.write(line + "\n")
                    written += 1
        return TaskResult(
            outputs={
                "uri": store(ctx, target),
                "numKeys": len(last_index),
                "processedItemsTotal": processed,
                "droppedItemsTotal": processed - written,
            }
        )

    def _key(self, ctx: TaskContext, row: Any, index: int) -> str:
        try:
            return render_for_row(ctx, self.expr, row)
        except TercelError as error:
            raise TaskError(f"`expr` failed on item {index + 1}: {error}") from None
