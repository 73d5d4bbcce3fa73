from __future__ import annotations

import httpx
import pytest
import respx
from fastapi.testclient import TestClient
from sqlalchemy import select

from surgiai.auth.roles import Role
from surgiai.db.engine import session_scope
from surgiai.doctors.models import Doctor
from surgiai.numbers.models import WhatsAppNumber
from surgiai.runtime import Runtime
from tests.conftest import drain
from tests.fixtures import (
    GRAPH,
    PHONE_NUMBER_ID,
    WABA_ID,
    create_number,
    create_user,
    graph_error,
    login,
    sign,
    text_message_value,
    webhook_body,
)

NEW_NUMBER = {
    "label": "Courses",
    "channel": "cloud",
    "phone_number_id": PHONE_NUMBER_ID,
    "waba_id": WABA_ID,
    "display_phone_number": "+1 555 078 3881",
    "access_token": "EAAG-very-secret-access-token",
    "app_secret": "app-secret-value-123",
}


@pytest.fixture
def owner(client: TestClient, runtime: Runtime) -> dict[str, str]:
    create_user(runtime)
    return login(client, "owner@example.com")


class TestNumbersApi:
    def test_credentials_are_encrypted_and_never_returned(
        self, client: TestClient, runtime: Runtime, owner: dict[str, str]
    ) -> None:
        response = client.post("/api/v1/numbers", json=NEW_NUMBER, headers=owner)
        assert response.status_code == 201
        body = response.json()
        assert body["access_token_hint"] == "…oken"
        assert body["has_app_secret"] is True
        assert "very-secret" not in response.text and "app-secret-value" not in response.text
        listed = client.get("/api/v1/numbers", headers=owner)
        assert "very-secret" not in listed.text
        with session_scope(runtime.session_factory) as session:
            stored = session.scalar(select(WhatsAppNumber))
            assert stored is not None
            assert "very-secret" not in stored.access_token_encrypted
            assert "app-secret-value" not in (stored.app_secret_encrypted or "")

    def test_duplicate_phone_number_id_is_409(
        self, client: TestClient, owner: dict[str, str]
    ) -> None:
        assert client.post("/api/v1/numbers", json=NEW_NUMBER, headers=owner).status_code == 201
        assert client.post("/api/v1/numbers", json=NEW_NUMBER, headers=owner).status_code == 409

    def test_agents_may_look_but_not_add(self, client: TestClient, runtime: Runtime) -> None:
        create_user(runtime, email="agent@example.com", role=Role.agent)
        headers = login(client, "agent@example.com")
        assert client.post("/api/v1/numbers", json=NEW_NUMBER, headers=headers).status_code == 403
        assert client.get("/api/v1/numbers", headers=headers).status_code == 200

    def test_update_and_delete(self, client: TestClient, owner: dict[str, str]) -> None:
        number = client.post("/api/v1/numbers", json=NEW_NUMBER, headers=owner).json()
        updated = client.patch(
            f"/api/v1/numbers/{number['id']}",
            json={"label": "CME courses", "access_token": "EAAG-rotated-token-9999"},
            headers=owner,
        ).json()
        assert updated["label"] == "CME courses"
        assert updated["access_token_hint"] == "…9999"
        assert client.delete(f"/api/v1/numbers/{number['id']}", headers=owner).status_code == 204
        assert client.get(f"/api/v1/numbers/{number['id']}", headers=owner).status_code == 404

    def test_a_number_with_conversations_cannot_be_deleted(
        self, client: TestClient, runtime: Runtime, owner: dict[str, str]
    ) -> None:
        number_id = create_number(runtime)
        body = webhook_body(text_message_value("wamid.1", "hi"))
        client.post("/webhooks/whatsapp", content=body, headers=sign(body))
        drain(runtime.queue)
        response = client.delete(f"/api/v1/numbers/{number_id}", headers=owner)
        assert response.status_code == 409
        assert "disable" in response.json()["detail"]


class TestHealth:
    def test_refresh_reads_health_from_the_graph_api(
        self, client: TestClient, runtime: Runtime, owner: dict[str, str]
    ) -> None:
        number_id = create_number(runtime)
        with respx.mock() as graph:
            route = graph.get(f"{GRAPH}/{PHONE_NUMBER_ID}").mock(
                return_value=httpx.Response(
                    200,
                    json={
                        "id": PHONE_NUMBER_ID,
                        "status": "CONNECTED",
                        "quality_rating": "YELLOW",
                        "throughput": {"level": "HIGH"},
                        "whatsapp_business_manager_messaging_limit": "TIER_2K",
                        "verified_name": "SurgiCare",
                    },
                )
            )
            response = client.post(f"/api/v1/numbers/{number_id}/refresh", headers=owner)
            assert response.status_code == 202
            drain(runtime.queue)
        fields = route.calls.last.request.url.params["fields"].split(",")
        assert {"quality_rating", "status", "throughput"} <= set(fields)
        health = client.get(f"/api/v1/numbers/{number_id}", headers=owner).json()["health"]
        assert health["quality_rating"] == "YELLOW"
        assert health["messaging_tier"] == "TIER_2K"
        assert (health["throughput_level"], health["throughput_mps"]) == ("HIGH", 1000)
        assert health["checked_at"] is not None

    def test_an_expired_token_pauses_the_number_with_the_reason(
        self, client: TestClient, runtime: Runtime, owner: dict[str, str]
    ) -> None:
        number_id = create_number(runtime)
        with respx.mock() as graph:
            graph.get(f"{GRAPH}/{PHONE_NUMBER_ID}").mock(
                return_value=httpx.Response(401, json=graph_error(190, "Access token expired"))
            )
            client.post(f"/api/v1/numbers/{number_id}/refresh", headers=owner)
            drain(runtime.queue)
        health = client.get(f"/api/v1/numbers/{number_id}", headers=owner).json()["health"]
        assert health["paused"] is True
        assert "190" in health["paused_reason"]
        assert health["check_error"]
        resumed = client.patch(
            f"/api/v1/numbers/{number_id}", json={"paused": False}, headers=owner
        ).json()
        assert resumed["health"]["paused"] is False


class TestManagementWebhooks:
    def post(self, client: TestClient, field: str, value: dict[str, object]) -> None:
        body = webhook_body(value, field=field)
        assert (
            client.post("/webhooks/whatsapp", content=body, headers=sign(body)).status_code == 200
        )

    def test_throughput_upgrade_raises_the_pacing_ceiling(
        self, client: TestClient, runtime: Runtime, owner: dict[str, str]
    ) -> None:
        number_id = create_number(runtime)
        self.post(
            client,
            "phone_number_quality_update",
            {
                "display_phone_number": "15550783881",
                "event": "THROUGHPUT_UPGRADE",
                "max_daily_conversations_per_business": "TIER_10K",
            },
        )
        drain(runtime.queue)
        health = client.get(f"/api/v1/numbers/{number_id}", headers=owner).json()["health"]
        assert (health["throughput_mps"], health["messaging_tier"]) == (1000, "TIER_10K")

    def test_a_disabled_account_pauses_its_numbers(
        self, client: TestClient, runtime: Runtime, owner: dict[str, str]
    ) -> None:
        number_id = create_number(runtime)
        self.post(
            client,
            "account_update",
            {"event": "DISABLED_UPDATE", "ban_info": {"waba_ban_state": "DISABLE"}},
        )
        drain(runtime.queue)
        health = client.get(f"/api/v1/numbers/{number_id}", headers=owner).json()["health"]
        assert health["paused"] is True and health["status"] == "BANNED"
        assert "disabled" in health["paused_reason"]

    def test_user_preferences_stop_and_resume_marketing(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        create_number(runtime)

        def preference(value: str) -> dict[str, object]:
            return {
                "messaging_product": "whatsapp",
                "metadata": {
                    "display_phone_number": "15550783881",
                    "phone_number_id": PHONE_NUMBER_ID,
                },
                "user_preferences": [
                    {
                        "wa_id": "919876543210",
                        "detail": "User requested to stop marketing messages",
                        "category": "marketing_messages",
                        "value": value,
                        "timestamp": 1731705721,
                    }
                ],
            }

        def opted_out() -> bool:
            with session_scope(runtime.session_factory) as session:
                doctor = session.scalar(select(Doctor).where(Doctor.wa_id == "919876543210"))
                assert doctor is not None
                return doctor.marketing_opted_out

        self.post(client, "user_preferences", preference("stop"))
        drain(runtime.queue)
        assert opted_out() is True
        self.post(client, "user_preferences", preference("resume"))
        drain(runtime.queue)
        assert opted_out() is False
