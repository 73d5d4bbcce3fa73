"""Prometheus metrics for agent runs, served at `/metrics` with the HTTP ones."""

from __future__ import annotations

import functools
from typing import Any

from prometheus_client import Counter, Histogram

from surgiai.agents.models import RunOutcome

RUNS = Counter("surgiai_agent_runs_total", "Agent runs by outcome", ["agent", "outcome"])
RUN_SECONDS = Histogram(
    "surgiai_agent_run_seconds",
    "How long agents took to handle a message (runs that actually ran)",
    ["agent"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5),
)
# Skipped runs (circuit open, disabled) took no time: observing them would drag latency down.
_TIMED_OUTCOMES = frozenset({RunOutcome.ok.value, RunOutcome.error.value, RunOutcome.timeout.value})


@functools.lru_cache(maxsize=1024)
def _runs(agent: str, outcome: str) -> Any:
    return RUNS.labels(agent, outcome)


@functools.lru_cache(maxsize=256)
def _run_seconds(agent: str) -> Any:
    return RUN_SECONDS.labels(agent)


def observe_run(agent: str, outcome: str, seconds: float) -> None:
    _runs(agent, outcome).inc()
    if outcome in _TIMED_OUTCOMES:
        _run_seconds(agent).observe(seconds)
