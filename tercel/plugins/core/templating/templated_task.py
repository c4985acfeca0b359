"""`templating.TemplatedTask`: render a task definition, then run it."""

from __future__ import annotations

from typing import Any

from pydantic import Field, TypeAdapter, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from tercel.errors import TaskError
from tercel.model.registry import plugin
from tercel.model.task import AnyTask, Task
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult
from tercel.plugins.core.templating.properties import require_str

_TASK: TypeAdapter[Task] = TypeAdapter(AnyTask)


@plugin(
    "io.kestra.plugin.core.templating.TemplatedTask",
    aliases=("io.kestra.core.tasks.templating.TemplatedTask",),
)
class TemplatedTask(RunnableTask):
    """Render `spec` (YAML of a runnable task, without `id`) and run that task.

    The inner task takes this task's `id`; its outputs are this task's outputs.
    """

    spec: str = Field(
        description=(
            "YAML of the task to run, rendered first (so properties and even the type can "
            "come from expressions); `id` is this task's."
        )
    )

    def build(self, ctx: TaskContext) -> RunnableTask:
        """Render and validate the inner task."""
        rendered = require_str(ctx, self.spec, "spec")
        try:
            data: Any = YAML(typ="safe", pure=True).load(rendered)
        except YAMLError as error:
            raise TaskError(f"`spec` did not render to valid YAML: {error}") from None
        if not isinstance(data, dict):
            raise TaskError("`spec` must render to a YAML map with at least a `type`")
        data = {**data, "id": self.id}
        try:
            task = _TASK.validate_python(data)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in issue['loc']) or 'spec'}: {issue['msg']}"
                for issue in error.errors()
            )
            raise TaskError(f"the rendered `spec` is not a valid task: {problems}") from None
        if not isinstance(task, RunnableTask) or isinstance(task, TemplatedTask):
            raise TaskError(
                f"`spec` must describe a runnable task, not `{task.type}` (flowable tasks and "
                "nested TemplatedTasks cannot be templated)"
            )
        return task

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Run the rendered task with this task's context; return its result."""
        return await self.build(ctx).run(ctx)
