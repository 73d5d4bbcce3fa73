"""The WhatsApp webhook, replayed through the real endpoint with real signatures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from surgiai.conversations.models import Message
from surgiai.db.engine import session_scope
from surgiai.doctors.models import Doctor
from surgiai.external_events.models import ExternalEvent
from surgiai.runtime import Runtime
from tests.conftest import drain
from tests.fixtures import (
    create_number,
    create_user,
    login,
    sign,
    text_message_value,
    webhook_body,
)

FIXTURES = Path(__file__).parents[1] / "channels" / "cloud" / "fixtures"


def stored_events(runtime: Runtime) -> int:
    with session_scope(runtime.session_factory) as session:
        return session.scalar(select(func.count()).select_from(ExternalEvent)) or 0


def messages(runtime: Runtime) -> list[Message]:
    with session_scope(runtime.session_factory) as session:
        return list(session.scalars(select(Message).order_by(Message.id)))


class TestVerificationHandshake:
    def test_echoes_the_challenge_for_the_right_token(self, client: TestClient) -> None:
        response = client.get(
            "/webhooks/whatsapp",
            params={
                "hub.mode": "subscribe",
                "hub.verify_token": "test-verify-token",
                "hub.challenge": "1158201444",
            },
        )
        assert response.status_code == 200
        assert response.text == "1158201444"

    @pytest.mark.parametrize(
        "params",
        [
            {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
            {
                "hub.mode": "unsubscribe",
                "hub.verify_token": "test-verify-token",
                "hub.challenge": "1",
            },
            {"hub.verify_token": "test-verify-token", "hub.challenge": "1"},
            {},
        ],
    )
    def test_refuses_anything_else(self, client: TestClient, params: dict[str, str]) -> None:
        response = client.get("/webhooks/whatsapp", params=params)
        assert response.status_code == 403
        assert response.text != "1"


class TestSignature:
    def test_missing_signature_is_403_and_nothing_is_stored(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        body = webhook_body(text_message_value("wamid.A", "hello"))
        response = client.post(
            "/webhooks/whatsapp", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 403
        assert stored_events(runtime) == 0

    def test_wrong_signature_is_403_and_nothing_is_stored(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        body = webhook_body(text_message_value("wamid.A", "hello"))
        response = client.post("/webhooks/whatsapp", content=body, headers=sign(body, "other"))
        assert response.status_code == 403
        tampered = body.replace(b"hello", b"HELLO")
        response = client.post("/webhooks/whatsapp", content=tampered, headers=sign(body))
        assert response.status_code == 403
        assert stored_events(runtime) == 0

    def test_non_ascii_text_signed_in_its_escaped_form_is_accepted(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        create_number(runtime)
        body = webhook_body(text_message_value("wamid.U", "Dr. Müller — ¿precio? 手術"))
        assert b"\\u00fc" in body  # Meta's wire form is ASCII
        response = client.post("/webhooks/whatsapp", content=body, headers=sign(body))
        assert response.status_code == 200
        drain(runtime.queue)
        assert messages(runtime)[0].text == "Dr. Müller — ¿precio? 手術"

    def test_a_numbers_own_app_secret_is_accepted(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        create_number(runtime, phone_number_id="555", app_secret="number-own-secret")
        body = webhook_body(text_message_value("wamid.N", "hi", phone_number_id="555"))
        response = client.post(
            "/webhooks/whatsapp", content=body, headers=sign(body, "number-own-secret")
        )
        assert response.status_code == 200


class TestBadInput:
    def test_invalid_json_is_400(self, client: TestClient, runtime: Runtime) -> None:
        body = b'{"object": "whatsapp_business_account", "entry": ['
        response = client.post("/webhooks/whatsapp", content=body, headers=sign(body))
        assert response.status_code == 400
        assert response.json()["error"] == "BadRequest"
        assert stored_events(runtime) == 0

    def test_json_that_is_not_a_whatsapp_webhook_is_400(self, client: TestClient) -> None:
        body = json.dumps({"object": "page", "entry": []}).encode()
        response = client.post("/webhooks/whatsapp", content=body, headers=sign(body))
        assert response.status_code == 400

    def test_body_over_3_mb_is_413(self, client: TestClient, runtime: Runtime) -> None:
        body = webhook_body(text_message_value("wamid.big", "x" * (3 * 1024 * 1024)))
        response = client.post("/webhooks/whatsapp", content=body, headers=sign(body))
        assert response.status_code == 413
        assert stored_events(runtime) == 0


class TestIngest:
    def test_valid_event_is_stored_then_processed_by_a_task(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        create_number(runtime)
        body = webhook_body(text_message_value("wamid.1", "Price of the 5 mm trocar?"))
        response = client.post("/webhooks/whatsapp", content=body, headers=sign(body))
        assert response.status_code == 200
        assert stored_events(runtime) == 1
        assert messages(runtime) == []  # acknowledged before processing
        drain(runtime.queue)
        [message] = messages(runtime)
        assert message.text == "Price of the 5 mm trocar?"
        assert message.direction.value == "in"
        assert message.sender_kind.value == "doctor"
        with session_scope(runtime.session_factory) as session:
            doctor = session.scalar(select(Doctor))
            assert doctor is not None
            assert (doctor.wa_id, doctor.profile_name) == ("919876543210", "Dr. Asha Rao")

    def test_redelivery_and_rebatched_duplicates_change_nothing(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        create_number(runtime)
        body = webhook_body(text_message_value("wamid.dup", "hello"))
        for _ in range(3):
            assert (
                client.post("/webhooks/whatsapp", content=body, headers=sign(body)).status_code
                == 200
            )
        # The same message re-sent by Meta in a different batch (other bytes).
        other = json.loads(body)
        other["entry"][0]["changes"].append(
            {"field": "messages", "value": text_message_value("wamid.other", "second")}
        )
        other_body = json.dumps(other).encode()
        client.post("/webhooks/whatsapp", content=other_body, headers=sign(other_body))
        drain(runtime.queue)
        assert stored_events(runtime) == 2
        assert [m.wamid for m in messages(runtime)] == ["wamid.dup", "wamid.other"]

    def test_event_for_an_unknown_number_is_acknowledged_and_shown_to_admins(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        create_user(runtime)
        body = webhook_body(text_message_value("wamid.x", "hi", phone_number_id="999000"))
        assert (
            client.post("/webhooks/whatsapp", content=body, headers=sign(body)).status_code == 200
        )
        drain(runtime.queue)
        assert messages(runtime) == []
        headers = login(client, "owner@example.com")
        listed = client.get("/api/v1/webhook-events?state=unrouted", headers=headers).json()
        [event] = listed["items"]
        assert "999000" in event["error"]
        assert event["payload"]["entry"][0]["changes"][0]["value"]["messages"][0]["id"] == "wamid.x"

    def test_every_recorded_payload_is_accepted_and_processed_without_error(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        create_number(runtime)
        fixtures = sorted(FIXTURES.glob("*.json"))
        assert len(fixtures) >= 20, "recorded payloads are missing"
        for path in fixtures:
            payload = json.loads(path.read_text())
            for case in payload.values() if "object" not in payload else [payload]:
                body = json.dumps(case, ensure_ascii=True, separators=(",", ":")).encode()
                response = client.post("/webhooks/whatsapp", content=body, headers=sign(body))
                assert response.status_code == 200, (path.name, response.text)
        drain(runtime.queue)
        with session_scope(runtime.session_factory) as session:
            states = set(session.scalars(select(ExternalEvent.state)))
            failures = list(
                session.scalars(select(ExternalEvent.error).where(ExternalEvent.error.is_not(None)))
            )
        assert "failed" not in {state.value for state in states}, failures
        assert "pending" not in {state.value for state in states}
