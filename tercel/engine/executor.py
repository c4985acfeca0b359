"""The executor: applies one event to an execution and runs Kestra's loop (§6.2).

`Executor` is built per `decide` call. It mutates the execution in place through a few
choke points (`create`, `set_state`, `end_task_run`) so that the index and the list of
changed task runs stay right, and works off a queue of owners (flowable task runs, or the
flow itself) to advance — never rescanning the whole execution.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tercel.engine.api import (
    ConditionCheck,
    Decision,
    EmitLog,
    Event,
    ExecutionEnded,
    Kill,
    KillTaskRun,
    NewId,
    RandomDraw,
    Renderer,
    Resume,
    RunTask,
    RunWorkingDirectory,
    Start,
    SubflowEnded,
    TaskRunResult,
    TaskRunStarted,
    TimerFired,
)
from tercel.engine.context import execution_context, task_context
from tercel.engine.execution import Attempt, Execution, TaskRun
from tercel.engine.index import ExecutionIndex
from tercel.engine.plan import Plan
from tercel.engine.scheduler import LaneRun
from tercel.engine.scheduler import Start as SlotStart
from tercel.engine.state import State, StateTrail
from tercel.engine.states import allow
from tercel.errors import ConflictError, EngineStepError, InputError
from tercel.model.task import Retry, Task

if TYPE_CHECKING:
    from tercel.model.flow import Flow

#: Owner key of the `afterExecution` list (its task runs have no parent task run).
AFTER = "\x00afterExecution"


class Executor:
    """One decision: built per call to `decide`, discarded after."""

    def __init__(
        self,
        flow: Flow,
        execution: Execution,
        now: datetime,
        *,
        new_id: NewId,
        render: Renderer,
        random: RandomDraw | None,
        environment: Mapping[str, Any] | None,
        conditions: ConditionCheck | None = None,
    ) -> None:
        self.flow = flow
        self.execution = execution
        self.now = now
        self.new_id = new_id
        self.renderer = render
        self.random = random
        self.conditions = conditions
        self.environment = environment or {}
        self._environment_key = id(environment) if environment else 0
        self.index = ExecutionIndex.of(flow, execution)
        self.decision = Decision()
        self.changed: dict[str, TaskRun] = {}
        self.queue: deque[str | None] = deque()
        self.queued: set[str | None] = set()
        #: The task run being decided, named when something fails unexpectedly.
        self.handling: str | None = None

    # -- entry point --------------------------------------------------------------------

    def handle(self, event: Event) -> Decision:
        """Apply `event`, advance everything it touched, and report.

        An unexpected exception becomes `EngineStepError` naming the task run being decided,
        so that the runtime fails that task run with the reason instead of leaving it
        RUNNING. Refused commands (`ConflictError`, `InputError`) pass through unchanged.
        """
        self.handling = getattr(event, "task_run_id", None)
        try:
            return self._handle(event)
        except (ConflictError, InputError, EngineStepError):
            raise
        except Exception as error:
            reason = str(error) or type(error).__name__
            raise EngineStepError(reason, self.handling) from error

    def _handle(self, event: Event) -> Decision:
        from tercel.engine import events

        if isinstance(event, Start):
            events.on_start(self, event)
        elif isinstance(event, TaskRunStarted):
            events.on_task_run_started(self, event)
        elif isinstance(event, TaskRunResult):
            events.on_task_run_result(self, event)
        elif isinstance(event, SubflowEnded):
            events.on_subflow_ended(self, event)
        elif isinstance(event, TimerFired):
            events.on_timer(self, event)
        elif isinstance(event, Kill):
            events.on_kill(self)
        elif isinstance(event, Resume):
            events.on_resume(self, event)
        self.drain()
        if self.flow.sla:
            from tercel.engine.sla import check_assertions

            check_assertions(self)
            self.drain()
        self._drop_cancelled_runs()
        self.decision.changed_task_runs = list(self.changed.values())
        self.decision.finished = self.finished()
        return self.decision

    def _drop_cancelled_runs(self) -> None:
        """A task run started and killed in the same decision is neither run nor killed.

        (E.g. an SLA or an Exit ends the execution right after its first task was
        dispatched: the runtime never sees a job it would have to cancel.)
        """
        effects = self.decision.effects
        killed = {e.task_run_id for e in effects if isinstance(e, KillTaskRun)}
        if not killed:
            return
        started = {
            e.task_run.id
            for e in effects
            if isinstance(e, RunTask | RunWorkingDirectory) and e.task_run.id in killed
        }
        if not started:
            return
        self.decision.effects = [
            e
            for e in effects
            if not (
                (isinstance(e, KillTaskRun) and e.task_run_id in started)
                or (isinstance(e, RunTask | RunWorkingDirectory) and e.task_run.id in started)
            )
        ]

    # -- small services -----------------------------------------------------------------

    @property
    def killing(self) -> bool:
        """True while the execution is being killed."""
        return self.execution.state.current in (State.KILLING, State.KILLED)

    def emit(self, effect: Any) -> None:
        """Add an effect to the decision."""
        self.decision.effects.append(effect)

    def log(self, level: str, message: str, task_run: TaskRun | None = None) -> None:
        """A log line decided by the executor."""
        self.emit(EmitLog(level, message, task_run.id if task_run else None))

    def touch(self, task_run: TaskRun) -> None:
        """Report `task_run` as changed."""
        self.changed[task_run.id] = task_run

    def base_context(self) -> dict[str, Any]:
        """The execution-wide render context (cached on the index until it changes)."""
        index = self.index
        key = (self.execution.state.current, len(self.execution.labels), self._environment_key)
        if index.base_context is None or index.base_key != key:
            index.base_context = execution_context(
                self.flow, self.execution, index, self.environment
            )
            index.base_key = key
        return index.base_context

    def invalidate_context(self) -> None:
        """Labels or the execution state changed: rebuild the base context on next use."""
        self.index.base_context = None

    def context_of(self, task_run: TaskRun, task: Task) -> dict[str, Any]:
        """The render context of one task run."""
        return task_context(self.base_context(), self.index, task_run, task)

    def task_of(self, task_run: TaskRun) -> Task | None:
        """The task a task run runs (None if the flow no longer has it)."""
        planned = self.index.planned.get(task_run.id)
        if planned is not None:
            return planned[1]
        return self.index.flow.tasks.get(task_run.task_id)

    def draw(self) -> float:
        """A random number in [0, 1) from the injected source (0.0 without one)."""
        return self.random() if self.random is not None else 0.0

    def retry_of(self, task: Task) -> Retry | None:
        """The task's retry, else its closest ancestor's, else the flow's."""
        current: Task | None = task
        while current is not None:
            if current.retry is not None:
                return current.retry
            current = self.index.flow.parent.get(current.id)
        return self.flow.retry

    # -- state changes ------------------------------------------------------------------

    def set_state(self, task_run: TaskRun, state: State) -> None:
        """Move a task run to `state` (index and change list kept in sync)."""
        if task_run.state.set(state, self.now):
            self.index.record_state(task_run)
            if state is State.PAUSED:
                self.index.paused.add(task_run.id)
            else:
                self.index.paused.discard(task_run.id)
            self.touch(task_run)

    def set_outputs(self, task_run: TaskRun, outputs: Mapping[str, Any] | None) -> None:
        """Record a task run's outputs (merged into `outputs.<id>...`)."""
        if outputs is None:
            return
        merged = dict(task_run.outputs or {})
        merged.update(outputs)
        task_run.outputs = merged
        self.index.record_outputs(task_run, dict(outputs))
        self.touch(task_run)

    def set_execution_state(self, state: State) -> None:
        """Move the execution to `state`."""
        if self.execution.state.set(state, self.now):
            self.invalidate_context()

    def start_attempt(self, task_run: TaskRun, attempt_number: int | None = None) -> None:
        """Append a RUNNING attempt unless attempt `attempt_number` already exists."""
        number = attempt_number or len(task_run.attempts) + 1
        if len(task_run.attempts) < number:
            task_run.attempts.append(Attempt(StateTrail.start(self.now, State.RUNNING)))
            self.touch(task_run)

    def end_attempt(self, task_run: TaskRun, state: State) -> None:
        """Set the last attempt's state (an attempt is created if there is none)."""
        if not task_run.attempts:
            self.start_attempt(task_run)
        task_run.attempts[-1].state.set(state, self.now)
        self.touch(task_run)

    # -- creating children --------------------------------------------------------------

    def create(self, owner: str | None, run: LaneRun, start: SlotStart) -> TaskRun:
        """Create the task run of `start` under `owner` and dispatch it."""
        parent_id = None if owner in (None, AFTER) else owner
        task_run = TaskRun(
            id=self.new_id(),
            execution_id=self.execution.id,
            namespace=self.execution.namespace,
            flow_id=self.execution.flow_id,
            task_id=start.slot.task.id,
            state=StateTrail.start(self.now),
            parent_task_run_id=parent_id,
            value=start.slot.value,
            iteration=run.plan.iteration,
            tenant_id=self.execution.tenant_id,
        )
        self.execution.task_run_list.append(task_run)
        self.index.add(task_run)
        self.touch(task_run)
        run.created(start, task_run.id)
        if self.execution.state.current is State.CREATED:
            self.set_execution_state(State.RUNNING)
        from tercel.engine.dispatch import dispatch

        self.handling = task_run.id
        dispatch(self, task_run, start.slot.task)
        return task_run

    def run_of(self, owner: str | None) -> LaneRun | None:
        """The scheduling state of `owner` (rebuilt from the execution when missing)."""
        if owner == AFTER:
            return self.index.after_run
        run = self.index.runs.get(owner)
        if run is None:
            from tercel.engine.rebuild import rebuild_run

            run = rebuild_run(self, owner)
        return run

    def owner_run_of(self, task_run: TaskRun) -> tuple[str | None, LaneRun | None]:
        """The owner key and run a child task run reports to."""
        owner = task_run.parent_task_run_id
        if owner is None:
            after = self.index.after_run
            if after is not None and task_run.id in after.lane_of_child:
                return AFTER, after
        return owner, self.run_of(owner)

    # -- ending -------------------------------------------------------------------------

    def final_state(self, task: Task, state: State, *, plan: Plan | None = None) -> State:
        """Apply `allowFailure` / `allowWarning` (the task's or its plan's)."""
        allow_failure = task.allow_failure or (plan.allow_failure if plan else False)
        allow_warning = task.allow_warning or (plan.allow_warning if plan else False)
        return allow(state, allow_failure=allow_failure, allow_warning=allow_warning)

    def end_task_run(self, task_run: TaskRun, state: State) -> None:
        """A task run reached its final state: tell its owner and advance it."""
        self.set_state(task_run, state)
        owner, run = self.owner_run_of(task_run)
        if run is not None:
            run.ended(task_run.id, state)
            self.enqueue(owner)

    def fail(self, task_run: TaskRun, task: Task, message: str) -> None:
        """Fail a task run the executor itself was running (bad template, bad plan...)."""
        self.log("ERROR", message, task_run)
        if task_run.state.current is State.CREATED:
            self.set_state(task_run, State.RUNNING)
        self.end_task_run(task_run, self.final_state(task, State.FAILED))

    # -- the loop -----------------------------------------------------------------------

    def enqueue(self, owner: str | None) -> None:
        """Advance `owner` (a flowable task run id, None for the flow, or AFTER) soon."""
        if owner not in self.queued:
            self.queued.add(owner)
            self.queue.append(owner)

    def drain(self) -> None:
        """Advance every queued owner until nothing changes."""
        while self.queue:
            owner = self.queue.popleft()
            self.queued.discard(owner)
            self.advance(owner)

    def advance(self, owner: str | None) -> None:
        """Start what can start under `owner`; finish it when it is complete."""
        if owner in self.index.finished_owners:
            return
        if owner is None and self.execution.state.current not in (
            State.RUNNING,
            State.RETRYING,
            State.PAUSED,
            State.KILLING,
            State.RESTARTED,
        ):
            return
        if owner not in (None, AFTER):
            self.handling = owner
        run = self.run_of(owner)
        if run is None:
            return
        if owner != AFTER and (self.killing or self.index.exit_state is not None):
            run.stop()
        for start in run.next_starts():
            self.create(owner, run, start)
        if run.complete():
            from tercel.engine.finish import finish_owner

            finish_owner(self, owner, run)

    def finished(self) -> bool:
        """Nothing more will happen: terminal, and afterExecution done."""
        if not self.execution.state.current.is_terminated:
            return False
        after = self.index.after_run
        return after is None or after.complete()

    def execution_ended(self, state: State) -> None:
        """Set the terminal state and announce it (once)."""
        self.set_execution_state(state)
        self.log("INFO", f"Flow completed with state {state.value}")
        self.emit(ExecutionEnded(state))

    def render_with(self, task_run: TaskRun, task: Task) -> Callable[[Any], Any]:
        """A `render(value)` function bound to a task run's context (for task hooks)."""
        from tercel.engine.rendering import render_value

        context = self.context_of(task_run, task)
        return lambda value: render_value(self.renderer, value, context)
