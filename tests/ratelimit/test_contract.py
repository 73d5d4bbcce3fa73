"""The GCRA contract, held by every backend under a fake clock."""

from __future__ import annotations

import math
import uuid
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from surgiai.db.engine import make_engine
from surgiai.ratelimit import (
    RateLimiter,
    RedisRateLimiter,
    SqlRateLimiter,
    make_rate_limiter,
)
from tests.conftest import make_settings
from tests.ratelimit.conftest import FakeClock

RATE = 80.0
INTERVAL = 1 / RATE


def reserve(
    limiter: RateLimiter,
    key: str = "number:1",
    *,
    rate: float = RATE,
    burst: int = 5,
    max_wait: float = math.inf,
) -> float:
    return limiter.reserve(key, rate_per_second=rate, burst=burst, max_wait=max_wait)


class TestBatches:
    def test_a_batch_takes_consecutive_slots_that_single_callers_then_follow(
        self, limiter: RateLimiter, clock: FakeClock
    ) -> None:
        """A campaign worker reserves a chunk at once; the reply sender that comes next waits
        behind the whole chunk, so together they never exceed the rate."""
        first = limiter.reserve("number:1", rate_per_second=RATE, burst=1, max_wait=1.0, count=40)
        after = reserve(limiter, burst=1)
        assert first == 0.0
        assert after == pytest.approx(40 * INTERVAL, abs=1e-6)

    def test_a_batch_waits_for_its_first_slot_only_and_is_refused_whole(
        self, limiter: RateLimiter, clock: FakeClock
    ) -> None:
        for _ in range(10):
            reserve(limiter, burst=1)
        wait = limiter.reserve("number:1", rate_per_second=RATE, burst=1, max_wait=1.0, count=80)
        assert wait == pytest.approx(10 * INTERVAL, abs=1e-6)
        refused = limiter.reserve("number:1", rate_per_second=RATE, burst=1, max_wait=0.5, count=10)
        # The first slot free is after the 80 just reserved: over max_wait, nothing reserved.
        assert refused == pytest.approx(-90 * INTERVAL, abs=1e-6)
        assert reserve(limiter, burst=1) == pytest.approx(90 * INTERVAL, abs=1e-6)


class TestBurstThenExactSpacing:
    def test_a_burst_goes_at_once_then_each_slot_is_one_interval_later(
        self, limiter: RateLimiter
    ) -> None:
        waits = [reserve(limiter, burst=5) for _ in range(10)]
        assert waits[:5] == [0.0] * 5
        assert waits[5:] == pytest.approx([k * INTERVAL for k in range(1, 6)], abs=1e-6)

    def test_callers_that_sleep_their_wait_act_exactly_one_interval_apart(
        self, limiter: RateLimiter, clock: FakeClock
    ) -> None:
        start = clock.now
        acted_at = []
        for _ in range(50):
            wait = reserve(limiter, burst=3)
            clock.advance(wait)
            acted_at.append(clock.now - start)
        expected = [0.0] * 3 + [k * INTERVAL for k in range(1, 48)]
        assert acted_at == pytest.approx(expected, abs=1e-5)

    def test_the_burst_comes_back_with_idle_time_and_never_exceeds_burst(
        self, limiter: RateLimiter, clock: FakeClock
    ) -> None:
        # Pair rate: one message per 6 s to a doctor, bursts up to 45.
        pair = partial(reserve, limiter, "pair", rate=1 / 6, burst=45)
        assert [pair() for _ in range(45)] == [0.0] * 45
        assert pair() == pytest.approx(6.0, abs=1e-6)
        clock.advance(60)
        # 60 s after a full burst plus one reserved slot, 60 / 6 = 10 slots have come back.
        assert [pair() for _ in range(9)] == [0.0] * 9
        assert pair() == pytest.approx(6.0, abs=1e-6)
        clock.advance(24 * 3600)
        waits = [pair() for _ in range(46)]
        assert waits[:45] == [0.0] * 45
        assert waits[45] == pytest.approx(6.0, abs=1e-6)


class TestMaxWait:
    def test_a_refusal_reserves_nothing_and_says_when_to_come_back(
        self, limiter: RateLimiter, clock: FakeClock
    ) -> None:
        slow = partial(reserve, limiter, rate=1.0, burst=1)
        assert slow(max_wait=0.5) == 0.0
        assert slow(max_wait=0.5) == pytest.approx(-1.0, abs=1e-6)
        assert slow(max_wait=0.5) == pytest.approx(-1.0, abs=1e-6)
        # The refused slot is still free: the next patient caller gets it, not the one after.
        assert slow(max_wait=5) == pytest.approx(1.0, abs=1e-6)
        assert slow(max_wait=0) == pytest.approx(-2.0, abs=1e-6)

    def test_zero_max_wait_is_a_try_that_succeeds_when_told_to_come_back(
        self, limiter: RateLimiter, clock: FakeClock
    ) -> None:
        assert reserve(limiter, burst=2, max_wait=0) == 0.0
        assert reserve(limiter, burst=2, max_wait=0) == 0.0
        come_back_in = -reserve(limiter, burst=2, max_wait=0)
        assert come_back_in == pytest.approx(INTERVAL, abs=1e-6)
        clock.advance(come_back_in)
        assert reserve(limiter, burst=2, max_wait=0) == 0.0
        assert reserve(limiter, burst=2, max_wait=0) < 0

    def test_a_wait_equal_to_max_wait_is_granted(self, limiter: RateLimiter) -> None:
        assert reserve(limiter, burst=1, max_wait=INTERVAL) == 0.0
        assert reserve(limiter, burst=1, max_wait=INTERVAL) == pytest.approx(INTERVAL, abs=1e-6)


class TestKeys:
    def test_keys_are_independent(self, limiter: RateLimiter) -> None:
        assert [reserve(limiter, "number:1", burst=2) for _ in range(3)][2] > 0
        assert [reserve(limiter, "number:2", burst=2) for _ in range(2)] == [0.0, 0.0]
        assert reserve(limiter, "number:1", burst=2) == pytest.approx(2 * INTERVAL, abs=1e-6)

    def test_reset_gives_the_key_its_full_burst_back(self, limiter: RateLimiter) -> None:
        for _ in range(20):
            reserve(limiter, "number:1", burst=2)
        reserve(limiter, "number:2", burst=2)
        limiter.reset("number:1")
        limiter.reset("never-used")
        assert [reserve(limiter, "number:1", burst=2) for _ in range(2)] == [0.0, 0.0]
        assert reserve(limiter, "number:2", burst=2) == 0.0
        assert reserve(limiter, "number:2", burst=2) > 0


class TestInvalidLimits:
    @pytest.mark.parametrize(
        "limits",
        [{"rate": 0.0}, {"rate": -1.0}, {"burst": 0}, {"max_wait": -1.0}],
        ids=["zero-rate", "negative-rate", "zero-burst", "negative-max-wait"],
    )
    def test_is_rejected(self, limiter: RateLimiter, limits: dict[str, Any]) -> None:
        with pytest.raises(ValueError):
            reserve(limiter, **limits)


class TestMakeRateLimiter:
    def test_without_redis_the_database_holds_the_state(
        self, tmp_path: Path, sqlite_url: str
    ) -> None:
        settings = make_settings(tmp_path, sqlite_url, redis_url=None)
        engine = make_engine(sqlite_url)
        try:
            limiter = make_rate_limiter(settings, engine)
            assert isinstance(limiter, SqlRateLimiter)
            assert reserve(limiter) == 0.0
        finally:
            engine.dispose()

    @pytest.mark.redis
    def test_with_redis_redis_holds_the_state(
        self, tmp_path: Path, sqlite_url: str, redis_url: str
    ) -> None:
        settings = make_settings(tmp_path, sqlite_url, redis_url=redis_url)
        engine = make_engine(sqlite_url)
        try:
            limiter = make_rate_limiter(settings, engine)
            assert isinstance(limiter, RedisRateLimiter)
            key = f"surgiai-test:{uuid.uuid4().hex}"
            assert [reserve(limiter, key, burst=1) for _ in range(2)][1] > 0
            limiter.reset(key)
        finally:
            engine.dispose()
