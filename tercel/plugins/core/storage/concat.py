"""`storage.Concat`: concatenate files of internal storage into one."""

from __future__ import annotations

import shutil
from typing import Any

from pydantic import Field

from tercel.errors import TaskError
from tercel.model.registry import plugin
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult
from tercel.plugins.core.storage.files import local_file, new_file, store
from tercel.plugins.core.templating.properties import Text, render_list, render_str


@plugin("io.kestra.plugin.core.storage.Concat", aliases=("io.kestra.core.tasks.storages.Concat",))
class Concat(RunnableTask):
    """Write the files of `files` one after the other, each followed by `separator`."""

    files: list[Text] | str = Field(
        description="URIs to concatenate, as a list or a string holding a JSON list."
    )
    separator: Text | None = Field(
        default=None, description="Text written after each file (e.g. a newline)."
    )
    extension: Text = Field(default=".tmp", description="Extension of the result file.")

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Output ``{"uri": ...}``."""
        uris: list[Any] = render_list(ctx, self.files, "files")
        separator = render_str(ctx, self.separator)
        suffix = render_str(ctx, self.extension) or ".tmp"
        if not suffix.startswith("."):
            suffix = "." + suffix
        target = new_file(ctx, suffix)
        with target.open("wb") as output:
            for uri in uris:
                if not isinstance(uri, str) or not uri.startswith("kestra://"):
                    raise TaskError(f"`files` must hold internal storage URIs, got `{uri}`")
                with local_file(ctx, uri).open("rb") as source:
                    shutil.copyfileobj(source, output)
                # Kestra writes the separator after every file, the last one included.
                if separator:
                    output.write(separator.encode("utf-8"))
        return TaskResult(outputs={"uri": store(ctx, target)})
