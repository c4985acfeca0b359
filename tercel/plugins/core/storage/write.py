"""`storage.Write`: write rendered text to a new file of the execution's storage."""

from __future__ import annotations

from pydantic import Field

from tercel.model.registry import plugin
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult
from tercel.plugins.core.storage.files import new_file, store
from tercel.plugins.core.templating.properties import Text, render_str


@plugin("io.kestra.plugin.core.storage.Write")
class Write(RunnableTask):
    """Store `content` (rendered, UTF-8) as a file; output its `uri`."""

    content: Text = Field(description="The file's content (rendered).")
    extension: Text | None = Field(
        default=None, description="The file name's extension, e.g. `.txt` (default: none)."
    )

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Write the file in the working directory, then store it."""
        content = render_str(ctx, self.content) or ""
        extension = render_str(ctx, self.extension) or ""
        if extension and not extension.startswith("."):
            extension = f".{extension}"
        path = new_file(ctx, extension)
        path.write_text(content, encoding="utf-8")
        return TaskResult(outputs={"uri": store(ctx, path)})
