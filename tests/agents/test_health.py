"""Agent health from recorded runs: windows, percentiles and the state each agent is in.
SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest

from surgiai.agents.circuit import CircuitState
from surgiai.agents.health import (
    CIRCUIT_COOL_DOWN,
    AgentHealth,
    AgentState,
    WindowStats,
    assess,
    percentile,
)
from surgiai.agents.models import AgentRun, AgentSetting, RunOutcome
from surgiai.agents.service import agent_service
from surgiai.db.engine import session_scope
from surgiai.kit.time import utcnow
from surgiai.runtime import Runtime


def seed_runs(
    runtime: Runtime,
    agent: str,
    *,
    at: datetime,
    durations_ms: Sequence[float],
    outcome: RunOutcome = RunOutcome.ok,
    error: str | None = None,
) -> None:
    with session_scope(runtime.session_factory) as session:
        for offset, duration in enumerate(durations_ms):
            session.add(
                AgentRun(
                    agent=agent,
                    role="primary",
                    started_at=at - timedelta(milliseconds=offset),
                    duration_ms=duration,
                    outcome=outcome,
                    error=error,
                )
            )


def health_of(runtime: Runtime, now: datetime) -> dict[str, AgentHealth]:
    with session_scope(runtime.session_factory) as session:
        return {health.name: health for health in agent_service.health(session, now=now)}


class TestPercentiles:
    def test_nearest_rank(self) -> None:
        values = [float(v) for v in range(1, 21)]
        assert percentile(values, 0.5) == 10
        assert percentile(values, 0.95) == 19
        assert percentile([7.0], 0.95) == 7

    def test_an_idle_agent_is_healthy(self) -> None:
        idle = WindowStats(0, 0, None, None)
        assert idle.error_rate is None
        state = assess(
            disabled=False,
            circuit=CircuitState.closed,
            recent=idle,
            timeout_seconds=2,
            standby=None,
        )
        assert state == (AgentState.healthy, None)


class TestHealth:
    def test_every_registered_agent_is_listed_idle_and_healthy(self, runtime: Runtime) -> None:
        agents = health_of(runtime, utcnow())
        assert {"greeting", "acknowledgement", "human_handoff"} <= set(agents)
        greeting = agents["greeting"]
        assert (greeting.standby, greeting.critical) == ("acknowledgement", True)
        assert agents["acknowledgement"].standby is None
        assert agents["human_handoff"].critical is False
        for health in agents.values():
            assert (health.state, health.circuit) == (AgentState.healthy, CircuitState.closed)
            assert health.last_5m == WindowStats(0, 0, None, None)
            assert health.last_error is None

    def test_windows_and_percentiles(self, runtime: Runtime) -> None:
        now = utcnow()
        seed_runs(runtime, "greeting", at=now - timedelta(minutes=1), durations_ms=range(1, 21))
        seed_runs(runtime, "greeting", at=now - timedelta(minutes=30), durations_ms=[100.0] * 10)
        # Outside the hour, and runs that never ran, count nowhere.
        seed_runs(
            runtime,
            "greeting",
            at=now - timedelta(hours=2),
            durations_ms=[5000.0],
            outcome=RunOutcome.error,
            error="old",
        )
        seed_runs(
            runtime,
            "greeting",
            at=now - timedelta(minutes=10),
            durations_ms=[0.0] * 3,
            outcome=RunOutcome.circuit_open,
        )
        greeting = health_of(runtime, now)["greeting"]
        assert greeting.last_5m == WindowStats(runs=20, failures=0, p50_ms=10.0, p95_ms=19.0)
        assert greeting.last_5m.error_rate == 0
        assert greeting.last_1h == WindowStats(runs=30, failures=0, p50_ms=15.0, p95_ms=100.0)
        assert greeting.state is AgentState.healthy
        assert greeting.circuit is CircuitState.closed
        assert greeting.last_error is None

    def test_one_failure_in_ten_degrades(self, runtime: Runtime) -> None:
        now = utcnow()
        seed_runs(runtime, "greeting", at=now - timedelta(minutes=2), durations_ms=[10.0] * 9)
        failed_at = now - timedelta(minutes=1)
        seed_runs(
            runtime,
            "greeting",
            at=failed_at,
            durations_ms=[2000.0],
            outcome=RunOutcome.timeout,
            error="TimeoutError()",
        )
        greeting = health_of(runtime, now)["greeting"]
        assert greeting.state is AgentState.degraded
        assert greeting.reason == "1 of its 10 runs in the last 5 minutes failed"
        assert greeting.last_5m.error_rate == pytest.approx(0.1)
        assert greeting.last_error == "TimeoutError()"
        assert greeting.last_error_at == failed_at

    def test_slow_runs_degrade(self, runtime: Runtime) -> None:
        now = utcnow()
        # The greeting agent times out at 2 s: a p95 above 1.6 s is too close.
        seed_runs(runtime, "greeting", at=now, durations_ms=[100.0] * 18 + [1700.0] * 2)
        greeting = health_of(runtime, now)["greeting"]
        assert greeting.last_5m.p95_ms == 1700.0
        assert greeting.state is AgentState.degraded
        assert greeting.reason is not None and "timeout" in greeting.reason

    def test_half_of_five_or_more_failing_is_down(self, runtime: Runtime) -> None:
        now = utcnow()
        seed_runs(runtime, "greeting", at=now, durations_ms=[10.0] * 2)
        seed_runs(
            runtime,
            "greeting",
            at=now - timedelta(seconds=5),
            durations_ms=[10.0] * 3,
            outcome=RunOutcome.error,
            error="RuntimeError('boom')",
        )
        # Four failures out of four are too few runs to call it down.
        seed_runs(
            runtime,
            "acknowledgement",
            at=now,
            durations_ms=[1.0] * 4,
            outcome=RunOutcome.error,
            error="RuntimeError('boom')",
        )
        agents = health_of(runtime, now)
        assert agents["greeting"].state is AgentState.down
        assert agents["greeting"].last_5m.error_rate == pytest.approx(0.6)
        assert agents["acknowledgement"].state is AgentState.degraded

    def test_an_open_circuit_is_down_until_its_cool_down_passes(self, runtime: Runtime) -> None:
        now = utcnow()
        seed_runs(runtime, "greeting", at=now - timedelta(seconds=20), durations_ms=[10.0])
        seed_runs(
            runtime,
            "greeting",
            at=now - timedelta(seconds=10),
            durations_ms=[0.0],
            outcome=RunOutcome.circuit_open,
        )
        greeting = health_of(runtime, now)["greeting"]
        assert (greeting.circuit, greeting.state) == (CircuitState.open, AgentState.down)
        assert greeting.reason == (
            "its circuit breaker is open (its standby acknowledgement answers instead)"
        )
        later = health_of(runtime, now + CIRCUIT_COOL_DOWN)["greeting"]
        assert later.circuit is CircuitState.closed

    def test_a_disabled_agent_is_disabled_whatever_its_runs(self, runtime: Runtime) -> None:
        now = utcnow()
        seed_runs(
            runtime,
            "greeting",
            at=now,
            durations_ms=[10.0] * 5,
            outcome=RunOutcome.error,
            error="boom",
        )
        with session_scope(runtime.session_factory) as session:
            session.add(AgentSetting(agent="greeting", disabled=True))
        greeting = health_of(runtime, now)["greeting"]
        assert (greeting.state, greeting.disabled) == (AgentState.disabled, True)
