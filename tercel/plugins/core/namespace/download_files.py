"""`namespace.DownloadFiles`: copy namespace files into the working directory."""

from __future__ import annotations

from pydantic import Field

from tercel.model.registry import plugin
from tercel.plugins.context import TaskContext, TaskResult
from tercel.plugins.core.namespace.files import (
    NamespaceFilesTask,
    compile_pattern,
    list_files,
)
from tercel.plugins.core.storage.local_files import inside
from tercel.plugins.core.templating.properties import Text, render_list, render_str
from tercel.storage.globs import matches


@plugin("io.kestra.plugin.core.namespace.DownloadFiles")
class DownloadFiles(NamespaceFilesTask):
    """Download the namespace files matching `files` to the working directory."""

    files: list[Text] | str = Field(
        description="Patterns of namespace files (`glob:**/*.sql`, `regex:...`, bare glob)."
    )
    destination: Text = Field(
        default="", description="Folder of the working directory to write the files into."
    )

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Output ``{"files": {namespace path: URI of the copy in this task run}}``."""
        namespace = self.files_namespace(ctx)
        patterns = [compile_pattern(str(p)) for p in render_list(ctx, self.files, "files")]
        destination = (render_str(ctx, self.destination) or "").strip("/")
        downloaded: dict[str, str] = {}
        for relative, uri in list_files(ctx, namespace).items():
            if not matches(patterns, relative):
                continue
            local_name = f"{destination}/{relative}" if destination else relative
            target = inside(ctx.working_dir, local_name, "destination")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(ctx.storage.get(uri))
            downloaded["/" + relative] = ctx.storage.put(ctx.file_uri(local_name), target)
        ctx.metric("downloaded", "counter", float(len(downloaded)))
        return TaskResult(outputs={"files": downloaded})
