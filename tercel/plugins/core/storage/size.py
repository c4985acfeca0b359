"""`storage.Size`: the size of a file in internal storage."""

from __future__ import annotations

from pydantic import Field

from tercel.errors import TaskError, TercelError
from tercel.model.registry import plugin
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult
from tercel.plugins.core.storage.files import render_uri


@plugin("io.kestra.plugin.core.storage.Size", aliases=("io.kestra.core.tasks.storages.Size",))
class Size(RunnableTask):
    """Output the size in bytes of the file at `uri` as `size`."""

    uri: str = Field(description="The file's internal storage URI (kestra:///...).")

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Output ``{"size": bytes}``."""
        uri = render_uri(ctx, self.uri, "uri")
        try:
            size = ctx.storage.size(uri)
        except TercelError as error:
            raise TaskError(f"cannot get the size of `{uri}`: {error}") from None
        return TaskResult(outputs={"size": size})
