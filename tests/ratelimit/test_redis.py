from __future__ import annotations

import pytest
from redis import Redis

from surgiai.ratelimit import RedisRateLimiter
from tests.ratelimit.conftest import FakeClock

pytestmark = pytest.mark.redis


class TestKeys:
    def test_state_lives_under_the_prefix_and_expires_when_its_time_has_passed(
        self, redis_client: Redis, redis_prefix: str, clock: FakeClock
    ) -> None:
        limiter = RedisRateLimiter(redis_client, prefix=redis_prefix, clock=clock)
        for _ in range(3):
            limiter.reserve("number:1", rate_per_second=0.1, burst=1, max_wait=60)
        # TAT is 30 s ahead of now: the key lives exactly that long.
        assert float(redis_client.get(f"{redis_prefix}number:1") or 0) == pytest.approx(
            clock.now + 30, abs=1e-6
        )
        assert 29_900 <= redis_client.pttl(f"{redis_prefix}number:1") <= 30_001

    def test_a_refusal_writes_nothing(
        self, redis_client: Redis, redis_prefix: str, clock: FakeClock
    ) -> None:
        limiter = RedisRateLimiter(redis_client, prefix=redis_prefix, clock=clock)
        limiter.reserve("number:1", rate_per_second=1.0, burst=1, max_wait=0)
        before = redis_client.get(f"{redis_prefix}number:1")
        assert limiter.reserve("number:1", rate_per_second=1.0, burst=1, max_wait=0) < 0
        assert redis_client.get(f"{redis_prefix}number:1") == before


class TestServerClock:
    def test_without_a_clock_redis_time_paces_the_key(
        self, redis_client: Redis, redis_prefix: str
    ) -> None:
        limiter = RedisRateLimiter(redis_client, prefix=redis_prefix)
        waits = [
            limiter.reserve("number:1", rate_per_second=1 / 60, burst=2, max_wait=300)
            for _ in range(4)
        ]
        assert waits[:2] == [0.0, 0.0]
        assert waits[2:] == pytest.approx([60.0, 120.0], abs=0.5)
