from __future__ import annotations

import itertools

import pytest

from surgiai.ratelimit.base import RateLimiter
from surgiai.ratelimit.batching import BatchingRateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


class CountingLimiter:
    """An exact in-memory GCRA, counting the calls that reach it."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.tat: dict[str, float] = {}
        self.calls = 0

    def reserve(self, key: str, *, rate_per_second: float, burst: int, max_wait: float) -> float:
        self.calls += 1
        interval = 1 / rate_per_second
        now = self.clock()
        new_tat = max(self.tat.get(key, now), now) + interval
        wait = max(0.0, new_tat - burst * interval - now)
        if wait > max_wait:
            return -wait
        self.tat[key] = new_tat
        return wait

    def reset(self, key: str) -> None:
        self.tat.pop(key, None)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_slots_are_spaced_at_the_rate_with_one_shared_call_per_block(clock: FakeClock) -> None:
    inner = CountingLimiter(clock)
    limiter: RateLimiter = BatchingRateLimiter(inner, size=8, clock=clock)
    waits = [limiter.reserve("n", rate_per_second=80, burst=1, max_wait=5) for _ in range(24)]
    assert waits == pytest.approx([i / 80 for i in range(24)])
    assert inner.calls == 3


def test_two_processes_share_the_pace_exactly(clock: FakeClock) -> None:
    inner = CountingLimiter(clock)
    first = BatchingRateLimiter(inner, size=4, clock=clock)
    second = BatchingRateLimiter(inner, size=4, clock=clock)
    slots = []
    for _ in range(4):
        slots += [clock.now + first.reserve("n", rate_per_second=10, burst=1, max_wait=10)]
        slots += [clock.now + second.reserve("n", rate_per_second=10, burst=1, max_wait=10)]
    slots.sort()
    gaps = [b - a for a, b in itertools.pairwise(slots)]
    assert min(gaps) == pytest.approx(0.1)


def test_a_stale_block_is_not_reused_after_idling(clock: FakeClock) -> None:
    inner = CountingLimiter(clock)
    limiter = BatchingRateLimiter(inner, size=8, clock=clock)
    limiter.reserve("n", rate_per_second=80, burst=1, max_wait=5)
    clock.now += 10
    assert limiter.reserve("n", rate_per_second=80, burst=1, max_wait=5) == 0.0
    assert inner.calls == 2


def test_too_long_a_wait_is_refused_without_taking_a_slot(clock: FakeClock) -> None:
    inner = CountingLimiter(clock)
    limiter = BatchingRateLimiter(inner, size=2, clock=clock)
    for _ in range(4):
        limiter.reserve("n", rate_per_second=1, burst=1, max_wait=10)
    assert limiter.reserve("n", rate_per_second=1, burst=1, max_wait=1.5) < 0
    assert limiter.reserve("n", rate_per_second=1, burst=1, max_wait=10) == pytest.approx(4.0)
