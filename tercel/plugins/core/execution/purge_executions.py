"""`execution.PurgeExecutions`: delete past executions, their logs, metrics and files."""

from __future__ import annotations

from pydantic import Field

from tercel.model.registry import plugin
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult
from tercel.plugins.core.execution.access import (
    matching_executions,
    render_instant,
    render_states,
    require_executions,
    require_logs,
)
from tercel.plugins.core.templating.properties import Text, render_bool, render_str
from tercel.storage.uri import execution_prefix

PURGE = "io.kestra.plugin.core.execution.PurgeExecutions"


@plugin(
    PURGE,
    aliases=(
        "io.kestra.core.tasks.storages.Purge",
        "io.kestra.plugin.core.storage.Purge",
    ),
)
class PurgeExecutions(RunnableTask):
    """Purge executions that started between `startDate` and `endDate`.

    The current execution is never purged, nor are executions still running unless
    `states` names their state explicitly. Metrics are deleted with their execution (the
    store keeps no metrics of a deleted execution), so `purgeMetric` alone deletes nothing.
    """

    namespace: Text | None = Field(default=None, description="Only this namespace (prefix).")
    flow_id: Text | None = Field(default=None, description="Only this flow.")
    start_date: Text | None = Field(default=None, description="ISO-8601 lower bound.")
    end_date: Text = Field(description="ISO-8601 upper bound (required).")
    states: list[Text] | str | None = Field(default=None, description="Only these states.")
    purge_execution: bool | str = Field(default=True, description="Delete the executions.")
    purge_log: bool | str = Field(default=True, description="Delete their log lines.")
    purge_metric: bool | str = Field(default=True, description="Delete their metrics.")
    purge_storage: bool | str = Field(default=True, description="Delete their files.")
    batch_size: int | str = Field(
        default=100, description="Accepted for compatibility; deletion is per execution."
    )

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Output ``{"executionsCount", "logsCount", "metricsCount", "storagesCount"}``."""
        executions = require_executions(ctx, PURGE)
        logs = require_logs(ctx, PURGE)
        states = render_states(ctx, self.states)
        purge_execution = render_bool(ctx, self.purge_execution, "purgeExecution", True)
        purge_log = render_bool(ctx, self.purge_log, "purgeLog", True)
        purge_metric = render_bool(ctx, self.purge_metric, "purgeMetric", True)
        purge_storage = render_bool(ctx, self.purge_storage, "purgeStorage", True)
        found = list(
            matching_executions(
                executions,
                namespace=render_str(ctx, self.namespace) or None,
                flow_id=render_str(ctx, self.flow_id) or None,
                states=states,
                start=render_instant(ctx, self.start_date, "startDate"),
                end=render_instant(ctx, self.end_date, "endDate"),
            )
        )
        counts = {"executionsCount": 0, "logsCount": 0, "metricsCount": 0, "storagesCount": 0}
        for execution in found:
            if execution.id == ctx.execution_id or (
                states is None and not execution.state.current.is_terminated
            ):
                continue
            if purge_storage:
                prefix = execution_prefix(execution.namespace, execution.flow_id, execution.id)
                files = ctx.storage.list(prefix)
                counts["storagesCount"] += sum(1 for uri in files if ctx.storage.delete(uri))
            metrics = executions.count_metrics(execution.id)
            if purge_log:
                counts["logsCount"] += logs.delete(execution.id)
            if purge_execution:
                # The store deletes an execution together with its metrics and timers, so
                # metrics go (and are counted) exactly when the execution does.
                executions.delete(execution.id)
                counts["executionsCount"] += 1
                counts["metricsCount"] += metrics if purge_metric else 0
        return TaskResult(outputs=counts)
