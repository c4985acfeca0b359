"""`execution.Exit`: end the execution now, with a chosen state.

Like `Labels`, this is applied by the engine rather than by a worker: the engine keys on
the class variable `ends_execution`, calls `exit_state(render)` and ends the execution with
that state (only KILLED kills running siblings; tasks after it do not run).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from pydantic import Field

from tercel.engine.state import State
from tercel.errors import TaskError
from tercel.model.registry import plugin
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult

#: States an Exit may end with; Kestra spells the last one CANCELED.
EXIT_STATES: dict[str, State] = {
    "SUCCESS": State.SUCCESS,
    "WARNING": State.WARNING,
    "KILLED": State.KILLED,
    "FAILED": State.FAILED,
    "CANCELED": State.CANCELLED,
    "CANCELLED": State.CANCELLED,
}


@plugin("io.kestra.plugin.core.execution.Exit")
class Exit(RunnableTask):
    """Stop the execution immediately with `state` (SUCCESS by default)."""

    #: Capability the engine keys on: end the execution with `exit_state(render)`.
    ends_execution: ClassVar[bool] = True

    state: str = Field(
        default="SUCCESS",
        description="Final state: SUCCESS, WARNING, KILLED, FAILED or CANCELED.",
    )

    def exit_state(self, render: Callable[[Any], Any]) -> State:
        """The rendered `state` as a `State`; `TaskError` when it is not one of the five."""
        rendered = str(render(self.state)).strip().upper()
        try:
            return EXIT_STATES[rendered]
        except KeyError:
            raise TaskError(
                f"`state` must be SUCCESS, WARNING, KILLED, FAILED or CANCELED, got `{rendered}`"
            ) from None

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Check the state; the engine ends the execution."""
        self.exit_state(ctx.render)
        return TaskResult()
