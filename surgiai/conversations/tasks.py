"""Outbound delivery and inbound media download, as idempotent tasks over message rows."""

from __future__ import annotations

import random
import time
from datetime import timedelta

import structlog
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from surgiai.channels.base import ChannelError, OutboundMessage
from surgiai.channels.registry import provider
from surgiai.conversations import events
from surgiai.conversations.inbox import MARK_READ_TASK, TAKEOVER_CANCEL_REASON, TYPING_TASK
from surgiai.conversations.models import Message, MessageState
from surgiai.conversations.repository import (
    ConversationRepository,
    MessageRepository,
    mark_accepted,
)
from surgiai.conversations.service import (
    CALLBACK_PREFIX,
    DOWNLOAD_MEDIA_TASK,
    SEND_TASK,
    is_automatic,
    media_error_reason,
    message_service,
    names_stored_file,
    with_media_id,
)
from surgiai.conversations.window import WINDOW_CLOSED_REASON, window_open
from surgiai.db.outbox import enqueue
from surgiai.kit.time import utcnow
from surgiai.media.service import media_service
from surgiai.media.uploads import media_id_on
from surgiai.numbers.channel import adapter_for
from surgiai.numbers.service import number_service
from surgiai.runtime import TaskContext
from surgiai.worker.claimants import gone
from surgiai.worker.registry import sweeper, task

log = structlog.get_logger(__name__)

MAX_SEND_ATTEMPTS = 6
# A pacing wait longer than this is not slept in a worker thread: the message is rescheduled.
MAX_INLINE_WAIT_SECONDS = 2.0
# WhatsApp's pair rate: about one message every 6 s to the same doctor, bursts up to 45.
PAIR_INTERVAL_SECONDS = 6.0
PAIR_BURST = 45
# A claim older than this belongs to a worker that died (a send takes seconds at most).
STUCK_SENDING_AFTER = timedelta(minutes=2)
NO_ADDRESS_REASON = (
    "WhatsApp no longer gives us a number or user id for this doctor (another user now holds "
    "them); they can be reached again once they write to us."
)
LOST_QUEUED_AFTER = timedelta(minutes=1)


@task(SEND_TASK)
def send_message(context: TaskContext, message_id: int) -> None:
    session = context.session
    messages = MessageRepository(session)
    # What sending needs is read before the claim, the transaction's first write: on SQLite
    # the write lock is held from the claim to the commit, so not for these reads.
    message = messages.get(message_id)
    if message is None or message.status != MessageState.queued:
        return
    conversation = message.conversation
    _ = conversation.number, conversation.doctor
    if not messages.claim_for_sending(message_id, utcnow()):
        return  # sent, failed, not due yet, or another worker has it
    session.refresh(message, ["status", "claimed_at", "attempts"])  # as the claim left them
    _deliver(context, message)


def _deliver(context: TaskContext, message: Message) -> None:
    session, runtime = context.session, context.runtime
    conversation = message.conversation
    number = conversation.number
    doctor = conversation.doctor
    if not number_service.can_send(number):
        reason = number.paused_reason or f"Number {number.label} cannot send now."
        message_service.mark_failed(message, None, "Number unavailable", reason)
        return
    if doctor.unreachable_reason:
        message_service.mark_failed(message, None, "Undeliverable", doctor.unreachable_reason)
        return
    # By phone when we know it, else by WhatsApp user id; read now, as the latest webhook left it.
    to, recipient = doctor.address
    if to is None and recipient is None:
        message_service.mark_failed(message, None, "No address", NO_ADDRESS_REASON)
        return
    if is_automatic(
        message.sender_kind, message.sender_user_id, message.sender_agent
    ) and ConversationRepository(session).doctor_in_human_mode(doctor.id):
        # Queued before a person took the doctor over: it must not reach them now.
        message_service.cancel(message, TAKEOVER_CANCEL_REASON)
        return
    capabilities = provider(number.channel.value).capabilities
    if (
        message.type != "template"
        and capabilities.service_window
        and not window_open(conversation, utcnow())
    ):
        message_service.mark_failed(message, None, "Window closed", WINDOW_CLOSED_REASON)
        return
    pair_wait = ConversationRepository(session).reserve_pair_slot(
        conversation.id, now=time.time(), interval=PAIR_INTERVAL_SECONDS, burst=PAIR_BURST
    )
    if pair_wait < 0:
        _reschedule(session, message, -pair_wait, pacing=True)
        return
    # The claim (and the pair slot) are durable before any call to WhatsApp, and no database
    # transaction is held while waiting for the number's slot or for WhatsApp.
    session.commit()
    wait = runtime.limiter.reserve(
        f"number:{number.id}",
        rate_per_second=number.throughput_mps,
        burst=1,
        max_wait=MAX_INLINE_WAIT_SECONDS,
    )
    if wait < 0:
        # Spread the returns so a backlog does not come back as one herd.
        _reschedule(session, message, -wait * random.uniform(1.0, 2.0), pacing=True)  # noqa: S311
        return
    adapter = adapter_for(number, runtime)
    try:
        payload = message.payload
        if message.media_file_id is not None and names_stored_file(payload):
            # The message's own file, or its template's header file.
            upload = media_id_on(context, message.media_file_id, number, adapter)
            payload = with_media_id(payload, upload.media_id, upload.filename)
        if wait > 0:
            time.sleep(wait)
        result = runtime.io.run(
            adapter.send(
                number.phone_number_id,
                OutboundMessage(
                    to=to,
                    recipient=recipient,
                    type=message.type,
                    payload=payload,
                    context_message_id=message.context_wamid,
                    biz_opaque_callback_data=f"{CALLBACK_PREFIX}{message.id}",
                ),
            )
        )
    except ChannelError as error:
        if error.error.code is None:
            log.warning("conversations.send.unreachable", message_id=message.id, error=str(error))
        _handle_send_error(session, message, error)
        return
    if mark_accepted(session, message.id, result.wamid):
        # Core UPDATE: show the row as stored without loading it again.
        set_committed_value(message, "wamid", result.wamid)
        set_committed_value(message, "status", MessageState.accepted)
        events.message_changed(message)


def _handle_send_error(session: Session, message: Message, failure: ChannelError) -> None:
    session.refresh(message)
    if message.wamid is not None:
        return  # a status webhook proved WhatsApp accepted it after all
    error = failure.error
    delay = failure.retry_delay(message.attempts - 1)
    if delay is not None and message.attempts < MAX_SEND_ATTEMPTS:
        message.error_code = error.code
        message.error_reason = error.reason[:500]
        log.info("conversations.send.retry", message_id=message.id, code=error.code, delay=delay)
        _reschedule(session, message, delay * random.uniform(1.0, 1.25))  # noqa: S311
        return
    log.warning("conversations.send.failed", message_id=message.id, code=error.code)
    message_service.mark_failed(message, error.code, error.title, error.reason)
    if error.code is not None:
        message_service.react_to_error(session, message, error)


def _reschedule(session: Session, message: Message, delay: float, *, pacing: bool = False) -> None:
    if pacing:
        message.attempts -= 1  # waiting for a rate-limit slot is not a failed attempt
    message.status = MessageState.queued
    message.claimed_at = None
    message.next_attempt_at = utcnow() + timedelta(seconds=delay)
    if not pacing:
        events.message_changed(message)  # the team sees the retry and its reason
    enqueue(session, SEND_TASK, message.id, delay=delay)


@task(MARK_READ_TASK, retries=3, retry_delay=10)
def mark_read(context: TaskContext, message_id: int) -> None:
    """Blue ticks on the doctor's phone for this message and every earlier one."""
    _receipt(context, message_id, typing=False)


@task(TYPING_TASK)
def send_typing(context: TaskContext, message_id: int) -> None:
    """WhatsApp's "typing…" under the doctor's message (it also marks it read). Not retried:
    a typing indicator that comes late is worse than none."""
    _receipt(context, message_id, typing=True)


def _receipt(context: TaskContext, message_id: int, *, typing: bool) -> None:
    session = context.session
    message = MessageRepository(session).get(message_id)
    if message is None or message.wamid is None:
        return
    number = message.conversation.number
    capabilities = provider(number.channel.value).capabilities
    if not number_service.can_send(number) or not (
        capabilities.typing_indicator if typing else capabilities.read_receipts
    ):
        return
    adapter = adapter_for(number, context.runtime)
    wamid, sender_id = message.wamid, number.phone_number_id
    session.commit()
    call = adapter.show_typing if typing else adapter.mark_read
    try:
        context.runtime.io.run(call(sender_id, wamid))
    except ChannelError as error:
        if error.error.code is None:
            raise  # no answer: the task's own retries
        # An old or unknown message id will not succeed on a retry either.
        log.info("conversations.receipt.refused", message_id=message_id, code=error.error.code)


@task(DOWNLOAD_MEDIA_TASK, retries=3, retry_delay=10)
def download_media(context: TaskContext, message_id: int) -> None:
    """Keep a doctor's media: WhatsApp's media ids expire after 7 days, URLs after 5 minutes."""
    session, runtime = context.session, context.runtime
    message = MessageRepository(session).get(message_id)
    if message is None or message.media_file_id is not None:
        return
    body = message.payload.get(message.type)
    media_id = body.get("id") if isinstance(body, dict) else None
    if not media_id:
        return
    number = message.conversation.number
    adapter = adapter_for(number, runtime)
    sender_id = number.phone_number_id
    session.commit()
    try:
        downloaded = runtime.io.run(adapter.download_media(sender_id, media_id))
    except ChannelError as error:
        if error.error.code is None:
            raise  # no answer: the task's own retries
        log.warning("conversations.media.unavailable", message_id=message_id, code=error.error.code)
        message.media_error = media_error_reason(error.error)
        events.message_changed(message)
        return
    media = media_service.store(
        session,
        runtime.settings.data_dir / "media",
        downloaded.data,
        mime_type=downloaded.mime_type,
        filename=body.get("filename") if isinstance(body, dict) else None,
    )
    message.media_file_id = media.id
    message.media_file = media
    message.media_error = None
    # The inbox shows the file as soon as it is kept.
    events.message_changed(message)


@sweeper("conversations.outbound")
def redrive_outbound(context: TaskContext) -> int:
    """Re-queue sends whose worker died mid-flight (gone, or silent for too long), and queued
    sends whose task was lost.

    A message that WhatsApp accepted has a wamid (from the response, or adopted from a status
    webhook's callback data), and the claim only takes messages without one: it is never sent
    twice.
    """
    session = context.session
    now = utcnow()
    messages = MessageRepository(session)
    count = 0
    gone_claimants = gone(session, messages.sending_claimants(), now)
    for message in messages.stuck_in_sending(
        now - STUCK_SENDING_AFTER, limit=500, gone=gone_claimants
    ):
        if message.wamid is not None:
            message.status = MessageState.accepted
            continue
        message.status = MessageState.queued
        message.claimed_at = None
        message.claimed_by = None
        message.next_attempt_at = None
        enqueue(session, SEND_TASK, message.id)
        count += 1
    for message_id in messages.overdue_queued(now - LOST_QUEUED_AFTER, limit=500):
        enqueue(session, SEND_TASK, message_id)
        count += 1
    return count
