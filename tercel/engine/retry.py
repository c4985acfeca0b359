"""When to try again: Kestra's `constant`, `exponential` and `random` retry policies (§3.2).

`maxAttempt` counts every attempt, the first included. No retry is scheduled past
`firstAttemptStart + maxDuration`. The random draw comes in as an argument.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tercel.model.durations import parse_duration
from tercel.model.task import Retry


def _duration(text: str | None, default: timedelta = timedelta(0)) -> timedelta:
    return parse_duration(text) if text else default


def delay_for(retry: Retry, attempts_done: int, draw: float) -> timedelta:
    """The wait before attempt `attempts_done + 1` (`draw` in [0, 1) for `random`)."""
    kind = retry.type.lower()
    if kind == "exponential":
        interval = _duration(retry.interval)
        factor = retry.delay_factor if retry.delay_factor is not None else 2.0
        delay = interval * (factor ** max(attempts_done - 1, 0))
        cap = _duration(retry.max_interval, delay)
        return min(delay, cap)
    if kind == "random":
        low = _duration(retry.min_interval)
        high = _duration(retry.max_interval, low)
        return low + (high - low) * draw
    return _duration(retry.interval)


def next_attempt_at(
    retry: Retry,
    *,
    attempts_done: int,
    first_started: datetime,
    last_ended: datetime,
    draw: float,
) -> datetime | None:
    """When the next attempt should start, or None when the policy is exhausted."""
    if retry.max_attempt is not None and attempts_done >= retry.max_attempt:
        return None
    if retry.max_attempt is None and retry.max_duration is None:
        # Kestra requires one bound; without any, do not loop forever.
        return None
    at = last_ended + delay_for(retry, attempts_done, draw)
    if retry.max_duration is not None and at > first_started + _duration(retry.max_duration):
        return None
    return at
