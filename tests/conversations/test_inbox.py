"""The team inbox through its HTTP API, on SQLite and PostgreSQL: listing and search, threads
with sender identity and read receipts, modes and takeover, preview-and-send, the approval
queue, notes and typing."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import respx
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select, text

from surgiai.auth.roles import Role
from surgiai.conversations.drafts import AiReply, draft_service
from surgiai.conversations.models import Conversation, Draft, Message, SenderKind
from surgiai.conversations.service import OutboundRequest, message_service
from surgiai.db.engine import session_scope
from surgiai.errors import Conflict
from surgiai.runtime import Runtime
from tests.conftest import drain
from tests.fixtures import (
    GRAPH,
    PHONE_NUMBER_ID,
    create_number,
    create_user,
    graph_accepted,
    login,
    sign,
    status_value,
    text_message_value,
    webhook_body,
)
from tests.services import wait_for

DOCTOR = "919876543210"
OTHER_DOCTOR = "919812345678"
SEND_URL = f"{GRAPH}/{PHONE_NUMBER_ID}/messages"


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
        yield router


def doctor_writes(
    client: TestClient,
    runtime: Runtime,
    text: str,
    wamid: str,
    *,
    wa_id: str = DOCTOR,
    name: str = "Dr. Asha Rao",
) -> None:
    body = webhook_body(text_message_value(wamid, text, wa_id=wa_id, name=name))
    assert client.post("/webhooks/whatsapp", content=body, headers=sign(body)).status_code == 200
    drain(runtime.queue)


def conversation_of(
    client: TestClient, headers: dict[str, str], wa_id: str = DOCTOR, number: int | None = None
) -> dict[str, Any]:
    items = client.get("/api/v1/conversations", headers=headers).json()["items"]
    return next(
        item
        for item in items
        if item["doctor"]["wa_id"] == wa_id and number in (None, item["number"]["id"])
    )


def sent_bodies(graph: respx.MockRouter) -> list[dict[str, Any]]:
    return [
        json.loads(call.request.content)
        for call in graph.calls
        if call.request.url == SEND_URL and b'"status"' not in call.request.content
    ]


class TestListing:
    def test_newest_activity_first_with_unread_counts_and_last_message(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str], number_id: int
    ) -> None:
        doctor_writes(client, runtime, "Price of the 3.0 mm stapler?", "wamid.a1")
        doctor_writes(client, runtime, "Hello", "wamid.b1", wa_id=OTHER_DOCTOR, name="Dr. Vik")
        doctor_writes(client, runtime, "And the 3.5 mm?", "wamid.a2")

        page = client.get("/api/v1/conversations", headers=admin).json()

        assert [item["doctor"]["wa_id"] for item in page["items"]] == [DOCTOR, OTHER_DOCTOR]
        first = page["items"][0]
        assert first["unread_count"] == 2
        assert first["last_message"]["text"] == "And the 3.5 mm?"
        assert first["doctor"]["display_name"] == "Dr. Asha Rao"
        assert first["mode"] == "ai" and first["status"] == "open"
        assert first["window_open"] is True and first["window_closes_at"]
        assert page["next_cursor"] is None

    def test_cursor_pages_cover_every_conversation_once(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str], number_id: int
    ) -> None:
        for index in range(7):
            doctor_writes(client, runtime, "Hi", f"wamid.p{index}", wa_id=f"9198000000{index:02d}")
        seen: list[str] = []
        cursor = None
        while True:
            params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
            page = client.get("/api/v1/conversations", params=params, headers=admin).json()
            seen += [item["doctor"]["wa_id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert len(seen) == 7 and len(set(seen)) == 7
        assert seen[0] == "919800000006"  # the latest writer first

    def test_a_forged_cursor_is_a_clear_400(
        self, client: TestClient, admin: dict[str, str]
    ) -> None:
        response = client.get("/api/v1/conversations?cursor=not-ours", headers=admin)
        assert response.status_code == 400
        assert response.json()["error"] == "BadRequest"

    def test_filters_by_mode_unread_assignment_tag_and_number(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str], number_id: int
    ) -> None:
        second = create_number(runtime, phone_number_id="200000000000001", label="Courses")
        doctor_writes(client, runtime, "Hi", "wamid.f1")
        doctor_writes(client, runtime, "Hi", "wamid.f2", wa_id=OTHER_DOCTOR)
        body = webhook_body(
            text_message_value("wamid.f3", "Course dates?", phone_number_id="200000000000001")
        )
        client.post("/webhooks/whatsapp", content=body, headers=sign(body))
        drain(runtime.queue)
        target = conversation_of(client, admin, number=number_id)
        client.post(f"/api/v1/conversations/{target['id']}/takeover", headers=admin)
        client.patch(
            f"/api/v1/conversations/{target['id']}",
            json={"tags": ["hot-lead", "ortho"]},
            headers=admin,
        )

        def ids(query: str) -> set[str]:
            page = client.get(f"/api/v1/conversations?{query}", headers=admin).json()
            return {f"{i['doctor']['wa_id']}@{i['number']['id']}" for i in page["items"]}

        mine = f"{DOCTOR}@{number_id}"
        assert ids("mode=human") == {mine}
        assert ids("assigned=me") == {mine}
        assert mine not in ids("assigned=none")
        # Tags belong to the doctor: both of their conversations carry them.
        assert ids("tag=hot-lead") == {mine, f"{DOCTOR}@{second}"}
        assert ids(f"number_id={second}") == {f"{DOCTOR}@{second}"}
        client.get(f"/api/v1/conversations/{target['id']}/messages", headers=admin)
        assert mine not in ids("unread=true")
        assert mine in ids("unread=false")

    def test_search_finds_names_numbers_and_words_in_messages(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str], number_id: int
    ) -> None:
        doctor_writes(client, runtime, "Do you stock titanium clips?", "wamid.s1")
        doctor_writes(
            client, runtime, "Hello", "wamid.s2", wa_id=OTHER_DOCTOR, name="Dr. Vikram Sethi"
        )

        def found(q: str) -> set[str]:
            page = client.get("/api/v1/conversations", params={"q": q}, headers=admin).json()
            return {item["doctor"]["wa_id"] for item in page["items"]}

        assert found("titan") == {DOCTOR}  # word prefix inside a message
        assert found("vikram") == {OTHER_DOCTOR}  # the doctor's WhatsApp name
        assert found("98123") == {OTHER_DOCTOR}  # part of the number
        assert found("catheter") == set()
        # Query syntax and SQL in the search box are just text.
        assert found('"clips"* ^ )(') == {DOCTOR}
        assert found("'; DROP TABLE message; --") == set()


class TestThread:
    def test_sender_identity_for_doctor_admin_ai_and_approved_ai(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        number_id: int,
        graph: respx.MockRouter,
    ) -> None:
        graph.post(SEND_URL).mock(return_value=Response(200, json=graph_accepted("wamid.out")))
        doctor_writes(client, runtime, "Hi", "wamid.t1")
        conversation = conversation_of(client, admin)
        sent = client.post(
            f"/api/v1/conversations/{conversation['id']}/messages",
            json={"type": "text", "text": {"body": "Hello *doctor*"}},
            headers=admin,
        )
        assert sent.status_code == 202, sent.text
        with session_scope(runtime.session_factory) as session:
            row = session.get(Conversation, conversation["id"])
            assert row is not None
            draft_service.deliver_ai_reply(
                session,
                row,
                AiReply(agent="smart_reply", type="text", payload={"body": "Auto answer"}),
            )
            pending = draft_service.deliver_ai_reply(
                session,
                row,
                AiReply(
                    agent="offers",
                    type="text",
                    payload={"body": "10% off"},
                    needs_approval_because="quotes a discount",
                ),
            )
            assert isinstance(pending, Draft)
            draft_id = pending.id
        client.post(f"/api/v1/drafts/{draft_id}/approve", headers=admin)

        thread = client.get(
            f"/api/v1/conversations/{conversation['id']}/messages", headers=admin
        ).json()["items"]
        labels = [message["sender"]["label"] for message in reversed(thread)]
        assert labels == [
            "Doctor",
            "Admin · owner",
            "AI · smart_reply",
            "AI · offers (approved by owner)",
        ]
        admin_message = thread[2]
        assert admin_message["html"] == "Hello <strong>doctor</strong>"

    def test_opening_marks_read_and_sends_one_read_receipt_for_the_latest(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        number_id: int,
        graph: respx.MockRouter,
    ) -> None:
        receipts = graph.post(SEND_URL).mock(return_value=Response(200, json={"success": True}))
        doctor_writes(client, runtime, "One", "wamid.r1")
        doctor_writes(client, runtime, "Two", "wamid.r2")
        conversation = conversation_of(client, admin)

        client.get(f"/api/v1/conversations/{conversation['id']}/messages", headers=admin)
        drain(runtime.queue)
        client.get(f"/api/v1/conversations/{conversation['id']}/messages", headers=admin)
        drain(runtime.queue)

        bodies = [json.loads(call.request.content) for call in receipts.calls]
        assert bodies == [
            {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.r2"}
        ]
        assert conversation_of(client, admin)["unread_count"] == 0

    def test_a_viewer_reading_leaves_messages_unread_and_cannot_send(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        number_id: int,
        graph: respx.MockRouter,
    ) -> None:
        receipts = graph.post(SEND_URL).mock(return_value=Response(200, json={"success": True}))
        create_user(runtime, email="viewer@example.com", role=Role.viewer)
        viewer = login(client, "viewer@example.com")
        doctor_writes(client, runtime, "One", "wamid.v1")
        conversation = conversation_of(client, admin)

        thread = client.get(f"/api/v1/conversations/{conversation['id']}/messages", headers=viewer)
        drain(runtime.queue)
        assert thread.status_code == 200
        assert not receipts.called
        assert conversation_of(client, viewer)["unread_count"] == 1
        refused = client.post(
            f"/api/v1/conversations/{conversation['id']}/messages",
            json={"type": "text", "text": {"body": "hi"}},
            headers=viewer,
        )
        assert refused.status_code == 403

    def test_every_inbox_route_needs_a_login(self, client: TestClient) -> None:
        for method, path in [
            ("GET", "/api/v1/conversations"),
            ("GET", "/api/v1/conversations/1/messages"),
            ("POST", "/api/v1/conversations/1/takeover"),
            ("GET", "/api/v1/drafts"),
            ("POST", "/api/v1/drafts/1/approve"),
            ("GET", "/api/v1/notifications"),
        ]:
            assert client.request(method, path).status_code == 401, path


class TestModes:
    def test_takeover_silences_every_automatic_sender_until_release(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        number_id: int,
        graph: respx.MockRouter,
    ) -> None:
        send = graph.post(SEND_URL).mock(return_value=Response(200, json=graph_accepted("w.1")))
        doctor_writes(client, runtime, "Hi", "wamid.m1")
        conversation = conversation_of(client, admin)
        # A follow-up queued before the takeover, and one scheduled for later.
        with session_scope(runtime.session_factory) as session:
            queued = message_service.queue_outbound(
                session,
                OutboundRequest(
                    to=DOCTOR,
                    type="text",
                    payload={"body": "Following up on your question"},
                    sender_kind=SenderKind.system,
                    sender_agent="follow_up",
                ),
            ).id

        taken = client.post(f"/api/v1/conversations/{conversation['id']}/takeover", headers=admin)
        assert taken.json()["mode"] == "human"
        assert taken.json()["assigned_user"]["name"] == "owner"
        drain(runtime.queue)

        with session_scope(runtime.session_factory) as session:
            message = session.get(Message, queued)
            assert message is not None and message.status.value == "cancelled"
            row = session.get(Conversation, conversation["id"])
            assert row is not None
            silenced = draft_service.deliver_ai_reply(
                session, row, AiReply(agent="smart_reply", type="text", payload={"body": "x"})
            )
            assert silenced is None
            with pytest.raises(Conflict, match="taken this doctor's conversation over"):
                message_service.queue_outbound(
                    session,
                    OutboundRequest(
                        to=DOCTOR,
                        type="template",
                        payload={"name": "offer", "language": {"code": "en"}},
                        sender_kind=SenderKind.system,
                        sender_agent="campaign",
                    ),
                )
        assert not send.called
        # The admin still can.
        reply = client.post(
            f"/api/v1/conversations/{conversation['id']}/messages",
            json={"type": "text", "text": {"body": "I'll call you at 5"}},
            headers=admin,
        )
        assert reply.status_code == 202
        drain(runtime.queue)
        assert len(sent_bodies(graph)) == 1

        released = client.post(f"/api/v1/conversations/{conversation['id']}/release", headers=admin)
        assert released.json()["mode"] == "ai"
        with session_scope(runtime.session_factory) as session:
            row = session.get(Conversation, conversation["id"])
            assert row is not None
            result = draft_service.deliver_ai_reply(
                session, row, AiReply(agent="smart_reply", type="text", payload={"body": "Back"})
            )
            assert isinstance(result, Message)

    def test_a_doctor_asking_for_a_person_gets_human_mode_and_the_team_is_told(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str], number_id: int
    ) -> None:
        doctor_writes(client, runtime, "Can someone please call me? I need a real person", "w.h1")

        conversation = conversation_of(client, admin)
        assert conversation["mode"] == "human"
        notifications = client.get("/api/v1/notifications", headers=admin).json()["items"]
        assert notifications[0]["kind"] == "conversation.human_requested"
        assert notifications[0]["conversation_id"] == conversation["id"]
        assert "Dr. Asha Rao" in notifications[0]["title"]

    def test_a_doctor_who_says_dont_call_stays_with_the_ai(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str], number_id: int
    ) -> None:
        doctor_writes(client, runtime, "Please don't call me, just send the brochure", "w.h2")
        assert conversation_of(client, admin)["mode"] == "ai"

    def test_draft_mode_sends_ai_replies_to_the_approval_queue(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        number_id: int,
        graph: respx.MockRouter,
    ) -> None:
        graph.post(SEND_URL).mock(return_value=Response(200, json=graph_accepted("wamid.d")))
        doctor_writes(client, runtime, "Price?", "wamid.d1")
        conversation = conversation_of(client, admin)
        client.patch(
            f"/api/v1/conversations/{conversation['id']}", json={"mode": "draft"}, headers=admin
        )
        with session_scope(runtime.session_factory) as session:
            row = session.get(Conversation, conversation["id"])
            assert row is not None
            draft_service.deliver_ai_reply(
                session,
                row,
                AiReply(
                    agent="smart_reply",
                    type="text",
                    payload={"body": "It costs 1,200"},
                    context_wamid="wamid.d1",
                ),
            )
        drain(runtime.queue)
        assert sent_bodies(graph) == []

        pending = client.get("/api/v1/drafts", headers=admin).json()["items"]
        assert len(pending) == 1 and pending[0]["reason"].startswith("The conversation is in draft")
        edited = client.post(
            f"/api/v1/drafts/{pending[0]['id']}/approve",
            json={"type": "text", "text": {"body": "It costs ₹1,200 incl. GST"}},
            headers=admin,
        ).json()
        drain(runtime.queue)

        assert edited["status"] == "approved" and edited["decided_by"]["name"] == "owner"
        assert edited["payload"] == {"body": "It costs 1,200"}  # before
        assert edited["edited_payload"] == {"body": "It costs ₹1,200 incl. GST"}  # after
        assert sent_bodies(graph)[0]["text"] == {"body": "It costs ₹1,200 incl. GST"}
        assert sent_bodies(graph)[0]["context"] == {"message_id": "wamid.d1"}
        again = client.post(f"/api/v1/drafts/{pending[0]['id']}/approve", headers=admin)
        assert again.status_code == 409
        assert client.get("/api/v1/drafts", headers=admin).json()["items"] == []

    def test_a_rejected_draft_is_never_sent_and_keeps_its_reason(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        number_id: int,
        graph: respx.MockRouter,
    ) -> None:
        doctor_writes(client, runtime, "Price?", "wamid.j1")
        conversation = conversation_of(client, admin)
        with session_scope(runtime.session_factory) as session:
            row = session.get(Conversation, conversation["id"])
            assert row is not None
            draft = draft_service.deliver_ai_reply(
                session,
                row,
                AiReply(
                    agent="offers",
                    type="text",
                    payload={"body": "50% off"},
                    needs_approval_because="discount above 20%",
                ),
            )
            assert isinstance(draft, Draft)
            draft_id = draft.id
        rejected = client.post(
            f"/api/v1/drafts/{draft_id}/reject", json={"reason": "Too generous"}, headers=admin
        ).json()
        drain(runtime.queue)
        assert rejected["status"] == "rejected" and rejected["rejection_reason"] == "Too generous"
        assert sent_bodies(graph) == []
        history = client.get("/api/v1/drafts?status=rejected", headers=admin).json()["items"]
        assert [item["id"] for item in history] == [draft_id]

    def test_approving_when_the_window_closed_fails_and_leaves_the_draft_pending(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str], number_id: int
    ) -> None:
        doctor_writes(client, runtime, "Price?", "wamid.k1")
        conversation = conversation_of(client, admin)
        with session_scope(runtime.session_factory) as session:
            row = session.get(Conversation, conversation["id"])
            assert row is not None
            draft = draft_service.create(
                session,
                row,
                AiReply(agent="smart_reply", type="text", payload={"body": "Late answer"}),
                "draft mode",
            )
            draft_id = draft.id
            assert row.last_inbound_at is not None
            row.last_inbound_at = row.last_inbound_at.replace(year=2020)
        response = client.post(f"/api/v1/drafts/{draft_id}/approve", headers=admin)
        assert response.status_code == 409
        assert response.json()["error"] == "TemplateRequired"
        assert client.get(f"/api/v1/drafts/{draft_id}", headers=admin).json()["status"] == "pending"


class TestPreviewAndSend:
    def test_preview_renders_formatting_and_equals_the_json_sent(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        number_id: int,
        graph: respx.MockRouter,
    ) -> None:
        graph.post(SEND_URL).mock(return_value=Response(200, json=graph_accepted("wamid.pv")))
        doctor_writes(client, runtime, "Options?", "wamid.q1")
        conversation = conversation_of(client, admin)
        message = {
            "type": "interactive",
            "interactive": {
                "type": "button",
                "body": {"text": "*Two* sizes: _3.0_ or ~4.0~ ```3.5``` <b>x</b>"},
                "footer": {"text": "SurgiAI"},
                "action": {
                    "buttons": [
                        {"type": "reply", "reply": {"id": "s30", "title": "3.0 mm"}},
                        {"type": "reply", "reply": {"id": "s35", "title": "3.5 mm"}},
                    ]
                },
            },
            "context_message_id": "wamid.q1",
        }
        url = f"/api/v1/conversations/{conversation['id']}/messages"

        preview = client.post(url, json={**message, "preview": True}, headers=admin)
        assert preview.status_code == 200
        shown = preview.json()
        assert shown["can_send"] is True and shown["problems"] == []
        assert shown["rendered"]["html"] == (
            "<strong>Two</strong> sizes: <em>3.0</em> or <del>4.0</del> <code>3.5</code> "
            "&lt;b&gt;x&lt;/b&gt;"
        )
        assert shown["rendered"]["buttons"] == ["3.0 mm", "3.5 mm"]
        assert shown["number"]["id"] == number_id and shown["window_open"] is True
        assert {"field": "button 1 title", "characters": 6, "limit": 20} in shown["lengths"]
        drain(runtime.queue)
        assert sent_bodies(graph) == []  # a preview sends nothing

        assert client.post(url, json=message, headers=admin).status_code == 202
        drain(runtime.queue)
        [sent] = sent_bodies(graph)
        assert sent.pop("biz_opaque_callback_data", "").startswith("surgiai:")
        assert sent == shown["request"]

    def test_preview_says_a_template_is_required_and_the_send_fails_the_same_way(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str], number_id: int
    ) -> None:
        doctor_writes(client, runtime, "Hi", "wamid.w1")
        conversation = conversation_of(client, admin)
        with session_scope(runtime.session_factory) as session:
            row = session.get(Conversation, conversation["id"])
            assert row is not None and row.last_inbound_at is not None
            row.last_inbound_at = row.last_inbound_at.replace(year=2020)
        url = f"/api/v1/conversations/{conversation['id']}/messages"
        text = {"type": "text", "text": {"body": "Still interested?"}}

        shown = client.post(url, json={**text, "preview": True}, headers=admin).json()
        sent = client.post(url, json=text, headers=admin)

        assert shown["can_send"] is False and shown["template_required"] is True
        assert shown["window_open"] is False
        assert sent.status_code == shown["problems"][0]["status_code"] == 409
        assert sent.json() == {
            "error": shown["problems"][0]["error"],
            "detail": shown["problems"][0]["detail"],
        }

    def test_preview_reports_length_limits_and_opt_out(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str], number_id: int
    ) -> None:
        doctor_writes(client, runtime, "Hi", "wamid.l1")
        conversation = conversation_of(client, admin)
        with session_scope(runtime.session_factory) as session:
            row = session.get(Conversation, conversation["id"])
            assert row is not None
            row.doctor.marketing_opted_out = True
        url = f"/api/v1/conversations/{conversation['id']}/messages"
        too_long = {"type": "text", "text": {"body": "x" * 4097}, "preview": True}

        shown = client.post(url, json=too_long, headers=admin).json()

        assert shown["can_send"] is False
        assert shown["problems"][0]["error"] == "BadRequest"
        assert shown["lengths"] == [{"field": "text.body", "characters": 4097, "limit": 4096}]
        assert shown["marketing_opted_out"] is True
        sent = client.post(url, json={**too_long, "preview": False}, headers=admin)
        assert sent.status_code == 400


class TestNotesAndTyping:
    def test_notes_are_kept_for_the_team_and_never_sent(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        number_id: int,
        graph: respx.MockRouter,
    ) -> None:
        doctor_writes(client, runtime, "Hi", "wamid.n1")
        conversation = conversation_of(client, admin)
        url = f"/api/v1/conversations/{conversation['id']}/notes"
        created = client.post(url, json={"body": "Prefers calls after 6 pm"}, headers=admin)
        drain(runtime.queue)
        assert created.status_code == 201
        notes = client.get(url, headers=admin).json()
        assert [(n["body"], n["author"]["name"]) for n in notes] == [
            ("Prefers calls after 6 pm", "owner")
        ]
        assert sent_bodies(graph) == []

    def test_typing_shows_whatsapps_indicator_at_most_every_20_seconds(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        number_id: int,
        graph: respx.MockRouter,
    ) -> None:
        calls = graph.post(SEND_URL).mock(return_value=Response(200, json={"success": True}))
        doctor_writes(client, runtime, "Hi", "wamid.y1")
        conversation = conversation_of(client, admin)
        url = f"/api/v1/conversations/{conversation['id']}/typing"
        assert client.post(url, json={"active": True}, headers=admin).status_code == 204
        assert client.post(url, json={"active": True}, headers=admin).status_code == 204
        drain(runtime.queue)

        bodies = [json.loads(call.request.content) for call in calls.calls]
        assert bodies == [
            {
                "messaging_product": "whatsapp",
                "status": "read",
                "message_id": "wamid.y1",
                "typing_indicator": {"type": "text"},
            }
        ]


def test_status_webhooks_keep_the_threads_ticks(
    client: TestClient,
    runtime: Runtime,
    admin: dict[str, str],
    number_id: int,
    graph: respx.MockRouter,
) -> None:
    graph.post(SEND_URL).mock(return_value=Response(200, json=graph_accepted("wamid.tick")))
    doctor_writes(client, runtime, "Hi", "wamid.z1")
    conversation = conversation_of(client, admin)
    client.post(
        f"/api/v1/conversations/{conversation['id']}/messages",
        json={"type": "text", "text": {"body": "Hello"}},
        headers=admin,
    )
    drain(runtime.queue)
    for state in ("sent", "delivered", "read"):
        body = webhook_body(status_value("wamid.tick", state))
        client.post("/webhooks/whatsapp", content=body, headers=sign(body))
    drain(runtime.queue)

    thread = client.get(f"/api/v1/conversations/{conversation['id']}/messages", headers=admin)
    latest = thread.json()["items"][0]
    assert latest["status"] == "read"
    assert latest["sent_at"] and latest["delivered_at"] and latest["read_at"]
    with session_scope(runtime.session_factory) as session:
        stored = session.scalars(select(Message).where(Message.wamid == "wamid.tick")).one()
        assert stored.sender_user_id is not None


class TestTemplatePreview:
    @pytest.fixture
    def template(self, runtime: Runtime) -> None:
        from surgiai.kit.time import utcnow
        from surgiai.templates.models import MessageTemplate
        from tests.fixtures import WABA_ID

        with session_scope(runtime.session_factory) as session:
            for name, status in (("course_reminder", "APPROVED"), ("old_offer", "PAUSED")):
                session.add(
                    MessageTemplate(
                        waba_id=WABA_ID,
                        name=name,
                        language="en",
                        status=status,
                        category="MARKETING" if name == "old_offer" else "UTILITY",
                        components=[
                            {"type": "HEADER", "format": "TEXT", "text": "CME: {{1}}"},
                            {"type": "BODY", "text": "Dear {{1}}, *{{2}}* starts on {{3}}."},
                            {"type": "FOOTER", "text": "Reply STOP to opt out"},
                            {
                                "type": "BUTTONS",
                                "buttons": [{"type": "QUICK_REPLY", "text": "Join"}],
                            },
                        ],
                        synced_at=utcnow(),
                    )
                )

    def test_variables_are_filled_from_the_synced_template(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        number_id: int,
        template: None,
    ) -> None:
        doctor_writes(client, runtime, "Hi", "wamid.tp1")
        conversation = conversation_of(client, admin)

        def component(kind: str, *values: str) -> dict[str, Any]:
            return {
                "type": kind,
                "parameters": [{"type": "text", "text": value} for value in values],
            }

        shown = client.post(
            f"/api/v1/conversations/{conversation['id']}/messages",
            json={
                "type": "template",
                "preview": True,
                "template": {
                    "name": "course_reminder",
                    "language": {"code": "en"},
                    "components": [
                        component("header", "Laparoscopy"),
                        component("body", "Dr Rao", "Module 2", "1 Dec"),
                    ],
                },
            },
            headers=admin,
        ).json()

        assert shown["can_send"] is True, shown["problems"]
        rendered = shown["rendered"]
        assert rendered["text"] == "Dear Dr Rao, *Module 2* starts on 1 Dec."
        assert rendered["html"] == "Dear Dr Rao, <strong>Module 2</strong> starts on 1 Dec."
        assert rendered["header"] == "CME: Laparoscopy"
        assert rendered["footer"] == "Reply STOP to opt out"
        assert rendered["buttons"] == ["Join"]

    def test_missing_values_and_unapproved_templates_are_refused_as_previewed(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        number_id: int,
        template: None,
    ) -> None:
        doctor_writes(client, runtime, "Hi", "wamid.tp2")
        conversation = conversation_of(client, admin)
        url = f"/api/v1/conversations/{conversation['id']}/messages"
        incomplete = {
            "type": "template",
            "template": {"name": "course_reminder", "language": {"code": "en"}},
        }
        paused = {"type": "template", "template": {"name": "old_offer", "language": {"code": "en"}}}

        for message, error in ((incomplete, "BadRequest"), (paused, "TemplateNotApproved")):
            shown = client.post(url, json={**message, "preview": True}, headers=admin).json()
            sent = client.post(url, json=message, headers=admin)
            assert shown["can_send"] is False
            assert shown["problems"][0]["error"] == error
            assert sent.status_code == shown["problems"][0]["status_code"]
            assert sent.json()["detail"] == shown["problems"][0]["detail"]


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class TestTemplateHeaderFile:
    """A template whose header is a file (the demo's course brochure, a PDF): the agent sends
    the file with it, or is told before anything is queued that it is needed (WhatsApp would
    refuse it only after the fact, 132000)."""

    @pytest.fixture
    def brochure_template(self, runtime: Runtime) -> None:
        from surgiai.kit.time import utcnow
        from surgiai.templates.models import MessageTemplate
        from tests.fixtures import WABA_ID

        with session_scope(runtime.session_factory) as session:
            session.add(
                MessageTemplate(
                    waba_id=WABA_ID,
                    name="course_brochure",
                    language="en",
                    status="APPROVED",
                    category="MARKETING",
                    components=[
                        {"type": "HEADER", "format": "DOCUMENT"},
                        {"type": "BODY", "text": "Dr. {{1}}, the brochure for {{2}} is attached."},
                    ],
                    synced_at=utcnow(),
                )
            )

    @staticmethod
    def brochure(header: list[dict[str, Any]]) -> dict[str, Any]:
        body = {
            "type": "body",
            "parameters": [
                {"type": "text", "text": "Rao"},
                {"type": "text", "text": "Laparoscopy CME"},
            ],
        }
        return {
            "type": "template",
            "template": {
                "name": "course_brochure",
                "language": {"code": "en"},
                "components": [*header, body],
            },
        }

    def test_without_its_file_it_is_refused_before_anything_is_queued(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        number_id: int,
        brochure_template: None,
        graph: respx.MockRouter,
    ) -> None:
        doctor_writes(client, runtime, "Hi", "wamid.hf1")
        conversation = conversation_of(client, admin)
        url = f"/api/v1/conversations/{conversation['id']}/messages"
        photo = [{"type": "header", "parameters": [{"type": "image", "image": {"link": "x"}}]}]

        for header in ([], photo):
            message = self.brochure(header)
            shown = client.post(url, json={**message, "preview": True}, headers=admin).json()
            sent = client.post(url, json=message, headers=admin)

            reason = "course_brochure needs a document for its header."
            assert shown["can_send"] is False
            assert [problem["detail"] for problem in shown["problems"]] == [reason]
            assert sent.status_code == 400
            assert sent.json()["detail"] == reason
        drain(runtime.queue)
        assert sent_bodies(graph) == []
        thread = client.get(url, headers=admin).json()["items"]
        assert [message["type"] for message in thread] == ["text"]

    def test_an_uploaded_pdf_goes_as_its_header_with_its_name(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        number_id: int,
        brochure_template: None,
        graph: respx.MockRouter,
    ) -> None:
        uploads = graph.post(f"{GRAPH}/{PHONE_NUMBER_ID}/media").mock(
            return_value=Response(200, json={"id": "media-brochure"})
        )
        graph.post(SEND_URL).mock(return_value=Response(200, json=graph_accepted("wamid.hf2")))
        doctor_writes(client, runtime, "Hi", "wamid.hf3")
        conversation = conversation_of(client, admin)
        url = f"/api/v1/conversations/{conversation['id']}/messages"
        stored = client.post(
            "/api/v1/media",
            files={"file": ("Laparoscopy CME.pdf", PDF, "application/pdf")},
            headers=admin,
        ).json()
        header = {"type": "document", "document": {"media_file_id": stored["id"]}}
        message = self.brochure([{"type": "header", "parameters": [header]}])

        shown = client.post(url, json={**message, "preview": True}, headers=admin).json()
        sent = client.post(url, json=message, headers=admin)
        drain(runtime.queue)

        assert shown["can_send"] is True, shown["problems"]
        assert shown["rendered"]["media"] == {"type": "document", "media_file_id": stored["id"]}
        assert shown["rendered"]["text"] == (
            "Dr. Rao, the brochure for Laparoscopy CME is attached."
        )
        shown_header = shown["request"]["template"]["components"][0]["parameters"][0]
        assert shown_header["document"] == {
            "id": "pending-upload",
            "filename": "Laparoscopy CME.pdf",
        }
        assert sent.status_code == 202, sent.text
        assert uploads.call_count == 1
        (body,) = sent_bodies(graph)
        assert body["template"]["components"] == [
            {
                "type": "header",
                "parameters": [
                    {
                        "type": "document",
                        "document": {"id": "media-brochure", "filename": "Laparoscopy CME.pdf"},
                    }
                ],
            },
            message["template"]["components"][1],
        ]
        latest = client.get(url, headers=admin).json()["items"][0]
        assert (latest["type"], latest["status"]) == ("template", "accepted")

    def test_a_file_of_the_wrong_kind_is_refused(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        number_id: int,
        graph: respx.MockRouter,
    ) -> None:
        doctor_writes(client, runtime, "Hi", "wamid.hf4")
        conversation = conversation_of(client, admin)
        stored = client.post(
            "/api/v1/media",
            files={"file": ("brochure.pdf", PDF, "application/pdf")},
            headers=admin,
        ).json()
        header = {"type": "image", "image": {"media_file_id": stored["id"]}}
        sent = client.post(
            f"/api/v1/conversations/{conversation['id']}/messages",
            json=self.brochure([{"type": "header", "parameters": [header]}]),
            headers=admin,
        )
        assert sent.status_code == 400
        assert sent.json()["detail"] == (
            "A application/pdf file cannot be sent as the template's image header."
        )


class TestApprovalContext:
    """A draft is not decided blind: it comes with the doctor's question, the thread around it
    and the agent's sources; a reply an admin rewrote is theirs."""

    def _draft(self, runtime: Runtime, conversation_id: int, body: str) -> int:
        with session_scope(runtime.session_factory) as session:
            row = session.get(Conversation, conversation_id)
            assert row is not None
            draft = draft_service.deliver_ai_reply(
                session,
                row,
                AiReply(
                    agent="smart_reply",
                    type="text",
                    payload={"body": body},
                    needs_approval_because="built from document text",
                    sources=("Catalogue 2026, p. 3",),
                ),
            )
            assert isinstance(draft, Draft)
            return draft.id

    def test_a_draft_comes_with_the_question_the_thread_and_its_sources(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        number_id: int,
        graph: respx.MockRouter,
    ) -> None:
        graph.post(SEND_URL).mock(return_value=Response(200, json=graph_accepted("wamid.out")))
        doctor_writes(client, runtime, "Hi", "wamid.q1")
        conversation = conversation_of(client, admin)
        client.post(
            f"/api/v1/conversations/{conversation['id']}/messages",
            json={"type": "text", "text": {"body": "Hello Doctor, how can we help?"}},
            headers=admin,
        ).raise_for_status()
        doctor_writes(client, runtime, "Price of the 5 mm trocar?", "wamid.q2")
        doctor_writes(client, runtime, "Box of 10", "wamid.q3")
        draft_id = self._draft(runtime, conversation["id"], "*₹4,500* per box of 10")
        doctor_writes(client, runtime, "Also 10 mm?", "wamid.q4")

        [draft] = client.get("/api/v1/drafts", headers=admin).json()["items"]
        assert draft["id"] == draft_id
        assert [m["text"] for m in draft["answers"]] == ["Price of the 5 mm trocar?", "Box of 10"]
        assert [(m["sender"]["label"], m["text"]) for m in draft["recent"]] == [
            ("Doctor", "Hi"),
            ("Admin · owner", "Hello Doctor, how can we help?"),
            ("Doctor", "Price of the 5 mm trocar?"),
            ("Doctor", "Box of 10"),
            ("Doctor", "Also 10 mm?"),
        ]
        assert draft["sources"] == ["Catalogue 2026, p. 3"]

    def test_a_rewritten_draft_is_labelled_as_the_editors(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        number_id: int,
        graph: respx.MockRouter,
    ) -> None:
        graph.post(SEND_URL).mock(return_value=Response(200, json=graph_accepted("wamid.out")))
        doctor_writes(client, runtime, "Price of the 5 mm trocar?", "wamid.e1")
        conversation = conversation_of(client, admin)
        draft_id = self._draft(runtime, conversation["id"], "Rs 4500")
        approved = client.post(
            f"/api/v1/drafts/{draft_id}/approve",
            json={"type": "text", "text": {"body": "*₹4,500* per box of 10, Doctor."}},
            headers=admin,
        )
        assert approved.status_code == 200, approved.text

        newest = client.get(
            f"/api/v1/conversations/{conversation['id']}/messages", headers=admin
        ).json()["items"][0]
        assert newest["sender"]["label"] == "Edited by owner from AI · smart_reply draft"
        assert newest["sender"]["kind"] == "admin"


class TestMarkRead:
    def test_a_message_arriving_in_an_open_conversation_is_marked_read(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        number_id: int,
        graph: respx.MockRouter,
    ) -> None:
        receipts = graph.post(SEND_URL).mock(return_value=Response(200, json={"success": True}))
        doctor_writes(client, runtime, "One", "wamid.m1")
        conversation = conversation_of(client, admin)
        client.get(f"/api/v1/conversations/{conversation['id']}/messages", headers=admin)
        drain(runtime.queue)
        doctor_writes(client, runtime, "Two", "wamid.m2")
        assert conversation_of(client, admin)["unread_count"] == 1

        read = client.post(f"/api/v1/conversations/{conversation['id']}/read", headers=admin)
        drain(runtime.queue)

        assert read.status_code == 200, read.text
        assert read.json()["unread_count"] == 0
        assert conversation_of(client, admin)["unread_count"] == 0
        assert json.loads(receipts.calls[-1].request.content)["message_id"] == "wamid.m2"

    def test_a_viewer_cannot_mark_read(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str], number_id: int
    ) -> None:
        create_user(runtime, email="viewer@example.com", role=Role.viewer)
        viewer = login(client, "viewer@example.com")
        doctor_writes(client, runtime, "One", "wamid.v9")
        conversation = conversation_of(client, admin)
        refused = client.post(f"/api/v1/conversations/{conversation['id']}/read", headers=viewer)
        assert refused.status_code == 403

    def test_reading_while_an_agent_works_on_the_conversation_does_not_deadlock(
        self,
        client: TestClient,
        runtime: Runtime,
        admin: dict[str, str],
        number_id: int,
        graph: respx.MockRouter,
        database_url: str,
    ) -> None:
        """An agent's transaction takes the conversation row, then its messages. Opening the
        thread meanwhile must wait for it in the same order; the other order is a deadlock
        that PostgreSQL breaks by failing one of them (the admin got a 500)."""
        if not database_url.startswith("postgresql"):
            pytest.skip("SQLite runs one writer at a time: there is no lock order to get wrong")
        graph.post(SEND_URL).mock(return_value=Response(200, json={"success": True}))
        doctor_writes(client, runtime, "Mesh ka rate?", "wamid.d1")
        conversation = conversation_of(client, admin)
        opened: list[int] = []

        with runtime.engine.connect() as agent:
            agent.execute(
                text("UPDATE conversation SET unread_count = unread_count WHERE id = :id"),
                {"id": conversation["id"]},
            )
            reader = threading.Thread(
                target=lambda: opened.append(
                    client.get(
                        f"/api/v1/conversations/{conversation['id']}/messages", headers=admin
                    ).status_code
                )
            )
            reader.start()
            wait_for(lambda: waiting_for_a_lock(runtime))
            agent.execute(
                text("UPDATE message SET agent_state = agent_state WHERE conversation_id = :id"),
                {"id": conversation["id"]},
            )
            agent.commit()
        reader.join()

        assert opened == [200]
        assert conversation_of(client, admin)["unread_count"] == 0


def waiting_for_a_lock(runtime: Runtime) -> bool:
    with runtime.engine.connect() as connection:
        waiting = connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
    return bool(waiting)
