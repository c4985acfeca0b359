"""`namespace.DeleteFiles`: delete namespace files."""

from __future__ import annotations

from pydantic import Field

from tercel.model.registry import plugin
from tercel.plugins.context import TaskContext, TaskResult
from tercel.plugins.core.namespace.files import (
    NamespaceFilesTask,
    compile_pattern,
    list_files,
)
from tercel.plugins.core.templating.properties import Text, render_list
from tercel.storage.globs import matches


@plugin("io.kestra.plugin.core.namespace.DeleteFiles")
class DeleteFiles(NamespaceFilesTask):
    """Delete the namespace files matching `files`."""

    files: list[Text] | str = Field(
        description="Patterns of namespace files (`glob:**/*.sql`, `regex:...`, bare glob)."
    )

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Output ``{"files": {deleted namespace path: its former URI}}``; metric `deleted`."""
        namespace = self.files_namespace(ctx)
        patterns = [compile_pattern(str(p)) for p in render_list(ctx, self.files, "files")]
        deleted = {
            "/" + relative: uri
            for relative, uri in list_files(ctx, namespace).items()
            if matches(patterns, relative) and ctx.storage.delete(uri)
        }
        ctx.metric("deleted", "counter", float(len(deleted)))
        return TaskResult(outputs={"files": deleted})
