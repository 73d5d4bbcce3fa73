"""The campaign executor: chunks of recipients claimed per number, sent at the number's pace
over one warm connection, and recorded in batches.

Exactly once: a recipient is claimed (`sending`) and its message row created and committed
before WhatsApp is called; the message carries its id in `biz_opaque_callback_data`, so a send
whose worker died after WhatsApp accepted it gets its wamid from the status webhook. The
sweeper puts a dead worker's claims back to pending only after that webhook had time to come,
and a recipient whose message has a wamid is sent, never again."""

from __future__ import annotations

import asyncio
import math
import random
import time
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.orm import Session

from surgiai.campaigns.models import Campaign, CampaignKind, CampaignStatus, RecipientState
from surgiai.campaigns.planner import SLOW_QUALITY
from surgiai.campaigns.repository import CANCELLED, CampaignRepository
from surgiai.campaigns.service import (
    MARKETING_LIMIT_RETRY,
    NO_ADDRESS,
    OPTED_OUT,
    OUTSIDE_WINDOW,
    SEND_CHUNK_TASK,
    TAKEN_OVER,
    UNREACHABLE,
    campaign_ready,
    campaign_service,
    failure_reason,
    quiet_hours_of,
    why_not,
)
from surgiai.channels.base import ChannelAdapter, ChannelError, ErrorReaction, OutboundMessage
from surgiai.conversations.events import messages_added_in_bulk
from surgiai.conversations.models import Direction, Message, MessageState, SenderKind
from surgiai.conversations.repository import CAMPAIGN_AGENT, ConversationRepository
from surgiai.conversations.service import CALLBACK_PREFIX, message_service, with_media_id
from surgiai.conversations.window import CUSTOMER_SERVICE_WINDOW
from surgiai.db.outbox import enqueue
from surgiai.kit.time import utcnow
from surgiai.media.uploads import media_id_on
from surgiai.numbers.channel import adapter_for
from surgiai.numbers.models import WhatsAppNumber
from surgiai.runtime import TaskContext
from surgiai.worker.claimants import gone, this_claimant
from surgiai.worker.registry import every_minute, periodic, sweeper, task

log = structlog.get_logger(__name__)

# A chunk is about this long at the number's pace: pause and cancel act between chunks.
CHUNK_SECONDS = 0.5
MAX_CHUNK = 500
# A chunk waits this long at most for its first slot (the chunk before it still sending).
MAX_SLOT_WAIT = 3.0
# A dead worker's claim is re-driven after this: WhatsApp's status webhook for a message it
# had accepted names our message (callback data). It comes within seconds, but when the whole
# app was down it comes on the sender's retry schedule (Meta's, the simulator's 0, 5, 30 s).
ADOPTION_GRACE = timedelta(minutes=2)
STUCK_AFTER = timedelta(minutes=5)
MAX_ATTEMPTS = 5
# Sends of a number awaiting WhatsApp's answer at once, per process (`in_flight_limit`): a
# second's worth at its rate. Meta answers in a few hundred milliseconds, so a number keeps
# its pace; when its answers take longer than that, its sends slow down rather than pile up.
LATENCY_BUDGET = 1.0
MIN_IN_FLIGHT = 8
MAX_IN_FLIGHT = MAX_CHUNK
# Each a socket: well inside the 1,024 files a process may usually hold.
PROCESS_IN_FLIGHT = MAX_CHUNK
# Per I/O loop (one per process): the bound over every send of the process, and each number's
# over its chunks (the one sending and the next one, claimed meanwhile).
_PROCESS_LIMITS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)
_NUMBER_LIMITS: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[int, int], asyncio.Semaphore]
] = weakref.WeakKeyDictionary()
# A chunk's sends are handed to the I/O loop this long before their first slot.
SUBMIT_AHEAD = 0.02
# The HTTP client's timeout of one request (kit/aio.py), for the chunk's overall deadline.
SEND_TIMEOUT = 15.0


@dataclass
class _Send:
    recipient_id: int
    message_id: int
    to: str | None
    recipient: str | None
    type: str
    payload: dict[str, Any]


@task(SEND_CHUNK_TASK)
def send_chunk(context: TaskContext, campaign_id: int, number_id: int) -> None:
    session, runtime = context.session, context.runtime
    repository = CampaignRepository(session)
    campaign = repository.get(campaign_id)
    if campaign is None or campaign.status is not CampaignStatus.running:
        return
    number = session.get(WhatsAppNumber, number_id)
    if number is None or not campaign_ready(number):
        locked = campaign_service.get(session, campaign_id, lock=True)
        if number is not None and locked.status is CampaignStatus.running:
            campaign_service.move_off(session, locked, number, why_not(number))
        return
    now = utcnow()
    quiet = quiet_hours_of(campaign)
    resume = quiet.resumes_at(now) if quiet is not None else None
    if resume is not None:
        enqueue(session, SEND_CHUNK_TASK, campaign_id, number_id, delay=_seconds(resume - now) + 1)
        return
    rate = number.throughput_mps * SLOW_QUALITY.get(number.quality_rating, 1.0)
    size = max(1, min(MAX_CHUNK, math.ceil(rate * CHUNK_SECONDS)))
    claimed = repository.claim(
        campaign_id, number_id, limit=size, now=now, claimant=this_claimant()
    )
    if not claimed:
        _when_idle(session, campaign, number_id, now)
        return
    sends, outcomes = _prepare(session, campaign, number, claimed, now)
    repository.finish(outcomes)
    # The claims and the messages are durable before WhatsApp is called.
    session.commit()
    if not sends:
        enqueue(session, SEND_CHUNK_TASK, campaign_id, number_id)
        return
    wait = runtime.limiter.reserve(
        f"number:{number.id}",
        rate_per_second=rate,
        burst=1,
        max_wait=MAX_SLOT_WAIT,
        count=len(sends),
    )
    if wait < 0:
        # Other senders hold the number's next seconds: give the rows back, come after them.
        repository.finish([_outcome(s.recipient_id, RecipientState.pending) for s in sends])
        enqueue(session, SEND_CHUNK_TASK, campaign_id, number_id, delay=-wait)
        return
    limit = in_flight_limit(rate)
    # The number's own HTTP pool, as large as its sends in flight: warm, and cheap to keep.
    adapter = adapter_for(number, runtime, connections=limit)
    if campaign.header_media_file_id is not None:
        try:
            header = media_id_on(context, campaign.header_media_file_id, number, adapter)
        except ChannelError as error:
            # Nothing was sent: each row as if its send had failed so (retried after WhatsApp's
            # delay, or failed with the reason). Before, the task failed and the rows sat
            # claimed until the sweeper's grace ran out.
            log.warning(
                "campaigns.header_upload_failed",
                campaign_id=campaign_id,
                number_id=number_id,
                error=str(error),
            )
            _record(session, campaign, number, sends, [error] * len(sends))
            enqueue(session, SEND_CHUNK_TASK, campaign_id, number_id)
            return
        for send in sends:
            send.payload = with_media_id(send.payload, header.media_id, header.filename)
    started = time.time() + wait
    # A chunk waits up to the length of the one sending before it for its slots: pause and
    # cancel are looked at again when they come, or it would send for a second after the press.
    time.sleep(max(0.0, started - SUBMIT_AHEAD - time.time()))
    status = repository.status(campaign_id)
    if status is not CampaignStatus.running:
        _stand_down(session, sends, cancelled=status is CampaignStatus.cancelled)
        return
    sending = runtime.io.submit(_send_all(adapter, number, sends, started, 1.0 / rate, limit))
    # The next chunk is claimed when this one starts sending: it has this chunk's length to
    # be claimed and prepared (up to 0.4 s on 2 busy cores), and its slots follow these
    # without a gap. Not sooner: chained at once, chunks booked the number up to
    # `MAX_SLOT_WAIT` ahead, each holding a worker thread while it waited for its slots; the
    # threads ran out, receipts queued behind them, and chunks came back late.
    enqueue(session, SEND_CHUNK_TASK, campaign_id, number_id)
    session.commit()
    # The chunk's slots, then every request at most its HTTP timeout, `limit` at a time: the
    # default 60 s gave up on a 500-message chunk while its sends went on.
    results = sending.result(
        timeout=wait + len(sends) / rate + math.ceil(len(sends) / limit) * SEND_TIMEOUT + 30
    )
    _record(session, campaign, number, sends, results)


def _stand_down(session: Session, sends: list[_Send], *, cancelled: bool) -> None:
    """Paused or cancelled while the chunk waited for its slots: nothing of it was sent. Paused,
    its rows go back to pending (their messages go when it resumes); cancelled, they and their
    messages are cancelled."""
    repository = CampaignRepository(session)
    if not cancelled:
        repository.finish([_outcome(s.recipient_id, RecipientState.pending) for s in sends])
        return
    repository.finish(
        [_outcome(s.recipient_id, RecipientState.cancelled, reason=CANCELLED) for s in sends]
    )
    now = utcnow()
    repository.fail_messages(
        [
            {
                "mid": s.message_id,
                "new_status": MessageState.cancelled,
                "code": None,
                "title": None,
                "reason": CANCELLED,
                "at": now,
            }
            for s in sends
        ]
    )


def _when_idle(session: Session, campaign: Campaign, number_id: int, now: datetime) -> None:
    """Nothing due on this number: come back when something is, or finish the campaign."""
    due = CampaignRepository(session).next_due(campaign.id, number_id)
    if due is None:
        locked = campaign_service.get(session, campaign.id, lock=True)
        campaign_service.complete_if_done(session, locked)
        return
    if due == datetime.min:
        return  # rows due now are claimed by another worker, whose chunk chains on
    enqueue(
        session,
        SEND_CHUNK_TASK,
        campaign.id,
        number_id,
        delay=min(max(_seconds(due - now), 1.0), 300.0),
    )


def _prepare(
    session: Session, campaign: Campaign, number: WhatsAppNumber, claimed: list[int], now: datetime
) -> tuple[list[_Send], list[dict[str, Any]]]:
    """The checks just before sending, and a message row in the doctor's thread for each
    recipient that passes them."""
    repository = CampaignRepository(session)
    rows = repository.claimed(claimed)
    human = repository.human_mode_doctors([r.doctor_id for r in rows])
    window_start = now - CUSTOMER_SERVICE_WINDOW
    outcomes: list[dict[str, Any]] = []
    ready: list[Any] = []
    resend: list[_Send] = []
    for row in rows:
        if row.message_wamid is not None:
            # Accepted already (adopted from a status webhook after a crash): never again.
            outcomes.append(_outcome(row.id, RecipientState.sent, sent_at=now))
        elif row.marketing_opted_out:
            outcomes.append(_outcome(row.id, RecipientState.skipped, reason=OPTED_OUT))
        elif row.unreachable_reason:
            outcomes.append(_outcome(row.id, RecipientState.skipped, reason=UNREACHABLE))
        elif not (row.wa_id or row.user_id):
            outcomes.append(_outcome(row.id, RecipientState.skipped, reason=NO_ADDRESS))
        elif row.doctor_id in human:
            outcomes.append(_outcome(row.id, RecipientState.skipped, reason=TAKEN_OVER))
        elif campaign.kind is CampaignKind.text and (
            row.last_inbound_at is None or row.last_inbound_at < window_start
        ):
            outcomes.append(_outcome(row.id, RecipientState.skipped, reason=OUTSIDE_WINDOW))
        elif row.message_id is not None and row.message_status in (
            MessageState.sending,
            MessageState.queued,
        ):
            # Re-claimed after its worker died, with no wamid adopted since: the same message
            # (and callback data) goes again.
            resend.append(_send_of(row, row.message_id))
        else:
            ready.append(row)
    conversation_ids = ConversationRepository(session).ids_for_doctors(
        [r.doctor_id for r in ready], number
    )
    message_ids = repository.add_messages(
        [
            {
                "conversation_id": conversation_ids[row.doctor_id],
                "direction": Direction.outbound,
                "type": row.message_type,
                "text": row.preview,
                "payload": row.payload,
                "status": MessageState.sending,
                "created_at": now,
                "sender_kind": SenderKind.system,
                "sender_agent": CAMPAIGN_AGENT,
                "template_category": "MARKETING" if row.message_type == "template" else None,
                "attempts": 1,
                "claimed_at": now,
                "claimed_by": this_claimant(),
            }
            for row in ready
        ]
    )
    repository.link_messages(
        [{"rid": row.id, "mid": mid} for row, mid in zip(ready, message_ids, strict=True)]
    )
    last: dict[int, int] = {}
    for row, mid in zip(ready, message_ids, strict=True):
        last[conversation_ids[row.doctor_id]] = mid
    repository.touch_conversations(list(last), last, now)
    repository.touch_doctors([row.doctor_id for row in ready], number.id, now)
    sends = resend + [_send_of(row, mid) for row, mid in zip(ready, message_ids, strict=True)]
    return sends, outcomes


def _send_of(row: Any, message_id: int) -> _Send:
    # By phone when we know it, else by WhatsApp user id.
    to = row.wa_id
    return _Send(row.id, message_id, to, None if to else row.user_id, row.message_type, row.payload)


def in_flight_limit(rate: float) -> int:
    """Sends of one number awaiting their answer at once, per process: enough for answers that
    take `LATENCY_BUDGET` at the number's rate (at 0.1 s, a number at 80 msg/s whose answers
    took Meta's 0.3 s sent 27 a second). Each is a connection of the number's pool."""
    return max(MIN_IN_FLIGHT, min(MAX_IN_FLIGHT, math.ceil(rate * LATENCY_BUDGET)))


def _process_in_flight() -> asyncio.Semaphore:
    """The bound over every send of this process's I/O loop, whatever the number."""
    loop = asyncio.get_running_loop()
    limit = _PROCESS_LIMITS.get(loop)
    if limit is None:
        limit = _PROCESS_LIMITS[loop] = asyncio.Semaphore(PROCESS_IN_FLIGHT)
    return limit


def _number_in_flight(number_id: int, limit: int) -> asyncio.Semaphore:
    """The bound over one number's sends on this process's I/O loop, shared by its chunks:
    the number's HTTP pool has that many connections, so none waits inside the pool."""
    loop = asyncio.get_running_loop()
    by_number = _NUMBER_LIMITS.setdefault(loop, {})
    key = (number_id, limit)
    if key not in by_number:
        by_number[key] = asyncio.Semaphore(limit)
    return by_number[key]


async def _send_all(
    adapter: ChannelAdapter,
    number: WhatsAppNumber,
    sends: list[_Send],
    start: float,
    interval: float,
    limit: int,
) -> list[str | ChannelError]:
    """Each send at its reserved slot, without waiting for the previous answer (at 1,000 a
    second the answers overlap), at most `limit` of the number's awaiting theirs."""
    in_flight = _number_in_flight(number.id, limit)
    sender_id = number.phone_number_id

    async def one(index: int, send: _Send) -> str | ChannelError:
        delay = start + index * interval - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        async with in_flight, _process_in_flight():
            return await _send_one(adapter, sender_id, send)

    return list(await asyncio.gather(*(one(i, s) for i, s in enumerate(sends))))


async def _send_one(adapter: ChannelAdapter, sender_id: str, send: _Send) -> str | ChannelError:
    try:
        result = await adapter.send(
            sender_id,
            OutboundMessage(
                to=send.to,
                recipient=send.recipient,
                type=send.type,
                payload=send.payload,
                biz_opaque_callback_data=f"{CALLBACK_PREFIX}{send.message_id}",
            ),
        )
    except ChannelError as error:
        return error
    return result.wamid


def _record(
    session: Session,
    campaign: Campaign,
    number: WhatsAppNumber,
    sends: list[_Send],
    results: list[str | ChannelError],
) -> None:
    repository = CampaignRepository(session)
    now = utcnow()
    accepted = [(s, r) for s, r in zip(sends, results, strict=True) if isinstance(r, str)]
    repository.accept_messages([{"mid": s.message_id, "new_wamid": wamid} for s, wamid in accepted])
    outcomes = [_outcome(s.recipient_id, RecipientState.sent, sent_at=now) for s, _ in accepted]
    stop_number: str | None = None
    for send, result in zip(sends, results, strict=True):
        if isinstance(result, ChannelError):
            outcome, stops = _react(session, send, result, now)
            outcomes.append(outcome)
            stop_number = stop_number or stops
    repository.finish(outcomes)
    messages_added_in_bulk(session, [s.message_id for s in sends])
    campaign_service.changed(session, campaign, progress_only=True)
    if stop_number is not None:
        session.commit()
        locked = campaign_service.get(session, campaign.id, lock=True)
        if locked.status is CampaignStatus.running:
            campaign_service.move_off(session, locked, number, stop_number)
        return
    if repository.next_due(campaign.id, number.id) is None:
        # This number's share is done: the campaign may be (the other numbers' last chunks
        # complete it otherwise).
        session.commit()
        campaign_service.complete_if_done(
            session, campaign_service.get(session, campaign.id, lock=True)
        )


def _react(
    session: Session, send: _Send, failure: ChannelError, now: datetime
) -> tuple[dict[str, Any], str | None]:
    """What an error means for this recipient; and, when it stops the number, why."""
    error = failure.error
    reaction = error.reaction
    repository = CampaignRepository(session)
    row = repository.get_recipient(send.recipient_id)
    attempts = row.attempts if row is not None else MAX_ATTEMPTS
    if error.code is None or reaction in (
        ErrorReaction.retry_transient,
        ErrorReaction.throttled,
        ErrorReaction.retry_later_pair,
    ):
        # Nothing was sent: the same message goes again after the wait WhatsApp asked for.
        delay = failure.retry_delay(max(0, attempts - 1))
        if delay is not None and attempts < MAX_ATTEMPTS:
            _unclaim_message(session, send.message_id)
            hold = now + timedelta(seconds=delay * random.uniform(1.0, 1.25))  # noqa: S311
            return _outcome(send.recipient_id, RecipientState.pending, hold=hold), None
        return _failed(session, send, error, failure_reason(error)), None
    if (
        reaction is ErrorReaction.marketing_capped
        and row is not None
        and not row.marketing_limit_retried
    ):
        row.marketing_limit_retried = True
        _fail_message(session, send.message_id, error)
        repository.detach_message(send.recipient_id)
        return _outcome(
            send.recipient_id, RecipientState.pending, hold=now + MARKETING_LIMIT_RETRY
        ), None
    if reaction in (ErrorReaction.pause_number, ErrorReaction.auth_failed):
        _unclaim_message(session, send.message_id)
        message = message_service.get(session, send.message_id)
        message_service.react_to_error(session, message, error)
        return _outcome(
            send.recipient_id, RecipientState.pending
        ), f"error {error.code}: {error.reason}"
    return _failed(session, send, error, failure_reason(error)), None


def _failed(session: Session, send: _Send, error: Any, reason: str) -> dict[str, Any]:
    message = _fail_message(session, send.message_id, error)
    if error.code is not None:
        message_service.react_to_error(session, message, error)
    return _outcome(send.recipient_id, RecipientState.failed, reason=reason[:300], code=error.code)


def _fail_message(session: Session, message_id: int, error: Any) -> Message:
    message = message_service.get(session, message_id)
    message_service.mark_failed(message, error.code, error.title, error.reason)
    message.claimed_at = None
    return message


def _unclaim_message(session: Session, message_id: int) -> None:
    """Back to queued (the executor's, not the send task's: `CAMPAIGN_AGENT`)."""
    message = message_service.get(session, message_id)
    if message.wamid is None:
        message.status = MessageState.queued
        message.claimed_at = None


def _outcome(
    recipient_id: int,
    state: RecipientState,
    *,
    reason: str | None = None,
    code: int | None = None,
    sent_at: datetime | None = None,
    hold: datetime | None = None,
) -> dict[str, Any]:
    return {
        "rid": recipient_id,
        "new_state": state,
        "reason": reason,
        "code": code,
        "sent_at": sent_at,
        "hold": hold,
    }


def _seconds(delta: timedelta) -> float:
    return max(0.0, delta.total_seconds())


@periodic("campaigns.tick", every_minute)
def tick(context: TaskContext) -> None:
    """Start scheduled campaigns, and wake running ones whose held recipients came due (after
    quiet hours, a tier's 24 h, a retry)."""
    session = context.session
    now = utcnow()
    campaign_service.start_due(session, now)
    repository = CampaignRepository(session)
    for campaign in repository.with_status(CampaignStatus.running):
        numbers = repository.numbers_with_work(campaign.id)
        if not numbers:
            locked = campaign_service.get(session, campaign.id, lock=True)
            campaign_service.complete_if_done(session, locked)
        for number_id in numbers:
            due = repository.next_due(campaign.id, number_id)
            if due is not None and (due == datetime.min or due <= now):
                enqueue(session, SEND_CHUNK_TASK, campaign.id, number_id)


@sweeper("campaigns.recipients")
def redrive_recipients(context: TaskContext) -> int:
    """Claims of workers that died go back to pending, once the status webhook of anything
    WhatsApp accepted before the crash had time to arrive; a claim whose message got a wamid
    meanwhile is sent."""
    session = context.session
    now = utcnow()
    repository = CampaignRepository(session)
    dead = gone(session, repository.sending_claimants(), now)
    count = 0
    kick: set[tuple[int, int]] = set()
    for row in repository.stuck(now - STUCK_AFTER, dead, now - ADOPTION_GRACE, limit=1000):
        wamid = repository.message_wamid(row.message_id) if row.message_id else None
        row.claimed_at = None
        row.claimed_by = None
        if wamid is not None:
            row.state = RecipientState.sent
            row.sent_at = row.sent_at or now
        else:
            row.state = RecipientState.pending
            if row.number_id is not None:
                kick.add((row.campaign_id, row.number_id))
        count += 1
    for campaign_id, number_id in kick:
        enqueue(session, SEND_CHUNK_TASK, campaign_id, number_id)
    return count
