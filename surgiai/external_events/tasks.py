from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import structlog
from sqlalchemy.orm import Session

from surgiai.channels.base import UnreadableWebhook
from surgiai.channels.registry import UnknownChannelKind, provider_for_source
from surgiai.config import Settings
from surgiai.conversations.service import Receipts, message_service
from surgiai.db.outbox import enqueue
from surgiai.external_events.flows import apply_inbound
from surgiai.external_events.ingest import PROCESS_TASK
from surgiai.external_events.models import EventState
from surgiai.external_events.repository import ClaimedEvent, ExternalEventRepository
from surgiai.kit.time import utcnow
from surgiai.numbers.models import WhatsAppNumber
from surgiai.runtime import TaskContext
from surgiai.worker.claimants import gone
from surgiai.worker.registry import sweeper, task

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 5
STALE_PENDING_AFTER = timedelta(minutes=1)


CLAIM_BATCH = 100
# Receipts applied per transaction: each is a read and a one-row update, so a group costs one
# commit and holds the write lock (SQLite) briefly.
RECEIPTS_PER_COMMIT = 20
STALE_PROCESSING_AFTER = timedelta(minutes=2)
# An inbound message's slot is taken however far ahead the number is booked (finite: Redis's
# Lua cannot read "inf").
INBOUND_MAX_WAIT = 3600.0


@task(PROCESS_TASK)
def process_pending(context: TaskContext) -> None:
    """Process stored webhook deliveries: others before receipts, oldest first in each.
    Re-running is harmless: wamids are unique and statuses only move forward.

    The claim is committed first. A delivery carrying a doctor's message (or anything but
    receipts) is then applied and marked processed in its own transaction, whose reads (the
    number, the doctor) come before its first write: on SQLite the write lock is held only
    from there to the commit. Receipts go in groups of `RECEIPTS_PER_COMMIT`, one transaction
    each; if one of a group fails, the group is rolled back and each is applied on its own, so
    one bad delivery cannot hold back the others. A worker that dies mid-way leaves its claims
    to the sweeper, which hands them to another worker."""
    session, settings = context.session, context.settings
    events = ExternalEventRepository(session)
    claimed = events.claim_pending(CLAIM_BATCH, utcnow())
    session.commit()
    numbers: dict[str, WhatsAppNumber | None] = {}
    for group in _groups(claimed):
        if len(group) > 1:
            try:
                inbound = _apply(session, settings, group, numbers)
                session.commit()
                _take_throughput(context, inbound)
                continue
            except Exception:
                session.rollback()  # found again below, on its own
        for event in group:
            inbound = Inbound()
            try:
                inbound = _apply(session, settings, [event], numbers)
            except Exception as error:
                session.rollback()
                log.exception("external_events.process.failed", event_id=event.id)
                state = EventState.failed if event.attempts >= MAX_ATTEMPTS else EventState.pending
                events.record_outcome(event.id, state, f"{type(error).__name__}: {error}", None)
            session.commit()
            _take_throughput(context, inbound)
    if len(claimed) == CLAIM_BATCH:
        enqueue(session, PROCESS_TASK)  # more are waiting


def _groups(claimed: list[ClaimedEvent]) -> Iterator[list[ClaimedEvent]]:
    """Runs of receipt-only deliveries, up to `RECEIPTS_PER_COMMIT`; any other delivery alone."""
    receipts: list[ClaimedEvent] = []
    for event in claimed:
        if not event.receipts_only:
            if receipts:
                yield receipts
                receipts = []
            yield [event]
            continue
        receipts.append(event)
        if len(receipts) == RECEIPTS_PER_COMMIT:
            yield receipts
            receipts = []
    if receipts:
        yield receipts


@dataclass
class Inbound:
    """Doctors' messages stored, per number, and each number's throughput."""

    counts: dict[int, int] = field(default_factory=dict)
    rates: dict[int, float] = field(default_factory=dict)


def _take_throughput(context: TaskContext, inbound: Inbound) -> None:
    """Meta counts a number's inbound messages against its throughput, as its outbound: each
    takes a slot of the number's pace (after the commit: no transaction is open), so campaign
    chunks and replies leave room for them and are not refused with 130429."""
    for number_id, count in inbound.counts.items():
        context.runtime.limiter.reserve(
            f"number:{number_id}",
            rate_per_second=inbound.rates[number_id],
            burst=1,
            max_wait=INBOUND_MAX_WAIT,
            count=count,
        )


def _apply(
    session: Session,
    settings: Settings,
    group: list[ClaimedEvent],
    numbers: dict[str, WhatsAppNumber | None],
) -> Inbound:
    """Apply deliveries and record their outcomes (processed, malformed, unrouted); the caller
    commits. Raises, with the transaction to be rolled back, when one fails unexpectedly."""
    events = ExternalEventRepository(session)
    processed: list[int] = []
    inbound = Inbound()
    receipts = Receipts()
    for event in group:
        try:
            webhooks = provider_for_source(event.source).webhooks
            parsed = webhooks.parse(webhooks.decode(event.body))
        except (UnreadableWebhook, UnknownChannelKind) as error:
            events.record_outcome(event.id, EventState.failed, error.detail, None)
            continue
        outcome = apply_inbound(session, settings, parsed, numbers)
        receipts.extend(outcome.receipts)
        for number_id, count in outcome.inbound_by_number.items():
            inbound.counts[number_id] = inbound.counts.get(number_id, 0) + count
        inbound.rates.update(outcome.rates)
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
            continue
        processed.append(event.id)
    # The group's ticks go to dashboards in one event, its reads move lead scores in one pass.
    message_service.finish_receipts(session, receipts)
    if processed:
        events.finish(processed, EventState.processed, utcnow())
    session.flush()
    return inbound


@sweeper("external_events.pending")
def redrive_pending(context: TaskContext) -> int:
    """Claims of a worker that died (gone, or silent for too long) go back to pending, and
    pending events nobody picked up (their task was lost) get a worker."""
    session = context.session
    now = utcnow()
    events = ExternalEventRepository(session)
    released = events.release_stale(
        now - STALE_PROCESSING_AFTER, gone(session, events.claimants(), now)
    )
    if released or events.has_pending_before(now - STALE_PENDING_AFTER):
        enqueue(session, PROCESS_TASK)
    return released
