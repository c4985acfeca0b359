"""Fast copies of executions and task runs for the in-memory store.

`copy.deepcopy` costs ~100-200 µs per task run; these copies know the shapes (state
histories are append-only and never mutated in place; outputs and inputs are JSON-like)
and cost a few µs, which keeps `tercel run`'s per-step overhead small.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from tercel.engine.execution import Attempt, Execution, ExecutionTrigger, Label, TaskRun
from tercel.engine.state import StateTrail

_SCALARS = (str, int, float, bool, type(None))


def copy_json(value: Any) -> Any:
    """A deep copy of JSON-like data (dicts, lists, scalars); other objects are deep-copied."""
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, dict):
        return {key: copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_json(item) for item in value]
    return copy.deepcopy(value)


def copy_trail(trail: StateTrail) -> StateTrail:
    """A trail whose history list can grow without touching the original."""
    return StateTrail(trail.current, list(trail.histories))


def copy_task_run(task_run: TaskRun) -> TaskRun:
    """An independent copy of a task run."""
    return dataclasses.replace(
        task_run,
        state=copy_trail(task_run.state),
        attempts=[Attempt(copy_trail(a.state), a.log_file) for a in task_run.attempts],
        outputs=copy_json(task_run.outputs),
    )


def copy_header(execution: Execution) -> Execution:
    """An independent copy of an execution without its task runs."""
    trigger = execution.trigger
    return dataclasses.replace(
        execution,
        state=copy_trail(execution.state),
        task_run_list=[],
        inputs=copy_json(execution.inputs),
        outputs=copy_json(execution.outputs),
        labels=[Label(label.key, label.value) for label in execution.labels],
        variables=copy_json(execution.variables),
        trigger=(
            ExecutionTrigger(
                trigger.id, trigger.type, copy_json(trigger.variables), trigger.log_file
            )
            if trigger is not None
            else None
        ),
    )
