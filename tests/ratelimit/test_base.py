from __future__ import annotations

import pytest

from surgiai.ratelimit import RateLimiter, acquire
from tests.ratelimit.conftest import FakeClock


class ScriptedLimiter:
    """Answers `reserve` from a list, recording the arguments it was given."""

    def __init__(self, *answers: float) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[str, float, int, float]] = []

    def reserve(
        self, key: str, *, rate_per_second: float, burst: int, max_wait: float, count: int = 1
    ) -> float:
        self.calls.append((key, rate_per_second, burst, max_wait))
        return self.answers.pop(0)

    def reset(self, key: str) -> None:
        raise AssertionError("not expected")


class TestAcquire:
    def test_sleeps_the_reserved_wait_then_grants(self) -> None:
        limiter = ScriptedLimiter(0.25)
        slept: list[float] = []
        assert acquire(limiter, "number:1", 80.0, 5, 1.0, sleep=slept.append)
        assert slept == [0.25]
        assert limiter.calls == [("number:1", 80.0, 5, 1.0)]

    def test_grants_without_sleeping_when_the_slot_is_now(self) -> None:
        slept: list[float] = []
        assert acquire(ScriptedLimiter(0.0), "number:1", 80.0, 5, 1.0, sleep=slept.append)
        assert slept == []

    def test_refuses_without_sleeping_when_told_to_come_back_later(self) -> None:
        slept: list[float] = []
        assert not acquire(ScriptedLimiter(-3.0), "number:1", 80.0, 5, 1.0, sleep=slept.append)
        assert slept == []

    def test_paces_callers_on_a_real_backend(self, limiter: RateLimiter, clock: FakeClock) -> None:
        start = clock.now
        acted_at = []
        for _ in range(6):
            assert acquire(limiter, "number:1", 10.0, 2, 1.0, sleep=clock.advance)
            acted_at.append(clock.now - start)
        assert acted_at == pytest.approx([0.0, 0.0, 0.1, 0.2, 0.3, 0.4], abs=1e-5)
        assert not acquire(limiter, "number:1", 10.0, 2, 0.05, sleep=clock.advance)
