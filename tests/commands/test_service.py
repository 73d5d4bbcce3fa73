"""Admin commands from users' registered phones (signed webhooks in, the queue drained as a
worker would) and from the dashboard. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import respx
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select, update

from surgiai.agents.intents import classify
from surgiai.agents.models import AgentRun
from surgiai.agents.registry import default_registry
from surgiai.agents.service import agent_service
from surgiai.audit.models import AuditEvent
from surgiai.auth.models import User
from surgiai.auth.roles import Role
from surgiai.commands.grammar import USAGE
from surgiai.commands.models import PendingCommand, PendingCommandState
from surgiai.config import Settings
from surgiai.conversations.models import Conversation, Direction, Message
from surgiai.db.engine import session_scope
from surgiai.doctors.models import Doctor
from surgiai.kit.time import utcnow
from surgiai.runtime import Runtime
from tests.conftest import drain, make_settings
from tests.fixtures import (
    GRAPH,
    PHONE_NUMBER_ID,
    create_number,
    create_user,
    graph_accepted,
    login,
    sign,
    text_message_value,
    webhook_body,
)

ADMIN_PHONE = "919800000001"
AGENT_PHONE = "919800000002"
DOCTOR = "919876543210"
SEND_URL = f"{GRAPH}/{PHONE_NUMBER_ID}/messages"
PROMPT = "Pause agent greeting? Reply YES to confirm or NO to cancel."


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    # Answer one-word messages ("yes", "status") at once instead of waiting for more.
    return make_settings(tmp_path, database_url, agents_enabled=True, agent_burst_seconds=0)


@pytest.fixture
def number_id(runtime: Runtime) -> int:
    return create_number(runtime)


@pytest.fixture
def graph() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        counter = iter(range(1, 10_000))
        router.post(SEND_URL).mock(
            side_effect=lambda request: Response(
                200,
                json=graph_accepted(f"wamid.out.{next(counter)}")
                if b'"status"' not in request.content
                else {"success": True},
            )
        )
        yield router


def user_with_phone(runtime: Runtime, email: str, role: Role, phone: str | None) -> int:
    user = create_user(runtime, email=email, role=role)
    with session_scope(runtime.session_factory) as session:
        session.execute(update(User).where(User.id == user.id).values(phone=phone))
    return user.id


@pytest.fixture
def admin_phone(runtime: Runtime, number_id: int, graph: respx.MockRouter) -> int:
    return user_with_phone(runtime, "admin@example.com", Role.admin, ADMIN_PHONE)


_wamids = iter(range(1, 10_000))


def writes(client: TestClient, runtime: Runtime, wa_id: str, text: str) -> None:
    body = webhook_body(text_message_value(f"wamid.in.{next(_wamids)}", text, wa_id=wa_id))
    assert client.post("/webhooks/whatsapp", content=body, headers=sign(body)).status_code == 200
    drain(runtime.queue)


def replies(runtime: Runtime, wa_id: str) -> list[tuple[str | None, str | None]]:
    """(sender_agent, text) of every message sent to this phone, oldest first."""
    with session_scope(runtime.session_factory) as session:
        rows = session.execute(
            select(Message.sender_agent, Message.text)
            .join(Conversation, Message.conversation_id == Conversation.id)
            .join(Doctor, Conversation.doctor_id == Doctor.id)
            .where(Doctor.wa_id == wa_id, Message.direction == Direction.outbound)
            .order_by(Message.id)
        ).all()
        return [(agent, text) for agent, text in rows]


def last_reply(runtime: Runtime, wa_id: str) -> tuple[str | None, str | None]:
    return replies(runtime, wa_id)[-1]


def disabled(runtime: Runtime) -> set[str]:
    with session_scope(runtime.session_factory) as session:
        return agent_service.disabled(session)


def runs(runtime: Runtime) -> set[str]:
    with session_scope(runtime.session_factory) as session:
        return set(session.scalars(select(AgentRun.agent)))


def pending_states(runtime: Runtime) -> list[PendingCommandState]:
    with session_scope(runtime.session_factory) as session:
        return list(session.scalars(select(PendingCommand.state).order_by(PendingCommand.id)))


class TestFromAPhone:
    def test_a_pause_is_asked_then_done_on_yes_and_the_standby_answers(
        self, client: TestClient, runtime: Runtime, admin_phone: int
    ) -> None:
        writes(client, runtime, ADMIN_PHONE, "pause agent greeting")
        assert last_reply(runtime, ADMIN_PHONE) == ("admin_commands", PROMPT)
        assert disabled(runtime) == set()

        writes(client, runtime, ADMIN_PHONE, "YES")
        assert last_reply(runtime, ADMIN_PHONE) == (
            "admin_commands",
            "Agent greeting paused; its standby acknowledgement answers meanwhile.",
        )
        assert disabled(runtime) == {"greeting"}
        assert pending_states(runtime) == [PendingCommandState.confirmed]
        with session_scope(runtime.session_factory) as session:
            event = session.scalars(select(AuditEvent)).one()
            assert (event.action, event.actor_user_id) == ("agent.disabled", admin_phone)
            # Both commands were bookkept as admin_commands runs, and no agent ran for them.
            agents = session.scalars(select(AgentRun.agent)).all()
            assert agents == ["admin_commands", "admin_commands"]

        writes(client, runtime, DOCTOR, "Good morning, hope you are all well!")
        assert [agent for agent, _ in replies(runtime, DOCTOR)] == ["acknowledgement"]

    def test_resume_acts_at_once(
        self, client: TestClient, runtime: Runtime, admin_phone: int
    ) -> None:
        writes(client, runtime, ADMIN_PHONE, "pause agent greeting")
        writes(client, runtime, ADMIN_PHONE, "yes")
        writes(client, runtime, ADMIN_PHONE, "Resume the greeting agent")

        assert last_reply(runtime, ADMIN_PHONE) == ("admin_commands", "Agent greeting resumed.")
        assert disabled(runtime) == set()

    def test_no_cancels(self, client: TestClient, runtime: Runtime, admin_phone: int) -> None:
        writes(client, runtime, ADMIN_PHONE, "pause agent greeting")
        writes(client, runtime, ADMIN_PHONE, "no")

        _, text = last_reply(runtime, ADMIN_PHONE)
        assert text is not None and text.startswith("Cancelled")
        assert disabled(runtime) == set()
        assert pending_states(runtime) == [PendingCommandState.cancelled]

    def test_an_expired_question_is_not_carried_out(
        self, client: TestClient, runtime: Runtime, admin_phone: int
    ) -> None:
        writes(client, runtime, ADMIN_PHONE, "pause agent greeting")
        with session_scope(runtime.session_factory) as session:
            session.execute(
                update(PendingCommand).values(expires_at=utcnow() - timedelta(seconds=1))
            )
        writes(client, runtime, ADMIN_PHONE, "yes")

        _, text = last_reply(runtime, ADMIN_PHONE)
        assert text is not None and text.startswith("Too late") and "nothing was done" in text
        assert disabled(runtime) == set()
        assert pending_states(runtime) == [PendingCommandState.expired]

        # With no question open, a bare "yes" is an ordinary message again.
        writes(client, runtime, ADMIN_PHONE, "yes")
        assert last_reply(runtime, ADMIN_PHONE)[0] == "smart_reply"
        assert disabled(runtime) == set()

    def test_a_user_without_manage_settings_is_refused(
        self, client: TestClient, runtime: Runtime, number_id: int, graph: respx.MockRouter
    ) -> None:
        user_with_phone(runtime, "agent@example.com", Role.agent, f"+{AGENT_PHONE}")
        writes(client, runtime, AGENT_PHONE, "pause agent greeting")

        _, text = last_reply(runtime, AGENT_PHONE)
        assert (
            text
            == "Sorry, your role (agent) may not pause or resume agents; an owner or admin can."
        )
        assert pending_states(runtime) == []
        writes(client, runtime, AGENT_PHONE, "yes")
        assert disabled(runtime) == set()

    def test_a_doctor_who_types_a_command_is_just_a_doctor(
        self, client: TestClient, runtime: Runtime, admin_phone: int
    ) -> None:
        for text in ("status", "pause agent greeting"):
            writes(client, runtime, DOCTOR, text)
            # Answered by whichever agent the intent routing picks ("agent" reads as asking
            # for a person), as any doctor's message would be.
            routed = default_registry().primary_for(classify(text).intent)
            assert routed is not None
            assert last_reply(runtime, DOCTOR)[0] == routed.name
        assert runs(runtime).isdisjoint({"admin_commands"})
        assert disabled(runtime) == set()
        assert pending_states(runtime) == []

    def test_an_inactive_users_phone_is_a_doctors(
        self, client: TestClient, runtime: Runtime, admin_phone: int
    ) -> None:
        with session_scope(runtime.session_factory) as session:
            session.execute(update(User).values(is_active=False))
        writes(client, runtime, ADMIN_PHONE, "status")

        assert last_reply(runtime, ADMIN_PHONE)[0] == "smart_reply"

    def test_status_lists_agents_numbers_and_workers(
        self, client: TestClient, runtime: Runtime, admin_phone: int
    ) -> None:
        writes(client, runtime, ADMIN_PHONE, "/status")

        agent, text = last_reply(runtime, ADMIN_PHONE)
        assert agent == "admin_commands" and text is not None
        agents, numbers, workers = text.splitlines()
        assert agents.startswith("Agents: greeting healthy") and "opt_out healthy" in agents
        assert numbers.startswith("Numbers: ") and "healthy" in numbers
        assert workers.startswith("Workers: ")

    def test_help_and_campaigns(
        self, client: TestClient, runtime: Runtime, admin_phone: int
    ) -> None:
        writes(client, runtime, ADMIN_PHONE, "help")
        assert last_reply(runtime, ADMIN_PHONE) == ("admin_commands", USAGE)
        writes(client, runtime, ADMIN_PHONE, "pause campaign Diwali")
        _, text = last_reply(runtime, ADMIN_PHONE)
        assert text is not None and text.startswith("There are no campaigns yet")
        assert pending_states(runtime) == []


def headers_for(client: TestClient, runtime: Runtime, role: Role) -> dict[str, str]:
    email = f"{role.value}@example.com"
    create_user(runtime, email=email, role=role)
    return login(client, email)


def command(
    client: TestClient, headers: dict[str, str], text: str, *, confirm: bool = False
) -> tuple[str, str]:
    response = client.post(
        "/api/v1/commands", json={"text": text, "confirm": confirm}, headers=headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return body["status"], body["message"]


class TestFromTheDashboard:
    def test_needs_a_login(self, client: TestClient) -> None:
        response = client.post("/api/v1/commands", json={"text": "status"})
        assert response.status_code == 401

    def test_a_viewer_may_ask_the_status_but_not_pause(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        viewer = headers_for(client, runtime, Role.viewer)

        status, message = command(client, viewer, "status")
        assert status == "done" and message.startswith("Agents: ")
        for confirm in (False, True):
            status, message = command(client, viewer, "pause agent greeting", confirm=confirm)
            assert status == "refused" and "viewer" in message
        assert disabled(runtime) == set()
        assert pending_states(runtime) == []

    def test_a_pause_needs_confirming(self, client: TestClient, runtime: Runtime) -> None:
        admin = headers_for(client, runtime, Role.admin)

        assert command(client, admin, "pause agent greeting") == ("confirmation_required", PROMPT)
        assert disabled(runtime) == set()
        status, message = command(client, admin, "pause agent greeting", confirm=True)
        assert (status, message) == (
            "done",
            "Agent greeting paused; its standby acknowledgement answers meanwhile.",
        )
        assert disabled(runtime) == {"greeting"}
        # The dashboard's own dialog answered the question: a later YES does not repeat it.
        assert command(client, admin, "yes")[0] == "not_a_command"
        assert pending_states(runtime) == [PendingCommandState.superseded]
        assert command(client, admin, "resume agent greeting") == (
            "done",
            "Agent greeting resumed.",
        )
        assert disabled(runtime) == set()

    def test_a_typed_yes_answers_the_question(self, client: TestClient, runtime: Runtime) -> None:
        admin = headers_for(client, runtime, Role.admin)

        command(client, admin, "disable the greeting agent")
        assert command(client, admin, "YES")[0] == "done"
        assert disabled(runtime) == {"greeting"}

    def test_other_text_and_unknown_agents(self, client: TestClient, runtime: Runtime) -> None:
        admin = headers_for(client, runtime, Role.admin)

        status, message = command(client, admin, "what is going on?")
        assert status == "not_a_command" and "Commands:" in message
        assert command(client, admin, "pause agent price bot") == (
            "refused",
            "There is no agent named price_bot.",
        )
