"""Execution and task-run states (Kestra §6.1) and their append-only history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class State(StrEnum):
    """Every state an execution or a task run can be in."""

    CREATED = "CREATED"
    SUBMITTED = "SUBMITTED"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    RESTARTED = "RESTARTED"
    KILLING = "KILLING"
    SUCCESS = "SUCCESS"
    WARNING = "WARNING"
    FAILED = "FAILED"
    KILLED = "KILLED"
    CANCELLED = "CANCELLED"
    QUEUED = "QUEUED"
    RETRYING = "RETRYING"
    RETRIED = "RETRIED"
    SKIPPED = "SKIPPED"
    BREAKPOINT = "BREAKPOINT"
    RESUBMITTED = "RESUBMITTED"

    @property
    def is_terminated(self) -> bool:
        """True for states an execution or task run never leaves on its own."""
        return self in TERMINATED

    @property
    def is_running(self) -> bool:
        """True while work is in progress."""
        return self in (State.RUNNING, State.KILLING)

    @property
    def is_created(self) -> bool:
        """True for states that are waiting to start."""
        return self in (State.CREATED, State.RESTARTED)

    @property
    def is_failed(self) -> bool:
        """True when the state counts as a failure."""
        return self is State.FAILED


TERMINATED = frozenset(
    {
        State.SUCCESS,
        State.WARNING,
        State.FAILED,
        State.KILLED,
        State.CANCELLED,
        State.RETRIED,
        State.SKIPPED,
    }
)


@dataclass(slots=True)
class StateHistory:
    """One transition: the state entered and when."""

    state: State
    date: datetime


@dataclass(slots=True)
class StateTrail:
    """The current state and its append-only history (setting the same state is a no-op)."""

    current: State = State.CREATED
    histories: list[StateHistory] = field(default_factory=list)

    @classmethod
    def start(cls, now: datetime, state: State = State.CREATED) -> StateTrail:
        """A trail that begins in `state` at `now`."""
        return cls(state, [StateHistory(state, now)])

    def set(self, state: State, now: datetime) -> bool:
        """Move to `state` at `now`; return False (and change nothing) if already there."""
        if state is self.current and self.histories:
            return False
        self.current = state
        self.histories.append(StateHistory(state, now))
        return True

    @property
    def start_date(self) -> datetime | None:
        """When the first state was entered."""
        return self.histories[0].date if self.histories else None

    @property
    def end_date(self) -> datetime | None:
        """When a terminal (or paused) state was entered, else None."""
        if self.histories and (self.current.is_terminated or self.current is State.PAUSED):
            return self.histories[-1].date
        return None
