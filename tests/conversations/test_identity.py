"""Doctors without phone numbers: found by phone, by business-scoped user id (BSUID) or parent
BSUID, linked as later webhooks reveal more, moved when their number changes, never merged with
someone else. Replayed through the real webhook endpoint with real signatures; sends go to a
mocked Graph API."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from surgiai.conversations.models import Conversation, Message, MessageState
from surgiai.db.engine import session_scope
from surgiai.doctors.models import Doctor, DoctorEvent
from surgiai.doctors.scoring import ENGAGEMENT_PER_READ
from surgiai.runtime import Runtime
from tests.conftest import drain
from tests.fixtures import (
    DISPLAY_NUMBER,
    GRAPH,
    PHONE_NUMBER_ID,
    create_number,
    create_user,
    login,
    sign,
    webhook_body,
)

SEND_URL = f"{GRAPH}/{PHONE_NUMBER_ID}/messages"
PHONE = "919833300011"
BSUID = "IN.2210457781930466"
PARENT = "IN.ENT.11815799212886844830"
USERNAME = "dr.ananya.obgyn"
METADATA = {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": PHONE_NUMBER_ID}


@pytest.fixture
def admin(client: TestClient, runtime: Runtime) -> dict[str, str]:
    create_number(runtime)
    create_user(runtime)
    return login(client, "owner@example.com")


@pytest.fixture
def graph() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        router.post(SEND_URL).mock(side_effect=accept)
        yield router


def accept(request: httpx.Request) -> httpx.Response:
    body = json.loads(request.content)
    given = body.get("to") or body["recipient"]
    return httpx.Response(
        200,
        json={
            "messaging_product": "whatsapp",
            "contacts": [{"input": given}],
            "messages": [{"id": f"wamid.out{time.monotonic_ns()}"}],
        },
    )


def deliver(
    client: TestClient, runtime: Runtime, value: dict[str, Any], field: str = "messages"
) -> None:
    body = webhook_body(
        {"messaging_product": "whatsapp", "metadata": METADATA, **value}, field=field
    )
    assert client.post("/webhooks/whatsapp", content=body, headers=sign(body)).status_code == 200
    drain(runtime.queue)


def writes(
    client: TestClient,
    runtime: Runtime,
    wamid: str,
    text: str,
    *,
    phone: str | None = None,
    user_id: str | None = BSUID,
    parent: str | None = None,
    username: str | None = None,
    name: str = "Ananya",
) -> None:
    """A doctor's text message in today's shape: the phone only when WhatsApp shares it."""
    profile: dict[str, str] = {"name": name}
    if username:
        profile["username"] = username
    contact: dict[str, Any] = {"profile": profile}
    message: dict[str, Any] = {
        "id": wamid,
        "timestamp": str(int(time.time())),
        "type": "text",
        "text": {"body": text},
    }
    for key, message_key, value in (
        ("wa_id", "from", phone),
        ("user_id", "from_user_id", user_id),
        ("parent_user_id", "from_parent_user_id", parent),
    ):
        if value:
            contact[key], message[message_key] = value, value
    deliver(client, runtime, {"contacts": [contact], "messages": [message]})


def status(
    client: TestClient,
    runtime: Runtime,
    message_id: int,
    state: str,
    *,
    contact: dict[str, Any] | None = None,
    errors: list[dict[str, Any]] | None = None,
    **fields: str,
) -> None:
    item: dict[str, Any] = {
        "id": wamid_of(runtime, message_id),
        "status": state,
        "timestamp": str(int(time.time())),
        **fields,
    }
    if errors:
        item["errors"] = errors
    value: dict[str, Any] = {"statuses": [item]}
    if contact is not None:
        value["contacts"] = [contact]
    deliver(client, runtime, value)


def reply(client: TestClient, headers: dict[str, str], doctor_id: int, text: str) -> int:
    response = client.post(
        "/api/v1/messages",
        json={"doctor_id": doctor_id, "type": "text", "text": {"body": text}},
        headers=headers,
    )
    assert response.status_code == 202, response.text
    message_id: int = response.json()["id"]
    return message_id


def answer(
    client: TestClient, runtime: Runtime, headers: dict[str, str], doctor_id: int, text: str
) -> int:
    """A reply, sent: a worker has called the Graph API when this returns."""
    message_id = reply(client, headers, doctor_id, text)
    drain(runtime.queue)
    return message_id


def last_sent(graph: respx.MockRouter) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(graph.routes[0].calls.last.request.content)
    return body


def doctors(runtime: Runtime) -> list[Doctor]:
    with session_scope(runtime.session_factory) as session:
        found = list(session.scalars(select(Doctor).order_by(Doctor.id)))
        session.expunge_all()
        return found


def only_doctor(runtime: Runtime) -> Doctor:
    [doctor] = doctors(runtime)
    return doctor


def count(runtime: Runtime, model: type[Conversation] | type[Message]) -> int:
    with session_scope(runtime.session_factory) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def wamid_of(runtime: Runtime, message_id: int) -> str:
    with session_scope(runtime.session_factory) as session:
        message = session.get(Message, message_id)
        assert message is not None and message.wamid is not None
        return message.wamid


def message_state(runtime: Runtime, message_id: int) -> MessageState:
    with session_scope(runtime.session_factory) as session:
        message = session.get(Message, message_id)
        assert message is not None
        return message.status


class TestUsernameOnlyDoctor:
    def test_writes_is_answered_by_user_id_then_reveals_the_phone(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str], graph: respx.MockRouter
    ) -> None:
        writes(client, runtime, "wamid.in1", "PCOS workshop kab hai?", username=USERNAME)
        doctor = only_doctor(runtime)
        assert (doctor.wa_id, doctor.user_id, doctor.username) == (None, BSUID, USERNAME)
        assert count(runtime, Conversation) == 1

        first = answer(
            client, runtime, admin, doctor.id, "Namaste Doctor, it is on 14 March in Pune."
        )
        sent = last_sent(graph)
        assert sent["recipient"] == BSUID and "to" not in sent

        # Marketing stopped by user id: the consent belongs to the doctor, not to a number.
        deliver(
            client,
            runtime,
            {
                "contacts": [{"profile": {"name": "Ananya"}, "user_id": BSUID}],
                "user_preferences": [
                    {
                        "user_id": BSUID,
                        "category": "marketing_messages",
                        "value": "stop",
                        "detail": "User requested to stop marketing messages",
                        "timestamp": int(time.time()),
                    }
                ],
            },
            field="user_preferences",
        )
        # A read receipt names the phone: WhatsApp may share it now.
        status(
            client,
            runtime,
            first,
            "read",
            contact={"wa_id": PHONE, "user_id": BSUID, "profile": {"username": USERNAME}},
            recipient_id=BSUID,
            recipient_user_id=BSUID,
        )
        writes(client, runtime, "wamid.in2", "ok thanks, fees?", phone=PHONE, username=USERNAME)

        doctor = only_doctor(runtime)
        assert (doctor.wa_id, doctor.user_id, doctor.username) == (PHONE, BSUID, USERNAME)
        assert doctor.marketing_opted_out
        assert count(runtime, Conversation) == 1 and count(runtime, Message) == 3
        assert message_state(runtime, first) is MessageState.read

        answer(client, runtime, admin, doctor.id, "The fee is Rs 4,500 + GST.")
        sent = last_sent(graph)
        assert sent["to"] == PHONE and "recipient" not in sent

    def test_is_shown_by_username_in_the_inbox(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        writes(client, runtime, "wamid.in1", "hello", username=USERNAME, name="")
        [conversation] = client.get("/api/v1/conversations", headers=admin).json()["items"]
        shown = conversation["doctor"]
        assert shown["display_name"] == f"@{USERNAME}"
        assert (shown["wa_id"], shown["user_id"], shown["username"]) == (None, BSUID, USERNAME)
        found = client.get("/api/v1/conversations", params={"q": "ananya.obg"}, headers=admin)
        assert [c["id"] for c in found.json()["items"]] == [conversation["id"]]

    def test_is_found_by_parent_user_id(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        writes(client, runtime, "wamid.in1", "hello", user_id=None, parent=PARENT)
        writes(client, runtime, "wamid.in2", "again", parent=PARENT)
        doctor = only_doctor(runtime)
        assert (doctor.user_id, doctor.parent_user_id) == (BSUID, PARENT)
        assert count(runtime, Message) == 2


class TestLinking:
    def test_a_doctor_known_by_phone_and_one_known_by_user_id_become_one(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str], graph: respx.MockRouter
    ) -> None:
        """An imported phone number, then a username-only message, then a webhook with both."""
        response = client.post(
            "/api/v1/messages",
            json={"to": f"+{PHONE}", "type": "template", "template": _template()},
            headers=admin,
        )
        assert response.status_code == 202, response.text
        drain(runtime.queue)
        writes(client, runtime, "wamid.in1", "kaun?", username=USERNAME)
        phone_doctor, username_doctor = doctors(runtime)
        assert (phone_doctor.wa_id, username_doctor.user_id) == (PHONE, BSUID)
        tagged = client.patch(
            f"/api/v1/conversations/{_conversation_of(runtime, username_doctor.id)}",
            json={"tags": ["gynaecologist"]},
            headers=admin,
        )
        assert tagged.status_code == 200, tagged.text
        with session_scope(runtime.session_factory) as session:
            # Each record scored on its own: the phone one read our template, the other asked.
            for doctor_id, reasons in (
                (phone_doctor.id, {"recency": 0, "engagement": 6, "intent": 0}),
                (username_doctor.id, {"recency": 30, "engagement": 0, "intent": 20}),
            ):
                record = session.get(Doctor, doctor_id)
                assert record is not None
                record.score_reasons, record.lead_score = reasons, sum(reasons.values())
            session.add(DoctorEvent(doctor_id=username_doctor.id, kind="stage", data={}))

        writes(client, runtime, "wamid.in2", "acha, Pune wala course", phone=PHONE)

        doctor = only_doctor(runtime)
        assert doctor.id == phone_doctor.id
        assert (doctor.wa_id, doctor.user_id, doctor.username) == (PHONE, BSUID, USERNAME)
        assert count(runtime, Conversation) == 1 and count(runtime, Message) == 3
        [conversation] = client.get("/api/v1/conversations", headers=admin).json()["items"]
        assert "gynaecologist" in conversation["doctor"]["tags"]
        # One person's activity: each factor at the stronger of the two records, not their sum.
        assert doctor.score_reasons["engagement"] == 6 and doctor.score_reasons["intent"] == 20
        assert doctor.lead_score <= 100
        bands = {"hot", "warm", "cold"} & set(conversation["doctor"]["tags"])
        assert len(bands) == 1
        with session_scope(runtime.session_factory) as session:
            timeline = session.execute(select(DoctorEvent.doctor_id, DoctorEvent.kind)).all()
        assert (phone_doctor.id, "stage") in timeline
        assert {doctor_id for doctor_id, _ in timeline} == {phone_doctor.id}

    def test_a_sent_status_gives_a_phone_doctor_their_user_id(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str], graph: respx.MockRouter
    ) -> None:
        writes(client, runtime, "wamid.in1", "hello", phone=PHONE, user_id=None)
        doctor = only_doctor(runtime)
        sent = answer(client, runtime, admin, doctor.id, "Namaste")
        status(
            client,
            runtime,
            sent,
            "sent",
            contact={"wa_id": PHONE, "user_id": BSUID},
            recipient_id=PHONE,
            recipient_user_id=BSUID,
        )
        assert only_doctor(runtime).user_id == BSUID
        # Later the phone is hidden: the user id finds the same doctor.
        writes(client, runtime, "wamid.in2", "fees?", username=USERNAME)
        assert only_doctor(runtime).username == USERNAME
        assert count(runtime, Conversation) == 1

    def test_two_user_ids_on_one_phone_are_two_people(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        """A recycled phone number: the new holder gets it, the old doctor keeps their history."""
        writes(client, runtime, "wamid.in1", "old owner", phone=PHONE, name="Dr. Old")
        writes(
            client, runtime, "wamid.in2", "new owner", phone=PHONE, user_id="IN.99", name="Dr. New"
        )
        old, new = doctors(runtime)
        assert (old.wa_id, old.user_id, old.profile_name) == (None, BSUID, "Dr. Old")
        assert (new.wa_id, new.user_id, new.profile_name) == (PHONE, "IN.99", "Dr. New")
        assert count(runtime, Conversation) == 2

    def test_a_status_naming_someone_else_changes_no_doctor(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str], graph: respx.MockRouter
    ) -> None:
        writes(client, runtime, "wamid.in1", "hello", phone=PHONE)
        doctor = only_doctor(runtime)
        sent = answer(client, runtime, admin, doctor.id, "Namaste")
        status(
            client,
            runtime,
            sent,
            "delivered",
            contact={"wa_id": PHONE, "user_id": "IN.77", "profile": {"username": "someone"}},
            recipient_id=PHONE,
            recipient_user_id="IN.77",
        )
        after = only_doctor(runtime)
        assert (after.user_id, after.username) == (BSUID, None)
        assert message_state(runtime, sent) is MessageState.delivered


class TestStatuses:
    def test_a_failed_status_without_contacts_is_applied(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str], graph: respx.MockRouter
    ) -> None:
        writes(client, runtime, "wamid.in1", "hello", username=USERNAME)
        doctor = only_doctor(runtime)
        sent = answer(client, runtime, admin, doctor.id, "Namaste")
        status(
            client,
            runtime,
            sent,
            "failed",
            errors=[{"code": 131026, "title": "Message undeliverable"}],
            recipient_id=BSUID,
            recipient_user_id=BSUID,
        )
        assert message_state(runtime, sent) is MessageState.failed
        assert only_doctor(runtime).unreachable_reason is not None

    def test_a_read_receipt_moves_the_doctors_lead_score_once(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str], graph: respx.MockRouter
    ) -> None:
        writes(client, runtime, "wamid.in1", "hello", username=USERNAME)
        before = only_doctor(runtime)
        sent = answer(client, runtime, admin, before.id, "Namaste doctor")
        for state in ("delivered", "read", "read"):
            status(client, runtime, sent, state, recipient_id=BSUID, recipient_user_id=BSUID)
        after = only_doctor(runtime)
        assert after.score_reasons.get("engagement", 0) == (
            before.score_reasons.get("engagement", 0) + ENGAGEMENT_PER_READ
        )
        assert after.lead_score == before.lead_score + ENGAGEMENT_PER_READ
        with session_scope(runtime.session_factory) as session:
            causes = [
                event.data["cause"]
                for event in session.scalars(select(DoctorEvent).where(DoctorEvent.kind == "score"))
            ]
        assert causes.count("read") == 1


class TestNumberChange:
    def test_a_phone_change_keeps_the_history(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str], graph: respx.MockRouter
    ) -> None:
        writes(client, runtime, "wamid.in1", "hello", phone=PHONE)
        before = only_doctor(runtime)
        deliver(
            client,
            runtime,
            {
                "messages": [
                    {
                        "from": PHONE,
                        "from_user_id": BSUID,
                        "id": "wamid.sys1",
                        "timestamp": str(int(time.time())),
                        "type": "system",
                        "system": {
                            "body": f"User Ananya changed from {PHONE} to 919867700099",
                            "type": "user_changed_number",
                            "wa_id": "919867700099",
                            "user_id": "IN.7730019284466510",
                            "previous_user_id": BSUID,
                        },
                    }
                ]
            },
        )
        after = only_doctor(runtime)
        assert after.id == before.id
        assert (after.wa_id, after.user_id) == ("919867700099", "IN.7730019284466510")
        writes(
            client,
            runtime,
            "wamid.in2",
            "new number se",
            phone="919867700099",
            user_id="IN.7730019284466510",
        )
        assert only_doctor(runtime).id == before.id
        assert count(runtime, Conversation) == 1 and count(runtime, Message) == 3
        answer(client, runtime, admin, before.id, "Noted, Doctor.")
        assert last_sent(graph)["to"] == "919867700099"

    def test_a_user_id_change_without_a_phone_drops_the_old_phone(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str], graph: respx.MockRouter
    ) -> None:
        writes(client, runtime, "wamid.in1", "hello", phone=PHONE)
        deliver(
            client,
            runtime,
            {
                "messages": [
                    {
                        "from_user_id": BSUID,
                        "id": "wamid.sys1",
                        "timestamp": str(int(time.time())),
                        "type": "system",
                        "system": {
                            "body": "User Ananya changed their WhatsApp account",
                            "type": "user_changed_user_id",
                            "user_id": "IN.55",
                            "previous_user_id": BSUID,
                        },
                    }
                ]
            },
        )
        doctor = only_doctor(runtime)
        assert (doctor.wa_id, doctor.user_id) == (None, "IN.55")
        answer(client, runtime, admin, doctor.id, "Namaste")
        assert last_sent(graph)["recipient"] == "IN.55"

    def test_a_change_for_someone_we_never_knew_creates_no_one(
        self, client: TestClient, runtime: Runtime, admin: dict[str, str]
    ) -> None:
        deliver(
            client,
            runtime,
            {
                "user_id_update": [
                    {"user_id": {"previous": "IN.1", "current": "IN.2"}, "timestamp": "1776950200"}
                ]
            },
            field="user_id_update",
        )
        assert doctors(runtime) == []


def _template() -> dict[str, Any]:
    return {"name": "course_announcement", "language": {"code": "en"}}


def _conversation_of(runtime: Runtime, doctor_id: int) -> int:
    with session_scope(runtime.session_factory) as session:
        conversation_id = session.scalar(
            select(Conversation.id).where(Conversation.doctor_id == doctor_id)
        )
        assert conversation_id is not None
        return conversation_id
