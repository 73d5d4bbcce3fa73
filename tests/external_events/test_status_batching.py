"""Delivery receipts wait to be applied together; doctors' messages never wait for them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
import respx
from fastapi.testclient import TestClient
from sqlalchemy import select

from surgiai.channels.cloud.webhooks import only_statuses
from surgiai.config import Settings
from surgiai.conversations.models import Direction, Message, MessageState, SenderKind
from surgiai.db.engine import session_scope
from surgiai.external_events import ingest
from surgiai.external_events.models import EventState, ExternalEvent
from surgiai.kit.time import utcnow
from surgiai.runtime import Runtime
from tests.conftest import drain, make_settings
from tests.fixtures import (
    create_number,
    run_scheduled,
    sign,
    status_value,
    text_message_value,
    webhook_body,
)

DOCTOR = "919876543210"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url, status_batch_seconds=0.5)


class Clock:
    """The monotonic clock the webhook writer times its receipt window with: it stands still
    until advanced, so receipts posted one after another are always within one window."""

    def __init__(self) -> None:
        self.now = time.monotonic()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """`time.monotonic` as the ingest module sees it, and only that module."""
    clock = Clock()
    monkeypatch.setattr(ingest, "time", SimpleNamespace(monotonic=clock))
    return clock


@pytest.fixture
def outbound_wamid(runtime: Runtime, client: TestClient) -> str:
    """A reply WhatsApp accepted, waiting for its receipts."""
    create_number(runtime)
    post(client, webhook_body(text_message_value("wamid.in0", "Hello", wa_id=DOCTOR)))
    drain(runtime.queue)
    with session_scope(runtime.session_factory) as session:
        conversation_id = session.scalars(select(Message.conversation_id)).one()
        session.add(
            Message(
                conversation_id=conversation_id,
                direction=Direction.outbound,
                wamid="wamid.out1",
                type="text",
                text="Here is the price list",
                status=MessageState.accepted,
                sender_kind=SenderKind.admin,
                created_at=utcnow(),
            )
        )
    return "wamid.out1"


def post(client: TestClient, body: bytes) -> None:
    assert client.post("/webhooks/whatsapp", content=body, headers=sign(body)).status_code == 200


def status_of(runtime: Runtime, wamid: str) -> str:
    with session_scope(runtime.session_factory) as session:
        message = session.scalars(select(Message).where(Message.wamid == wamid)).one()
        return message.status.value


def pending_events(runtime: Runtime) -> int:
    with session_scope(runtime.session_factory) as session:
        states = session.scalars(select(ExternalEvent.state)).all()
        return sum(state == EventState.pending for state in states)


def test_receipts_alone_wait_for_one_delayed_run_that_applies_them_all(
    runtime: Runtime, client: TestClient, outbound_wamid: str
) -> None:
    for status in ("sent", "delivered", "read"):
        post(client, webhook_body(status_value(outbound_wamid, status, wa_id=DOCTOR)))
    drain(runtime.queue)  # the delayed run is not due yet: it waits in the schedule
    assert (status_of(runtime, outbound_wamid), pending_events(runtime)) == ("accepted", 3)

    assert run_scheduled(runtime) == 1  # one run for the three receipts
    assert (status_of(runtime, outbound_wamid), pending_events(runtime)) == ("read", 0)


def test_a_doctors_message_is_processed_at_once_and_takes_the_waiting_receipts_along(
    runtime: Runtime, client: TestClient, outbound_wamid: str
) -> None:
    post(client, webhook_body(status_value(outbound_wamid, "delivered", wa_id=DOCTOR)))
    post(client, webhook_body(text_message_value("wamid.in1", "Price of clips?", wa_id=DOCTOR)))
    drain(runtime.queue)
    with session_scope(runtime.session_factory) as session:
        texts = session.scalars(
            select(Message.text).where(Message.direction == Direction.inbound)
        ).all()
    assert texts == ["Hello", "Price of clips?"]
    assert (status_of(runtime, outbound_wamid), pending_events(runtime)) == ("delivered", 0)
    run_scheduled(runtime)  # the receipts' own run finds nothing left: harmless
    assert pending_events(runtime) == 0


def test_a_receipt_the_delayed_run_missed_is_not_lost(
    runtime: Runtime, client: TestClient, outbound_wamid: str, clock: Clock
) -> None:
    post(client, webhook_body(status_value(outbound_wamid, "sent", wa_id=DOCTOR)))
    drain(runtime.queue)
    run_scheduled(runtime)
    # The window has passed: the next receipt queues a run of its own.
    clock.advance(runtime.settings.status_batch_seconds)
    post(client, webhook_body(status_value(outbound_wamid, "read", wa_id=DOCTOR)))
    drain(runtime.queue)
    assert run_scheduled(runtime) == 1
    assert status_of(runtime, outbound_wamid) == "read"


class TestOnlyStatuses:
    def test_receipts_are_told_apart_from_doctors_messages(self) -> None:
        assert only_statuses(webhook_body(status_value("wamid.x", "read")))
        assert not only_statuses(webhook_body(text_message_value("wamid.y", "Hello")))

    def test_a_doctor_quoting_the_key_in_a_message_is_still_a_message(self) -> None:
        body = webhook_body(text_message_value("wamid.y", 'see "statuses": [] and "messages":'))
        assert not only_statuses(body)

    def test_a_delivery_with_receipts_and_a_message_is_processed_at_once(self) -> None:
        value = text_message_value("wamid.y", "Hello")
        value["statuses"] = status_value("wamid.x", "read")["statuses"]
        assert not only_statuses(webhook_body(value))


# Keep the Graph API out of it: nothing here sends.
@pytest.fixture(autouse=True)
def _no_graph() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        router.route().mock(return_value=httpx.Response(500))
        yield router
