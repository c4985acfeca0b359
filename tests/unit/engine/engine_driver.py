"""A tiny in-test runtime: feeds `decide` and "runs" runnable tasks.

Runnable tasks run for real (their `run()` on a `FakeTaskContext`) unless the test gives an
outcome for their id. Timers fire in time order on a fake clock; subflows run with nested
drivers from a dict of flows. Everything is synchronous and deterministic.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tercel.engine.api import (
    Decision,
    Event,
    ExecutionEnded,
    KillTaskRun,
    RetryExecution,
    RunTask,
    RunWorkingDirectory,
    ScheduleTimer,
    Start,
    StartSubflow,
    SubflowEnded,
    TaskRunResult,
    TaskRunStarted,
    decide,
)
from tercel.engine.context import child_context
from tercel.engine.execution import Execution, Label, TaskRun
from tercel.engine.state import State, StateTrail
from tercel.errors import TercelError
from tercel.model.flow import Flow
from tercel.model.loader import load_flow
from tercel.model.task import Task
from tercel.plugins.context import RunnableTask
from tercel.templating import render, render_typed
from tercel.testing import FakeTaskContext

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "engine"

#: An outcome: a state, or (state, outputs), or a callable of the RunTask giving either.
Outcome = State | tuple[State, dict[str, Any] | None] | Callable[[RunTask], Any]


class TemplatingRenderer:
    """The engine's `Renderer` on Tercel's templating (no services)."""

    def render(self, template: str, context: Mapping[str, Any]) -> str:
        """Render to a string."""
        return render(template, context)

    def render_typed(self, expression: str, context: Mapping[str, Any]) -> Any:
        """Render to a typed value."""
        return render_typed(expression, context)


def load(name: str) -> Flow:
    """A flow from `tests/fixtures/engine`."""
    path = FIXTURES / name
    return load_flow(path.read_text(), str(path))


def parse(source: str) -> Flow:
    """A flow from YAML text."""
    return load_flow(source)


@dataclass
class Driver:
    """Runs one execution of `flow` to its end (or until paused)."""

    flow: Flow
    tmp_path: Path
    inputs: dict[str, Any] = field(default_factory=dict)
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    flows: dict[tuple[str, str], Flow] = field(default_factory=dict)
    labels: list[Label] = field(default_factory=list)
    #: False: runnable tasks are left in `self.running` for the test to finish.
    auto: bool = True
    running_count: int = 0
    execution_id: str = "exec"
    now: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    draw: float = 0.5

    def __post_init__(self) -> None:
        for declared in self.flow.inputs:
            key = declared.id or declared.name
            if key is not None and key not in self.inputs and declared.defaults is not None:
                self.inputs[key] = declared.defaults
        counter = itertools.count(1)
        self.new_id = lambda: f"{self.execution_id}-id{next(counter)}"
        self.execution = Execution(
            id=self.execution_id,
            namespace=self.flow.namespace,
            flow_id=self.flow.id,
            flow_revision=self.flow.revision or 1,
            state=StateTrail.start(self.now),
            inputs=dict(self.inputs),
            labels=list(self.labels)
            + [Label(k, str(v)) for k, v in (self.flow.labels or {}).items()],
        )
        self.events: deque[Event] = deque()
        self.timers: list[tuple[datetime, int, Event]] = []
        self.sequence = itertools.count()
        self.running: dict[str, RunTask] = {}
        self.effects: list[Any] = []
        self.ended: list[State] = []
        self.children: list[Driver] = []
        self.finished = False
        self.renderer = TemplatingRenderer()

    # -- feeding ------------------------------------------------------------------------

    def send(self, event: Event) -> Decision:
        """Decide one event and carry out its effects."""
        decision = decide(
            self.flow,
            self.execution,
            event,
            self.now,
            new_id=self.new_id,
            render=self.renderer,
            random=lambda: self.draw,
        )
        self.finished = decision.finished
        for effect in decision.effects:
            self.effects.append(effect)
            self.carry_out(effect)
        return decision

    def carry_out(self, effect: Any) -> None:
        """The runtime's side of one effect."""
        if isinstance(effect, RunTask):
            self.running[effect.task_run.id] = effect
        elif isinstance(effect, RunWorkingDirectory):
            self.events.append(_WorkingDirectoryJob(effect))  # type: ignore[arg-type]
        elif isinstance(effect, ScheduleTimer):
            heapq.heappush(self.timers, (effect.at, next(self.sequence), effect.event))
        elif isinstance(effect, StartSubflow):
            self.start_subflow(effect)
        elif isinstance(effect, KillTaskRun):
            job = self.running.pop(effect.task_run_id, None)
            if job is not None:
                self.events.append(TaskRunResult(effect.task_run_id, State.KILLED))
        elif isinstance(effect, ExecutionEnded):
            self.ended.append(effect.state)
        elif isinstance(effect, RetryExecution):
            pass

    def start_subflow(self, effect: StartSubflow) -> None:
        """Run the child flow to its end with a nested driver."""
        flow = self.flows.get((effect.namespace, effect.flow_id))
        if flow is None:
            if effect.wait:
                self.events.append(
                    SubflowEnded(
                        effect.task_run.id,
                        None,
                        State.FAILED,
                        error=f"Unable to find flow '{effect.namespace}'.'{effect.flow_id}'",
                        iteration=effect.iteration,
                    )
                )
            return
        child = Driver(
            flow,
            self.tmp_path,
            inputs=dict(effect.inputs),
            outcomes=self.outcomes,
            flows=self.flows,
            labels=list(effect.labels),
            execution_id=effect.execution_id,
            now=self.now,
        )
        child.execution.trigger = effect.trigger
        child.execution.parent_id = self.execution.id
        self.children.append(child)
        child.run()
        if effect.wait:
            self.events.append(
                SubflowEnded(
                    effect.task_run.id,
                    child.execution.id,
                    child.execution.state.current,
                    outputs=child.execution.outputs,
                    iteration=effect.iteration,
                )
            )

    # -- running tasks ------------------------------------------------------------------

    def outcome(self, job: RunTask | None, task: Task, context: Mapping[str, Any]) -> TaskRunResult:
        """What running `task` gives (a test outcome, or the task's real `run()`)."""
        task_run_id = job.task_run.id if job else str(context["taskrun"]["id"])
        wanted = self.outcomes.get(task.id)
        if wanted is not None:
            result = wanted(job) if callable(wanted) and job is not None else wanted
            if isinstance(result, State):
                return TaskRunResult(task_run_id, result)
            state, outputs = result  # type: ignore[misc]
            return TaskRunResult(task_run_id, state, outputs)
        if not isinstance(task, RunnableTask):
            return TaskRunResult(task_run_id, State.SUCCESS)
        ctx = FakeTaskContext(self.tmp_path, variables=dict(context))
        try:
            result = asyncio.run(task.run(ctx))  # type: ignore[arg-type]
        except TercelError as error:
            return TaskRunResult(task_run_id, State.FAILED, error=str(error))
        finally:
            ctx.close()
        return TaskRunResult(task_run_id, result.state or State.SUCCESS, result.outputs)

    def finish(self, task_run_id: str, state: State, outputs: dict[str, Any] | None = None) -> None:
        """Complete a job left running (auto=False)."""
        job = self.running.pop(task_run_id)
        self.send(TaskRunStarted(task_run_id, job.attempt_number))
        self.send(TaskRunResult(task_run_id, state, outputs))

    def step(self) -> bool:
        """Process one thing; False when there is nothing left."""
        if self.events:
            event = self.events.popleft()
            if isinstance(event, _WorkingDirectoryJob):
                self.run_working_directory(event.effect)
            else:
                self.send(event)
            return True
        if self.auto and self.running:
            task_run_id, job = next(iter(self.running.items()))
            del self.running[task_run_id]
            self.now += timedelta(milliseconds=1)
            self.send(TaskRunStarted(task_run_id, job.attempt_number))
            self.send(self.outcome(job, job.task, job.context))
            return True
        if self.timers and not self.finished:
            at, _, event = heapq.heappop(self.timers)
            self.now = max(self.now, at)
            self.send(event)
            return True
        return False

    def run_working_directory(self, effect: RunWorkingDirectory) -> None:
        """Run every child in order; a FAILED child stops the rest."""
        final = State.SUCCESS
        for planned in effect.children:
            context = child_context(self.execution, effect, planned)
            self.send(TaskRunStarted(planned.task_run_id))
            result = self.outcome(None, planned.task, context)
            result = TaskRunResult(planned.task_run_id, result.state, result.outputs)
            self.send(result)
            if result.state is State.FAILED and not planned.task.allow_failure:
                final = State.FAILED
                break
        self.send(TaskRunResult(effect.task_run.id, final))

    def run(self, start: bool = True) -> Execution:
        """Start (unless already started) and run until nothing is left to do."""
        if start:
            self.send(Start(self.running_count))
        while self.step():
            pass
        return self.execution

    # -- assertions helpers -------------------------------------------------------------

    def task_runs(self, task_id: str) -> list[TaskRun]:
        """Task runs of one task."""
        return self.execution.task_runs_of(task_id)

    def state_of(self, task_id: str) -> State:
        """Current state of the (first) task run of `task_id`."""
        return self.task_runs(task_id)[0].state.current


@dataclass
class _WorkingDirectoryJob:
    effect: RunWorkingDirectory


def run_flow(name_or_flow: str | Flow, tmp_path: Path, **kwargs: Any) -> tuple[Execution, Driver]:
    """Load (if a name) and run a flow; return the final execution and its driver."""
    flow = load(name_or_flow) if isinstance(name_or_flow, str) else name_or_flow
    driver = Driver(flow, tmp_path, **kwargs)
    return driver.run(), driver
