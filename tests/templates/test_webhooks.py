"""Template status and quality webhooks, signed and posted to the real `/webhooks/whatsapp`,
processed by the workers (the queue drained), with the Graph API stubbed by respx."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import respx
from fastapi.testclient import TestClient

from surgiai.auth.roles import Role
from surgiai.runtime import Runtime
from surgiai.templates.service import SyncCounts
from tests.conftest import drain
from tests.fixtures import ACCESS_TOKEN, create_number, sign
from tests.templates.graph import (
    COURSE_REMINDER,
    FIRST_PAGE,
    LAST_PAGE,
    ORDER_CONFIRMATION,
    TEMPLATES_URL,
    management_webhook,
)
from tests.templates.queued import queued_syncs

Headers = dict[str, str]
STATUS = "message_template_status_update"
QUALITY = "message_template_quality_update"


@pytest.fixture
def graph() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


@pytest.fixture
def number_id(runtime: Runtime) -> int:
    return create_number(runtime)


@pytest.fixture
def viewer(headers_for: Callable[[Role], Headers]) -> Headers:
    return headers_for(Role.viewer)


def deliver(client: TestClient, runtime: Runtime, body: bytes) -> None:
    response = client.post("/webhooks/whatsapp", content=body, headers=sign(body))
    assert response.status_code == 200, response.text
    drain(runtime.queue)


def status_event(event: str, template: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "event": event,
        "message_template_id": int(template["id"]),
        "message_template_name": template["name"],
        "message_template_language": template["language"],
        "reason": "NONE",
        **extra,
    }


def listed(client: TestClient, headers: Headers) -> dict[str, dict[str, Any]]:
    response = client.get("/api/v1/templates", headers=headers)
    assert response.status_code == 200, response.text
    return {item["name"]: item for item in response.json()["items"]}


class TestStatus:
    def test_approval_moves_a_pending_template_to_approved(
        self,
        client: TestClient,
        runtime: Runtime,
        viewer: Headers,
        number_id: int,
        seed: Callable[..., SyncCounts],
    ) -> None:
        seed([ORDER_CONFIRMATION])
        deliver(
            client,
            runtime,
            management_webhook(
                STATUS,
                status_event("APPROVED", ORDER_CONFIRMATION, message_template_category="UTILITY"),
                time=2_000_000_000,
            ),
        )
        order = listed(client, viewer)["order_confirmation"]
        assert (order["status"], order["sendable"], order["rejected_reason"]) == (
            "APPROVED",
            True,
            None,
        )

    def test_rejection_keeps_whatsapps_reason_and_recommendation(
        self,
        client: TestClient,
        runtime: Runtime,
        viewer: Headers,
        number_id: int,
        seed: Callable[..., SyncCounts],
    ) -> None:
        seed([ORDER_CONFIRMATION])
        rejection = status_event(
            "REJECTED",
            ORDER_CONFIRMATION,
            reason="INVALID_FORMAT",
            rejection_info={
                "reason": "INVALID_FORMAT",
                "recommendation": "Remove the URL shortener from the body.",
            },
        )
        deliver(client, runtime, management_webhook(STATUS, rejection, time=2_000_000_000))
        order = listed(client, viewer)["order_confirmation"]
        assert order["status"] == "REJECTED" and not order["sendable"]
        assert order["rejected_reason"] == (
            "INVALID_FORMAT: Remove the URL shortener from the body."
        )

    def test_a_late_older_event_changes_nothing_and_reinstated_means_approved(
        self,
        client: TestClient,
        runtime: Runtime,
        viewer: Headers,
        number_id: int,
        seed: Callable[..., SyncCounts],
    ) -> None:
        seed([COURSE_REMINDER])
        paused = status_event(
            "PAUSED",
            COURSE_REMINDER,
            other_info={"title": "FIRST_PAUSE", "description": "Paused for 3 hours."},
        )
        deliver(client, runtime, management_webhook(STATUS, paused, time=2_000_000_200))
        assert listed(client, viewer)["course_reminder"]["status"] == "PAUSED"
        approved_earlier = status_event("APPROVED", COURSE_REMINDER)
        deliver(client, runtime, management_webhook(STATUS, approved_earlier, time=2_000_000_100))
        assert listed(client, viewer)["course_reminder"]["status"] == "PAUSED"
        reinstated = status_event("REINSTATED", COURSE_REMINDER)
        deliver(client, runtime, management_webhook(STATUS, reinstated, time=2_000_000_300))
        assert listed(client, viewer)["course_reminder"]["status"] == "APPROVED"

    def test_an_event_older_than_the_last_sync_changes_nothing(
        self,
        client: TestClient,
        runtime: Runtime,
        viewer: Headers,
        number_id: int,
        seed: Callable[..., SyncCounts],
    ) -> None:
        seed([COURSE_REMINDER])
        stale = status_event("PAUSED", COURSE_REMINDER)
        deliver(client, runtime, management_webhook(STATUS, stale, time=1_700_000_000))
        assert listed(client, viewer)["course_reminder"]["status"] == "APPROVED"

    def test_found_by_name_when_the_id_is_unknown_even_with_a_hyphenated_language(
        self,
        client: TestClient,
        runtime: Runtime,
        viewer: Headers,
        number_id: int,
        seed: Callable[..., SyncCounts],
    ) -> None:
        seed([ORDER_CONFIRMATION])
        event = status_event(
            "APPROVED",
            {**ORDER_CONFIRMATION, "id": "1", "language": "en-US"},
        )
        deliver(client, runtime, management_webhook(STATUS, event, time=2_000_000_000))
        assert listed(client, viewer)["order_confirmation"]["status"] == "APPROVED"


class TestUnknownTemplate:
    def test_its_event_syncs_the_waba_over_every_page(
        self,
        client: TestClient,
        runtime: Runtime,
        viewer: Headers,
        number_id: int,
        graph: respx.MockRouter,
    ) -> None:
        route = graph.get(TEMPLATES_URL)
        route.side_effect = [
            httpx.Response(200, json=FIRST_PAGE),
            httpx.Response(200, json=LAST_PAGE),
        ]
        event = status_event("APPROVED", COURSE_REMINDER)
        deliver(client, runtime, management_webhook(STATUS, event, time=2_000_000_000))

        assert route.call_count == 2
        first, second = (call.request for call in route.calls)
        assert first.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
        assert "after" not in first.url.params
        assert first.url.params["limit"] == "100"
        assert set(first.url.params["fields"].split(",")) >= {
            "name",
            "language",
            "status",
            "category",
            "parameter_format",
            "components",
            "quality_score",
            "rejected_reason",
        }
        assert second.url.params["after"] == "QVFIUk1PX2"
        templates = listed(client, viewer)
        assert sorted(templates) == ["course_reminder", "order_confirmation"]
        assert templates["course_reminder"]["status"] == "APPROVED"
        assert templates["order_confirmation"]["status"] == "PENDING"

    def test_a_burst_of_events_queues_a_single_sync(
        self, client: TestClient, runtime: Runtime, number_id: int
    ) -> None:
        envelope = json.loads(
            management_webhook(
                STATUS, status_event("APPROVED", COURSE_REMINDER), time=2_000_000_000
            )
        )
        changes = envelope["entry"][0]["changes"]
        changes.append(
            {"field": QUALITY, "value": {**changes[0]["value"], "new_quality_score": "RED"}}
        )
        changes.append({"field": STATUS, "value": status_event("PENDING", ORDER_CONFIRMATION)})
        body = json.dumps(envelope).encode()
        assert (
            client.post("/webhooks/whatsapp", content=body, headers=sign(body)).status_code == 200
        )
        # Process the delivery only: the sync it queues stays in the queue to be looked at.
        runtime.queue.huey.execute(runtime.queue.huey.dequeue())
        assert queued_syncs(runtime) == [(number_id,)]

    def test_a_waba_without_a_number_of_ours_is_left_alone(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        event = status_event("APPROVED", COURSE_REMINDER)
        body = management_webhook(STATUS, event, time=2_000_000_000)
        assert (
            client.post("/webhooks/whatsapp", content=body, headers=sign(body)).status_code == 200
        )
        runtime.queue.huey.execute(runtime.queue.huey.dequeue())
        assert queued_syncs(runtime) == []


class TestQuality:
    def test_quality_update_is_kept(
        self,
        client: TestClient,
        runtime: Runtime,
        viewer: Headers,
        number_id: int,
        seed: Callable[..., SyncCounts],
    ) -> None:
        seed([COURSE_REMINDER])
        value = {
            "previous_quality_score": "GREEN",
            "new_quality_score": "RED",
            "message_template_id": int(COURSE_REMINDER["id"]),
            "message_template_name": "course_reminder",
            "message_template_language": "en",
        }
        deliver(client, runtime, management_webhook(QUALITY, value, time=2_000_000_000))
        assert listed(client, viewer)["course_reminder"]["quality"] == "RED"


class TestSyncFailure:
    def test_no_answer_is_recorded_and_retried_later(
        self,
        client: TestClient,
        runtime: Runtime,
        viewer: Headers,
        number_id: int,
        graph: respx.MockRouter,
    ) -> None:
        graph.get(TEMPLATES_URL).mock(side_effect=httpx.ConnectError("connection refused"))
        runtime.queue.send("templates.sync", number_id)
        drain(runtime.queue)
        [sync] = client.get("/api/v1/templates", headers=viewer).json()["syncs"]
        assert sync["last_error"].startswith("WhatsApp could not be reached")
        assert sync["synced_at"] is None and sync["pending"] is True
        [retry] = runtime.queue.huey.scheduled()
        assert (retry.name, retry.args[1:]) == ("templates.sync", (number_id, 2))

    def test_an_expired_token_is_recorded_and_not_retried(
        self,
        client: TestClient,
        runtime: Runtime,
        viewer: Headers,
        number_id: int,
        graph: respx.MockRouter,
    ) -> None:
        expired = {
            "error": {
                "message": "Error validating access token: Session has expired.",
                "type": "OAuthException",
                "code": 190,
                "error_subcode": 463,
                "fbtrace_id": "AbCdEf",
            }
        }
        graph.get(TEMPLATES_URL).respond(401, json=expired)
        runtime.queue.send("templates.sync", number_id)
        drain(runtime.queue)
        [sync] = client.get("/api/v1/templates", headers=viewer).json()["syncs"]
        assert sync["last_error"].startswith("Error 190: The WhatsApp access token expired")
        assert sync["last_error_at"] is not None and sync["pending"] is False
        assert runtime.queue.huey.scheduled() == []

    def test_a_page_that_fails_leaves_the_templates_as_they_were(
        self,
        client: TestClient,
        runtime: Runtime,
        viewer: Headers,
        number_id: int,
        graph: respx.MockRouter,
        seed: Callable[..., SyncCounts],
    ) -> None:
        seed([COURSE_REMINDER, ORDER_CONFIRMATION])
        route = graph.get(TEMPLATES_URL)
        route.side_effect = [
            httpx.Response(200, json=FIRST_PAGE),
            httpx.Response(
                500, json={"error": {"message": "(#2) Service temporarily unavailable", "code": 2}}
            ),
        ]
        runtime.queue.send("templates.sync", number_id)
        drain(runtime.queue)
        assert sorted(listed(client, viewer)) == ["course_reminder", "order_confirmation"]
        [sync] = client.get("/api/v1/templates", headers=viewer).json()["syncs"]
        assert sync["last_error"].startswith("Error 2:")
