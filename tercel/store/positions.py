"""Where each task run sits in its execution's `task_run_list`, found without a scan per save.

A store writes only the task runs an executor step changed, yet needs each new one's
position (task runs are listed in creation order). Scanning the list per save would make a
10,000-item ForEach quadratic, so the index is kept per execution and only the tail appended
since the last save is indexed. A list that shrank or was reordered (restart, replay) is
detected by an identity check and re-indexed once.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

from tercel.engine.execution import Execution, TaskRun


class _Entry:
    __slots__ = ("index", "runs", "seen")

    def __init__(self, runs: list[TaskRun]) -> None:
        self.runs = runs
        self.index: dict[str, int] = {}
        self.seen = 0

    def catch_up(self) -> None:
        runs = self.runs
        for position in range(self.seen, len(runs)):
            self.index[runs[position].id] = position
        self.seen = len(runs)


class PositionIndex:
    """An LRU of per-execution task-run positions."""

    def __init__(self, capacity: int = 256) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def positions(self, execution: Execution, task_runs: Iterable[TaskRun]) -> list[int]:
        """The position of each task run of `task_runs` in `execution.task_run_list`.

        A task run that is not in the list gets a position after the end (it still sorts
        after every task run saved before it).
        """
        entry = self._entry(execution)
        found: list[int] = []
        for task_run in task_runs:
            position = self._lookup(entry, task_run)
            if position is None:
                entry = self._rebuild(execution)
                position = self._lookup(entry, task_run)
            found.append(len(entry.runs) if position is None else position)
        return found

    def forget(self, execution_id: str) -> None:
        """Drop an execution's index (it was deleted)."""
        self._entries.pop(execution_id, None)

    def _entry(self, execution: Execution) -> _Entry:
        entry = self._entries.get(execution.id)
        if entry is None or entry.runs is not execution.task_run_list:
            return self._rebuild(execution)
        self._entries.move_to_end(execution.id)
        entry.catch_up()
        return entry

    def _rebuild(self, execution: Execution) -> _Entry:
        entry = _Entry(execution.task_run_list)
        entry.catch_up()
        self._entries[execution.id] = entry
        self._entries.move_to_end(execution.id)
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)
        return entry

    @staticmethod
    def _lookup(entry: _Entry, task_run: TaskRun) -> int | None:
        position = entry.index.get(task_run.id)
        if position is None or position >= len(entry.runs):
            return None
        if entry.runs[position].id != task_run.id:
            return None
        return position
