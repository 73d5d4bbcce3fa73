"""`/api/v1/agents` and `/api/v1/crash-reports`: who may see and switch agents, the audit trail,
and crash reports with their stack traces. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from sqlalchemy import select

from surgiai.agents import metrics
from surgiai.agents.models import CrashReport
from surgiai.agents.service import agent_service
from surgiai.audit.models import AuditEvent
from surgiai.auth.roles import Role
from surgiai.db.engine import session_scope
from surgiai.kit.events import Event
from surgiai.runtime import Runtime
from tests.conftest import drain
from tests.fixtures import create_user, login
from tests.realtime.conftest import Collector, LoopThread

AGENT_FIELDS = {
    "name",
    "description",
    "standby",
    "critical",
    "state",
    "reason",
    "circuit",
    "disabled",
    "runs_5m",
    "error_rate_5m",
    "p50_ms_5m",
    "p95_ms_5m",
    "runs_1h",
    "error_rate_1h",
    "p50_ms_1h",
    "p95_ms_1h",
    "last_error",
    "last_error_at",
}


@pytest.fixture
def admin(client: TestClient, runtime: Runtime) -> dict[str, str]:
    create_user(runtime, email="admin@example.com", role=Role.admin)
    return login(client, "admin@example.com")


def headers_for(client: TestClient, runtime: Runtime, role: Role) -> dict[str, str]:
    email = f"{role.value}@example.com"
    create_user(runtime, email=email, role=role)
    return login(client, email)


def agents_by_name(client: TestClient, headers: dict[str, str]) -> dict[str, dict[str, object]]:
    response = client.get("/api/v1/agents", headers=headers)
    assert response.status_code == 200, response.text
    return {agent["name"]: agent for agent in response.json()["agents"]}


class TestListing:
    def test_any_user_sees_every_agent(self, client: TestClient, runtime: Runtime) -> None:
        viewer = headers_for(client, runtime, Role.viewer)
        agents = agents_by_name(client, viewer)
        greeting = agents["greeting"]
        assert set(greeting) == AGENT_FIELDS
        assert greeting["standby"] == "acknowledgement"
        assert (greeting["state"], greeting["circuit"], greeting["disabled"]) == (
            "healthy",
            "closed",
            False,
        )
        assert greeting["reason"] is None
        assert "human_handoff" in agents

    def test_needs_a_login(self, client: TestClient) -> None:
        assert client.get("/api/v1/agents").status_code == 401
        assert client.get("/api/v1/crash-reports").status_code == 401


class TestDisableEnable:
    @pytest.mark.parametrize("role", [Role.viewer, Role.agent])
    def test_only_roles_that_manage_settings_may_switch(
        self, client: TestClient, runtime: Runtime, role: Role
    ) -> None:
        headers = headers_for(client, runtime, role)
        for action in ("disable", "enable"):
            response = client.post(f"/api/v1/agents/greeting/{action}", headers=headers)
            assert response.status_code == 403, response.text
        assert agents_by_name(client, headers)["greeting"]["disabled"] is False

    def test_admin_disables_and_enables_and_both_are_audited(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        response = client.post(
            "/api/v1/agents/greeting/disable",
            json={"reason": "Answers in the wrong language"},
            headers=admin,
        )
        assert response.status_code == 200, response.text
        assert response.json()["disabled"] is True
        assert response.json()["reason"] == "Answers in the wrong language"
        greeting = agents_by_name(client, admin)["greeting"]
        assert (greeting["state"], greeting["disabled"]) == ("disabled", True)
        assert greeting["reason"] == (
            "an admin disabled it (its standby acknowledgement answers instead)"
        )
        with session_scope(runtime.session_factory) as session:
            assert agent_service.disabled(session) == {"greeting"}

        response = client.post("/api/v1/agents/greeting/enable", headers=admin)
        assert response.status_code == 200, response.text
        assert response.json()["disabled"] is False
        assert agents_by_name(client, admin)["greeting"]["state"] == "healthy"

        drain(runtime.queue)
        with session_scope(runtime.session_factory) as session:
            events = session.scalars(
                select(AuditEvent)
                .where(AuditEvent.target_type == "agent")
                .order_by(AuditEvent.occurred_at)
            ).all()
            assert [(e.action, e.target_id, e.actor_email) for e in events] == [
                ("agent.disabled", "greeting", "admin@example.com"),
                ("agent.enabled", "greeting", "admin@example.com"),
            ]
            assert events[0].details == {"reason": "Answers in the wrong language"}

    def test_the_master_and_health_monitor_can_be_switched_too(
        self, client: TestClient, admin: dict[str, str]
    ) -> None:
        for name in ("master", "health_monitor"):
            response = client.post(f"/api/v1/agents/{name}/disable", headers=admin)
            assert response.status_code == 200, response.text

    def test_unknown_agent(self, client: TestClient, admin: dict[str, str]) -> None:
        response = client.post("/api/v1/agents/nonesuch/disable", headers=admin)
        assert response.status_code == 404
        assert response.json()["error"] == "NotFound"
        assert client.post("/api/v1/agents/nonesuch/enable", headers=admin).status_code == 404


class TestMetrics:
    def test_runs_are_counted_by_outcome_and_timed_when_they_ran(self, client: TestClient) -> None:
        def sample(name: str, **labels: str) -> float:
            return REGISTRY.get_sample_value(name, {"agent": "metrics_probe", **labels}) or 0.0

        runs_ok = sample("surgiai_agent_runs_total", outcome="ok")
        skipped = sample("surgiai_agent_runs_total", outcome="circuit_open")
        timed = sample("surgiai_agent_run_seconds_count")
        metrics.observe_run("metrics_probe", "ok", 0.012)
        metrics.observe_run("metrics_probe", "circuit_open", 0.0)
        assert sample("surgiai_agent_runs_total", outcome="ok") == runs_ok + 1
        assert sample("surgiai_agent_runs_total", outcome="circuit_open") == skipped + 1
        # A skipped run took no time: it must not drag the latency down.
        assert sample("surgiai_agent_run_seconds_count") == timed + 1
        text = client.get("/metrics").text
        assert 'surgiai_agent_runs_total{agent="metrics_probe",outcome="ok"}' in text


def fail_deep_inside() -> None:
    raise RuntimeError("the model returned nothing")


class TestCrashReports:
    def test_listed_newest_first_with_their_stack_traces(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        viewer = headers_for(client, runtime, Role.viewer)
        with session_scope(runtime.session_factory) as session:
            for agent in ("greeting", "acknowledgement"):
                try:
                    fail_deep_inside()
                except RuntimeError as error:
                    agent_service.file_crash_report(
                        session, agent=agent, message_id=None, conversation_id=None, error=error
                    )
        page = client.get("/api/v1/crash-reports?limit=1", headers=viewer).json()
        [newest] = page["items"]
        assert newest["agent"] == "acknowledgement"
        assert newest["error_type"] == "RuntimeError"
        assert newest["error"] == "the model returned nothing"
        assert newest["stack_trace"].startswith("Traceback (most recent call last):")
        assert "in fail_deep_inside" in newest["stack_trace"]
        assert page["next_cursor"] == newest["id"]
        older = client.get(
            f"/api/v1/crash-reports?before_id={page['next_cursor']}", headers=viewer
        ).json()
        assert [item["agent"] for item in older["items"]] == ["greeting"]
        assert older["next_cursor"] is None
        with session_scope(runtime.session_factory) as session:
            assert len(session.scalars(select(CrashReport)).all()) == 2


class TestLiveEvents:
    @pytest.fixture
    def collector(self, runtime: Runtime) -> Iterator[Collector]:
        """A subscriber to the runtime's in-process broker, started as the web server would."""
        loop_thread = LoopThread()
        loop_thread.run(runtime.broker.start())
        yield Collector(loop_thread, runtime.broker)
        loop_thread.run(runtime.broker.stop())
        loop_thread.close()

    def test_switches_and_crash_reports_reach_dashboards_after_commit(
        self, runtime: Runtime, collector: Collector
    ) -> None:
        user = create_user(runtime, email="admin@example.com", role=Role.admin)
        with session_scope(runtime.session_factory) as session:
            agent_service.disable(session, "greeting", user, "testing")
            try:
                fail_deep_inside()
            except RuntimeError as error:
                report = agent_service.file_crash_report(
                    session, agent="greeting", message_id=None, conversation_id=None, error=error
                )
        runtime.broker.publish(Event("test.sentinel", {}))
        events = {event.type: event.data for event in collector.until("test.sentinel")}
        assert events["agent.updated"]["name"] == "greeting"
        assert events["agent.updated"]["disabled"] is True
        assert events["agent.updated"]["reason"] == "testing"
        assert events["crash_report.created"]["id"] == report.id
        assert "fail_deep_inside" in events["crash_report.created"]["stack_trace"]
