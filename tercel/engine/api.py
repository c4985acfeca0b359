"""The engine's contract: events in, effects out, one pure decision function.

The runtime owns the clock, the ids, the workers and the database; the engine owns the
semantics. Every time something happens to an execution the runtime calls::

    decision = decide(flow, execution, event, now, new_id=short_id, render=renderer)

`decide` updates `execution` **in place** (states, new task runs, outputs, labels) and returns
the effects the runtime must carry out plus the task runs it created or changed, so that the
store writes only those. It never does I/O, never reads a clock and never draws a random
number: `now`, `new_id`, `render` and `random` come in as arguments.

Event ordering the runtime follows:

* `Start` once for a new (CREATED) execution, and again for a QUEUED one when a slot frees.
* For every `RunTask` effect: `TaskRunStarted` when a worker picks the attempt up, then one
  `TaskRunResult` for that attempt. A `RunWorkingDirectory` effect does the same for each
  planned child (using the planned ids), then a `TaskRunResult` for the WorkingDirectory itself.
* For every `StartSubflow` effect: the runtime creates the child execution with the given id
  (or reports `SubflowEnded(..., error=...)` when it cannot), and, when `wait` is true,
  `SubflowEnded` once the child is terminated.
* For every `ScheduleTimer`: feed `timer.event` back at (or after) `timer.at`.
* `Kill`, `Resume` come from users (CLI, API, `execution.Resume`).

`Decision.finished` is true once nothing more will happen to the execution (terminal state and
every `afterExecution` task run terminated); `ExecutionEnded` is emitted once, when the
execution reaches its terminal state (QUEUED is not terminal; PAUSED is not terminal).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from tercel.engine.execution import Execution, ExecutionTrigger, Label, TaskRun
from tercel.engine.state import State
from tercel.model.task import Retry, Task

if TYPE_CHECKING:
    from tercel.model.flow import Flow


# --------------------------------------------------------------------------------------------
# Injected services


class Renderer(Protocol):
    """Renders templates for the engine (the templating package behind a narrow seam).

    Both methods raise `tercel.errors.TemplateError` (or a subclass) on failure; the engine
    turns that into a FAILED task run or execution, as Kestra does.
    """

    def render(self, template: str, context: Mapping[str, Any]) -> str:
        """Render `template` to a string (maps/lists inside are written as JSON)."""

    def render_typed(self, expression: str, context: Mapping[str, Any]) -> Any:
        """Render `expression` and return the typed value of a lone ``{{ expr }}``."""


NewId = Callable[[], str]
"""Returns a fresh task-run / execution id (`tercel.ids.short_id` in production)."""

RandomDraw = Callable[[], float]
"""Returns a float in [0, 1); only used for `random` retry delays."""

ConditionCheck = Callable[[Sequence[Any], "Flow", "Execution"], bool]
"""Whether every condition of a list holds for an execution of a flow (the runtime's condition
evaluators); used for the deprecated flow `listeners`. Raises `TercelError` when one cannot be
evaluated."""


# --------------------------------------------------------------------------------------------
# Events (what happened)


@dataclass(frozen=True, slots=True)
class Start:
    """Start a CREATED execution, or dequeue a QUEUED one.

    `running_count` is the number of *other* executions of the same flow currently RUNNING or
    PAUSED; it is only used when the flow declares `concurrency`.
    """

    running_count: int = 0


@dataclass(frozen=True, slots=True)
class TaskRunStarted:
    """A worker began attempt `attempt_number` (1-based) of a task run."""

    task_run_id: str
    attempt_number: int = 1


@dataclass(frozen=True, slots=True)
class TaskRunResult:
    """A worker finished an attempt.

    `state` is SUCCESS, WARNING (e.g. the task returned that final state), FAILED or KILLED.
    `outputs` are kept even on failure. `error` is the failure message, logged at ERROR by the
    runtime already (the engine does not log it again). `timed_out` marks a `timeout` kill.
    `retrying` (WorkingDirectory children only): this FAILED attempt will be followed by
    another one, after the `retry` delay, on the same worker in the same directory.
    """

    task_run_id: str
    state: State
    outputs: Mapping[str, Any] | None = None
    attempt_number: int | None = None
    error: str | None = None
    timed_out: bool = False
    retrying: bool = False


@dataclass(frozen=True, slots=True)
class SubflowEnded:
    """A child execution started by `StartSubflow` reached a terminal state.

    `error` set means the child could not be created (unknown/disabled flow, bad inputs):
    the task run fails with that message. `iteration` identifies the batch of a ForEachItem.
    """

    task_run_id: str
    execution_id: str | None
    state: State
    outputs: Mapping[str, Any] | None = None
    error: str | None = None
    iteration: int | None = None


@dataclass(frozen=True, slots=True)
class TimerFired:
    """A timer scheduled by `ScheduleTimer` is due.

    `purpose` is one of ``"retry"``, ``"pause-delay"``, ``"pause-timeout"``, ``"loop"``
    (all with a task run) or ``"sla"`` (no task run; `token` is the SLA's position); `token`
    lets the engine ignore stale timers (e.g. a pause timeout firing after a manual resume).
    Persist it with the timer: after a reload the engine adopts the token it is given.
    """

    task_run_id: str | None
    purpose: str
    token: int = 0


@dataclass(frozen=True, slots=True)
class Kill:
    """Kill the execution: RUNNING/PAUSED → KILLING → KILLED (created task runs killed)."""


@dataclass(frozen=True, slots=True)
class Resume:
    """Resume a PAUSED execution (all paused task runs, or just `task_run_id`).

    `inputs` are the raw `onResume` values; they are typed and validated against the Pause
    task's `onResume` declarations, and exposed as `outputs.<pause>.onResume.<id>`.
    """

    task_run_id: str | None = None
    inputs: Mapping[str, Any] | None = None


Event = Start | TaskRunStarted | TaskRunResult | SubflowEnded | TimerFired | Kill | Resume


# --------------------------------------------------------------------------------------------
# Effects (what the runtime must do)


@dataclass(frozen=True, slots=True)
class RunTask:
    """Run one attempt of a runnable task on a worker.

    `context` is the render context of this task run (`tercel.engine.context`); the worker
    renders the task's properties with it. `timeout` is the task's `timeout`, already parsed
    (None when unset or dynamic: then `timeout_expression` holds it and the worker renders it).
    """

    task_run: TaskRun
    task: Task
    attempt_number: int
    context: Mapping[str, Any]
    timeout: timedelta | None = None
    timeout_expression: str | None = None


@dataclass(frozen=True, slots=True)
class PlannedTaskRun:
    """A child task run the runtime creates itself (WorkingDirectory children).

    `retry` is the policy that applies to it (its own, else its closest ancestor's, else the
    flow's); the worker retries a FAILED child in place by it (`TaskRunResult.retrying`).
    """

    task_run_id: str
    task: Task
    retry: Retry | None = None


@dataclass(frozen=True, slots=True)
class RunWorkingDirectory:
    """Run every child of a WorkingDirectory, in order, on one worker, in one temp dir.

    For each child the runtime sends `TaskRunStarted(child.task_run_id)` then its
    `TaskRunResult` (the engine creates the child task run on `TaskRunStarted`), with a child
    context from `tercel.engine.context.child_context`. A FAILED child (without
    `allowFailure`), once its `retry` is spent, stops the others. Finally it sends a
    `TaskRunResult` for the WorkingDirectory task run itself with its outputs (e.g.
    `outputFiles`).
    """

    task_run: TaskRun
    task: Task
    children: tuple[PlannedTaskRun, ...]
    context: Mapping[str, Any]
    attempt_number: int = 1


@dataclass(frozen=True, slots=True)
class StartSubflow:
    """Create (and start) a child execution with id `execution_id`.

    `inputs` are rendered in the parent's context but not yet typed: the runtime types them
    with the child flow's input declarations. When `wait` is false the engine has already
    moved the parent task run on; the runtime only creates the child.
    """

    task_run: TaskRun
    execution_id: str
    namespace: str
    flow_id: str
    revision: int | None
    inputs: Mapping[str, Any]
    labels: tuple[Label, ...]
    trigger: ExecutionTrigger
    wait: bool = True
    schedule_date: datetime | None = None
    iteration: int | None = None


@dataclass(frozen=True, slots=True)
class ScheduleTimer:
    """Feed `event` back into `decide` at `at` (retry delays, pause delay/timeout, loops)."""

    at: datetime
    event: TimerFired


@dataclass(frozen=True, slots=True)
class KillTaskRun:
    """Stop a running worker attempt; the runtime then reports `TaskRunResult(KILLED)`."""

    task_run_id: str


@dataclass(frozen=True, slots=True)
class KillSubflow:
    """Kill a child execution (kill cascades to subflows)."""

    execution_id: str


@dataclass(frozen=True, slots=True)
class EmitLog:
    """A log line decided by the executor (e.g. "Flow started", switch errors)."""

    level: str
    message: str
    task_run_id: str | None = None


@dataclass(frozen=True, slots=True)
class RetryExecution:
    """Flow/task retry with `behavior: CREATE_NEW_EXECUTION`: the execution was marked RETRIED.

    The runtime creates `tercel.engine.lifecycle.replay(...)` of this execution (same
    `originalId`, `attemptNumber` + 1) and starts it at `at`.
    """

    at: datetime
    execution_id: str
    attempt_number: int


@dataclass(frozen=True, slots=True)
class ExecutionEnded:
    """The execution reached a terminal state (flow triggers fire on this)."""

    state: State


Effect = (
    RunTask
    | RunWorkingDirectory
    | StartSubflow
    | ScheduleTimer
    | KillTaskRun
    | KillSubflow
    | EmitLog
    | RetryExecution
    | ExecutionEnded
)


@dataclass(slots=True)
class Decision:
    """What `decide` did: effects to carry out and task runs to persist."""

    effects: list[Effect] = field(default_factory=list)
    changed_task_runs: list[TaskRun] = field(default_factory=list)
    #: True once nothing more will happen (terminal and afterExecution done).
    finished: bool = False


# --------------------------------------------------------------------------------------------
# The decision function


def decide(
    flow: Flow,
    execution: Execution,
    event: Event,
    now: datetime,
    *,
    new_id: NewId,
    render: Renderer,
    random: RandomDraw | None = None,
    environment: Mapping[str, Any] | None = None,
    conditions: ConditionCheck | None = None,
) -> Decision:
    """Apply `event` to `execution` (in place) and decide what happens next.

    `environment` adds read-only variables to every render context (e.g. ``envs``,
    ``globals``). `conditions` judges the `conditions` of deprecated flow `listeners` (a
    listener with conditions is skipped, with a warning, without it). Raises
    `tercel.errors.ConflictError` for a command the state forbids (e.g. resuming an
    execution that is not paused) and `tercel.errors.InputError` for invalid `onResume`
    inputs; the execution is then left unchanged.
    """
    from tercel.engine.executor import Executor

    executor = Executor(
        flow,
        execution,
        now,
        new_id=new_id,
        render=render,
        random=random,
        environment=environment,
        conditions=conditions,
    )
    return executor.handle(event)
