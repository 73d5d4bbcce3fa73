from __future__ import annotations

import json
from datetime import timedelta

import structlog
from sqlalchemy.orm import Session

from surgiai.channels.cloud.payloads import MalformedWebhook, parse_webhook
from surgiai.conversations.flows import apply_cloud_webhook
from surgiai.external_events.ingest import PROCESS_TASK
from surgiai.external_events.models import EventState, ExternalEvent
from surgiai.external_events.repository import ExternalEventRepository
from surgiai.kit.time import utcnow
from surgiai.worker.queue import enqueue
from surgiai.worker.registry import sweeper, task

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 5
STALE_PENDING_AFTER = timedelta(minutes=1)


CLAIM_BATCH = 100
STALE_PROCESSING_AFTER = timedelta(minutes=2)


@task(PROCESS_TASK)
def process_pending(session: Session) -> None:
    """Process stored webhook deliveries, oldest first, each in its own savepoint so one bad
    event cannot hold back the others. Re-running is harmless: wamids are unique and statuses
    only move forward."""
    events = ExternalEventRepository(session)
    claimed = events.claim_pending(CLAIM_BATCH, utcnow())
    session.commit()
    for event_id in claimed:
        event = events.get(event_id)
        if event is not None:
            _process(session, event)
        session.commit()
    if len(claimed) == CLAIM_BATCH:
        enqueue(session, PROCESS_TASK)  # more are waiting


def _process(session: Session, event: ExternalEvent) -> None:
    try:
        with session.begin_nested():
            parsed = parse_webhook(json.loads(event.body))
            outcome = apply_cloud_webhook(session, parsed)
    except MalformedWebhook as error:
        event.state = EventState.failed
        event.error = str(error)[:1000]
        return
    except Exception as error:
        log.exception("external_events.process.failed", event_id=event.id)
        event.error = f"{type(error).__name__}: {error}"[:1000]
        event.state = EventState.failed if event.attempts >= MAX_ATTEMPTS else EventState.pending
        return
    event.processed_at = utcnow()
    if outcome.unknown_phone_number_ids and not (
        outcome.messages_stored or outcome.statuses_applied
    ):
        event.state = EventState.unrouted
        ids = ", ".join(sorted(outcome.unknown_phone_number_ids))
        event.error = f"No registered WhatsApp number has phone number id {ids}."[:1000]
        log.warning("external_events.unrouted", phone_number_ids=ids)
    else:
        event.state = EventState.processed


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
