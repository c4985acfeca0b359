"""`execution.Resume`: resume a paused execution."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from tercel.engine.state import State
from tercel.errors import TaskError, TercelError
from tercel.model.registry import plugin
from tercel.plugins.context import ExecutionQueries, RunnableTask, TaskContext, TaskResult
from tercel.plugins.core.templating.properties import Text, render_map, render_str

RESUME = "io.kestra.plugin.core.execution.Resume"


@plugin(RESUME)
class Resume(RunnableTask):
    """Resume the PAUSED execution `executionId` (the current one by default)."""

    namespace: Text | None = Field(default=None, description="The execution's namespace.")
    flow_id: Text | None = Field(default=None, description="The execution's flow.")
    execution_id: Text | None = Field(
        default=None,
        description=(
            "The execution to resume; with only `namespace` and `flowId`, that flow's latest "
            "PAUSED execution; the current execution otherwise."
        ),
    )
    inputs: dict[str, Any] | str | None = Field(
        default=None, description="Values of the Pause task's `onResume` inputs."
    )

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Ask the runtime to resume; no outputs."""
        executions = ctx.executions
        namespace = render_str(ctx, self.namespace)
        flow_id = render_str(ctx, self.flow_id)
        execution_id = render_str(ctx, self.execution_id)
        if not execution_id and namespace and flow_id and executions is not None:
            execution_id = self._paused_execution_of(executions, namespace, flow_id)
        execution_id = execution_id or ctx.execution_id
        inputs = render_map(ctx, self.inputs, "inputs") or None
        if executions is not None:
            execution = executions.find(execution_id)
            if execution is None:
                raise TaskError(f"cannot resume: execution `{execution_id}` does not exist")
            if (namespace and namespace != execution.namespace) or (
                flow_id and flow_id != execution.flow_id
            ):
                raise TaskError(
                    f"execution `{execution_id}` belongs to `{execution.namespace}."
                    f"{execution.flow_id}`, not to the given namespace/flowId"
                )
            if execution.state.current is not State.PAUSED:
                raise TaskError(
                    f"cannot resume execution `{execution_id}`: it is "
                    f"{execution.state.current.value}, not PAUSED"
                )
        try:
            ctx.resume_execution(execution_id, inputs)
        except TercelError as error:
            raise TaskError(f"cannot resume execution `{execution_id}`: {error}") from None
        return TaskResult()

    @staticmethod
    def _paused_execution_of(executions: ExecutionQueries, namespace: str, flow_id: str) -> str:
        """The most recent PAUSED execution of a flow (no `executionId` given)."""
        found = executions.search(namespace=namespace, flow_id=flow_id, states=[State.PAUSED])
        latest = next(found, None)
        if latest is None:
            raise TaskError(f"no PAUSED execution of flow `{namespace}.{flow_id}` to resume")
        return latest.id
