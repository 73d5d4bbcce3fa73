"""The inbox's daily loop through the HTTP API: the "awaiting our reply" queue, closing and
reopening, release unassigning, and assigning a colleague."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import respx
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from surgiai.audit.models import AuditEvent
from surgiai.auth.models import User
from surgiai.auth.roles import Role
from surgiai.conversations.drafts import AiReply, draft_service
from surgiai.conversations.models import Conversation, Message
from surgiai.conversations.service import message_service
from surgiai.db.engine import session_scope
from surgiai.runtime import Runtime
from tests.conftest import drain
from tests.conversations.test_inbox import (
    DOCTOR,
    OTHER_DOCTOR,
    SEND_URL,
    conversation_of,
    doctor_writes,
)
from tests.fixtures import create_number, create_user, graph_accepted, login


@pytest.fixture
def admin(client: TestClient, runtime: Runtime) -> dict[str, str]:
    create_user(runtime)
    return login(client, "owner@example.com")


@pytest.fixture
def number_id(runtime: Runtime) -> int:
    return create_number(runtime)


@pytest.fixture
def graph() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        router.post(SEND_URL).mock(return_value=Response(200, json=graph_accepted("wamid.out")))
        yield router


def awaiting(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    page = client.get("/api/v1/conversations", params={"awaiting": "true"}, headers=headers)
    assert page.status_code == 200, page.text
    items: list[dict[str, Any]] = page.json()["items"]
    return items


def answer(client: TestClient, headers: dict[str, str], conversation_id: int, text: str) -> None:
    sent = client.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        json={"type": "text", "text": {"body": text}},
        headers=headers,
    )
    assert sent.status_code == 202, sent.text


class TestAwaitingQueue:
    def test_doctors_wait_longest_first_until_a_person_or_an_agent_answers(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        number_id: int,
        graph: respx.MockRouter,
    ) -> None:
        doctor_writes(client, runtime, "5mm trocar ka rate?", "wamid.q1")
        doctor_writes(client, runtime, "Hernia mesh 15x15 stock?", "wamid.q2", wa_id=OTHER_DOCTOR)
        doctor_writes(client, runtime, "aur 10mm bhi", "wamid.q3")

        queue = awaiting(client, admin)
        # The first doctor has waited longest (since their first message), though the newest.
        assert [c["doctor"]["wa_id"] for c in queue] == [DOCTOR, OTHER_DOCTOR]
        first, second = queue
        assert first["awaiting_since"] < second["awaiting_since"]

        answer(client, admin, first["id"], "₹2,450 per box of 6")
        assert [c["doctor"]["wa_id"] for c in awaiting(client, admin)] == [OTHER_DOCTOR]
        assert conversation_of(client, admin)["awaiting_since"] is None

        with session_scope(runtime.session_factory) as session:
            row = session.get(Conversation, second["id"])
            assert row is not None
            draft_service.deliver_ai_reply(
                session,
                row,
                AiReply(agent="smart_reply", type="text", payload={"body": "Yes, in stock"}),
            )
        assert awaiting(client, admin) == []

        doctor_writes(client, runtime, "ok send 2 boxes", "wamid.q4")
        (again,) = awaiting(client, admin)
        assert again["doctor"]["wa_id"] == DOCTOR
        assert again["awaiting_since"] > first["awaiting_since"]

    def test_pages_of_the_queue_keep_the_waiting_order(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str], number_id: int
    ) -> None:
        for index in range(5):
            doctor_writes(client, runtime, "Hi", f"wamid.pq{index}", wa_id=f"9198000000{index:02d}")
        seen: list[str] = []
        cursor = None
        while True:
            params = {"awaiting": "true", "limit": 2, **({"cursor": cursor} if cursor else {})}
            page = client.get("/api/v1/conversations", params=params, headers=admin).json()
            seen += [item["doctor"]["wa_id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == [f"9198000000{index:02d}" for index in range(5)]

    def test_a_hand_off_notice_is_no_answer(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        number_id: int,
        graph: respx.MockRouter,
    ) -> None:
        doctor_writes(client, runtime, "Can someone please call me? I need a real person", "w.h1")

        conversation = conversation_of(client, admin)
        assert conversation["mode"] == "human"
        thread = client.get(
            f"/api/v1/conversations/{conversation['id']}/messages", headers=admin
        ).json()["items"]
        assert thread[0]["sender"]["kind"] == "system"  # "a member of our team will answer"
        assert [c["id"] for c in awaiting(client, admin)] == [conversation["id"]]

        answer(client, admin, conversation["id"], "Calling you in 5 minutes, doctor")
        assert awaiting(client, admin) == []

    def test_an_ai_acknowledgement_before_a_hand_off_keeps_the_doctor_waiting(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        number_id: int,
        graph: respx.MockRouter,
    ) -> None:
        from surgiai.conversations.inbox import inbox_service

        doctor_writes(client, runtime, "Is this mesh safe in pregnancy?", "wamid.c1")
        conversation = conversation_of(client, admin)
        with session_scope(runtime.session_factory) as session:
            row = session.get(Conversation, conversation["id"])
            assert row is not None
            draft_service.deliver_ai_reply(
                session,
                row,
                AiReply(agent="smart_reply", type="text", payload={"body": "Thank you, doctor."}),
            )
            inbox_service.hand_over(session, row, reason="Clinical question")
        (waiting,) = awaiting(client, admin)
        assert waiting["id"] == conversation["id"]
        assert waiting["mode"] == "human"


class TestCloseAndReopen:
    def test_closing_leaves_the_queue_and_the_doctors_next_message_reopens_it(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str], number_id: int
    ) -> None:
        doctor_writes(client, runtime, "Thanks, received the trocars", "wamid.x1")
        conversation = conversation_of(client, admin)
        url = f"/api/v1/conversations/{conversation['id']}"

        closed = client.patch(url, json={"status": "closed"}, headers=admin).json()
        assert closed["status"] == "closed" and closed["awaiting_since"] is None
        assert awaiting(client, admin) == []
        listed = client.get("/api/v1/conversations", params={"status": "closed"}, headers=admin)
        assert [c["id"] for c in listed.json()["items"]] == [conversation["id"]]

        reopened = client.patch(url, json={"status": "open"}, headers=admin).json()
        assert reopened["status"] == "open" and reopened["awaiting_since"] is None
        client.patch(url, json={"status": "closed"}, headers=admin)

        doctor_writes(client, runtime, "Need 2 more boxes pls", "wamid.x2")
        again = client.get(url, headers=admin).json()
        assert again["status"] == "open" and again["awaiting_since"] is not None
        assert [c["id"] for c in awaiting(client, admin)] == [conversation["id"]]


class TestAssignment:
    def test_release_ends_the_takeover_and_the_assignment(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str], number_id: int
    ) -> None:
        doctor_writes(client, runtime, "Hi", "wamid.r1")
        conversation = conversation_of(client, admin)
        base = f"/api/v1/conversations/{conversation['id']}"
        taken = client.post(f"{base}/takeover", headers=admin).json()
        assert taken["assigned_user"]["name"] == "owner"

        released = client.post(f"{base}/release", headers=admin).json()
        assert released["mode"] == "ai" and released["assigned_user"] is None
        assert conversation["id"] in {
            c["id"]
            for c in client.get(
                "/api/v1/conversations", params={"assigned": "none"}, headers=admin
            ).json()["items"]
        }

    def test_a_conversation_goes_to_a_colleague_who_may_answer_and_it_is_audited(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str], number_id: int
    ) -> None:
        colleague = create_user(runtime, email="priya@example.com", role=Role.agent)
        viewer = create_user(runtime, email="viewer@example.com", role=Role.viewer)
        gone = create_user(runtime, email="gone@example.com", role=Role.agent)
        with session_scope(runtime.session_factory) as session:
            left = session.get(User, gone.id)
            assert left is not None
            left.is_active = False
        doctor_writes(client, runtime, "Hi", "wamid.a1")
        conversation = conversation_of(client, admin)
        url = f"/api/v1/conversations/{conversation['id']}"

        assignees = client.get("/api/v1/conversations/assignees", headers=admin).json()
        assert {a["name"] for a in assignees} == {"owner", "priya"}

        refused = client.patch(url, json={"assigned_user_id": viewer.id}, headers=admin)
        assert refused.status_code == 400
        assert "may not answer doctors" in refused.json()["detail"]
        refused = client.patch(url, json={"assigned_user_id": gone.id}, headers=admin)
        assert refused.status_code == 400

        assigned = client.patch(url, json={"assigned_user_id": colleague.id}, headers=admin)
        assert assigned.json()["assigned_user"] == {"id": colleague.id, "name": "priya"}
        drain(runtime.queue)  # audit events are written by a task, after the commit
        with session_scope(runtime.session_factory) as session:
            audit = session.scalars(
                select(AuditEvent).where(AuditEvent.target_id == str(conversation["id"]))
            ).all()
            assert any(
                row.action == "conversation.updated"
                and row.details == {"assigned_user_id": colleague.id}
                for row in audit
            )

    def test_viewers_cannot_see_whom_to_assign(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        create_user(runtime, email="viewer@example.com", role=Role.viewer)
        viewer = login(client, "viewer@example.com")
        answer_ = client.get("/api/v1/conversations/assignees", headers=viewer)
        assert answer_.status_code == 403


class TestAnswersThatNeverLeft:
    def test_a_failed_or_cancelled_answer_puts_the_doctor_back_in_the_queue(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str], number_id: int
    ) -> None:
        doctor_writes(client, runtime, "28mm circular stapler price pls", "wamid.f1")
        conversation = conversation_of(client, admin)
        waiting_since = awaiting(client, admin)[0]["awaiting_since"]

        with session_scope(runtime.session_factory) as session:
            row = session.get(Conversation, conversation["id"])
            assert row is not None
            ai_reply = draft_service.deliver_ai_reply(
                session,
                row,
                AiReply(agent="smart_reply", type="text", payload={"body": "₹26,500"}),
            )
            assert isinstance(ai_reply, Message)
            reply_id = ai_reply.id
        assert awaiting(client, admin) == []

        # A person takes over before the AI's reply left: it is cancelled, so nobody answered.
        client.post(f"/api/v1/conversations/{conversation['id']}/takeover", headers=admin)
        with session_scope(runtime.session_factory) as session:
            cancelled = session.get(Message, reply_id)
            assert cancelled is not None and cancelled.status.value == "cancelled"
        (again,) = awaiting(client, admin)
        assert again["awaiting_since"] == waiting_since

        answer(client, admin, conversation["id"], "Rs 26,500, doctor")
        assert awaiting(client, admin) == []
        with session_scope(runtime.session_factory) as session:
            sent = session.scalars(select(Message).where(Message.text == "Rs 26,500, doctor")).one()
            message_service.mark_failed(sent, 131026, "Undeliverable", "Not on WhatsApp")
        (failed,) = awaiting(client, admin)
        assert failed["awaiting_since"] == waiting_since
