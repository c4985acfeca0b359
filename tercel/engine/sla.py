"""Flow `sla` (Kestra beta): MAX_DURATION deadlines and EXECUTION_ASSERTION checks.

A MAX_DURATION SLA arms a timer at start; if the execution is still running when it fires,
the SLA is violated. An EXECUTION_ASSERTION is rendered after every decision while the
execution runs; a falsy result is a violation. A violation adds the SLA's labels, then
`FAIL` ends the execution FAILED and `CANCEL` ends it CANCELLED (running tasks are stopped
as for a kill); `NONE` only labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tercel.engine.api import ScheduleTimer, TimerFired
from tercel.engine.execution import Label
from tercel.engine.rendering import is_truthy, render_value
from tercel.engine.state import State
from tercel.engine.states import TASK_ERRORS
from tercel.model.durations import parse_duration

if TYPE_CHECKING:
    from tercel.engine.executor import Executor

SLA_PURPOSE = "sla"


def _text(value: Any) -> str:
    return str(getattr(value, "value", value))


def arm_deadlines(executor: Executor) -> None:
    """Schedule the MAX_DURATION timers of a starting execution."""
    start = executor.execution.state.start_date or executor.now
    for position, sla in enumerate(executor.flow.sla):
        if _text(sla.type) != "MAX_DURATION" or not sla.duration:
            continue
        try:
            at = start + parse_duration(sla.duration)
        except ValueError:
            executor.log("ERROR", f"SLA `{sla.id}`: bad duration `{sla.duration}`")
            continue
        executor.emit(ScheduleTimer(at, TimerFired(None, SLA_PURPOSE, position)))


def on_deadline(executor: Executor, position: int) -> None:
    """A MAX_DURATION timer fired."""
    slas = executor.flow.sla
    if position >= len(slas) or executor.execution.state.current.is_terminated:
        return
    violate(executor, position)


def check_assertions(executor: Executor) -> None:
    """Render every EXECUTION_ASSERTION of a running execution; violate the falsy ones."""
    if executor.execution.state.current.is_terminated:
        return
    for position, sla in enumerate(executor.flow.sla):
        if _text(sla.type) != "EXECUTION_ASSERTION" or not sla.assert_:
            continue
        if position in executor.index.sla_violated:
            continue
        try:
            rendered = render_value(executor.renderer, sla.assert_, executor.base_context())
        except TASK_ERRORS as error:
            executor.log("ERROR", f"SLA `{sla.id}`: {error}")
            continue
        if not is_truthy(str(rendered)):
            violate(executor, position)


def violate(executor: Executor, position: int) -> None:
    """Apply the SLA's labels and behavior (once per SLA)."""
    from tercel.engine.events import on_kill

    index = executor.index
    if position in index.sla_violated:
        return
    index.sla_violated.add(position)
    sla = executor.flow.sla[position]
    labels: Mapping[str, Any] = sla.labels or {}
    if labels:
        merged = {label.key: label.value for label in executor.execution.labels}
        merged.update({str(key): str(value) for key, value in labels.items()})
        executor.execution.labels = [Label(key, value) for key, value in merged.items()]
        executor.invalidate_context()
    behavior = _text(sla.behavior)
    executor.log("WARN", f"SLA `{sla.id}` violated ({behavior})")
    if behavior in ("FAIL", "CANCEL") and not executor.killing:
        index.forced_state = State.FAILED if behavior == "FAIL" else State.CANCELLED
        on_kill(executor)
