"""Messages in and out. The one send path: every sender (admin, AI, campaign, follow-up) queues
through `MessageService.queue_outbound`, which applies the outbound rules before anything leaves."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.orm import Session

from surgiai.channels.base import (
    ErrorDetail,
    InboundMessage,
    MessageStatus,
    OutboundMessage,
    StatusUpdate,
    status_advances,
)
from surgiai.channels.cloud.errors import ErrorReaction, classify, plain_reason
from surgiai.channels.cloud.validation import validate_outbound
from surgiai.conversations.models import (
    Conversation,
    Direction,
    Message,
    MessageState,
    SenderKind,
)
from surgiai.conversations.repository import ConversationRepository, MessageRepository
from surgiai.conversations.schemas import MessageRead
from surgiai.doctors.models import Doctor
from surgiai.doctors.service import doctor_service
from surgiai.errors import BadRequest, Conflict, NotFound, ServiceUnavailable
from surgiai.kit.phone import to_wa_id
from surgiai.kit.time import utcnow
from surgiai.media.service import media_service
from surgiai.numbers.models import WhatsAppNumber
from surgiai.numbers.service import number_service
from surgiai.worker.queue import enqueue

log = structlog.get_logger(__name__)

SEND_TASK = "conversations.send_message"
DOWNLOAD_MEDIA_TASK = "conversations.download_media"
CUSTOMER_SERVICE_WINDOW = timedelta(hours=24)
CALLBACK_PREFIX = "surgiai:"
INBOUND_MEDIA_TYPES = frozenset({"image", "video", "document", "audio", "sticker"})


class TemplateRequired(Conflict):
    """Free-form messages need an open 24 h window; outside it only templates may be sent."""


@dataclass(frozen=True)
class OutboundRequest:
    to: str
    type: str
    payload: dict[str, Any]
    sender_kind: SenderKind
    sender_user_id: int | None = None
    sender_agent: str | None = None
    number_id: int | None = None
    context_message_id: str | None = None
    template_category: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


MEDIA_KINDS: dict[str, Callable[[str], bool]] = {
    "image": lambda mime: mime in {"image/jpeg", "image/png"},
    "sticker": lambda mime: mime == "image/webp",
    "audio": lambda mime: mime.startswith("audio/"),
    "video": lambda mime: mime in {"video/mp4", "video/3gpp"},
    "document": lambda mime: True,
}


def with_media_id(payload: dict[str, Any], media_id: str) -> dict[str, Any]:
    """The payload as WhatsApp takes it: our stored file replaced by its media id."""
    sent = {key: value for key, value in payload.items() if key != "media_file_id"}
    sent["id"] = media_id
    return sent


def window_open(conversation: Conversation, now: datetime) -> bool:
    last = conversation.last_inbound_at
    return last is not None and now - last < CUSTOMER_SERVICE_WINDOW


def summary_text(type_: str, payload: dict[str, Any]) -> str | None:
    """What the inbox shows for an outbound message."""
    if type_ == "text":
        return str(payload.get("body", ""))
    if type_ in {"image", "video", "document"}:
        return payload.get("caption") or payload.get("filename")
    if type_ == "template":
        return f"[template {payload.get('name')}]"
    if type_ == "interactive":
        return str((payload.get("body") or {}).get("text", "")) or None
    if type_ == "reaction":
        return payload.get("emoji")
    return None


class MessageService:
    # --- Outbound -----------------------------------------------------------------------------

    def queue_outbound(self, session: Session, request: OutboundRequest) -> Message:
        """Check the outbound rules and queue the message; a worker sends it after commit."""
        wa_id = to_wa_id(request.to)
        media_file_id = self._stored_media(session, request)
        payload = request.payload
        if media_file_id is not None:
            # Checked as WhatsApp will see it: with a media id in place of our file.
            payload = with_media_id(payload, "pending-upload")
        validate_outbound(
            OutboundMessage(
                to=wa_id,
                type=request.type,
                payload=payload,
                context_message_id=request.context_message_id,
            )
        )
        doctor = doctor_service.get_or_create(session, wa_id)
        self._check_doctor(doctor, request)
        conversations = ConversationRepository(session)
        number = self._choose_number(session, doctor, request.number_id)
        conversation = conversations.get_or_create(doctor.id, number.id)
        now = utcnow()
        if request.type != "template" and not window_open(conversation, now):
            raise TemplateRequired(
                "More than 24 hours have passed since this doctor last wrote on this number "
                "(or they never have): only an approved template can be sent."
            )
        message = MessageRepository(session).add(
            Message(
                conversation_id=conversation.id,
                direction=Direction.outbound,
                type=request.type,
                text=summary_text(request.type, request.payload),
                payload=request.payload,
                status=MessageState.queued,
                sender_kind=request.sender_kind,
                sender_user_id=request.sender_user_id,
                sender_agent=request.sender_agent,
                template_category=request.template_category,
                context_wamid=request.context_message_id,
                media_file_id=media_file_id,
            )
        )
        conversation.last_message_at = now
        enqueue(session, SEND_TASK, message.id)
        return message

    @staticmethod
    def _stored_media(session: Session, request: OutboundRequest) -> int | None:
        """A file kept by SurgiAI (`media_file_id`) to send as this message's media."""
        if request.type not in MEDIA_KINDS or "media_file_id" not in request.payload:
            return None
        raw_id = request.payload["media_file_id"]
        if not isinstance(raw_id, int) or isinstance(raw_id, bool):
            raise BadRequest("media_file_id must be the id of an uploaded file.")
        media = media_service.get(session, raw_id)
        if not MEDIA_KINDS[request.type](media.mime_type):
            raise BadRequest(f"A {media.mime_type} file cannot be sent as {request.type}.")
        return media.id

    def _check_doctor(self, doctor: Doctor, request: OutboundRequest) -> None:
        if doctor.unreachable_reason:
            raise Conflict(
                f"This doctor cannot receive WhatsApp messages: {doctor.unreachable_reason}"
            )
        if (request.template_category or "").upper() == "MARKETING" and doctor.marketing_opted_out:
            raise Conflict("This doctor has stopped marketing messages.")

    def _choose_number(
        self, session: Session, doctor: Doctor, number_id: int | None
    ) -> WhatsAppNumber:
        if number_id is not None:
            number = number_service.get(session, number_id)
            if not number_service.can_send(number):
                raise Conflict(f"Number {number.label} cannot send now: {self._why_not(number)}")
            return number
        recent = ConversationRepository(session).for_doctor_recent_first(doctor.id)
        chosen = number_service.pick_sender(session, [c.number for c in recent])
        if chosen is None:
            raise ServiceUnavailable(
                "No WhatsApp number can send right now (none registered, or all paused)."
            )
        return chosen

    @staticmethod
    def _why_not(number: WhatsAppNumber) -> str:
        if not number.enabled:
            return "it is disabled."
        if number.paused:
            return number.paused_reason or "it is paused."
        return f"WhatsApp reports its status as {number.status}."

    def mark_failed(
        self, message: Message, code: int | None, title: str | None, reason: str
    ) -> None:
        message.status = MessageState.failed
        message.failed_at = utcnow()
        message.error_code = code
        message.error_title = (title or "")[:300] or None
        message.error_reason = reason[:500]
        message.next_attempt_at = None

    def react_to_error(self, message: Message, code: int | None, details: str | None) -> None:
        """What an error means beyond this message: pause the number, mark the doctor."""
        conversation = message.conversation
        reaction = classify(code)
        number_service.apply_send_error(conversation.number, code, details)
        if reaction is ErrorReaction.recipient_unreachable:
            doctor_service.mark_unreachable(conversation.doctor, plain_reason(code, details))
        elif reaction is ErrorReaction.marketing_suppressed and code == 131050:
            doctor_service.set_marketing_preference(conversation.doctor, opted_out=True)

    # --- Inbound ------------------------------------------------------------------------------

    def record_inbound(
        self, session: Session, number: WhatsAppNumber, inbound: InboundMessage
    ) -> Message | None:
        """Store a doctor's message once (by wamid). Returns it, or None for a duplicate."""
        if inbound.from_wa_id is None:
            log.info("conversations.inbound.no_sender", type=inbound.type.value)
            return None
        doctor = doctor_service.get_or_create(session, inbound.from_wa_id, inbound.profile_name)
        doctor_service.mark_reachable(doctor)
        conversation = ConversationRepository(session).get_or_create(doctor.id, number.id)
        messages = MessageRepository(session)
        inserted = messages.insert_inbound_once(
            {
                "conversation_id": conversation.id,
                "direction": Direction.inbound,
                "wamid": inbound.wamid,
                "type": inbound.type.value,
                "text": inbound.text,
                "payload": inbound.raw,
                "status": MessageState.received,
                "timestamp": inbound.timestamp,
                "sender_kind": SenderKind.doctor,
                "context_wamid": inbound.context.message_id if inbound.context else None,
                "created_at": utcnow(),
            }
        )
        if not inserted:
            return None
        # A message (not a status) from the doctor opens or refreshes the 24 h window.
        if conversation.last_inbound_at is None or inbound.timestamp > conversation.last_inbound_at:
            conversation.last_inbound_at = inbound.timestamp
        conversation.last_message_at = max(
            conversation.last_message_at or inbound.timestamp, inbound.timestamp
        )
        message = messages.get_by_wamid(inbound.wamid)
        assert message is not None
        if inbound.type.value in INBOUND_MEDIA_TYPES and inbound.media and inbound.media.id:
            enqueue(session, DOWNLOAD_MEDIA_TASK, message.id)
        return message

    def apply_status(self, session: Session, update: StatusUpdate) -> Message | None:
        """Move an outbound message forward (never back); failed is terminal."""
        messages = MessageRepository(session)
        message = messages.get_by_wamid(update.wamid)
        if message is None:
            message = self._adopt_by_callback(session, update)
        if message is None:
            log.info("conversations.status.unknown_message", status=update.status)
            return None
        if not status_advances(message.status.value, update.status):
            return message
        message.status = MessageState(update.status)
        message.timestamp = update.timestamp
        column = f"{update.status}_at"
        if hasattr(message, column):
            setattr(message, column, update.timestamp)
        if update.status == MessageStatus.failed:
            error = update.errors[0] if update.errors else ErrorDetail()
            self.mark_failed(
                message, error.code, error.title, plain_reason(error.code, error.details)
            )
            message.failed_at = update.timestamp
            self.react_to_error(message, error.code, error.details)
        return message

    def _adopt_by_callback(self, session: Session, update: StatusUpdate) -> Message | None:
        """A status for a message whose send crashed after WhatsApp accepted it: our id rides in
        `biz_opaque_callback_data`, so the message gets its wamid and is never sent again."""
        data = update.biz_opaque_callback_data or ""
        if not data.startswith(CALLBACK_PREFIX):
            return None
        try:
            message_id = int(data.removeprefix(CALLBACK_PREFIX))
        except ValueError:
            return None
        message = MessageRepository(session).get(message_id)
        if message is None or message.wamid is not None:
            return None
        message.wamid = update.wamid
        if message.status in (MessageState.queued, MessageState.sending):
            message.status = MessageState.accepted
        log.info("conversations.status.adopted", message_id=message.id)
        return message

    # --- Reading ------------------------------------------------------------------------------

    def get(self, session: Session, message_id: int) -> Message:
        message = MessageRepository(session).get(message_id)
        if message is None:
            raise NotFound(f"No message with id {message_id}.")
        return message

    def list_for_doctor(
        self,
        session: Session,
        wa_id: str,
        *,
        direction: Direction | None,
        limit: int,
        before_id: int | None,
    ) -> Sequence[Message]:
        return MessageRepository(session).list_for_doctor(
            to_wa_id(wa_id), direction=direction, limit=limit, before_id=before_id
        )

    @staticmethod
    def to_read(message: Message) -> MessageRead:
        conversation = message.conversation
        return MessageRead(
            id=message.id,
            conversation_id=message.conversation_id,
            number_id=conversation.number_id,
            wa_id=conversation.doctor.wa_id,
            direction=message.direction.value,
            wamid=message.wamid,
            type=message.type,
            text=message.text,
            payload=message.payload,
            status=message.status.value,
            created_at=message.created_at,
            timestamp=message.timestamp,
            sent_at=message.sent_at,
            delivered_at=message.delivered_at,
            read_at=message.read_at,
            played_at=message.played_at,
            failed_at=message.failed_at,
            error_code=message.error_code,
            error_title=message.error_title,
            error_reason=message.error_reason,
            sender_kind=message.sender_kind.value,
            sender_user_id=message.sender_user_id,
            sender_agent=message.sender_agent,
            media_file_id=message.media_file_id,
            attempts=message.attempts,
            next_attempt_at=message.next_attempt_at,
        )


message_service = MessageService()
