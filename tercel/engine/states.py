"""How a group of task runs adds up to one state (Kestra's `guessFinalState`, §6.2).

Precedence over the *normal* task list only (errors and finally branches never count):
KILLED > FAILED > WARNING > PAUSED > SUCCESS; SKIPPED and CANCELLED count as success.
"""

from __future__ import annotations

from collections.abc import Iterable

from tercel.engine.state import State
from tercel.errors import TercelError

#: What a task's own code (a plan, a hook, a template) may raise to fail its task run
#: instead of the whole decision: Tercel errors and the usual conversion errors.
TASK_ERRORS: tuple[type[Exception], ...] = (TercelError, ValueError, TypeError, KeyError)

#: Worst first: the first of these present decides the state.
PRECEDENCE = (State.KILLED, State.FAILED, State.WARNING, State.PAUSED)


def worst_state(states: Iterable[State]) -> State:
    """The state a set of terminated children gives their parent, before allowances."""
    present = set(states)
    for state in PRECEDENCE:
        if state in present:
            return state
    return State.SUCCESS


def allow(state: State, *, allow_failure: bool, allow_warning: bool) -> State:
    """`allowFailure` turns FAILED into WARNING, then `allowWarning` WARNING into SUCCESS."""
    if state is State.FAILED and allow_failure:
        state = State.WARNING
    if state is State.WARNING and allow_warning:
        state = State.SUCCESS
    return state


def subflow_state(child: State, *, transmit_failed: bool) -> State:
    """A waiting Subflow task's state from its child's final state (`ExecutableUtils`)."""
    if transmit_failed and child in (State.FAILED, State.KILLED, State.WARNING):
        return child
    return State.SUCCESS
