"""`log.Fetch`: write the log lines of an execution to an Ion file."""

from __future__ import annotations

from pydantic import Field

from tercel.engine.execution import Execution
from tercel.errors import TaskError
from tercel.model.registry import plugin
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult
from tercel.plugins.core.execution.access import require_executions, require_logs
from tercel.plugins.core.log.levels import render_level
from tercel.plugins.core.storage import ion
from tercel.plugins.core.storage.files import new_file, store
from tercel.plugins.core.templating.properties import Text, render_list, render_str

FETCH = "io.kestra.plugin.core.log.Fetch"


@plugin(FETCH, aliases=("io.kestra.core.tasks.log.Fetch",))
class Fetch(RunnableTask):
    """Fetch the log lines of an execution (the current one by default) into `uri`."""

    namespace: Text | None = Field(
        default=None, description="Namespace of the execution when it is not the current one."
    )
    flow_id: Text | None = Field(
        default=None, description="Flow of the execution when it is not the current one."
    )
    execution_id: Text | None = Field(
        default=None, description="The execution whose logs to fetch; the current by default."
    )
    tasks_id: list[Text] | str | None = Field(
        default=None, description="Only the lines of these task ids."
    )
    level: str = Field(default="INFO", description="Minimum level: TRACE ... ERROR.")

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Output ``{"size": lines, "uri": Ion file of LogEntry maps}``."""
        executions = require_executions(ctx, FETCH)
        logs = require_logs(ctx, FETCH)
        execution_id = render_str(ctx, self.execution_id) or ctx.execution_id
        if execution_id != ctx.execution_id:
            self._check_same_flow(ctx, execution_id, executions.find(execution_id))
        level = render_level(ctx, self.level)
        task_ids = {str(t) for t in render_list(ctx, self.tasks_id, "tasksId")}
        entries = [
            entry
            for entry in logs.list(execution_id, min_level=level)
            if not task_ids or entry.task_id in task_ids
        ]
        target = new_file(ctx, ".ion")
        size = ion.write_rows(target, (entry.to_wire() for entry in entries))
        return TaskResult(outputs={"size": size, "uri": store(ctx, target)})

    def _check_same_flow(
        self, ctx: TaskContext, execution_id: str, execution: Execution | None
    ) -> None:
        """Another execution: it must exist and match `namespace`/`flowId` when given."""
        if execution is None:
            raise TaskError(f"cannot fetch logs: execution `{execution_id}` does not exist")
        namespace = render_str(ctx, self.namespace) or ctx.namespace
        flow_id = render_str(ctx, self.flow_id) or ctx.flow_id
        if (execution.namespace, execution.flow_id) != (namespace, flow_id):
            raise TaskError(
                f"execution `{execution_id}` belongs to flow `{execution.namespace}."
                f"{execution.flow_id}`, not `{namespace}.{flow_id}`: set `namespace` and "
                "`flowId` to read the logs of another flow"
            )
