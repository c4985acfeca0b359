"""Wrong webhook keys per address: a sliding window in bounded memory (fake clock)."""

from __future__ import annotations

from tercel.api.ratelimit import FailureLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_address_waits_after_the_limit_until_its_oldest_failure_ages_out() -> None:
    clock = Clock()
    limiter = FailureLimiter(3, 60, clock=clock)
    for _ in range(3):
        assert limiter.retry_after("10.0.0.1") is None
        limiter.failed("10.0.0.1")
        clock.now += 10
    assert limiter.retry_after("10.0.0.1") == 30.0  # first failure at 1000, now 1030
    assert limiter.retry_after("10.0.0.2") is None  # other addresses are not affected
    clock.now = 1060.5
    assert limiter.retry_after("10.0.0.1") is None  # one failure aged out: two left


def test_memory_is_bounded_by_forgetting_the_least_recent_addresses() -> None:
    clock = Clock()
    limiter = FailureLimiter(2, 60, max_clients=100, clock=clock)
    for index in range(10_000):
        limiter.failed(f"10.0.{index // 256}.{index % 256}")
        limiter.failed(f"10.0.{index // 256}.{index % 256}")
    assert len(limiter) == 100
    assert limiter.retry_after("10.0.39.15") is not None  # the last one is remembered
    assert limiter.retry_after("10.0.0.0") is None  # the first was forgotten
