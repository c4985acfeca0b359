"""`storage.Reverse`: reverse the order of the lines of a file."""

from __future__ import annotations

from pydantic import Field

from tercel.errors import TaskError
from tercel.model.registry import plugin
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult
from tercel.plugins.core.storage.files import (
    extension,
    local_file,
    new_file,
    read_lines,
    render_uri,
    store,
)
from tercel.plugins.core.templating.properties import Text, render_str


@plugin("io.kestra.plugin.core.storage.Reverse", aliases=("io.kestra.core.tasks.storages.Reverse",))
class Reverse(RunnableTask):
    """Write the lines of `from` in reverse order, each followed by `separator`."""

    from_: str = Field(alias="from", description="The file's internal storage URI.")
    separator: Text = Field(default="\n", description="Written after each line.")
    charset: Text = Field(default="UTF-8", description="The file's character set.")

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Output ``{"uri": ...}`` (same extension as `from`)."""
        uri = render_uri(ctx, self.from_, "from")
        separator = render_str(ctx, self.separator) or "\n"
        charset = render_str(ctx, self.charset) or "UTF-8"
        source = local_file(ctx, uri)
        target = new_file(ctx, extension(uri, ".tmp"))
        try:
            lines = list(read_lines(source, charset))
            target.write_text("".join(line + separator for line in reversed(lines)), charset)
        except (LookupError, UnicodeError) as error:
            raise TaskError(f"cannot read `{uri}` as {charset}: {error}") from None
        return TaskResult(outputs={"uri": store(ctx, target)})
