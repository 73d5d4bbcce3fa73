from __future__ import annotations

import json
from datetime import timedelta

import structlog
from sqlalchemy.orm import Session

from surgiai.channels.cloud.payloads import MalformedWebhook, parse_webhook
from surgiai.conversations.flows import apply_cloud_webhook
from surgiai.external_events.ingest import PROCESS_TASK
from surgiai.external_events.models import EventState
from surgiai.external_events.repository import ClaimedEvent, ExternalEventRepository
from surgiai.kit.time import utcnow
from surgiai.numbers.models import WhatsAppNumber
from surgiai.worker.queue import enqueue
from surgiai.worker.registry import sweeper, task

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 5
STALE_PENDING_AFTER = timedelta(minutes=1)


CLAIM_BATCH = 100
STALE_PROCESSING_AFTER = timedelta(minutes=2)


@task(PROCESS_TASK)
def process_pending(session: Session) -> None:
    """Process stored webhook deliveries, oldest first, each in its own transaction so one bad
    event cannot hold back the others. Re-running is harmless: wamids are unique and statuses
    only move forward.

    The claim is committed first. Each event is then applied and marked processed in one
    transaction, whose reads (the number, the message a status is about) come before its first
    write: on SQLite the write lock is held only from there to the commit. A worker that dies
    mid-way leaves its claims to the sweeper, which hands them to another worker."""
    events = ExternalEventRepository(session)
    claimed = events.claim_pending(CLAIM_BATCH, utcnow())
    session.commit()
    numbers: dict[str, WhatsAppNumber | None] = {}
    for event in claimed:
        _process(session, event, numbers)
        session.commit()
    if len(claimed) == CLAIM_BATCH:
        enqueue(session, PROCESS_TASK)  # more are waiting


def _process(
    session: Session, event: ClaimedEvent, numbers: dict[str, WhatsAppNumber | None]
) -> None:
    """Apply one delivery and record its outcome; the caller commits. A delivery that fails
    is rolled back and recorded with its reason (retried later unless malformed or out of
    attempts)."""
    events = ExternalEventRepository(session)
    try:
        parsed = parse_webhook(json.loads(event.body))
        outcome = apply_cloud_webhook(session, parsed, numbers)
        session.flush()
    except MalformedWebhook as error:
        session.rollback()
        events.record_outcome(event.id, EventState.failed, str(error), None)
        return
    except Exception as error:
        session.rollback()
        log.exception("external_events.process.failed", event_id=event.id)
        state = EventState.failed if event.attempts >= MAX_ATTEMPTS else EventState.pending
        events.record_outcome(event.id, state, f"{type(error).__name__}: {error}", None)
        return
    if outcome.unknown_phone_number_ids and not (
        outcome.messages_stored or outcome.statuses_applied
    ):
        ids = ", ".join(sorted(outcome.unknown_phone_number_ids))
        log.warning("external_events.unrouted", phone_number_ids=ids)
        events.record_outcome(
            event.id,
            EventState.unrouted,
            f"No registered WhatsApp number has phone number id {ids}.",
            utcnow(),
        )
        return
    events.finish([event.id], EventState.processed, utcnow())


@sweeper("external_events.pending")
def redrive_pending(session: Session) -> int:
    """Claims of a worker that died go back to pending, and pending events nobody picked up
    (their task was lost) get a worker."""
    now = utcnow()
    events = ExternalEventRepository(session)
    released = events.release_stale(now - STALE_PROCESSING_AFTER)
    if released or events.has_pending_before(now - STALE_PENDING_AFTER):
        enqueue(session, PROCESS_TASK)
    return released
