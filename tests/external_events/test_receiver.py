"""`POST /webhooks/whatsapp` against hostile input: what Meta never sends is refused at the door,
a number's own app secret speaks only for that number, and no request makes the process hold
memory it cannot authenticate."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from starlette.types import Message

from surgiai.channels.registry import CLOUD_KIND, provider
from surgiai.db.engine import session_scope
from surgiai.external_events.ingest import PROCESS_TASK, IngestWriter
from surgiai.external_events.models import EventState, ExternalEvent
from surgiai.external_events.receiver import BodyBudget, WebhookReceiver
from surgiai.external_events.secrets import AppSecrets
from surgiai.runtime import Runtime
from tests.conftest import drain
from tests.external_events.test_processing import outcomes, store
from tests.fixtures import (
    APP_SECRET,
    PHONE_NUMBER_ID,
    WABA_ID,
    create_number,
    create_user,
    login,
    sign,
    status_value,
    text_message_value,
    webhook_body,
)
from tests.services import wait_until

URL = "/webhooks/whatsapp"
MB = 1024 * 1024


def stored_events(runtime: Runtime) -> int:
    with session_scope(runtime.session_factory) as session:
        return session.scalar(select(func.count()).select_from(ExternalEvent)) or 0


def nested_delivery(levels: int) -> bytes:
    """A webhook envelope whose `entry` is `levels` arrays deep (its JSON nests `levels + 1`)."""
    return b'{"object":"whatsapp_business_account","entry":' + b"[" * levels + b"]" * levels + b"}"


class TestNesting:
    def test_a_signed_delivery_nested_1000_levels_is_400_and_not_stored(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        body = nested_delivery(1000)
        response = client.post(URL, content=body, headers=sign(body))
        assert response.status_code == 400
        assert "nests 1001 levels deep" in response.json()["detail"]
        assert stored_events(runtime) == 0

    def test_a_real_delivery_is_far_inside_the_limit(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        create_number(runtime)
        body = webhook_body(text_message_value("wamid.ok", "Is the 5 mm trocar in stock?"))
        assert client.post(URL, content=body, headers=sign(body)).status_code == 200

    def test_a_hostile_row_stored_before_the_check_leaves_the_listing_readable(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        create_user(runtime)
        create_number(runtime)
        readable = webhook_body(text_message_value("wamid.fine", "Price of the stapler?"))
        [hostile_id, readable_id] = store(runtime, nested_delivery(1000), readable)
        headers = login(client, "owner@example.com")

        response = client.get("/api/v1/webhook-events", headers=headers)

        assert response.status_code == 200
        items = {item["id"]: item for item in response.json()["items"]}
        assert items[hostile_id]["payload"] is None
        assert items[hostile_id]["payload_error"].startswith("Unreadable payload: ")
        assert "nests 1001 levels deep" in items[hostile_id]["payload_error"]
        assert items[readable_id]["payload_error"] is None
        messages = items[readable_id]["payload"]["entry"][0]["changes"][0]["value"]["messages"]
        assert messages[0]["id"] == "wamid.fine"

    def test_a_hostile_row_fails_at_once_with_its_reason_and_the_others_are_processed(
        self, runtime: Runtime
    ) -> None:
        create_number(runtime)
        readable = webhook_body(text_message_value("wamid.after", "Hello"))
        ids = store(runtime, nested_delivery(1000), readable)
        runtime.queue.send(PROCESS_TASK)
        drain(runtime.queue)
        [(state, error), (other_state, _)] = outcomes(runtime, ids)
        assert state is EventState.failed  # no retries: it can never be read
        assert error is not None and "nests 1001 levels deep" in error
        assert other_state is EventState.processed


OTHER_PNID = "222000111"
THIRD_PNID = "333000111"


@pytest.fixture
def two_apps(runtime: Runtime) -> dict[str, int]:
    """Number A and number B on other Meta apps (their own app secrets); C shares A's app."""
    return {
        "A": create_number(runtime, app_secret="secret-of-a"),
        "B": create_number(
            runtime,
            phone_number_id=OTHER_PNID,
            label="CME",
            display_phone_number="+91 80 4567 0002",
            app_secret="secret-of-b",
        ),
        "C": create_number(
            runtime,
            phone_number_id=THIRD_PNID,
            label="Support",
            display_phone_number="+91 80 4567 0003",
            app_secret="secret-of-a",
        ),
    }


def delivery(*pnids: str) -> bytes:
    envelope: dict[str, Any] = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": WABA_ID,
                "changes": [
                    {
                        "field": "messages",
                        "value": text_message_value(
                            f"wamid.{pnid or PHONE_NUMBER_ID}.{index}",
                            "Hello",
                            phone_number_id=pnid,
                        ),
                    }
                    for index, pnid in enumerate(pnids)
                ],
            }
        ],
    }
    return json.dumps(envelope, separators=(",", ":")).encode()


def management(waba_id: str) -> bytes:
    envelope = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": waba_id,
                "time": 1751247548,
                "changes": [
                    {
                        "field": "message_template_status_update",
                        "value": {
                            "event": "APPROVED",
                            "message_template_id": 1689556908129832,
                            "message_template_name": "cme_course_reminder",
                            "message_template_language": "en",
                            "reason": "NONE",
                        },
                    }
                ],
            }
        ],
    }
    return json.dumps(envelope, separators=(",", ":")).encode()


class TestWhoseSecret:
    def test_a_numbers_secret_does_not_authenticate_another_numbers_delivery(
        self, client: TestClient, runtime: Runtime, two_apps: dict[str, int]
    ) -> None:
        for_a = delivery(PHONE_NUMBER_ID)
        response = client.post(URL, content=for_a, headers=sign(for_a, "secret-of-b"))
        assert response.status_code == 403
        assert "not for" in response.json()["detail"]
        assert stored_events(runtime) == 0
        assert (
            client.post(URL, content=for_a, headers=sign(for_a, "secret-of-a")).status_code == 200
        )

    def test_a_delivery_naming_a_number_the_secret_does_not_hold_is_refused_whole(
        self, client: TestClient, runtime: Runtime, two_apps: dict[str, int]
    ) -> None:
        mixed = delivery(PHONE_NUMBER_ID, OTHER_PNID)
        assert (
            client.post(URL, content=mixed, headers=sign(mixed, "secret-of-a")).status_code == 403
        )
        unknown = delivery("999000999")
        assert (
            client.post(URL, content=unknown, headers=sign(unknown, "secret-of-a")).status_code
            == 403
        )
        assert stored_events(runtime) == 0

    def test_numbers_sharing_a_secret_are_covered_by_it_together(
        self, client: TestClient, runtime: Runtime, two_apps: dict[str, int]
    ) -> None:
        both = delivery(PHONE_NUMBER_ID, THIRD_PNID)
        assert client.post(URL, content=both, headers=sign(both, "secret-of-a")).status_code == 200
        assert stored_events(runtime) == 1

    def test_a_disabled_numbers_secret_authenticates_nothing_from_the_moment_it_is_disabled(
        self, client: TestClient, runtime: Runtime, two_apps: dict[str, int]
    ) -> None:
        create_user(runtime)
        owner = login(client, "owner@example.com")
        first, second = delivery(OTHER_PNID), management(WABA_ID)
        # Accepted while B is enabled: its secret is now in the cache.
        assert (
            client.post(URL, content=first, headers=sign(first, "secret-of-b")).status_code == 200
        )

        disabled = client.patch(
            f"/api/v1/numbers/{two_apps['B']}", json={"enabled": False}, headers=owner
        )
        assert disabled.status_code == 200

        again = delivery(OTHER_PNID, OTHER_PNID)
        for body in (again, second):
            response = client.post(URL, content=body, headers=sign(body, "secret-of-b"))
            assert response.status_code == 403
        assert stored_events(runtime) == 1

    def test_a_management_event_is_covered_by_the_secret_of_a_number_of_its_account(
        self, client: TestClient, runtime: Runtime, two_apps: dict[str, int]
    ) -> None:
        ours, theirs = management(WABA_ID), management("555000555")
        assert client.post(URL, content=ours, headers=sign(ours, "secret-of-b")).status_code == 200
        assert (
            client.post(URL, content=theirs, headers=sign(theirs, "secret-of-b")).status_code == 403
        )
        empty = b'{"object":"whatsapp_business_account","entry":[]}'
        assert (
            client.post(URL, content=empty, headers=sign(empty, "secret-of-b")).status_code == 403
        )

    def test_the_global_app_secret_still_speaks_for_every_number(
        self, client: TestClient, runtime: Runtime, two_apps: dict[str, int]
    ) -> None:
        for body in (
            delivery(PHONE_NUMBER_ID, OTHER_PNID, THIRD_PNID),
            delivery("999000999"),  # stored, then shown to admins as unrouted
            management("555000555"),
        ):
            assert client.post(URL, content=body, headers=sign(body, APP_SECRET)).status_code == 200
        assert stored_events(runtime) == 3


class TestLargeDeliveries:
    def test_a_large_signed_delivery_is_checked_and_stored(
        self, client: TestClient, runtime: Runtime
    ) -> None:
        create_number(runtime)
        # Over the size hashed off the event loop, under Meta's 3 MB.
        body = webhook_body(text_message_value("wamid.big", "Catalogue list: " + "x" * MB))
        assert client.post(URL, content=body, headers=sign(body)).status_code == 200
        forged = client.post(URL, content=body, headers=sign(body, "not-a-secret-we-hold"))
        assert forged.status_code == 403
        assert stored_events(runtime) == 1


class RecordingBody:
    """A streamed request body that records whether anyone read it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.consumed = False

    def __iter__(self) -> Iterator[bytes]:
        self.consumed = True
        yield b"x" * self.size


class TestRefusedUnread:
    @pytest.mark.parametrize(
        "headers",
        [
            {},
            {"X-Hub-Signature-256": "sha256=abc"},
            {"X-Hub-Signature-256": "sha1=" + "a" * 40},
            {"X-Hub-Signature-256": "f" * 64},
        ],
    )
    def test_without_a_well_formed_signature_header_the_body_is_never_read(
        self, client: TestClient, runtime: Runtime, headers: dict[str, str]
    ) -> None:
        body = RecordingBody(3 * MB)
        response = client.post(
            URL, content=body, headers={"Content-Type": "application/json", **headers}
        )
        assert response.status_code == 403
        assert response.json()["error"] == "InvalidSignature"
        assert not body.consumed
        # Keeping the connection would mean receiving the rest of the body to reach the next.
        assert response.headers["connection"] == "close"
        assert stored_events(runtime) == 0

    def test_a_declared_length_over_the_limit_is_413_unread(self, client: TestClient) -> None:
        body = RecordingBody(3 * MB + 1)
        headers = {**sign(b"anything"), "Content-Length": str(3 * MB + 1)}
        response = client.post(URL, content=body, headers=headers)
        assert response.status_code == 413
        assert not body.consumed
        assert response.headers["connection"] == "close"


class FakeClient:
    """One request's ASGI side, its body sent when the test says so."""

    def __init__(self, body: bytes, headers: dict[str, str]) -> None:
        self.body = body
        self.scope: dict[str, Any] = {
            "type": "http",
            "method": "POST",
            "path": URL,
            "headers": [
                (name.lower().encode(), value.encode())
                for name, value in {**headers, "Content-Length": str(len(body))}.items()
            ],
        }
        self.may_send = asyncio.Event()
        self.receive_calls = 0
        self.sent: list[Message] = []

    async def receive(self) -> Message:
        self.receive_calls += 1
        await self.may_send.wait()
        return {"type": "http.request", "body": self.body, "more_body": False}

    async def send(self, message: Message) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int:
        return int(self.sent[0]["status"])

    @property
    def headers(self) -> dict[bytes, bytes]:
        return dict(self.sent[0]["headers"])


class TestBodiesInFlight:
    def test_past_the_budget_a_delivery_is_503_with_retry_after_unread_and_room_comes_back(
        self, runtime: Runtime
    ) -> None:
        create_number(runtime)
        ingest = IngestWriter(runtime.engine, runtime.queue)
        budget = BodyBudget(4 * MB)
        receiver = WebhookReceiver(
            provider(CLOUD_KIND).webhooks,
            AppSecrets(runtime.settings, runtime.session_factory),
            ingest,
            budget,
        )
        big = b"x" * (3 * MB)
        forged = {"X-Hub-Signature-256": "sha256=" + "0" * 64}
        real = webhook_body(status_value("wamid.r", "delivered"))

        async def scenario() -> None:
            slow = FakeClient(big, forged)
            holding = asyncio.create_task(receiver(slow.scope, slow.receive, slow.send))
            await wait_until(lambda: slow.receive_calls == 1)
            assert budget.held == 3 * MB

            refused = FakeClient(big, forged)
            await receiver(refused.scope, refused.receive, refused.send)
            assert refused.status == 503
            assert refused.headers[b"retry-after"] == b"1"
            assert refused.headers[b"connection"] == b"close"
            assert refused.receive_calls == 0

            # A small delivery still fits beside the one being read.
            small = FakeClient(real, sign(real))
            small.may_send.set()
            await receiver(small.scope, small.receive, small.send)
            assert small.status == 200

            slow.may_send.set()
            await holding
            assert slow.status == 403
            assert budget.held == 0

        try:
            asyncio.run(scenario())
        finally:
            ingest.stop()

    def test_a_body_that_never_arrives_is_408_and_gives_its_room_back(
        self, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from surgiai.external_events import receiver as receiver_module

        monkeypatch.setattr(receiver_module, "BODY_SECONDS", 0.05)
        budget = BodyBudget(4 * MB)
        receiver = WebhookReceiver(
            provider(CLOUD_KIND).webhooks,
            AppSecrets(runtime.settings, runtime.session_factory),
            IngestWriter(runtime.engine, runtime.queue),
            budget,
        )
        trickle = FakeClient(b"x" * MB, {"X-Hub-Signature-256": "sha256=" + "0" * 64})
        asyncio.run(receiver(trickle.scope, trickle.receive, trickle.send))
        assert trickle.status == 408
        assert budget.held == 0
