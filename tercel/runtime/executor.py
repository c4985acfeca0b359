"""The executor loop: feeds events to the pure engine and carries out its effects.

One asyncio task consumes a queue of ``(execution_id, event)``. Events that arrive together
are handled as one batch per execution: `decide` is called for each, the task runs it
touched are written once (`store.executions.save(execution, changed)`), and only then are
jobs dispatched to the worker pool — so a job is always persisted (as a RUNNING task run
with its attempt) before a worker runs it, and recovery can run it again after a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tercel.engine.api import (
    Decision,
    EmitLog,
    Event,
    ExecutionEnded,
    Kill,
    KillSubflow,
    KillTaskRun,
    Resume,
    RetryExecution,
    RunTask,
    RunWorkingDirectory,
    ScheduleTimer,
    Start,
    StartSubflow,
    SubflowEnded,
    TaskRunResult,
    TaskRunStarted,
    TimerFired,
    decide,
)
from tercel.engine.state import State
from tercel.errors import ConflictError, EngineStepError, InputError, TercelError
from tercel.ids import short_id
from tercel.model.inputs import InputType
from tercel.runtime.concurrency import next_queued, running_count
from tercel.runtime.dispatch import Dispatcher
from tercel.runtime.logs import AttemptLogger, LogWriter, execution_logger
from tercel.runtime.namespaces import NamespaceSettings
from tercel.runtime.scheduler.conditions import execution_conditions
from tercel.runtime.subflows import subflow_outputs
from tercel.runtime.template_places import FlowSources
from tercel.runtime.tracked import ParentLink, TemplateRenderer, Tracked, utc_now
from tercel.secrets.sealing import OutputSealer

if TYPE_CHECKING:
    from tercel.engine.execution import Execution, TaskRun
    from tercel.model.flow import Flow
    from tercel.runtime.creation import ExecutionFactory
    from tercel.store.api import Store

_log = logging.getLogger(__name__)

#: Longest time a log line or metric waits in memory before it is written.
FLUSH_SECONDS = 0.05

#: Called after every step of an execution (live progress, SSE, flow triggers...).
Listener = Callable[["Execution"], None]
#: Called once when an execution reaches a terminal state.
EndListener = Callable[["Execution", "Flow"], None]


class Executor:
    """Drives executions to their end: decide, persist, dispatch, repeat."""

    def __init__(
        self,
        *,
        store: Store,
        factory: ExecutionFactory,
        dispatcher: Dispatcher,
        logs: LogWriter,
        clock: Callable[[], datetime] = utc_now,
        environment: Mapping[str, Any] | None = None,
        namespaces: NamespaceSettings | None = None,
        sealer: OutputSealer | None = None,
    ) -> None:
        self.store = store
        #: Encrypts secret values in inputs and outputs while they are written to the store.
        self.sealer = sealer if sealer is not None else OutputSealer(factory.masker)
        self.factory = factory
        self.dispatcher = dispatcher
        self.logs = logs
        self.clock = clock
        self.environment = environment
        #: Where ``namespace.*`` comes from (the store's namespaces when None).
        self.namespaces = namespaces if namespaces is not None else NamespaceSettings(store)
        #: YAML text of flows loaded from files: template errors point into it.
        self.sources = FlowSources()
        self.listeners: list[Listener] = []
        self.end_listeners: list[EndListener] = []
        #: Called when the executor starts driving an execution (new or recovered).
        self.track_listeners: list[Callable[[Tracked], None]] = []
        self._tracked: dict[str, Tracked] = {}
        #: Executions `submit_grouped` tracks, to insert in the next transaction of the loop.
        self._to_create: list[tuple[Tracked, asyncio.Future[None]]] = []
        #: `None` entries only wake the loop (`poke`): the inbox may hold events.
        self._queue: asyncio.Queue[tuple[str, Event] | None] = asyncio.Queue()
        #: Events of executions driven here that other processes wrote to the database:
        #: called inside the step's transaction, so taking them commits with their effects.
        self.inbox: Callable[[], list[tuple[str, Event]]] | None = None
        #: Delivers an event to an execution another process drives (None: drop it).
        self.remote_send: Callable[[str, Event], None] | None = None
        self._inbox_due = False
        #: Stored timers that fired, deleted with the step that handles their event.
        self._fired_delays: list[int] = []
        self._loop_task: asyncio.Task[None] | None = None
        self._last_flush = 0.0
        self._flush_timer: asyncio.TimerHandle | None = None

    # -- public API ----------------------------------------------------------------------
    def start(self) -> None:
        """Start the loop on the running event loop (idempotent)."""
        if self._loop_task is None or self._loop_task.done():
            self._loop_task = asyncio.get_running_loop().create_task(
                self._run_forever(), name="tercel-executor"
            )

    async def stop(self) -> None:
        """Stop the loop and cancel pending timers (running jobs are the dispatcher's)."""
        for tracked in self._tracked.values():
            for handle in tracked.timers:
                handle.cancel()
        for _, persisted in self._to_create:
            persisted.cancel()  # never written: the caller must not acknowledge it
        self._to_create.clear()
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
            self._loop_task = None
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        self.logs.flush()
        self.dispatcher.flush()

    def track(self, flow: Flow, execution: Execution, parent: ParentLink | None = None) -> Tracked:
        """Drive an execution that is already in the store (new or recovered)."""
        services = self.factory.services_for(flow, execution)
        renderer = TemplateRenderer(services, self.sources.placer(flow))
        tracked = Tracked(flow, execution, services, renderer, parent)
        tracked.environment = self.environment_for(flow, execution)
        self._tracked[execution.id] = tracked
        for listener in self.track_listeners:
            listener(tracked)
        return tracked

    def environment_for(self, flow: Flow, execution: Execution) -> Mapping[str, Any]:
        """What every render context of `execution` holds besides the execution's own
        variables: the shared environment plus ``namespace`` (its namespace's effective
        variables, read once when the executor starts driving it)."""
        return self.environment_of(flow, execution.tenant_id)

    def environment_of(self, flow: Flow, tenant: str) -> Mapping[str, Any]:
        """`environment_for` before an execution exists (its inputs are being resolved)."""
        environment = dict(self.environment or {})
        try:
            variables = self.namespaces.variables(flow.namespace, tenant)
        except TercelError as error:
            _log.warning("namespace variables of %s unavailable: %s", flow.namespace, error)
            variables = {}
        environment["namespace"] = variables
        return environment

    def submit(self, flow: Flow, execution: Execution, parent: ParentLink | None = None) -> Tracked:
        """Persist a new execution and start it."""
        with self.sealer.sealed(execution):
            self.store.executions.create(execution)
        tracked = self.track(flow, execution, parent)
        self.send(execution.id, Start(running_count=self._running_count(flow, execution)))
        return tracked

    async def submit_grouped(self, flow: Flow, execution: Execution) -> Tracked:
        """`submit`, with the insert written in the loop's next transaction (group commit).

        Returns once that transaction has committed, so a caller that answers a request
        afterwards never acknowledges an execution a crash could lose; many requests
        arriving together then cost one commit instead of one each. ConflictError when an
        execution with this id exists.
        """
        tracked = self.track(flow, execution)
        persisted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._to_create.append((tracked, persisted))
        self.send(execution.id, Start(running_count=self._running_count(flow, execution)))
        self.start()
        await persisted
        return tracked

    def _create_pending(
        self, pending: list[tuple[Tracked, asyncio.Future[None]]]
    ) -> list[asyncio.Future[None]]:
        """Insert the executions `submit_grouped` queued (inside the loop's transaction)."""
        done: list[asyncio.Future[None]] = []
        for tracked, persisted in pending:
            execution = tracked.execution
            try:
                with self.sealer.sealed(execution):
                    self.store.executions.create(execution)
            except ConflictError as error:
                # Not ours to drive: its Start event finds no tracked execution and is dropped.
                self._tracked.pop(execution.id, None)
                persisted.set_exception(error)
                continue
            done.append(persisted)
        return done

    def poke(self) -> None:
        """Read the inbox at the next turn of the loop (events arrived in the database)."""
        self._inbox_due = True
        self._queue.put_nowait(None)

    def send(self, execution_id: str, event: Event) -> None:
        """Queue an event for an execution (through `remote_send` when another process
        drives it)."""
        if self.remote_send is not None and execution_id not in self._tracked:
            self.remote_send(execution_id, event)
            return
        if isinstance(event, Resume):
            # A paused execution is no longer settled: `wait` must wait for what follows.
            tracked = self._tracked.get(execution_id)
            if tracked is not None:
                tracked.settled.clear()
        self._queue.put_nowait((execution_id, event))

    def kill(self, execution_id: str) -> bool:
        """Kill an execution (and, through the engine, its running tasks and subflows)."""
        if execution_id not in self._tracked and self.remote_send is None:
            return False
        self.send(execution_id, Kill())
        return True

    def resume(self, execution_id: str, inputs: Mapping[str, Any] | None = None) -> None:
        """Resume a paused execution (ConflictError when this executor does not drive it)."""
        tracked = self._tracked.get(execution_id)
        if tracked is None or tracked.execution.state.current is not State.PAUSED:
            raise ConflictError(f"execution `{execution_id}` is not paused here")
        self.send(execution_id, Resume(inputs=dict(inputs) if inputs is not None else None))

    def tracked_ids(self) -> list[str]:
        """Ids of the executions this executor drives."""
        return list(self._tracked)

    def tracked(self, execution_id: str) -> Tracked | None:
        """The in-memory state of an execution being driven, if any."""
        return self._tracked.get(execution_id)

    def active(self) -> list[Tracked]:
        """Executions still in progress (neither finished nor paused for good)."""
        return [t for t in self._tracked.values() if not t.settled.is_set()]

    async def wait(self, execution_id: str) -> Execution:
        """Wait until the execution is finished or paused with nothing to resume it."""
        tracked = self._tracked[execution_id]
        await tracked.settled.wait()
        return tracked.execution

    # -- the loop ------------------------------------------------------------------------
    async def _run_forever(self) -> None:
        while True:
            first = await self._queue.get()
            # Let the callbacks that are ready now (other jobs just done, requests just
            # accepted) queue their events first: one transaction then carries them all.
            await asyncio.sleep(0)
            batch = [first]
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            # One transaction (one commit) per batch: new executions, task runs, logs and
            # metrics together. Jobs dispatched inside only start once this synchronous
            # block has returned.
            to_create, self._to_create = self._to_create, []
            try:
                with self.store.transaction():
                    created = self._create_pending(to_create)
                    fired, self._fired_delays = self._fired_delays, []
                    for delay_id in fired:
                        self.store.delays.delete(delay_id)
                    if self.inbox is not None and self._inbox_due:
                        self._inbox_due = False
                        batch.extend(self.inbox())
                    grouped: dict[str, list[Event]] = {}
                    for item in batch:
                        if item is not None:
                            grouped.setdefault(item[0], []).append(item[1])
                    for execution_id, events in grouped.items():
                        self._step_safely(execution_id, events)
                    self._maybe_flush()
            except Exception as error:
                for _, persisted in to_create:
                    if not persisted.done():
                        persisted.set_exception(error)
                raise
            for persisted in created:
                if not persisted.done():
                    persisted.set_result(None)

    def _maybe_flush(self) -> None:
        """Write buffered logs and metrics at most every `FLUSH_SECONDS` (and when full).

        Writing them with every step would double the statements of a short task; a
        timer writes what is left when the loop goes quiet.
        """
        loop = asyncio.get_running_loop()
        if loop.time() - self._last_flush >= FLUSH_SECONDS or self.logs.pending >= 500:
            self.flush()
        elif self._flush_timer is None and (self.logs.pending or self.dispatcher.pending):
            self._flush_timer = loop.call_later(FLUSH_SECONDS, self.flush)

    def flush(self) -> None:
        """Write buffered log lines and metrics now."""
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        with self.store.transaction():
            self.logs.flush()
            self.dispatcher.flush()
        self._last_flush = asyncio.get_running_loop().time()

    def _step_safely(self, execution_id: str, events: list[Event]) -> None:
        tracked = self._tracked.get(execution_id)
        if tracked is None:
            _log.debug("event for unknown execution %s dropped", execution_id)
            return
        try:
            self._step(tracked, events)
        except Exception as error:  # noqa: BLE001 - the loop must survive one execution's bug
            _log.exception("executor step failed for execution %s", execution_id)
            self._fail_hard(tracked, error)

    def _decide(self, tracked: Tracked, event: Event) -> Decision:
        return decide(
            tracked.flow,
            tracked.execution,
            event,
            self.clock(),
            new_id=short_id,
            render=tracked.renderer,
            environment=tracked.environment,
            conditions=execution_conditions,
        )

    def _step(self, tracked: Tracked, events: list[Event]) -> None:
        """Decide every event, persist once, then carry out the effects."""
        execution = tracked.execution
        changed: dict[str, TaskRun] = {}
        effects: list[Any] = []
        pending = deque(events)
        finished = False
        while pending:
            event = pending.popleft()
            try:
                decision = self._decide(tracked, event)
            except (ConflictError, InputError) as error:
                self._logger(tracked, None).warning(str(error))
                continue
            for task_run in decision.changed_task_runs:
                changed[task_run.id] = task_run
                tracked.index[task_run.id] = task_run
            finished = finished or decision.finished
            for effect in decision.effects:
                effects.append(effect)
                # In-process, a worker picks a job up at once: record the attempt now, so
                # that the job is persisted as RUNNING before it runs.
                if isinstance(effect, RunTask):
                    pending.append(TaskRunStarted(effect.task_run.id, effect.attempt_number))
        if execution.outputs and tracked.flow.outputs:
            self._register_secret_outputs(tracked)
        runs = list(changed.values())
        with self.sealer.sealed(execution, runs):
            self.store.executions.save(execution, runs)
        for effect in effects:
            self._apply(tracked, effect)
        if finished:
            tracked.finished = True
        self._after_step(tracked)

    def _register_secret_outputs(self, tracked: Tracked) -> None:
        """SECRET-typed flow outputs are secrets: masked when shown, encrypted at rest."""
        outputs = tracked.execution.outputs or {}
        for declared in tracked.flow.outputs:
            if declared.type is InputType.SECRET and isinstance(outputs.get(declared.id), str):
                self.factory.masker.add(outputs[declared.id])

    def _after_step(self, tracked: Tracked) -> None:
        for listener in self.listeners:
            listener(tracked.execution)
        state = tracked.execution.state.current
        idle = not tracked.jobs and not tracked.timers and not tracked.waiting_children
        if tracked.finished or (state is State.PAUSED and idle):
            # Its last lines land with its final state (same transaction): a reader that
            # sees the end sees every log line.
            self.logs.flush()
            self.dispatcher.flush()
            tracked.settled.set()
        else:
            tracked.settled.clear()
        if tracked.finished and not tracked.jobs:
            self._tracked.pop(tracked.execution.id, None)

    def _fail_hard(self, tracked: Tracked, error: Exception) -> None:
        """A step failed unexpectedly: fail it all with the reason instead of hanging.

        The task run the engine was deciding gets the reason at its YAML position; every
        task run not yet terminated ends FAILED with the execution, so nothing is left
        RUNNING (the failed step may have changed them in memory only: all are saved).
        """
        execution = tracked.execution
        now = self.clock()
        task_run_id = error.task_run_id if isinstance(error, EngineStepError) else None
        culprit = tracked.task_run(task_run_id) if task_run_id else None
        reason = str(error) or type(error).__name__
        if culprit is not None:
            where = self.sources.task_place(tracked.flow, culprit.task_id)
            place = f"task `{culprit.task_id}`" + (f", {where}" if where else "")
            self._logger(tracked, culprit.id).error(f"{reason} ({place})")
        else:
            self._logger(tracked, None).error(f"the executor could not go on: {reason}")
        self.dispatcher.kill_execution(execution.id)
        unfinished = [run for run in execution.task_run_list if not run.state.current.is_terminated]
        for run in unfinished:
            if run.attempts and not run.attempts[-1].state.current.is_terminated:
                run.attempts[-1].state.set(State.FAILED, now)
            if run.state.current is State.CREATED:
                run.state.set(State.RUNNING, now)
            run.state.set(State.FAILED, now)
        execution.state.set(State.FAILED, now)
        # The failed step may have changed any task run in memory: write them all.
        every = list(execution.task_run_list)
        with contextlib.suppress(Exception), self.sealer.sealed(execution, every):
            self.store.executions.save(execution, every)
        tracked.finished = True
        tracked.jobs.clear()
        self._notify_end(tracked)
        self._after_step(tracked)

    # -- effects -------------------------------------------------------------------------
    def _apply(self, tracked: Tracked, effect: Any) -> None:
        execution_id = tracked.execution.id
        if isinstance(effect, RunTask):
            tracked.jobs.add(effect.task_run.id)
            self.dispatcher.run_task(tracked, effect, self.job_done)
        elif isinstance(effect, RunWorkingDirectory):
            tracked.jobs.add(effect.task_run.id)
            self.dispatcher.run_working_directory(tracked, effect, self.job_done, self.send)
        elif isinstance(effect, ScheduleTimer):
            self._schedule(tracked, effect)
        elif isinstance(effect, StartSubflow):
            self._start_subflow(tracked, effect)
        elif isinstance(effect, KillTaskRun):
            if not self.dispatcher.kill(effect.task_run_id):
                self.send(execution_id, TaskRunResult(effect.task_run_id, State.KILLED))
        elif isinstance(effect, KillSubflow):
            self.kill(effect.execution_id)
        elif isinstance(effect, EmitLog):
            self._logger(tracked, effect.task_run_id).log(effect.level, effect.message)
        elif isinstance(effect, ExecutionEnded):
            self._notify_end(tracked)
        elif isinstance(effect, RetryExecution):
            self._retry_execution(tracked, effect)

    def job_done(self, execution_id: str, task_run_id: str, event: Event) -> None:
        """A job ended: forget it and queue the event that reports it."""
        tracked = self._tracked.get(execution_id)
        if tracked is not None:
            tracked.jobs.discard(task_run_id)
        self.send(execution_id, event)

    def _schedule(self, tracked: Tracked, effect: ScheduleTimer) -> None:
        # Persisted first, so that a restarted runtime re-arms it (see `recovery`).
        timer = effect.event
        delay_id = self.store.delays.schedule(
            tracked.execution.id,
            timer.purpose,
            effect.at,
            {"task_run_id": timer.task_run_id, "purpose": timer.purpose, "token": timer.token},
            tenant=tracked.execution.tenant_id,
        )
        self.arm_timer(tracked, effect.at, timer, delay_id)

    def arm_timer(
        self, tracked: Tracked, at: datetime, event: TimerFired, delay_id: int | None = None
    ) -> None:
        """Feed `event` back at `at` (and forget the stored timer `delay_id` then)."""
        loop = asyncio.get_running_loop()
        delay = max(0.0, (at - self.clock()).total_seconds())
        execution_id = tracked.execution.id

        def fire() -> None:
            tracked.timers.discard(handle)
            if delay_id is not None:
                # Deleted in the transaction that applies the event: a crash in between
                # leaves the timer stored, and the next owner fires it again.
                self._fired_delays.append(delay_id)
            self.send(execution_id, event)

        handle = loop.call_later(delay, fire)
        tracked.timers.add(handle)

    def _start_subflow(self, tracked: Tracked, effect: StartSubflow) -> None:
        parent = tracked.execution
        if self.dispatcher.mocks is not None and self._mock_subflow(tracked, effect):
            return
        link = ParentLink(parent.id, effect.task_run.id, effect.iteration, effect.wait)
        try:
            flow, child = self.factory.subflow_execution(parent, effect)
        except TercelError as error:
            self.send(
                parent.id,
                SubflowEnded(
                    effect.task_run.id,
                    None,
                    State.FAILED,
                    error=str(error),
                    iteration=effect.iteration,
                ),
            )
            return
        if effect.wait:
            tracked.waiting_children.add(child.id)
        self.submit(flow, child, link)

    def _mock_subflow(self, tracked: Tracked, effect: StartSubflow) -> bool:
        """End a mocked Subflow task run as its test fixture says, creating no execution."""
        from tercel.engine.context import execution_context

        mock = self.dispatcher.mock_of(tracked, effect.task_run.task_id, effect.task_run.value)
        if mock is None:
            return False
        if effect.wait:
            variables = execution_context(
                tracked.flow, tracked.execution, environment=tracked.environment
            )
            ctx = self.dispatcher.context(
                tracked,
                task=next(t for t in tracked.flow.all_tasks() if t.id == mock.task_id),
                task_run_id=effect.task_run.id,
                attempt_number=1,
                variables=variables,
            )
            self.send(
                tracked.execution.id,
                self.dispatcher.mocked_result(tracked, mock, ctx, variables, 1),
            )
        return True

    def _notify_end(self, tracked: Tracked) -> None:
        execution = tracked.execution
        for listener in self.end_listeners:
            listener(execution, tracked.flow)
        link = tracked.parent
        if link is not None and link.wait:
            parent = self._tracked.get(link.execution_id)
            if parent is not None:
                parent.waiting_children.discard(execution.id)
            outputs, error = subflow_outputs(tracked, parent, link, tracked.environment)
            self.send(
                link.execution_id,
                SubflowEnded(
                    link.task_run_id,
                    execution.id,
                    State.FAILED if error else execution.state.current,
                    outputs=outputs,
                    error=error,
                    iteration=link.iteration,
                ),
            )
        if tracked.flow.concurrency is not None:
            self._dequeue(tracked.flow, execution)

    def _retry_execution(self, tracked: Tracked, effect: RetryExecution) -> None:
        try:
            retried = self.factory.retried_execution(tracked.flow, tracked.execution, effect)
        except TercelError as error:
            self._logger(tracked, None).error(f"cannot retry the execution: {error}")
            return
        delay = max(0.0, (effect.at - self.clock()).total_seconds())
        loop = asyncio.get_running_loop()
        loop.call_later(delay, self.submit, tracked.flow, retried, tracked.parent)

    # -- concurrency ---------------------------------------------------------------------
    def _running_count(self, flow: Flow, execution: Execution) -> int:
        return running_count(flow, execution, self._tracked.values())

    def _dequeue(self, flow: Flow, ended: Execution) -> None:
        first = next_queued(ended, self._tracked.values())
        if first is not None:
            self.send(first.id, Start(running_count=self._running_count(flow, first)))

    # -- logging -------------------------------------------------------------------------
    def log(self, tracked: Tracked, task_run_id: str | None, level: str, message: str) -> None:
        """Write a log line of an execution (of one of its task runs when given)."""
        self._logger(tracked, task_run_id).log(level, message)

    def _logger(self, tracked: Tracked, task_run_id: str | None) -> AttemptLogger:
        task_run = tracked.task_run(task_run_id) if task_run_id else None
        return execution_logger(self.logs, tracked.execution, task_run, self.clock)
