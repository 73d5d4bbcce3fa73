"""Stored deliveries are applied receipts in groups, anything else alone; one that fails
loses nothing else."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from surgiai.channels.base import StatusUpdate
from surgiai.channels.cloud.adapter import CloudWebhooks
from surgiai.conversations.events import STATUSES_EVENT
from surgiai.conversations.models import Direction, Message, MessageState, SenderKind
from surgiai.conversations.repository import InboxRepository
from surgiai.conversations.schemas import MessageStatusChange
from surgiai.conversations.service import MessageService, Receipts
from surgiai.conversations.views import message_read
from surgiai.db.engine import session_scope
from surgiai.external_events import tasks
from surgiai.external_events.ingest import PROCESS_TASK
from surgiai.external_events.models import EventState, ExternalEvent
from surgiai.external_events.tasks import CLAIM_BATCH, process_pending
from surgiai.kit.events import Event
from surgiai.kit.time import utcnow
from surgiai.numbers.models import WhatsAppNumber
from surgiai.runtime import Runtime, TaskContext
from surgiai.worker.sweeper import sweep
from tests.conftest import drain
from tests.fixtures import (
    DISPLAY_NUMBER,
    create_number,
    gone_claimant,
    status_value,
    text_message_value,
    webhook_body,
)
from tests.realtime.conftest import Collector, LoopThread, loop_thread

__all__ = ["loop_thread"]  # the fixture, from the real-time tests

DOCTOR = "919876543210"
SENTINEL = "test.sentinel"


def store(runtime: Runtime, *bodies: bytes) -> list[int]:
    """Deliveries as the webhook receiver stores them; returns their ids."""
    with session_scope(runtime.session_factory) as session:
        events = [
            ExternalEvent(
                source="whatsapp_cloud",
                external_id=hashlib.sha256(body).hexdigest(),
                body=body,
                receipts_only=CloudWebhooks().only_receipts(body),
                received_at=utcnow(),
            )
            for body in bodies
        ]
        session.add_all(events)
        session.flush()
        return [event.id for event in events]


def outcomes(runtime: Runtime, ids: list[int]) -> list[tuple[EventState, str | None]]:
    with session_scope(runtime.session_factory) as session:
        rows = {
            event.id: (event.state, event.error)
            for event in session.scalars(select(ExternalEvent).where(ExternalEvent.id.in_(ids)))
        }
    return [rows[event_id] for event_id in ids]


def statuses(runtime: Runtime) -> dict[str, str]:
    with session_scope(runtime.session_factory) as session:
        rows = session.execute(
            select(Message.wamid, Message.status).where(Message.direction == Direction.outbound)
        ).all()
    return {str(wamid): status.value for wamid, status in rows}


@pytest.fixture
def replies(runtime: Runtime) -> list[str]:
    """Three replies WhatsApp accepted, waiting for their receipts."""
    create_number(runtime)
    store(runtime, webhook_body(text_message_value("wamid.in0", "Hello", wa_id=DOCTOR)))
    runtime.queue.send(PROCESS_TASK)
    drain(runtime.queue)
    wamids = [f"wamid.out{index}" for index in range(3)]
    with session_scope(runtime.session_factory) as session:
        conversation_id = session.scalars(select(Message.conversation_id)).one()
        for wamid in wamids:
            session.add(
                Message(
                    conversation_id=conversation_id,
                    direction=Direction.outbound,
                    wamid=wamid,
                    type="text",
                    text="Here is the price list",
                    status=MessageState.accepted,
                    sender_kind=SenderKind.admin,
                    created_at=utcnow(),
                )
            )
    return wamids


def test_a_receipt_that_fails_is_retried_later_and_the_others_of_its_group_apply(
    runtime: Runtime, replies: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    apply_status = MessageService.apply_status

    def failing_for_one(
        self: MessageService, session: Session, update: StatusUpdate, receipts: Receipts
    ) -> int | None:
        if update.wamid == replies[1]:
            raise RuntimeError("disk full")
        return apply_status(self, session, update, receipts)

    monkeypatch.setattr(MessageService, "apply_status", failing_for_one)
    malformed = json.dumps({"object": "whatsapp_business_account", "entry": "x", "statuses": 1})
    ids = store(
        runtime,
        *(webhook_body(status_value(wamid, "delivered", wa_id=DOCTOR)) for wamid in replies),
        malformed.encode(),
        webhook_body(text_message_value("wamid.in1", "Price of clips?", wa_id=DOCTOR)),
    )
    runtime.queue.send(PROCESS_TASK)
    drain(runtime.queue)

    assert statuses(runtime) == {
        replies[0]: "delivered",
        replies[1]: "accepted",
        replies[2]: "delivered",
    }
    states = outcomes(runtime, ids)
    assert [state for state, _ in states] == [
        EventState.processed,
        EventState.pending,  # tried again later, up to the limit
        EventState.processed,
        EventState.failed,
        EventState.processed,
    ]
    assert states[1][1] == "RuntimeError: disk full"
    assert states[3][1]  # the reason is kept for the admins
    with session_scope(runtime.session_factory) as session:
        assert session.scalar(select(Message.id).where(Message.wamid == "wamid.in1"))

    monkeypatch.setattr(MessageService, "apply_status", apply_status)
    runtime.queue.send(PROCESS_TASK)
    drain(runtime.queue)
    assert statuses(runtime)[replies[1]] == "delivered"
    assert outcomes(runtime, ids[1:2]) == [(EventState.processed, None)]


def test_a_delivery_held_by_a_process_that_is_gone_is_processed_at_once(runtime: Runtime) -> None:
    """`surgiai run` killed right after claiming a doctor's message, and restarted."""
    create_number(runtime)
    [event_id] = store(runtime, webhook_body(text_message_value("wamid.g1", "Hi", wa_id=DOCTOR)))
    with session_scope(runtime.session_factory) as session:
        event = session.get(ExternalEvent, event_id)
        assert event is not None
        event.state, event.claimed_at, event.claimed_by = (
            EventState.processing,
            utcnow(),
            gone_claimant(),
        )
        event.attempts = 1
    with session_scope(runtime.session_factory) as session:
        assert sweep(TaskContext(session, runtime))["external_events.pending"] == 1
    drain(runtime.queue)
    assert outcomes(runtime, [event_id]) == [(EventState.processed, None)]


def test_a_number_turning_red_is_applied_before_the_receipts_waiting_ahead_of_it(
    runtime: Runtime, replies: list[str]
) -> None:
    """A campaign leaves thousands of receipts waiting; the quality downgrade that came after
    them must stop the number's sending at the next run, not after all of them."""
    receipts = [
        webhook_body(status_value(replies[index % 3], status, wa_id=DOCTOR, timestamp=index + 1))
        for index, status in enumerate(["sent", "delivered", "read"] * CLAIM_BATCH)
    ]
    downgrade = webhook_body(
        {"display_phone_number": DISPLAY_NUMBER, "event": "DOWNGRADE", "current_limit": "TIER_1K"},
        field="phone_number_quality_update",
    )
    ids = store(runtime, *receipts, downgrade)

    with session_scope(runtime.session_factory) as session:
        process_pending(TaskContext(session, runtime))  # one run: one claim of `CLAIM_BATCH`

    with session_scope(runtime.session_factory) as session:
        number = session.scalars(select(WhatsAppNumber)).one()
        assert (number.quality_rating, number.messaging_tier) == ("RED", "TIER_1K")
    states = [state for state, _ in outcomes(runtime, ids)]
    assert states[-1] is EventState.processed
    assert states.count(EventState.pending) == len(receipts) - (CLAIM_BATCH - 1)
    drain(runtime.queue)  # the rest follow, none lost
    assert set(outcomes(runtime, ids)) == {(EventState.processed, None)}


@pytest.fixture
def dashboard(runtime: Runtime, loop_thread: LoopThread) -> Iterator[Collector]:
    """A dashboard listening: a subscriber to the runtime's own broker, as the web server has."""
    loop_thread.run(runtime.broker.start())
    yield Collector(loop_thread, runtime.broker)
    loop_thread.run(runtime.broker.stop())


def heard(dashboard: Collector) -> list[Event]:
    """The inbox's events so far (a sentinel published now arrives after all of them)."""
    dashboard.broker.publish(Event(SENTINEL, {}))
    return [e for e in dashboard.until(SENTINEL) if e.type.startswith("message")]


def message_ids(runtime: Runtime, wamids: list[str]) -> list[int]:
    with session_scope(runtime.session_factory) as session:
        ids = {wamid: id_ for wamid, id_ in session.execute(select(Message.wamid, Message.id))}
    return [ids[wamid] for wamid in wamids]


def at(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


class TestTicksLive:
    def test_a_group_tells_a_dashboard_once_each_messages_tick_never_moving_back(
        self, runtime: Runtime, replies: list[str], dashboard: Collector
    ) -> None:
        first, second, third = replies
        receipts = [
            (first, "sent", 100),
            (second, "sent", 101),
            (third, "sent", 102),
            (second, "delivered", 103),
            (first, "read", 104),
            (third, "delivered", 105),
            (first, "delivered", 106),  # late: read already
            (second, "read", 107),
        ]
        heard(dashboard)  # what setting up the replies told it
        store(
            runtime,
            *(
                webhook_body(status_value(wamid, status, wa_id=DOCTOR, timestamp=timestamp))
                for wamid, status, timestamp in receipts
            ),
        )
        runtime.queue.send(PROCESS_TASK)
        drain(runtime.queue)

        [event] = heard(dashboard)  # and no `message.updated` for any receipt
        assert event.type == STATUSES_EVENT
        conversation_id = event.data["messages"][0]["conversation_id"]
        ids = message_ids(runtime, replies)
        assert event.data == {
            "messages": [
                {
                    "id": ids[0],
                    "conversation_id": conversation_id,
                    "status": "read",
                    "timestamp": at(104),
                    "sent_at": at(100),
                    "delivered_at": None,
                    "read_at": at(104),
                    "played_at": None,
                },
                {
                    "id": ids[1],
                    "conversation_id": conversation_id,
                    "status": "read",
                    "timestamp": at(107),
                    "sent_at": at(101),
                    "delivered_at": at(103),
                    "read_at": at(107),
                    "played_at": None,
                },
                {
                    "id": ids[2],
                    "conversation_id": conversation_id,
                    "status": "delivered",
                    "timestamp": at(105),
                    "sent_at": at(102),
                    "delivered_at": at(105),
                    "read_at": None,
                    "played_at": None,
                },
            ]
        }
        # What the API answers says the same.
        with session_scope(runtime.session_factory) as session:
            thread = {
                message.id: message_read(message, {}).model_dump(mode="json")
                for message in session.scalars(select(Message).where(Message.id.in_(ids)))
            }
        for change in event.data["messages"]:
            assert change.items() <= thread[change["id"]].items()

    def test_each_group_makes_one_event(
        self,
        runtime: Runtime,
        replies: list[str],
        dashboard: Collector,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(tasks, "RECEIPTS_PER_COMMIT", 3)
        heard(dashboard)
        store(
            runtime,
            *(
                webhook_body(status_value(wamid, status, wa_id=DOCTOR))
                for status in ("sent", "delivered", "read")
                for wamid in replies
            ),
        )
        runtime.queue.send(PROCESS_TASK)
        drain(runtime.queue)

        events = heard(dashboard)
        assert [event.type for event in events] == [STATUSES_EVENT] * 3
        ids = message_ids(runtime, replies)
        assert [
            [(change["id"], change["status"]) for change in event.data["messages"]]
            for event in events
        ] == [[(id_, status) for id_ in ids] for status in ("sent", "delivered", "read")]

    def test_a_failure_comes_as_the_whole_message_with_its_reason(
        self, runtime: Runtime, replies: list[str], dashboard: Collector
    ) -> None:
        heard(dashboard)
        error = {"code": 131026, "title": "Message undeliverable", "message": "Not on WhatsApp"}
        store(
            runtime,
            webhook_body(status_value(replies[0], "sent", wa_id=DOCTOR)),
            webhook_body(status_value(replies[1], "failed", wa_id=DOCTOR, errors=[error])),
        )
        runtime.queue.send(PROCESS_TASK)
        drain(runtime.queue)

        failed, ticks = heard(dashboard)
        assert failed.type == "message.updated"
        assert (failed.data["wamid"], failed.data["status"]) == (replies[1], "failed")
        assert failed.data["error_code"] == 131026
        assert failed.data["error_reason"]
        assert ticks.type == STATUSES_EVENT
        assert [change["status"] for change in ticks.data["messages"]] == ["sent"]
        assert ticks.data["messages"][0]["id"] == message_ids(runtime, replies[:1])[0]

    def test_nothing_is_built_while_nobody_listens(
        self, runtime: Runtime, replies: list[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        read: list[Collection[int]] = []
        status_changes = InboxRepository.status_changes

        def reading(self: InboxRepository, ids: Collection[int]) -> list[MessageStatusChange]:
            read.append(ids)
            return status_changes(self, ids)

        monkeypatch.setattr(InboxRepository, "status_changes", reading)
        store(runtime, *(webhook_body(status_value(w, "read", wa_id=DOCTOR)) for w in replies))
        runtime.queue.send(PROCESS_TASK)
        drain(runtime.queue)

        assert statuses(runtime) == dict.fromkeys(replies, "read")
        assert read == []
