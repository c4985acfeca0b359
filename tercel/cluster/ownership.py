"""Which executor drives which execution: PostgreSQL session advisory locks.

An executor drives a whole execution tree (a root execution and the subflows it started),
so that a parent and its children always live in one process, as on a single node. It
holds ``pg_try_advisory_lock(tree)`` on a connection of its own for as long as it drives
the tree. When the process dies, PostgreSQL ends its session and drops the locks at once;
the next scan of another executor takes the tree over and resumes it from the database.

The scan reads the unfinished executions (woken by ``NOTIFY`` when one is created or gets
an event, else every `scan_interval` seconds), and each executor takes the trees nobody
holds. The executions' inbox is read in the executor's step transaction; jobs of workers
that went silent are taken back and run again as new attempts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tercel.cluster.wire import event_from_wire, event_to_wire
from tercel.engine.api import TaskRunResult
from tercel.errors import StoreError
from tercel.runtime.recovery import UNFINISHED, recover, resubmit
from tercel.store.sql.cluster import EVENTS_CHANNEL, NEW_PREFIX
from tercel.store.sql.dialect import advisory_key

if TYPE_CHECKING:
    from tercel.cluster.remote import RemoteDispatcher
    from tercel.engine.api import Event
    from tercel.engine.execution import TaskRun
    from tercel.runtime.executor import Executor
    from tercel.runtime.flows import FlowResolver
    from tercel.runtime.tracked import Tracked
    from tercel.store.sql.store import SqlStore

_log = logging.getLogger(__name__)

#: Why an attempt runs again when the executor that dispatched it died with it.
LOST_WITH_EXECUTOR = "was lost with the executor that ran it"


def conninfo_of(store: SqlStore) -> str:
    """A libpq connection string for the store's database (psycopg's own connections)."""
    url = store.engine.url.set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class TreeLocks:
    """Session advisory locks on execution trees, on one dedicated connection."""

    def __init__(self, conninfo: str) -> None:
        import psycopg

        try:
            self._conn: Any = psycopg.connect(conninfo, autocommit=True)
        except psycopg.Error as error:
            raise StoreError(f"cannot open the executor's lock connection: {error}") from error
        self._lock = threading.Lock()

    @staticmethod
    def _key(root: str) -> int:
        return advisory_key(f"tercel-execution-tree:{root}")

    def try_lock(self, root: str) -> bool:
        """Take the tree's lock if no other executor holds it."""
        with self._lock:
            row = self._conn.execute(
                "SELECT pg_try_advisory_lock(%s)", (self._key(root),)
            ).fetchone()
        return bool(row[0])

    def unlock(self, root: str) -> None:
        """Release the tree's lock."""
        with self._lock:
            self._conn.execute("SELECT pg_advisory_unlock(%s)", (self._key(root),))

    def check(self) -> None:
        """Raise StoreError when the connection (and with it every lock) is gone."""
        import psycopg

        try:
            with self._lock:
                self._conn.execute("SELECT 1")
        except psycopg.Error as error:
            raise StoreError(f"the executor lost its lock connection: {error}") from error

    def close(self) -> None:
        """Close the connection (PostgreSQL releases the locks)."""
        with contextlib.suppress(Exception):
            self._conn.close()


class Ownership:
    """Takes unowned execution trees, feeds the executor its inbox, reaps dead workers."""

    def __init__(
        self,
        executor: Executor,
        flows: FlowResolver,
        store: SqlStore,
        dispatcher: RemoteDispatcher,
        locks: TreeLocks,
        *,
        liveness: float,
        scan_interval: float = 1.0,
        batch: int = 200,
    ) -> None:
        self.executor = executor
        self.flows = flows
        self.store = store
        self.cluster = store.cluster
        self.dispatcher = dispatcher
        self.locks = locks
        self.liveness = liveness
        self.scan_interval = scan_interval
        self.batch = batch
        #: Execution id -> its tree's root, for every execution driven here.
        self.roots: dict[str, str] = {}
        #: Roots whose lock this executor holds.
        self.held: set[str] = set()
        self._wake = asyncio.Event()
        #: Executions announced since the last take (woken by NOTIFY).
        self._new: set[str] = set()
        self.resubmitted = 0

    def attach(self) -> None:
        """Route the executor's inbox and its events for other processes through here."""
        self.executor.inbox = self.inbox
        self.executor.remote_send = self.post
        self.executor.track_listeners.append(self._tracking)

    def notified(self, payloads: list[str]) -> None:
        """NOTIFY payloads of `EVENTS_CHANNEL` arrived (called on the event loop): new
        executions are taken at once; an event only makes the executor read its inbox."""
        for payload in payloads:
            if payload.startswith(NEW_PREFIX):
                self._new.add(payload.removeprefix(NEW_PREFIX))
        if self._new:
            self._wake.set()
        self.executor.poke()

    def waiting_for(self) -> str:
        """What `/health` shows."""
        return f"executions to drive ({len(self.executor.tracked_ids())} driven here)"

    # -- events --------------------------------------------------------------------------
    def post(self, execution_id: str, event: Event) -> None:
        """An event for an execution another process drives (or nobody yet)."""
        self.cluster.post(execution_id, event_to_wire(event))

    def inbox(self) -> list[tuple[str, Event]]:
        """The stored events of the executions driven here (inside the step transaction)."""
        found: list[tuple[str, Event]] = []
        for item in self.cluster.take(self.executor.tracked_ids()):
            try:
                event = event_from_wire(item.payload)
            except (StoreError, TypeError, ValueError) as error:
                _log.error("dropped an unreadable event of %s: %s", item.execution_id, error)
                continue
            if isinstance(event, TaskRunResult):
                tracked = self.executor.tracked(item.execution_id)
                if tracked is not None:
                    tracked.jobs.discard(event.task_run_id)
                self.dispatcher.settled(event.task_run_id)
            found.append((item.execution_id, event))
        return found

    # -- ownership -----------------------------------------------------------------------
    def _tracking(self, tracked: Tracked) -> None:
        """A new execution driven here (a subflow, a retry): it joins its parent's tree, or
        is a tree of its own, locked at once so that no other executor takes it."""
        execution = tracked.execution
        if execution.id in self.roots:
            return
        parent = execution.parent_id
        root = self.roots.get(parent) if parent is not None else None
        if root is None:
            root = execution.id
            if root not in self.held and self.locks.try_lock(root):
                self.held.add(root)
        self.roots[execution.id] = root

    def _roots_of(self, ids: list[str], parents: dict[str, str | None]) -> dict[str, str]:
        known = dict(parents)
        missing = {p for p in known.values() if p is not None and p not in known}
        while missing:
            found = self.cluster.parents(missing)
            for execution_id in missing:
                known[execution_id] = found.get(execution_id)
            missing = {p for p in found.values() if p is not None and p not in known}
        roots: dict[str, str] = {}
        for execution_id in ids:
            current = execution_id
            seen = {current}
            while (parent := known.get(current)) is not None and parent not in seen:
                seen.add(parent)
                current = parent
            roots[execution_id] = current
        return roots

    def scan(self) -> int:
        """Take the unowned unfinished trees; how many executions were adopted."""
        rows = self.cluster.unfinished([state.value for state in UNFINISHED])
        untracked = [i for i, _ in rows if self.executor.tracked(i) is None]
        if not untracked:
            return 0
        return self._take(untracked, dict(rows))

    def take_new(self) -> int:
        """Take the executions announced since the last call (a cheap, targeted scan)."""
        ids = [i for i in self._new if self.executor.tracked(i) is None]
        self._new.clear()
        return self._take(ids, {}) if ids else 0

    def _take(self, untracked: list[str], parents: dict[str, str | None]) -> int:
        roots = self._roots_of(untracked, parents)
        members: list[str] = []
        for execution_id in untracked:
            root = roots[execution_id]
            if root not in self.held:
                if len(members) >= self.batch or not self.locks.try_lock(root):
                    continue
                self.held.add(root)
            self.roots[execution_id] = root
            members.append(execution_id)
        if not members:
            return 0
        adopted = len(self._adopt(members))
        self.executor.poke()
        return adopted

    def _adopt(self, members: list[str]) -> list[str]:
        jobs: dict[str, set[str]] = {}

        def in_flight(tracked: Tracked, task_run: TaskRun) -> bool:
            execution_id = tracked.execution.id
            if execution_id not in jobs:
                found = {
                    str(j.payload.get("taskRunId")) for j in self.cluster.jobs_of(execution_id)
                }
                found |= {
                    str(e.payload.get("task_run_id"))
                    for e in self.cluster.pending(execution_id)
                    if e.payload.get("type") == "TaskRunResult"
                }
                jobs[execution_id] = found
            if task_run.id in jobs[execution_id]:
                self.dispatcher.adopt(task_run.id, execution_id)
                return True
            return False

        with self.store.transaction():
            return recover(self.executor, self.flows, members, in_flight, reason=LOST_WITH_EXECUTOR)

    def release_finished(self) -> None:
        """Unlock the trees of which nothing is driven here any more."""
        live: set[str] = set()
        for execution_id in self.executor.tracked_ids():
            root = self.roots.get(execution_id)
            if root is not None:
                live.add(root)
        for root in self.held - live:
            self.locks.unlock(root)
            self.held.discard(root)
        if len(self.roots) > 4 * max(1, len(self.executor.tracked_ids())) + 1000:
            tracked = set(self.executor.tracked_ids())
            self.roots = {i: r for i, r in self.roots.items() if i in tracked or r in self.held}

    def reap_dead_workers(self) -> int:
        """Run again, as new attempts, the tasks of workers silent for the liveness timeout."""
        older_than = datetime.now(UTC) - timedelta(seconds=self.liveness)
        count = 0
        with self.store.transaction():
            for job in self.cluster.take_stale(self.executor.tracked_ids(), older_than):
                tracked = self.executor.tracked(str(job.key))
                task_run_id = str(job.payload.get("taskRunId"))
                task_run = tracked.task_run(task_run_id) if tracked is not None else None
                if tracked is None or task_run is None or task_run.state.current.is_terminated:
                    continue
                self.dispatcher.settled(task_run_id)
                tracked.jobs.discard(task_run_id)
                reason = (
                    f"ran on worker {job.claimed_by}, silent for more than {self.liveness:g} s "
                    "(declared dead)"
                )
                if resubmit(self.executor, tracked, task_run, reason):
                    count += 1
        self.resubmitted += count
        return count

    # -- the loop ------------------------------------------------------------------------
    async def run(self) -> None:
        """Scan, release and reap until cancelled; a lost lock connection is fatal."""
        loop = asyncio.get_running_loop()
        last_reap = 0.0
        last_scan = 0.0
        while True:
            self.locks.check()
            try:
                self.take_new()
                if loop.time() - last_scan >= self.scan_interval:
                    last_scan = loop.time()
                    self.scan()
                self.release_finished()
                if loop.time() - last_reap >= min(1.0, self.liveness / 4):
                    last_reap = loop.time()
                    self.reap_dead_workers()
            except StoreError as error:
                _log.warning("executor scan failed, retrying: %s", error)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.scan_interval)


def listen(conninfo: str, channel: str, callback: Callable[[list[str]], None]) -> threading.Event:
    """A daemon thread that LISTENs on `channel` and calls `callback` (from that thread) with
    the payloads of the notifications that arrived together; set the returned event to stop
    it."""
    import psycopg

    stop = threading.Event()
    ready = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                connection: Any = psycopg.connect(conninfo, autocommit=True)
            except psycopg.Error as error:
                _log.warning("listener cannot connect, retrying: %s", error)
                ready.set()
                stop.wait(1.0)
                continue
            try:
                with connection:
                    connection.execute(f"LISTEN {channel}")
                    ready.set()
                    while not stop.is_set():
                        first = list(connection.notifies(timeout=0.5, stop_after=1))
                        if not first:
                            continue
                        # What arrived with it is handed over in the same call.
                        rest = list(connection.notifies(timeout=0.001))
                        callback([n.payload for n in (*first, *rest)])
            except psycopg.Error as error:
                _log.warning("listener lost its connection, reconnecting: %s", error)
                stop.wait(0.5)

    threading.Thread(target=run, name=f"tercel-listen-{channel}", daemon=True).start()
    ready.wait(timeout=10)
    return stop


__all__ = ["EVENTS_CHANNEL", "LOST_WITH_EXECUTOR", "Ownership", "TreeLocks", "listen"]
