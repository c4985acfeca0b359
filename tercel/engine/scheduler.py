"""Next-task resolution for one flowable task run (or the flow itself): `LaneRun`.

A `Plan`'s slots are grouped in lanes; inside a lane the slots run one after the other, and at
most `plan.limit` lanes run at once (0 = all), in order or, for a Dag, once every lane they
wait for is done. When a normal child ends FAILED nothing new starts and `errors` start at once,
one after the other, while the normal children already running go on (Kestra switches to the
errors branch at the first failure). `finally` runs once every normal and errors child has
ended. A WorkingDirectory's errors wait for its worker to be done. Every operation is O(1)
amortised in the number of children, so a 10,000-value loop stays linear.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from enum import IntEnum

from tercel.engine.plan import Plan, Slot
from tercel.engine.state import State
from tercel.engine.states import worst_state
from tercel.model.task import Task


class Phase(IntEnum):
    """Which list of the plan is running."""

    NORMAL = 0
    ERRORS = 1
    FINALLY = 2
    DONE = 3


@dataclass(frozen=True, slots=True)
class Start:
    """A child to create: `slot` of the normal list, or a task of errors/finally."""

    phase: Phase
    slot: Slot
    lane: int = -1


@dataclass(slots=True)
class LaneRun:
    """Scheduling state of the children of one flowable task run."""

    plan: Plan
    lanes: list[list[Slot]] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)
    phase: Phase = Phase.NORMAL
    next_lane: int = 0
    active: int = 0
    lanes_done: int = 0
    failed: bool = False
    open_children: int = 0
    #: Open children of the normal list (the rest of `open_children` are errors/finally).
    open_normal: int = 0
    normal_states: dict[State, int] = field(default_factory=dict)
    branch_position: int = 0
    waiting_on: list[int] = field(default_factory=list)
    dependents: dict[int, list[int]] = field(default_factory=dict)
    ready: deque[int] = field(default_factory=deque)
    lane_of_child: dict[str, tuple[Phase, int]] = field(default_factory=dict)
    #: WorkingDirectory: children are run by a worker, the engine never starts them.
    external: bool = False
    external_done: bool = False
    stopped: bool = False
    #: Next slots of lanes whose previous child just ended, started by `next_starts`.
    pending: list[Start] = field(default_factory=list)

    @classmethod
    def of(cls, plan: Plan, *, external: bool = False) -> LaneRun:
        """A fresh run of `plan` (nothing created yet)."""
        run = cls(plan=plan, external=external)
        count = plan.lane_count
        run.lanes = [[] for _ in range(count)]
        for slot in plan.slots:
            run.lanes[slot.lane].append(slot)
        run.positions = [0] * count
        if plan.after:
            run.waiting_on = [len(plan.after.get(lane, ())) for lane in range(count)]
            for lane, deps in plan.after.items():
                for dep in deps:
                    run.dependents.setdefault(dep, []).append(lane)
            run.ready.extend(lane for lane in range(count) if run.waiting_on[lane] == 0)
        if external or count == 0:
            run.phase = Phase.NORMAL
        return run

    # -- what to start ------------------------------------------------------------------

    def _can_open_lane(self) -> bool:
        return self.plan.limit == 0 or self.active < self.plan.limit

    def _next_ready_lane(self) -> int | None:
        if self.plan.after:
            return self.ready.popleft() if self.ready else None
        if self.next_lane < len(self.lanes):
            self.next_lane += 1
            return self.next_lane - 1
        return None

    def next_starts(self) -> list[Start]:
        """Children to create now (the caller creates them and calls `created`)."""
        starts: list[Start] = []
        if self.stopped:
            self.pending = []
            return starts
        if self.phase is Phase.NORMAL and not self.external:
            if self.pending:
                if not self.failed:
                    starts.extend(self.pending)
                self.pending = []
            if not self.failed:
                while self._can_open_lane():
                    lane = self._next_ready_lane()
                    if lane is None:
                        break
                    self.active += 1
                    starts.append(Start(Phase.NORMAL, self.lanes[lane][0], lane))
        if self.phase is Phase.NORMAL and not starts:
            self._maybe_leave_normal()
        if self.phase in (Phase.ERRORS, Phase.FINALLY) and self.open_children == self.open_normal:
            start = self._next_branch_start()
            if start is not None:
                starts.append(start)
        return starts

    def _next_branch_start(self) -> Start | None:
        """The next errors/finally task, moving past exhausted branches."""
        while self.phase is not Phase.DONE:
            if self.phase is Phase.FINALLY and self.open_children:
                return None  # `finally` waits for the normal children still running
            branch = self._branch()
            if self.branch_position < len(branch):
                return Start(self.phase, Slot(branch[self.branch_position]))
            self._advance_phase()
        return None

    def _branch(self) -> list[Task]:
        if self.phase is Phase.ERRORS:
            return self.plan.errors
        if self.phase is Phase.FINALLY:
            return self.plan.finally_
        return []

    def _advance_phase(self) -> None:
        self.branch_position = 0
        if self.phase is Phase.ERRORS:
            self.phase = Phase.FINALLY
        else:
            self.phase = Phase.DONE

    def _maybe_leave_normal(self) -> None:
        if self.phase is not Phase.NORMAL:
            return
        if self.failed and self.plan.errors and not self.external:
            self.phase = Phase.ERRORS
            return
        if self.open_children:
            return
        if self.external:
            finished = self.external_done
        else:
            finished = self.failed or self.lanes_done == len(self.lanes)
        if not finished:
            return
        self.phase = Phase.ERRORS if self.failed and self.plan.errors else Phase.FINALLY
        if self.phase is Phase.FINALLY and not self.plan.finally_:
            self.phase = Phase.DONE

    # -- bookkeeping --------------------------------------------------------------------

    def created(self, start: Start, task_run_id: str) -> None:
        """A child task run was created for `start`."""
        self.open_children += 1
        if start.phase is Phase.NORMAL:
            self.open_normal += 1
        self.lane_of_child[task_run_id] = (start.phase, start.lane)
        if start.phase is Phase.NORMAL and start.lane >= 0:
            self.positions[start.lane] += 1
        elif start.phase is not Phase.NORMAL:
            self.branch_position += 1

    def adopted(self, task_run_id: str) -> None:
        """A child created by a worker (WorkingDirectory) counts as a normal child."""
        self.open_children += 1
        self.open_normal += 1
        self.lane_of_child[task_run_id] = (Phase.NORMAL, -1)

    def ended(self, task_run_id: str, state: State) -> None:
        """A child reached its final state (after retries and allowances)."""
        # Popped, so that a child reported twice (e.g. after a rebuild) counts once.
        where = self.lane_of_child.pop(task_run_id, None)
        if where is None:
            return
        phase, lane = where
        self.open_children -= 1
        if phase is not Phase.NORMAL:
            return
        self.open_normal -= 1
        self.normal_states[state] = self.normal_states.get(state, 0) + 1
        if state is State.FAILED:
            self.failed = True
        elif state is State.KILLED:
            # A killed child stops its parent: nothing else starts, no errors, no finally.
            self.stopped = True
        if lane < 0:
            return
        slots = self.lanes[lane]
        if self.positions[lane] < len(slots):
            if not self.failed and not self.stopped and state is not State.KILLED:
                self.pending.append(Start(Phase.NORMAL, slots[self.positions[lane]], lane))
            else:
                # The lane will not continue: free its place for the accounting.
                self.active -= 1
            return
        self.active -= 1
        self.lanes_done += 1
        for dependent in self.dependents.get(lane, ()):
            self.waiting_on[dependent] -= 1
            if self.waiting_on[dependent] == 0:
                self.ready.append(dependent)

    def stop(self) -> None:
        """Start nothing more (kill, Exit)."""
        self.stopped = True
        self.pending = []

    def complete(self) -> bool:
        """True when nothing is running and nothing is left to start."""
        return (self.phase is Phase.DONE or self.stopped) and self.open_children == 0

    def normal_state(self) -> State:
        """`guessFinalState` over the normal children (before allowances)."""
        return worst_state(state for state, count in self.normal_states.items() if count)
