"""A circuit breaker per agent: closed → open after repeated failures → half-open probe after
a cool-down → closed on success (open again on failure). An open circuit sends work straight
to the standby instead of waiting for a failing agent to time out on every message.

State lives in each worker process: every worker learns on its own within a few failures, and
nothing shared has to be written on the hot path.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from enum import StrEnum


class CircuitState(StrEnum):
    closed = "closed"
    open = "open"
    half_open = "half_open"


@dataclass
class _Circuit:
    state: CircuitState = CircuitState.closed
    failures: int = 0
    opened_at: float = 0.0
    probing: bool = False


class CircuitBreakers:
    def __init__(self, *, failure_threshold: int = 5, cool_down_seconds: float = 30.0) -> None:
        self.failure_threshold = failure_threshold
        self.cool_down_seconds = cool_down_seconds
        self._circuits: dict[str, _Circuit] = {}
        self._lock = threading.Lock()

    def allow(self, agent: str) -> bool:
        """May this agent run now? In half-open, exactly one caller gets to probe."""
        with self._lock:
            circuit = self._circuits.setdefault(agent, _Circuit())
            if circuit.state is CircuitState.closed:
                return True
            if circuit.state is CircuitState.open:
                if time.monotonic() - circuit.opened_at < self.cool_down_seconds:
                    return False
                circuit.state = CircuitState.half_open
                circuit.probing = False
            if circuit.probing:
                return False
            circuit.probing = True
            return True

    def record_success(self, agent: str) -> None:
        with self._lock:
            circuit = self._circuits.setdefault(agent, _Circuit())
            circuit.state = CircuitState.closed
            circuit.failures = 0
            circuit.probing = False

    def record_failure(self, agent: str) -> None:
        with self._lock:
            circuit = self._circuits.setdefault(agent, _Circuit())
            circuit.failures += 1
            circuit.probing = False
            if (
                circuit.state is CircuitState.half_open
                or circuit.failures >= self.failure_threshold
            ):
                circuit.state = CircuitState.open
                circuit.opened_at = time.monotonic()

    def state(self, agent: str) -> CircuitState:
        with self._lock:
            circuit = self._circuits.get(agent)
            if circuit is None:
                return CircuitState.closed
            if (
                circuit.state is CircuitState.open
                and time.monotonic() - circuit.opened_at >= self.cool_down_seconds
            ):
                return CircuitState.half_open
            return circuit.state

    def reset(self) -> None:
        with self._lock:
            self._circuits.clear()
