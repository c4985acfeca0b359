"""What a flowable task tells the engine when it starts: its plan.

A flowable (Sequential, Parallel, If, Switch, ForEach, Dag, ...) never schedules anything
itself. When its task run starts, the engine asks it for a `Plan` — the child tasks to run,
grouped into *lanes* run one after the other inside, at most `limit` lanes at a time — and
then runs that plan generically. So every flowable shares one implementation of next-task
resolution, errors, finally, state resolution and concurrency limits:

* Sequential: one lane with every child; Parallel: one lane per child, `limit = concurrent`;
* ForEach: one lane per value, `limit = concurrencyLimit`; EachSequential: one lane per value,
  limit 1; EachParallel: one lane per (value, task), `limit = concurrent`;
* Dag: one lane per task with `after` dependencies between lanes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol, runtime_checkable

from tercel.engine.execution import TaskRun
from tercel.engine.state import State
from tercel.model.task import Task


@dataclass(frozen=True, slots=True)
class Slot:
    """One child task run to create: the task, its loop value and its lane."""

    task: Task
    lane: int = 0
    value: str | None = None


@dataclass(slots=True)
class Plan:
    """The children of one flowable task run and how to schedule them."""

    slots: list[Slot] = field(default_factory=list)
    #: Maximum lanes running at once; 0 = unlimited.
    limit: int = 1
    #: Lane dependencies (Dag): lane -> lanes that must be terminated before it starts.
    after: dict[int, tuple[int, ...]] = field(default_factory=dict)
    errors: list[Task] = field(default_factory=list)
    finally_: list[Task] = field(default_factory=list)
    #: Outputs stored on the flowable's task run as soon as it starts (If, Switch...).
    outputs: dict[str, Any] | None = None
    #: FAILED ⇒ WARNING (AllowFailure, `allowFailure`).
    allow_failure: bool = False
    allow_warning: bool = False
    #: The loop iteration of every child (LoopUntil/WaitFor), None otherwise.
    iteration: int | None = None

    @property
    def lane_count(self) -> int:
        """How many lanes the slots use."""
        return max((slot.lane for slot in self.slots), default=-1) + 1


class PlanContext(Protocol):
    """What a flowable can use to plan: rendering in its own task run's context."""

    @property
    def task_run(self) -> TaskRun:
        """The flowable's own task run."""

    @property
    def context(self) -> Mapping[str, Any]:
        """The render context of the flowable's task run."""

    def render(self, template: str) -> str:
        """Render a string in the task run's context (TemplateError on failure)."""

    def render_typed(self, expression: str) -> Any:
        """Render an expression to its typed value."""

    def render_value(self, value: Any, extra: Mapping[str, Any] | None = None) -> Any:
        """Render strings inside lists and maps (keys too), recursively.

        `extra` adds variables (e.g. ForEachItem's `taskrun.items`) over the context.
        """

    def is_truthy(self, rendered: str) -> bool:
        """Kestra's TruthUtils: false for ``false``, ``0``, ``-0`` and blank."""

    def outputs_of(self, task_id: str) -> Any:
        """The outputs of a task as `outputs.<task_id>` shows them (None if none)."""


class Flowable(Protocol):
    """A task the executor runs by planning its children (`kind = FLOWABLE`)."""

    def plan(self, ctx: PlanContext) -> Plan:
        """Children to run; raise a TercelError to fail the task run with its message."""


@dataclass(frozen=True, slots=True)
class LoopStep:
    """What a looping flowable decides after an iteration (LoopUntil/WaitFor)."""

    #: Start another iteration after `delay` when True; else end with `state`.
    again: bool
    delay: timedelta = timedelta(0)
    state: State = State.SUCCESS
    outputs: dict[str, Any] | None = None


@runtime_checkable
class Looping(Protocol):
    """A flowable that repeats its plan (LoopUntil/WaitFor).

    The engine starts each iteration as a new plan and, once one succeeded, asks
    `next_iteration` whether to run another (after its `delay`) or to end.
    """

    def next_iteration(self, ctx: PlanContext, iteration: int, elapsed: timedelta) -> LoopStep:
        """Decide after iteration `iteration` (1-based) succeeded, `elapsed` since start."""


@dataclass(frozen=True, slots=True)
class PauseSpec:
    """How a Pause task waits: auto-resume after `delay`, fail after `timeout`."""

    delay: timedelta | None = None
    timeout: timedelta | None = None


@runtime_checkable
class Pausing(Protocol):
    """A flowable that pauses its execution (Pause).

    When its task run starts, the engine pauses the execution with `pause_spec`'s delay and
    timeout; when the timeout passes, the task run ends in `timeout_state()`; a resume's
    inputs are validated and typed by the `on_resume` declarations (flow inputs' rules).
    """

    @property
    def on_resume(self) -> Sequence[Any]:
        """The inputs a resume may (or must) give, declared like flow inputs."""

    def pause_spec(self, ctx: PlanContext) -> PauseSpec:
        """When to resume on its own and when to time out (TercelError: the task fails)."""

    def timeout_state(self) -> str:
        """The state name the task run ends in when the pause times out."""


@runtime_checkable
class FinalOutputs(Protocol):
    """A flowable whose outputs are computed once its children are done (ForEachItem)."""

    def final_outputs(self, ctx: PlanContext) -> dict[str, Any] | None:
        """The task run's outputs, set just before it ends (TercelError: it fails)."""


@dataclass(frozen=True, slots=True)
class SubflowRequest:
    """A child execution an executable task asks for (Subflow, ForEachItem batches)."""

    namespace: str
    flow_id: str
    revision: int | None
    inputs: Mapping[str, Any]
    labels: Mapping[str, str]
    wait: bool = True
    transmit_failed: bool = True
    inherit_labels: bool = False
    schedule_date: str | None = None
    iteration: int | None = None


@runtime_checkable
class Executable(Protocol):
    """A task that starts child executions (`kind = EXECUTABLE`: Subflow, ForEachItem batches).

    The engine asks `subflow_requests` when the task run starts; `wait` and
    `transmit_failed` say, for an execution reloaded from the store, whether the task run
    waits for its children and whether a failed child fails it.
    """

    @property
    def wait(self) -> bool:
        """Whether the task run waits for its child executions to end."""

    @property
    def transmit_failed(self) -> bool:
        """Whether a failed child execution fails the task run."""

    def subflow_requests(self, ctx: PlanContext) -> list[SubflowRequest]:
        """The child executions to create (TercelError: the task run fails)."""
