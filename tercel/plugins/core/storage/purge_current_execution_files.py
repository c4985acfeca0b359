"""`storage.PurgeCurrentExecutionFiles`: delete every file the execution stored."""

from __future__ import annotations

from pydantic import Field

from tercel.model.registry import plugin
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult
from tercel.plugins.core.templating.properties import render_bool
from tercel.storage.uri import execution_prefix, from_path, namespace_path, slugify


@plugin(
    "io.kestra.plugin.core.storage.PurgeCurrentExecutionFiles",
    aliases=(
        "io.kestra.core.tasks.storages.PurgeExecution",
        "io.kestra.plugin.core.storage.PurgeExecution",
    ),
)
class PurgeCurrentExecutionFiles(RunnableTask):
    """Delete the files of the current execution (inputs, task outputs, trigger files)."""

    include_child_executions: bool | str = Field(
        default=False, description="Also delete the files of the subflow executions it started."
    )
    include_states: bool | str = Field(
        default=False, description="Also delete the flow's states (`state.Set`)."
    )

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Output ``{"uris": [deleted URIs]}``."""
        prefixes = [execution_prefix(ctx.namespace, ctx.flow_id, ctx.execution_id)]
        if render_bool(ctx, self.include_child_executions, "includeChildExecutions", False):
            executions = ctx.executions
            if executions is not None:
                prefixes.extend(
                    execution_prefix(child.namespace, child.flow_id, child.id)
                    for child in executions.search(parent_id=ctx.execution_id)
                )
        if render_bool(ctx, self.include_states, "includeStates", False):
            prefixes.append(
                from_path(f"{namespace_path(ctx.namespace)}/{slugify(ctx.flow_id)}/states/")
            )
        deleted = [
            uri
            for prefix in prefixes
            for uri in ctx.storage.list(prefix)
            if ctx.storage.delete(uri)
        ]
        return TaskResult(outputs={"uris": deleted})
