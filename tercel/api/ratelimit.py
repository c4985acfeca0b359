"""Failed-attempt limits per client address, in bounded memory.

A webhook URL is served by its key alone (no credentials), so its key is what an attacker
would guess: after `limit` wrong keys within `window` seconds, one address is refused
(429 with ``Retry-After``) without the key being checked, until its oldest failure ages out.
At most `max_clients` addresses are remembered; the least recently failing are forgotten.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable


class FailureLimiter:
    """Counts failures per client in a sliding window; says when a client must wait."""

    def __init__(
        self,
        limit: int,
        window: float = 60.0,
        *,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.max_clients = max_clients
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def retry_after(self, client: str) -> float | None:
        """Seconds `client` must wait before trying again, or None when it may try now."""
        failures = self._failures.get(client)
        if failures is None:
            return None
        now = self._clock()
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[client]
            return None
        if len(failures) < self.limit:
            return None
        return max(failures[0] + self.window - now, 0.001)

    def failed(self, client: str) -> None:
        """Record one failure of `client` (at most `limit` are kept per client)."""
        failures = self._failures.pop(client, None)
        if failures is None:
            failures = deque(maxlen=self.limit)
            while len(self._failures) >= self.max_clients:
                self._failures.popitem(last=False)
        failures.append(self._clock())
        self._failures[client] = failures  # most recent last: eviction takes the oldest

    def __len__(self) -> int:
        """How many clients are remembered."""
        return len(self._failures)
