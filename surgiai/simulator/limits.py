"""Rate limits: token buckets (throughput, pair rate) and rolling unique-recipient counts."""

from __future__ import annotations

from collections import OrderedDict


class TokenBucket:
    """`capacity` tokens refilled at `rate` per second; a send takes one."""

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self._tokens = capacity
        self._updated = now

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)
        self._updated = max(self._updated, now)

    def tokens(self, now: float) -> float:
        self._refill(now)
        return self._tokens

    def try_take(self, now: float, amount: float = 1.0) -> bool:
        self._refill(now)
        if self._tokens + 1e-6 < amount:
            return False
        self._tokens -= amount
        return True


class RollingUniqueRecipients:
    """Unique keys seen in the last `window` seconds (the messaging-limit reach)."""

    def __init__(self, window: float) -> None:
        self.window = window
        self._last_seen: OrderedDict[str, float] = OrderedDict()

    def _prune(self, now: float) -> None:
        while self._last_seen:
            key, seen = next(iter(self._last_seen.items()))
            if now - seen < self.window:
                break
            del self._last_seen[key]

    def count(self, now: float) -> int:
        self._prune(now)
        return len(self._last_seen)

    def admit(self, key: str, now: float, limit: int | None) -> bool:
        """Count `key`; False (and not counted) when it is new and the limit is reached."""
        self._prune(now)
        if key not in self._last_seen and limit is not None and len(self._last_seen) >= limit:
            return False
        self._last_seen[key] = now
        self._last_seen.move_to_end(key)
        return True

    def rename(self, old: str, new: str) -> None:
        """Count `old` as `new` from now on (a user who changed number)."""
        seen = self._last_seen.pop(old, None)
        if seen is None:
            return
        self._last_seen[new] = max(seen, self._last_seen.get(new, seen))
        # Pruning relies on the entries being in last-seen order.
        self._last_seen = OrderedDict(sorted(self._last_seen.items(), key=lambda item: item[1]))
