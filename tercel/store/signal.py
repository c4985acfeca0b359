"""Waking idle workers when a job is queued, instead of letting them poll.

Every enqueue in this process wakes waiters at once. On PostgreSQL the enqueue also sends
``NOTIFY tercel_jobs`` and a listener thread wakes this process's waiters when any other
process enqueues; SQLite has no such channel, so waiters there rely on their timeout.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

CHANNEL = "tercel_jobs"

log = logging.getLogger(__name__)


class JobSignal:
    """A generation counter waiters block on.

    `wait` returns at once if a job was queued since the calling thread's previous `wait`
    returned: a job queued between a worker's empty claim and its wait is not missed.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._generation = 0
        self._seen = threading.local()

    def notify(self) -> None:
        """A job was queued: wake every waiter."""
        with self._condition:
            self._generation += 1
            self._condition.notify_all()

    def wait(self, timeout: float) -> bool:
        """Block until a job is queued or `timeout` seconds pass; True if woken by a job."""
        with self._condition:
            seen = getattr(self._seen, "generation", None)
            if seen is None:
                seen = self._generation
            woken = self._condition.wait_for(lambda: self._generation != seen, timeout)
            self._seen.generation = self._generation
            return woken


class PostgresListener:
    """A thread that LISTENs on `CHANNEL` and forwards notifications to a `JobSignal`."""

    def __init__(self, conninfo: str, signal: JobSignal) -> None:
        self._conninfo = conninfo
        self._signal = signal
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tercel-job-listener", daemon=True)
        self._thread.start()
        # Notifications sent before LISTEN took effect would be lost: wait for it.
        self._ready.wait(timeout=10)

    def _run(self) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                connection: Any = psycopg.connect(self._conninfo, autocommit=True)
            except psycopg.Error as error:
                log.warning("job listener cannot connect, retrying: %s", error)
                self._ready.set()
                self._stop.wait(1.0)
                continue
            try:
                with connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    self._ready.set()
                    while not self._stop.is_set():
                        for _ in connection.notifies(timeout=0.5):
                            self._signal.notify()
            except psycopg.Error as error:
                log.warning("job listener lost its connection, reconnecting: %s", error)
                self._stop.wait(0.5)

    def close(self) -> None:
        """Stop listening (returns within about half a second)."""
        self._stop.set()
        self._thread.join(timeout=5)
