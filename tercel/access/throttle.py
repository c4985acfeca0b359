"""Login throttling: after a few failures, a user name or an address waits before retrying.

Kept in memory: each API process throttles what it sees (a guess costs an argon2 hash
anyway). Failures decay after `WINDOW_SECONDS`; a success clears the user's count.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

FREE_ATTEMPTS = 5
WINDOW_SECONDS = 15 * 60.0
MAX_DELAY_SECONDS = 300.0


class LoginThrottle:
    """Counts failed logins per key (``user:<name>``, ``ip:<address>``)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._failures: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, *keys: str) -> float:
        """Seconds to wait before another attempt on any of `keys` (0: go ahead)."""
        now = self._clock()
        wait = 0.0
        with self._lock:
            for key in keys:
                count, last = self._failures.get(key, (0, 0.0))
                if now - last > WINDOW_SECONDS:
                    self._failures.pop(key, None)
                    continue
                if count >= FREE_ATTEMPTS:
                    delay = min(MAX_DELAY_SECONDS, 2.0 ** (count - FREE_ATTEMPTS + 1))
                    wait = max(wait, last + delay - now)
        return max(0.0, wait)

    def failed(self, *keys: str) -> None:
        """Record a failed attempt."""
        now = self._clock()
        with self._lock:
            if len(self._failures) > 100_000:
                self._failures.clear()
            for key in keys:
                count, _ = self._failures.get(key, (0, 0.0))
                self._failures[key] = (count + 1, now)

    def succeeded(self, key: str) -> None:
        """Forget the failures of `key`."""
        with self._lock:
            self._failures.pop(key, None)
