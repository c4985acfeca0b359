"""The pure executor: given a flow, an execution and an event, decide what happens next.

Nothing here does I/O, reads a clock or draws random numbers; time, ids, rendering and
randomness come in as arguments so that every decision can be replayed and tested.

Entry points (see `tercel.engine.api` for the events and effects)::

    decide(flow, execution, event, now, *, new_id, render, random=None, environment=None,
           conditions=None)
        -> Decision(effects, changed_task_runs, finished)
    restart(flow, execution, now) -> list[TaskRun]          # tercel.engine.lifecycle
    replay(execution, task_run_id, now, *, new_id, flow=None) -> Execution
    execution_context(flow, execution) -> dict              # tercel.engine.context
    child_context(execution, run_working_directory, planned) -> dict

Module map: `scheduler` (next-task resolution per flowable: lanes, limits, Dag, errors,
finally), `dispatch` (runIf, kinds and capabilities), `events` (one handler per event),
`finish` (flowable/execution end, loops, flow outputs, afterExecution), `states`
(guessFinalState, allowances), `retry`, `loops` (ForEach values), `outputs` (keyed by loop
values), `context` (render context), `index` (incremental view of an execution),
`rebuild` (scheduling state from a reloaded execution), `lifecycle` (restart, replay).
"""

from __future__ import annotations
