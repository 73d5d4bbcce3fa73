"""The rate limiter contract, shared by the SQL and Redis backends."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

Clock = Callable[[], float]

# Epoch seconds held in a double resolve to about 0.24 µs, so a wait computed as
# `tat - burst * interval - now` may come out a few tenths of a microsecond from the true value.
# Waits this small count as zero, and `max_wait` is compared with the same tolerance.
RESOLUTION = 1e-6


class RateLimiter(Protocol):
    def reserve(
        self, key: str, *, rate_per_second: float, burst: int, max_wait: float, count: int = 1
    ) -> float:
        """Reserve one slot for `key`. Returns 0.0 if the caller may act now, or the number of
        seconds it must wait before acting (the slot is then RESERVED for it at that future
        moment, so callers that sleep that long and then act produce exact pacing). If the wait
        would exceed `max_wait`, reserve nothing and return -wait (negative: 'come back in that
        many seconds').

        `count` > 1 reserves that many consecutive slots (a batch sender's): the wait returned
        is the first slot's, and slot i comes i / rate_per_second after it."""
        ...

    def reset(self, key: str) -> None:
        """Forget `key`: its full burst is available again."""
        ...


def check_limits(rate_per_second: float, burst: int, max_wait: float, count: int = 1) -> float:
    """Validate the arguments of `reserve`; returns the emission interval (1 / rate)."""
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    if not rate_per_second > 0:
        raise ValueError(f"rate_per_second must be positive, got {rate_per_second}")
    if burst < 1:
        raise ValueError(f"burst must be at least 1, got {burst}")
    if not max_wait >= 0:
        raise ValueError(f"max_wait must be zero or positive, got {max_wait}")
    return 1.0 / rate_per_second


def wait_after(new_tat: float, *, now: float, interval: float, burst: int) -> float:
    """GCRA: the slot ending at `new_tat` may be used `burst` intervals before it."""
    wait = (new_tat - now) - burst * interval
    return wait if wait >= RESOLUTION else 0.0


def acquire(
    limiter: RateLimiter,
    key: str,
    rate: float,
    burst: int,
    max_wait: float,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Take one slot for `key`, sleeping until it comes. False (without sleeping) when the wait
    would exceed `max_wait`: the caller should come back later (for example, retry the task)."""
    wait = limiter.reserve(key, rate_per_second=rate, burst=burst, max_wait=max_wait)
    if wait < 0:
        return False
    if wait > 0:
        sleep(wait)
    return True
