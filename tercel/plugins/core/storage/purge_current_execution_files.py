"""`storage.PurgeCurrentExecutionFiles`: delete every file the execution stored."""

from __future__ import annotations

from tercel.model.registry import plugin
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult
from tercel.storage.uri import execution_prefix


@plugin(
    "io.kestra.plugin.core.storage.PurgeCurrentExecutionFiles",
    aliases=(
        "io.kestra.core.tasks.storages.PurgeExecution",
        "io.kestra.plugin.core.storage.PurgeExecution",
    ),
)
class PurgeCurrentExecutionFiles(RunnableTask):
    """Delete the files of the current execution (inputs, task outputs, trigger files)."""

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Output ``{"uris": [deleted URIs]}``."""
        prefix = execution_prefix(ctx.namespace, ctx.flow_id, ctx.execution_id)
        deleted = [uri for uri in ctx.storage.list(prefix) if ctx.storage.delete(uri)]
        return TaskResult(outputs={"uris": deleted})
