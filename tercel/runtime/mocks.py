"""Tasks replaced by a given end state and outputs (the task fixtures of flow unit tests).

The runtime asks `TaskMocks.find` at the two places a task would start work: the
dispatcher, before it hands a runnable task (or a WorkingDirectory child) to a worker, and
the executor, before it creates a subflow's execution. A mocked task is never run, so a
mocked Slack task sends nothing; the engine sees an ordinary attempt result, so `errors`
branches, `allowFailure` and retries behave as with a real failure.

Only the execution the test started is mocked (`execution_id`); its subflows run unmocked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tercel.engine.state import State


@dataclass(frozen=True, slots=True)
class TaskMock:
    """What a mocked task run ends with; `outputs` may hold templates (rendered at use)."""

    task_id: str
    state: State = State.SUCCESS
    outputs: Mapping[str, Any] | None = None
    #: Only the task run of this loop value (`taskrun.value`); every run of the task if None.
    value: str | None = None


@dataclass
class TaskMocks:
    """The mocked tasks of one execution, and variables their outputs may use."""

    execution_id: str
    mocks: list[TaskMock] = field(default_factory=list)
    #: Extra variables for rendering mocked outputs (``files``: fixture file URIs).
    variables: Mapping[str, Any] = field(default_factory=dict)

    def find(self, execution_id: str, task_id: str, value: str | None) -> TaskMock | None:
        """The mock of this task run, if the test replaced it."""
        if execution_id != self.execution_id:
            return None
        for mock in self.mocks:
            if mock.task_id == task_id and (mock.value is None or mock.value == value):
                return mock
        return None


def mock_error(mock: TaskMock) -> str | None:
    """The failure message a mocked FAILED/KILLED task run reports."""
    if mock.state in (State.FAILED, State.KILLED):
        return f"task `{mock.task_id}` mocked by a test fixture: {mock.state.value}"
    return None
