"""`storage.Delete`: delete a file from internal storage."""

from __future__ import annotations

from pydantic import Field

from tercel.errors import TaskError, TercelError
from tercel.model.registry import plugin
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult
from tercel.plugins.core.storage.files import check_deletable, render_uri
from tercel.plugins.core.templating.properties import render_bool


@plugin("io.kestra.plugin.core.storage.Delete", aliases=("io.kestra.core.tasks.storages.Delete",))
class Delete(RunnableTask):
    """Delete the file at `uri`; outputs `uri` and whether it was `deleted`.

    Only one file, and only one of the execution's own files or of its namespace's files
    (never a folder, never another execution's or namespace's files).
    """

    uri: str = Field(description="The file's internal storage URI (kestra:///...).")
    error_on_missing: bool | str = Field(
        default=False, description="Fail when the file does not exist."
    )

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Output ``{"uri": ..., "deleted": bool}``."""
        uri = check_deletable(ctx, render_uri(ctx, self.uri, "uri"))
        try:
            deleted = ctx.storage.delete(uri)
        except TercelError as error:
            raise TaskError(f"cannot delete `{uri}`: {error}") from None
        if not deleted and render_bool(ctx, self.error_on_missing, "errorOnMissing", False):
            raise TaskError(f"file `{uri}` does not exist")
        return TaskResult(outputs={"uri": uri, "deleted": deleted})
