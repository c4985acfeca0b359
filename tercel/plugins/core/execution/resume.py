"""`execution.Resume`: resume a paused execution."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from tercel.engine.state import State
from tercel.errors import TaskError, TercelError
from tercel.model.registry import plugin
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult
from tercel.plugins.core.execution.access import optional_store, require_resume
from tercel.plugins.core.templating.properties import Text, render_map, render_str

RESUME = "io.kestra.plugin.core.execution.Resume"


@plugin(RESUME)
class Resume(RunnableTask):
    """Resume the PAUSED execution `executionId` (the current one by default)."""

    namespace: Text | None = Field(default=None, description="The execution's namespace.")
    flow_id: Text | None = Field(default=None, description="The execution's flow.")
    execution_id: Text | None = Field(
        default=None, description="The execution to resume; the current one by default."
    )
    inputs: dict[str, Any] | str | None = Field(
        default=None, description="Values of the Pause task's `onResume` inputs."
    )

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Ask the runtime to resume; no outputs."""
        resumer = require_resume(ctx, RESUME)
        execution_id = render_str(ctx, self.execution_id) or ctx.execution_id
        inputs = render_map(ctx, self.inputs, "inputs") if self.inputs is not None else None
        repository = optional_store(ctx)
        if repository is not None:
            execution = repository.executions.find(execution_id, tenant=ctx.tenant_id)
            if execution is None:
                raise TaskError(f"cannot resume: execution `{execution_id}` does not exist")
            namespace = render_str(ctx, self.namespace)
            flow_id = render_str(ctx, self.flow_id)
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
            resumer.resume_execution(execution_id, inputs)
        except TercelError as error:
            raise TaskError(f"cannot resume execution `{execution_id}`: {error}") from None
        return TaskResult()
