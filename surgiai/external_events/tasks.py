from __future__ import annotations

import json
from datetime import timedelta

import structlog
from sqlalchemy.orm import Session

from surgiai.channels.cloud.payloads import MalformedWebhook, parse_webhook
from surgiai.conversations.flows import apply_cloud_webhook
from surgiai.external_events.ingest import PROCESS_TASK
from surgiai.external_events.models import EventState
from surgiai.external_events.repository import ExternalEventRepository
from surgiai.kit.time import utcnow
from surgiai.worker.queue import enqueue
from surgiai.worker.registry import sweeper, task

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 5
STALE_PENDING_AFTER = timedelta(minutes=1)


@task(PROCESS_TASK)
def process_events(session: Session, event_ids: list[int]) -> None:
    """Process stored webhook deliveries, each in its own savepoint so one bad event cannot
    hold back the others. Re-running is harmless: wamids are unique, statuses move forward."""
    events = ExternalEventRepository(session)
    for event_id in event_ids:
        event = events.get(event_id)
        if event is None or event.state != EventState.pending:
            continue
        event.attempts += 1
        try:
            with session.begin_nested():
                parsed = parse_webhook(json.loads(event.body))
                outcome = apply_cloud_webhook(session, parsed)
        except MalformedWebhook as error:
            event.state = EventState.failed
            event.error = str(error)[:1000]
            continue
        except Exception as error:
            log.exception("external_events.process.failed", event_id=event_id)
            event.error = f"{type(error).__name__}: {error}"[:1000]
            if event.attempts >= MAX_ATTEMPTS:
                event.state = EventState.failed
            continue
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
    ids = list(
        ExternalEventRepository(session).pending_before(utcnow() - STALE_PENDING_AFTER, 1000)
    )
    for start in range(0, len(ids), 100):
        enqueue(session, PROCESS_TASK, ids[start : start + 100])
    return len(ids)
