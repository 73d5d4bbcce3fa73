"""The consent ledger: every source (keyword, Meta's user_preferences, error 131050, an admin)
changes one state per doctor and records who, how and on which number; marketing is refused on
every number once a doctor stops it, while service replies still go. SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import respx
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from surgiai.auth.roles import Role
from surgiai.conversations.models import SenderKind
from surgiai.conversations.service import MarketingOptedOut, OutboundRequest, message_service
from surgiai.db.engine import session_scope
from surgiai.doctors.models import Doctor, DoctorEvent
from surgiai.runtime import Runtime
from tests.conftest import drain
from tests.fixtures import (
    DISPLAY_NUMBER,
    GRAPH,
    PHONE_NUMBER_ID,
    create_number,
    create_user,
    graph_accepted,
    login,
    run_scheduled,
    sign,
    status_value,
    text_message_value,
    webhook_body,
)

DOCTOR = "919876543210"
OTHER_PHONE_NUMBER_ID = "106540352242999"
PROMO = {"name": "monsoon_offer", "language": {"code": "en"}}


@pytest.fixture
def numbers(runtime: Runtime) -> tuple[int, int]:
    """Two sending numbers: consent is one state across both."""
    first = create_number(runtime, label="Sales")
    second = create_number(
        runtime,
        phone_number_id=OTHER_PHONE_NUMBER_ID,
        label="Courses",
        display_phone_number="15550783882",
    )
    return first, second


@pytest.fixture
def graph() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        counter = iter(range(1, 10_000))
        for pnid in (PHONE_NUMBER_ID, OTHER_PHONE_NUMBER_ID):
            router.post(f"{GRAPH}/{pnid}/messages").mock(
                side_effect=lambda request: Response(
                    200,
                    json=graph_accepted(f"wamid.out.{next(counter)}")
                    if b'"status"' not in request.content
                    else {"success": True},
                )
            )
        yield router


@pytest.fixture
def owner(client: TestClient, runtime: Runtime) -> dict[str, str]:
    create_user(runtime)
    return login(client, "owner@example.com")


@pytest.fixture
def agent(client: TestClient, runtime: Runtime) -> dict[str, str]:
    create_user(runtime, email="agent@example.com", role=Role.agent)
    return login(client, "agent@example.com")


def post_webhook(client: TestClient, runtime: Runtime, value: dict[str, Any], field: str) -> None:
    body = webhook_body(value, field=field)
    assert client.post("/webhooks/whatsapp", content=body, headers=sign(body)).status_code == 200
    drain(runtime.queue)


def doctor_writes(
    client: TestClient,
    runtime: Runtime,
    text: str,
    wamid: str,
    phone_number_id: str = PHONE_NUMBER_ID,
) -> None:
    value = text_message_value(wamid, text, wa_id=DOCTOR, phone_number_id=phone_number_id)
    post_webhook(client, runtime, value, "messages")
    run_scheduled(runtime)
    drain(runtime.queue)


def doctor_id(runtime: Runtime) -> int:
    with session_scope(runtime.session_factory) as session:
        return session.scalars(select(Doctor.id).where(Doctor.wa_id == DOCTOR)).one()


def ledger(client: TestClient, headers: dict[str, str], runtime: Runtime) -> dict[str, Any]:
    response = client.get(f"/api/v1/doctors/{doctor_id(runtime)}/consent", headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def entries(found: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The ledger, oldest first, as (opted_out, source, number label, actor, detail)."""
    return [
        (e["opted_out"], e["source"], e["number_label"], e["actor_name"], e["detail"])
        for e in reversed(found["events"])
    ]


@pytest.mark.usefixtures("graph")
class TestKeywords:
    def test_stop_and_start_are_recorded_with_the_number_and_the_doctors_words(
        self, client: TestClient, runtime: Runtime, owner: dict[str, str], numbers: tuple[int, int]
    ) -> None:
        doctor_writes(client, runtime, "STOP", "wamid.k1")
        doctor_writes(client, runtime, "stop all", "wamid.k2", OTHER_PHONE_NUMBER_ID)
        doctor_writes(client, runtime, "START", "wamid.k3", OTHER_PHONE_NUMBER_ID)

        found = ledger(client, owner, runtime)
        assert found["marketing_opted_out"] is False
        # The second STOP changed nothing, so the ledger holds two changes, not three.
        assert entries(found) == [
            (True, "keyword", "Sales", None, "STOP"),
            (False, "keyword", "Courses", None, "START"),
        ]

    def test_a_hindi_stop_is_honoured(
        self, client: TestClient, runtime: Runtime, owner: dict[str, str], numbers: tuple[int, int]
    ) -> None:
        doctor_writes(client, runtime, "मैसेज बंद करो", "wamid.h1")
        found = ledger(client, owner, runtime)
        assert found["marketing_opted_out"] is True
        assert entries(found) == [(True, "keyword", "Sales", None, "मैसेज बंद करो")]


class TestMeta:
    def test_user_preferences_stop_and_resume_are_recorded_with_the_number(
        self, client: TestClient, runtime: Runtime, owner: dict[str, str], numbers: tuple[int, int]
    ) -> None:
        doctor_writes(client, runtime, "What is the price of the 5 mm trocar?", "wamid.m1")
        for value in ("stop", "resume"):
            preference = {
                "wa_id": DOCTOR,
                "detail": "User requested to stop marketing messages",
                "category": "marketing_messages",
                "value": value,
                "timestamp": int(time.time()),
            }
            post_webhook(
                client,
                runtime,
                {
                    "messaging_product": "whatsapp",
                    "metadata": {
                        "display_phone_number": DISPLAY_NUMBER,
                        "phone_number_id": PHONE_NUMBER_ID,
                    },
                    "contacts": [{"wa_id": DOCTOR, "profile": {"name": "Dr. Asha Rao"}}],
                    "user_preferences": [preference],
                },
                "user_preferences",
            )
        found = ledger(client, owner, runtime)
        assert [(e[0], e[1], e[2]) for e in entries(found)] == [
            (True, "user_preferences", "Sales"),
            (False, "user_preferences", "Sales"),
        ]
        assert "stop" in found["events"][1]["detail"]
        # The lead score counted the opt-out while it lasted, and not after the resume.
        with session_scope(runtime.session_factory) as session:
            doctor = session.scalars(select(Doctor).where(Doctor.wa_id == DOCTOR)).one()
            assert doctor.score_reasons.get("opted_out") is None
            causes = [
                event.data.get("cause")
                for event in session.scalars(
                    select(DoctorEvent)
                    .where(DoctorEvent.doctor_id == doctor.id, DoctorEvent.kind == "score")
                    .order_by(DoctorEvent.id)
                )
            ]
            assert causes.count("opt_out") == 2

    def test_error_131050_opts_the_doctor_out_on_the_number_that_was_refused(
        self,
        client: TestClient,
        runtime: Runtime,
        owner: dict[str, str],
        numbers: tuple[int, int],
        graph: respx.MockRouter,
    ) -> None:
        doctor_writes(client, runtime, "Hi", "wamid.e1")
        with session_scope(runtime.session_factory) as session:
            message_service.queue_outbound(
                session,
                OutboundRequest(
                    doctor_id=doctor_id(runtime),
                    type="template",
                    payload=PROMO,
                    sender_kind=SenderKind.system,
                    number_id=numbers[1],
                    template_category="MARKETING",
                ),
            )
        drain(runtime.queue)
        sent = [json.loads(c.request.content) for c in graph.calls]
        assert sent[-1]["type"] == "template"
        wamid = graph.calls[-1].response.json()["messages"][0]["id"]
        failure = status_value(
            wamid,
            "failed",
            wa_id=DOCTOR,
            errors=[{"code": 131050, "title": "User has stopped marketing messages"}],
        )
        failure["metadata"]["phone_number_id"] = OTHER_PHONE_NUMBER_ID  # type: ignore[index]
        post_webhook(client, runtime, failure, "messages")

        found = ledger(client, owner, runtime)
        assert found["marketing_opted_out"] is True
        [(opted_out, source, label, actor, detail)] = entries(found)
        assert (opted_out, source, label, actor) == (True, "error_131050", "Courses", None)
        assert "131050" in detail


@pytest.mark.usefixtures("graph")
class TestAdmin:
    def test_a_team_member_records_an_opt_out_with_their_reason(
        self,
        client: TestClient,
        runtime: Runtime,
        agent: dict[str, str],
        numbers: tuple[int, int],
    ) -> None:
        doctor_writes(client, runtime, "Hi", "wamid.a1")
        response = client.post(
            f"/api/v1/doctors/{doctor_id(runtime)}/consent",
            json={"opted_out": True, "reason": "Asked on the phone to stop offers"},
            headers=agent,
        )
        assert response.status_code == 200, response.text
        assert response.json()["marketing_opted_out"] is True
        assert entries(response.json()) == [
            (True, "admin", None, "agent", "Asked on the phone to stop offers")
        ]

    def test_only_owners_and_admins_opt_a_doctor_back_in(
        self,
        client: TestClient,
        runtime: Runtime,
        owner: dict[str, str],
        agent: dict[str, str],
        numbers: tuple[int, int],
    ) -> None:
        doctor_writes(client, runtime, "STOP", "wamid.a2")
        url = f"/api/v1/doctors/{doctor_id(runtime)}/consent"
        opt_in = {"opted_out": False, "reason": "Signed up again at the conference"}

        assert client.post(url, json=opt_in, headers=agent).status_code == 403
        assert client.post(url, json=opt_in, headers=owner).status_code == 200
        again = client.post(url, json=opt_in, headers=owner)
        assert again.status_code == 409
        assert "already" in again.json()["detail"]
        assert [e[:2] for e in entries(ledger(client, owner, runtime))] == [
            (True, "keyword"),
            (False, "admin"),
        ]

    def test_bad_requests_change_nothing(
        self,
        client: TestClient,
        runtime: Runtime,
        owner: dict[str, str],
        numbers: tuple[int, int],
    ) -> None:
        doctor_writes(client, runtime, "Hi", "wamid.a3")
        url = f"/api/v1/doctors/{doctor_id(runtime)}/consent"
        assert (
            client.post(url, json={"opted_out": True, "reason": "  "}, headers=owner).status_code
            == 422
        )
        assert client.post(url, json={"opted_out": True}, headers=owner).status_code == 422
        missing = client.post(
            "/api/v1/doctors/999999/consent", json={"opted_out": True, "reason": "x"}, headers=owner
        )
        assert missing.status_code == 404
        client.cookies.clear()  # the login's cookie would sign the next request in
        assert client.get(url).status_code == 401
        assert ledger(client, owner, runtime)["events"] == []


@pytest.mark.usefixtures("graph")
class TestEnforcement:
    def test_marketing_is_refused_on_every_number_and_service_replies_still_go(
        self, client: TestClient, runtime: Runtime, numbers: tuple[int, int]
    ) -> None:
        # The doctor writes to both numbers, then says STOP on the first only.
        doctor_writes(client, runtime, "Hi", "wamid.n1")
        doctor_writes(client, runtime, "Is the course on?", "wamid.n2", OTHER_PHONE_NUMBER_ID)
        doctor_writes(client, runtime, "STOP", "wamid.n3")

        def send(number_id: int, type_: str, payload: dict[str, Any], category: str | None) -> None:
            with session_scope(runtime.session_factory) as session:
                message_service.queue_outbound(
                    session,
                    OutboundRequest(
                        doctor_id=doctor_id(runtime),
                        type=type_,
                        payload=payload,
                        sender_kind=SenderKind.admin,
                        number_id=number_id,
                        template_category=category,
                    ),
                )

        for number_id in numbers:
            with pytest.raises(MarketingOptedOut):
                send(number_id, "template", PROMO, "MARKETING")
            # A reply to what the doctor asked, and a utility template, still go.
            send(number_id, "text", {"body": "Yes, the course runs on Monday."}, None)
            send(
                number_id,
                "template",
                {"name": "order_update", "language": {"code": "en"}},
                "UTILITY",
            )


class TestActivity:
    def test_activity_times_and_the_sticky_number_follow_the_messages(
        self,
        client: TestClient,
        runtime: Runtime,
        numbers: tuple[int, int],
        graph: respx.MockRouter,
    ) -> None:
        doctor_writes(client, runtime, "Is the course on?", "wamid.t1", OTHER_PHONE_NUMBER_ID)
        with session_scope(runtime.session_factory) as session:
            doctor = session.scalars(select(Doctor)).one()
            # The Master Agent's reply went out after the doctor's message arrived.
            assert doctor.last_inbound_at is not None and doctor.last_outbound_at is not None
            assert doctor.last_outbound_at >= doctor.last_inbound_at
            first_inbound = doctor.last_inbound_at
            assert doctor.sticky_number_id == numbers[1]

        doctor_writes(client, runtime, "Hello again", "wamid.t2")
        with session_scope(runtime.session_factory) as session:
            doctor = session.scalars(select(Doctor)).one()
            assert doctor.last_inbound_at is not None and doctor.last_inbound_at > first_inbound
            # The first conversation's number stays the doctor's.
            assert doctor.sticky_number_id == numbers[1]
