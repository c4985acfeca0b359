"""`log.PurgeLogs`: delete the log lines of past executions."""

from __future__ import annotations

from pydantic import Field

from tercel.model.registry import plugin
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult
from tercel.plugins.core.execution.access import (
    matching_executions,
    render_instant,
    require_executions,
    require_logs,
)
from tercel.plugins.core.log.levels import LEVELS
from tercel.plugins.core.templating.properties import (
    Text,
    render_bool,
    render_list,
    render_str,
)

PURGE_LOGS = "io.kestra.plugin.core.log.PurgeLogs"


@plugin(PURGE_LOGS)
class PurgeLogs(RunnableTask):
    """Delete the logs of executions that started between `startDate` and `endDate`.

    The current execution's logs are never purged. With `logLevels`, only lines of those
    levels are counted as purged and the others are written back.
    """

    namespace: Text | None = Field(default=None, description="Only this namespace (prefix).")
    flow_id: Text | None = Field(default=None, description="Only this flow.")
    execution_id: Text | None = Field(default=None, description="Only this execution.")
    log_levels: list[Text] | str | None = Field(
        default=None, description=f"Only lines of these levels ({', '.join(LEVELS)})."
    )
    start_date: Text | None = Field(default=None, description="ISO-8601 lower bound.")
    end_date: Text = Field(description="ISO-8601 upper bound (required).")
    purge_execution_logs: bool | str = Field(
        default=True, description="Purge logs attached to an execution."
    )
    purge_non_execution_logs: bool | str = Field(
        default=True,
        description="Purge logs not attached to an execution (Tercel stores none yet).",
    )
    batch_size: int | str | None = Field(
        default=None, description="Accepted for compatibility; deletion is per execution."
    )

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Output ``{"count", "executionLogsCount", "nonExecutionLogsCount"}``."""
        executions = require_executions(ctx, PURGE_LOGS)
        logs = require_logs(ctx, PURGE_LOGS)
        if not render_bool(ctx, self.purge_execution_logs, "purgeExecutionLogs", True):
            return TaskResult(
                outputs={"count": 0, "executionLogsCount": 0, "nonExecutionLogsCount": 0}
            )
        levels = {str(level).upper() for level in render_list(ctx, self.log_levels, "logLevels")}
        only = render_str(ctx, self.execution_id)
        found = [
            execution
            for execution in matching_executions(
                executions,
                namespace=render_str(ctx, self.namespace) or None,
                flow_id=render_str(ctx, self.flow_id) or None,
                states=None,
                start=render_instant(ctx, self.start_date, "startDate"),
                end=render_instant(ctx, self.end_date, "endDate"),
            )
            if not only or execution.id == only
        ]
        count = 0
        for execution in found:
            if execution.id == ctx.execution_id:
                continue
            count += logs.delete(execution.id, levels=levels or None)
        return TaskResult(
            outputs={"count": count, "executionLogsCount": count, "nonExecutionLogsCount": 0}
        )
