"""The workspace settings as the agents obey them: an admin's change on the Settings page is
seen by the Master Agent's next message and the health monitor's next run, without a restart.
Signed webhooks in, the queue drained as a worker would. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from surgiai.auth.models import User
from surgiai.auth.roles import Role
from surgiai.config import Settings
from surgiai.conversations.models import Conversation, Direction, Message
from surgiai.db.engine import session_scope
from surgiai.doctors.models import Doctor
from surgiai.kit.time import utcnow
from surgiai.monitoring.tasks import MONITOR_TASK
from surgiai.runtime import Runtime, TaskContext
from tests.agents.test_master import DOCTOR, doctor_writes, graph, replies
from tests.conftest import drain, make_settings
from tests.fixtures import create_number
from tests.knowledge.catalogue import add_product
from tests.monitoring.test_service import degrade_greeting, notifications, outbound
from tests.workspace.conftest import ENVIRONMENT, add_template

__all__ = ["graph"]  # the Graph API mock, a fixture

ADMIN_PHONE = "919800000001"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url, **ENVIRONMENT, agents_enabled=True)


@pytest.fixture
def number_id(runtime: Runtime) -> int:
    return create_number(runtime)


def change(client: TestClient, headers: dict[str, str], **body: object) -> None:
    response = client.patch("/api/v1/settings", json=body, headers=headers)
    assert response.status_code == 200, response.text


def waiting_for_the_team(runtime: Runtime) -> list[str | None]:
    """The text of each doctor's message no agent was asked to answer."""
    with session_scope(runtime.session_factory) as session:
        return list(
            session.scalars(
                select(Message.text)
                .where(Message.direction == Direction.inbound, Message.agent_state.is_(None))
                .order_by(Message.id)
            )
        )


def opted_out(runtime: Runtime) -> bool:
    with session_scope(runtime.session_factory) as session:
        doctor = session.scalars(select(Doctor).where(Doctor.wa_id == DOCTOR)).one()
        return doctor.marketing_opted_out


@pytest.mark.usefixtures("number_id", "graph")
class TestAiReplies:
    def test_switched_off_the_next_message_waits_for_the_team_but_stop_is_honoured(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        add_product(runtime, "Disposable Trocar 5 mm", code="TR-5", price="2450")
        add_product(runtime, "Disposable Trocar 10 mm", code="TR-10", price="2890")
        doctor_writes(client, runtime, "What is the price of the 5 mm trocar?", "wamid.w1")
        assert [agent for agent, _, _ in replies(runtime)] == ["smart_reply"]

        change(client, admin, ai_replies_enabled=False)
        doctor_writes(client, runtime, "And the price of the 10 mm one?", "wamid.w2")
        drain(runtime.queue)
        assert len(replies(runtime)) == 1
        assert waiting_for_the_team(runtime) == ["And the price of the 10 mm one?"]
        with session_scope(runtime.session_factory) as session:
            assert session.scalars(select(Conversation.unread_count)).one() == 2

        doctor_writes(client, runtime, "STOP", "wamid.w3")
        drain(runtime.queue)
        assert opted_out(runtime)
        assert [agent for agent, _, _ in replies(runtime)] == ["smart_reply", "opt_out"]
        assert waiting_for_the_team(runtime) == ["And the price of the 10 mm one?"]

        change(client, admin, ai_replies_enabled=True)
        doctor_writes(client, runtime, "Is the 10 mm trocar in stock?", "wamid.w4")
        assert [agent for agent, _, _ in replies(runtime)] == [
            "smart_reply",
            "opt_out",
            "smart_reply",
        ]

    def test_switched_off_a_users_command_from_their_phone_is_still_answered(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        with session_scope(runtime.session_factory) as session:
            session.execute(
                update(User).where(User.email == "admin@example.com").values(phone=ADMIN_PHONE)
            )
        change(client, admin, ai_replies_enabled=False, burst_seconds=0)

        doctor_writes(client, runtime, "status", "wamid.a1", wa_id=ADMIN_PHONE)
        doctor_writes(client, runtime, "status", "wamid.d1")  # a doctor's "status" is no command

        assert [agent for agent, _, _ in replies(runtime, ADMIN_PHONE)] == ["admin_commands"]
        assert replies(runtime) == []
        assert waiting_for_the_team(runtime) == ["status"]

    def test_the_burst_wait_follows_the_settings(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        # The environment's 5 s: a bare greeting waits for what usually follows.
        doctor_writes(client, runtime, "Hi", "wamid.b1")
        assert replies(runtime) == []

        change(client, admin, burst_seconds=0)
        doctor_writes(client, runtime, "Hello", "wamid.b2", wa_id="919800000077")
        assert [agent for agent, _, _ in replies(runtime, "919800000077")] == ["greeting"]


class TestServerSwitch:
    @pytest.fixture
    def settings(self, tmp_path: Path, database_url: str) -> Settings:
        return make_settings(tmp_path, database_url, agents_enabled=False)

    @pytest.mark.usefixtures("number_id", "graph")
    def test_the_environment_switch_keeps_every_agent_off_whatever_the_settings_say(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        change(client, admin, ai_replies_enabled=True, burst_seconds=0)
        doctor_writes(client, runtime, "Price of the stapler?", "wamid.o1")
        doctor_writes(client, runtime, "STOP", "wamid.o2")

        assert replies(runtime) == []
        assert waiting_for_the_team(runtime) == ["Price of the stapler?", "STOP"]


class TestHealthAlerts:
    @pytest.fixture
    def admin_id(self, runtime: Runtime, number_id: int, admin: dict[str, str]) -> int:
        with session_scope(runtime.session_factory) as session:
            user = session.scalars(select(User).where(User.role == Role.admin)).one()
            user.phone = "+91 98111 22233"
            return user.id

    def run_monitor(self, runtime: Runtime) -> None:
        with session_scope(runtime.session_factory) as session:
            runtime.tasks.spec(MONITOR_TASK).function(TaskContext(session, runtime))

    def test_the_alert_template_comes_from_the_settings(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str], admin_id: int
    ) -> None:
        add_template(runtime, "team_alert", "hi")
        change(client, admin, alert_template="team_alert", alert_template_language="hi")
        self.run_monitor(runtime)
        degrade_greeting(runtime, utcnow() + timedelta(seconds=1))
        self.run_monitor(runtime)

        [message] = outbound(runtime)
        assert message.type == "template"
        assert (message.payload["name"], message.payload["language"]) == (
            "team_alert",
            {"code": "hi"},
        )

    def test_switched_off_alerts_reach_the_dashboard_only(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str], admin_id: int
    ) -> None:
        change(client, admin, whatsapp_alerts_enabled=False)
        self.run_monitor(runtime)
        degrade_greeting(runtime, utcnow() + timedelta(seconds=1))
        self.run_monitor(runtime)

        assert outbound(runtime) == []
        assert [kind for kind, _, _ in notifications(runtime)] == ["health.degraded"]
