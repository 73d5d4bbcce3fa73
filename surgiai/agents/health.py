"""Each agent's health, computed from its recorded runs (`AgentRun`): runs, error rate and
latency percentiles over the last 5 minutes and the last hour, its last error, its circuit, and
one state: disabled, down, degraded or healthy.

Queries go through the `(agent, started_at)` index: one grouped count over the hour for every
agent, then per agent the durations of its most recent runs (at most `MAX_DURATION_SAMPLES`;
percentiles are computed here, which SQLite cannot do) and the text of its last error.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.orm import Session

from surgiai.agents.circuit import CircuitBreakers, CircuitState
from surgiai.agents.models import RunOutcome
from surgiai.agents.registry import AgentRegistry
from surgiai.agents.repository import RunStatsRepository, RunTally

SHORT_WINDOW = timedelta(minutes=5)
LONG_WINDOW = timedelta(hours=1)
# Enough for stable percentiles; at 50 messages/s an hour holds 180,000 runs of one agent.
MAX_DURATION_SAMPLES = 5000

DOWN_MIN_RUNS = 5
DOWN_ERROR_RATE = 0.5
DEGRADED_ERROR_RATE = 0.1
# A p95 this close to the timeout means timeouts (and failovers) are about to start.
SLOW_FRACTION_OF_TIMEOUT = 0.8

# Circuit breakers live in each worker process (agents/circuit.py), out of sight of the API. A
# worker records a run skipped for an open circuit; if an agent's latest run is such a skip,
# made within one cool-down of the breakers the Master Agent builds, that worker's circuit is
# still open.
CIRCUIT_COOL_DOWN = timedelta(seconds=CircuitBreakers().cool_down_seconds)


class AgentState(StrEnum):
    healthy = "healthy"
    degraded = "degraded"
    down = "down"
    disabled = "disabled"


@dataclass(frozen=True)
class WindowStats:
    """Runs that actually ran (skipped ones are not counted) within one window."""

    runs: int
    failures: int
    p50_ms: float | None
    p95_ms: float | None

    @property
    def error_rate(self) -> float | None:
        return self.failures / self.runs if self.runs else None


@dataclass(frozen=True)
class AgentHealth:
    name: str
    description: str
    standby: str | None
    critical: bool
    timeout_seconds: float
    disabled: bool
    circuit: CircuitState
    state: AgentState
    # Why it is not healthy, in words for the team; None when healthy.
    reason: str | None
    last_5m: WindowStats
    last_1h: WindowStats
    # The latest failed run within the last hour.
    last_error: str | None
    last_error_at: datetime | None


@dataclass(frozen=True)
class AgentInfo:
    name: str
    description: str
    standby: str | None
    critical: bool
    timeout_seconds: float


def registered_agents(registry: AgentRegistry) -> list[AgentInfo]:
    """Every agent that runs for messages: each primary, then its standby."""
    agents: list[AgentInfo] = []
    for registration in registry.registrations():
        primary, standby = registration.agent, registration.standby
        agents.append(
            AgentInfo(
                primary.name,
                primary.description,
                standby.name if standby else None,
                registration.critical,
                primary.config.timeout_seconds,
            )
        )
        if standby is not None:
            agents.append(
                AgentInfo(
                    standby.name,
                    standby.description,
                    None,
                    registration.critical,
                    standby.config.timeout_seconds,
                )
            )
    return agents


# --- Pure computation ----------------------------------------------------------------------------


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of values sorted ascending (not empty)."""
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def window_stats(runs: int, failures: int, durations_ms: Sequence[float]) -> WindowStats:
    ordered = sorted(durations_ms)
    if not ordered:
        return WindowStats(runs, failures, None, None)
    return WindowStats(runs, failures, percentile(ordered, 0.5), percentile(ordered, 0.95))


def assess(
    *,
    disabled: bool,
    circuit: CircuitState,
    recent: WindowStats,
    timeout_seconds: float,
    standby: str | None,
) -> tuple[AgentState, str | None]:
    """The state over the last 5 minutes, and why. An idle agent is healthy."""
    if disabled:
        return AgentState.disabled, f"an admin disabled it{_instead(standby)}"
    if circuit is CircuitState.open:
        return AgentState.down, f"its circuit breaker is open{_instead(standby)}"
    rate = recent.error_rate
    failed = f"{recent.failures} of its {recent.runs} runs in the last 5 minutes failed"
    if rate is not None and recent.runs >= DOWN_MIN_RUNS and rate >= DOWN_ERROR_RATE:
        return AgentState.down, failed
    if rate is not None and rate >= DEGRADED_ERROR_RATE:
        return AgentState.degraded, failed
    slow_ms = SLOW_FRACTION_OF_TIMEOUT * timeout_seconds * 1000
    if recent.p95_ms is not None and recent.p95_ms > slow_ms:
        return AgentState.degraded, (
            f"its p95 latency over the last 5 minutes ({recent.p95_ms:.0f} ms) is close to "
            f"its {timeout_seconds:g} s timeout"
        )
    return AgentState.healthy, None


def _instead(standby: str | None) -> str:
    return f" (its standby {standby} answers instead)" if standby else ""


def agent_health(
    session: Session, registry: AgentRegistry, disabled: set[str], now: datetime
) -> list[AgentHealth]:
    agents = registered_agents(registry)
    since_long, since_short = now - LONG_WINDOW, now - SHORT_WINDOW
    runs = RunStatsRepository(session)
    tallies = runs.tallies(
        [agent.name for agent in agents], since_long=since_long, since_short=since_short
    )
    report: list[AgentHealth] = []
    for agent in agents:
        tally = tallies.get(agent.name, RunTally())
        durations = (
            runs.recent_durations(agent.name, since=since_long, limit=MAX_DURATION_SAMPLES)
            if tally.ran_long
            else []
        )
        last_1h = window_stats(tally.ran_long, tally.failed_long, [d for _, d in durations])
        last_5m = window_stats(
            tally.ran_short, tally.failed_short, [d for at, d in durations if at >= since_short]
        )
        circuit = (
            CircuitState.open
            if tally.latest_outcome is RunOutcome.circuit_open
            and tally.latest_at is not None
            and tally.latest_at >= now - CIRCUIT_COOL_DOWN
            else CircuitState.closed
        )
        state, reason = assess(
            disabled=agent.name in disabled,
            circuit=circuit,
            recent=last_5m,
            timeout_seconds=agent.timeout_seconds,
            standby=agent.standby,
        )
        report.append(
            AgentHealth(
                name=agent.name,
                description=agent.description,
                standby=agent.standby,
                critical=agent.critical,
                timeout_seconds=agent.timeout_seconds,
                disabled=agent.name in disabled,
                circuit=circuit,
                state=state,
                reason=reason,
                last_5m=last_5m,
                last_1h=last_1h,
                last_error=(
                    runs.failure_text(agent.name, at_or_after=tally.last_failure_at)
                    if tally.last_failure_at
                    else None
                ),
                last_error_at=tally.last_failure_at,
            )
        )
    return report
