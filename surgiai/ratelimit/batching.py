"""Fewer round trips to the shared limiter: take slots in blocks and hand them out locally.

A block of `size` consecutive slots is one reservation at `rate / size` in the shared store,
so every process still gets an exact share of the pace; inside the process its slots are
handed out one `1 / rate` apart. At 80 messages a second this turns 80 shared transactions
into 10. A block left half used when traffic stops costs at most `size - 1` slots.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from surgiai.ratelimit.base import Clock, RateLimiter, check_limits


@dataclass
class _Block:
    next_slot: float
    remaining: int
    interval: float


class BatchingRateLimiter:
    def __init__(self, inner: RateLimiter, *, size: int = 8, clock: Clock = time.time) -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        self._inner = inner
        self._size = size
        self._clock = clock
        self._blocks: dict[str, _Block] = {}
        self._lock = threading.Lock()

    def reserve(self, key: str, *, rate_per_second: float, burst: int, max_wait: float) -> float:
        """Like `RateLimiter.reserve` for pacing (`burst` 1): a slot from this process's block,
        or a new block from the shared limiter when the block is used up."""
        interval = check_limits(rate_per_second, burst, max_wait)
        if burst != 1:
            return self._inner.reserve(
                key, rate_per_second=rate_per_second, burst=burst, max_wait=max_wait
            )
        with self._lock:
            now = self._clock()
            block = self._blocks.get(key)
            # Slots left in the past belong to a time the shared store has moved on from;
            # using them now could overlap another process's block.
            stale = block is not None and block.next_slot < now - interval
            if block is None or stale or block.remaining == 0 or block.interval != interval:
                wait = self._inner.reserve(
                    key,
                    rate_per_second=rate_per_second / self._size,
                    burst=1,
                    max_wait=max_wait,
                )
                if wait < 0:
                    return wait
                block = _Block(now + wait, self._size, interval)
                self._blocks[key] = block
            slot = block.next_slot
            wait = max(0.0, slot - now)
            if wait > max_wait:
                return -wait
            block.next_slot = slot + interval
            block.remaining -= 1
            return wait

    def reset(self, key: str) -> None:
        with self._lock:
            self._blocks.pop(key, None)
        self._inner.reset(key)
