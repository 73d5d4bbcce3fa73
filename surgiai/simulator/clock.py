"""Simulated wall clock. Limits and timestamps read it; tests swap in a `ManualClock`."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Unix time in seconds."""
        ...

    def advance(self, seconds: float) -> None: ...


class SystemClock:
    """Real time, plus an offset that `advance` moves forward (to jump past a 24 h window)."""

    def __init__(self) -> None:
        self._offset = 0.0

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += seconds


class ManualClock:
    """Stands still until advanced, so token buckets and windows are deterministic in tests."""

    def __init__(self, start: float = 1_750_000_000.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds
