"""Messages in and out. The one send path: every sender (admin, AI, campaign, follow-up) queues
through `MessageService.queue_outbound`, which applies the outbound rules before anything leaves."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy.orm import Session, object_session

from surgiai.channels.base import (
    ErrorDetail,
    ErrorReaction,
    InboundMessage,
    MessageStatus,
    OutboundMessage,
    StatusUpdate,
    UserIdentity,
    status_advances,
)
from surgiai.channels.registry import provider
from surgiai.channels.validation import validate_outbound
from surgiai.conversations import events
from surgiai.conversations.formatting import template_parameters
from surgiai.conversations.identity import identity_service
from surgiai.conversations.models import (
    Conversation,
    ConversationMode,
    ConversationStatus,
    Direction,
    Message,
    MessageState,
    SenderKind,
)
from surgiai.conversations.repository import (
    HANDOFF_AGENT,
    ConversationRepository,
    InboxRepository,
    MessageRepository,
)
from surgiai.conversations.window import (
    CUSTOMER_SERVICE_WINDOW,
    WINDOW_CLOSED_REASON,
    window_open,
)
from surgiai.db.outbox import enqueue
from surgiai.doctors.consent import consent_service
from surgiai.doctors.leads import lead_service
from surgiai.doctors.models import ConsentSource, Doctor
from surgiai.doctors.service import doctor_service
from surgiai.errors import BadRequest, Conflict, NotFound, ServiceUnavailable, SurgiAIError
from surgiai.kit.phone import to_wa_id
from surgiai.kit.time import utcnow
from surgiai.media.models import MediaFile
from surgiai.media.service import media_service
from surgiai.numbers.models import WhatsAppNumber
from surgiai.numbers.service import number_service
from surgiai.templates.service import template_service

# Attempts to apply one status while other workers keep changing the same message.
STATUS_RACE_RETRIES = 5

log = structlog.get_logger(__name__)

SEND_TASK = "conversations.send_message"
DOWNLOAD_MEDIA_TASK = "conversations.download_media"
CALLBACK_PREFIX = "surgiai:"
INBOUND_MEDIA_TYPES = frozenset({"image", "video", "document", "audio", "sticker"})


class TemplateRequired(Conflict):
    """Free-form messages need an open 24 h window; outside it only templates may be sent."""


@dataclass(frozen=True)
class OutboundRequest:
    """A message to send to a doctor: `doctor_id`, or `to`, a phone number (a doctor we do not
    know yet is created)."""

    type: str
    payload: dict[str, Any]
    sender_kind: SenderKind
    to: str | None = None
    doctor_id: int | None = None
    sender_user_id: int | None = None
    sender_agent: str | None = None
    number_id: int | None = None
    context_message_id: str | None = None
    template_category: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Receipts:
    """What the receipts applied in one transaction changed, short of failures (told at once):
    finished once for them all (`MessageService.finish_receipts`)."""

    # Messages moved forward: sent, delivered, read or played.
    advanced: list[int] = field(default_factory=list)
    # Those now read.
    read: list[int] = field(default_factory=list)

    def extend(self, other: Receipts) -> None:
        self.advanced.extend(other.advanced)
        self.read.extend(other.read)


MEDIA_KINDS: dict[str, Callable[[str], bool]] = {
    "image": lambda mime: mime in {"image/jpeg", "image/png"},
    "sticker": lambda mime: mime == "image/webp",
    "audio": lambda mime: mime.startswith("audio/"),
    "video": lambda mime: mime in {"video/mp4", "video/3gpp"},
    "document": lambda mime: True,
}


def media_error_reason(error: ErrorDetail) -> str:
    """Why a doctor's file could not be downloaded, as the inbox shows it."""
    code = f" (WhatsApp error {error.code})" if error.code is not None else ""
    return f"{error.reason}{code}"[:300]


# A template header that is a file (IMAGE, VIDEO, DOCUMENT) is sent as a parameter of that type.
HEADER_MEDIA_KINDS = ("image", "video", "document")


def header_media(payload: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """A template's header file: its type and object (`{"media_file_id": 3}` for a file kept
    by SurgiAI, or WhatsApp's `id` / `link`); None when the payload has none."""
    for component in payload.get("components") or []:
        if not isinstance(component, dict) or str(component.get("type", "")).lower() != "header":
            continue
        for parameter in component.get("parameters") or []:
            kind = parameter.get("type") if isinstance(parameter, dict) else None
            if kind in HEADER_MEDIA_KINDS and isinstance(parameter.get(kind), dict):
                return str(kind), parameter[kind]
    return None


def names_stored_file(payload: dict[str, Any]) -> bool:
    """The payload sends a file kept by SurgiAI: its media id is filled in at send time."""
    header = header_media(payload)
    return "media_file_id" in payload or (header is not None and "media_file_id" in header[1])


def with_media_id(
    payload: dict[str, Any], media_id: str, filename: str | None = None
) -> dict[str, Any]:
    """The payload as WhatsApp takes it: our stored file, the message's own or a template's
    header file, replaced by its media id. A header document keeps its name (`filename`, else
    the stored file's): without one the doctor gets an unnamed file."""
    if "media_file_id" in payload:
        sent = {key: value for key, value in payload.items() if key != "media_file_id"}
        sent["id"] = media_id
        return sent
    components = []
    for component in payload.get("components") or []:
        if isinstance(component, dict) and str(component.get("type", "")).lower() == "header":
            parameters = []
            for parameter in component.get("parameters") or []:
                kind = parameter.get("type") if isinstance(parameter, dict) else None
                media = parameter.get(kind) if kind in HEADER_MEDIA_KINDS else None
                if isinstance(media, dict) and "media_file_id" in media:
                    media = {key: value for key, value in media.items() if key != "media_file_id"}
                    media["id"] = media_id
                    if kind == "document" and filename and not media.get("filename"):
                        media["filename"] = filename
                    parameter = {**parameter, kind: media}
                parameters.append(parameter)
            component = {**component, "parameters": parameters}
        components.append(component)
    return {**payload, "components": components}


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


class HumanTakeover(Conflict):
    """A person has this doctor's conversation: nothing automatic may reach them."""


class ApprovalRequired(Conflict):
    """The conversation is in draft mode: AI replies go to the approval queue first."""


class TemplateNotApproved(Conflict):
    """WhatsApp would refuse it (132001/132015/132016): the template is not approved."""


class DoctorUnreachable(Conflict):
    pass


class MarketingOptedOut(Conflict):
    pass


class NumberUnavailable(Conflict):
    pass


@dataclass
class OutboundPlan:
    """Everything the outbound rules decided about a message, before it is queued. The preview
    shows it; `queue_outbound` refuses with the first problem. One function builds both, so a
    send that the preview said would fail fails the same way."""

    request: OutboundRequest
    # Who it goes to (`doctor.address`: their phone, else their WhatsApp user id).
    doctor: Doctor
    # The type object as WhatsApp will receive it (a stored file shows as "pending-upload").
    payload: dict[str, Any]
    media_file_id: int | None
    number: WhatsAppNumber | None = None
    conversation: Conversation | None = None
    # The request's, or the synced template's category (marketing opt-outs depend on it).
    template_category: str | None = None
    window_open: bool = False
    window_closes_at: datetime | None = None
    problems: list[SurgiAIError] = field(default_factory=list)


def is_automatic(
    sender_kind: SenderKind, sender_user_id: int | None, sender_agent: str | None = None
) -> bool:
    """Written by an agent or a task with no person behind it (an approved draft has one)."""
    return (
        sender_kind in (SenderKind.ai, SenderKind.system)
        and sender_user_id is None
        and sender_agent != HANDOFF_AGENT
    )


def answers_the_doctor(sender_kind: SenderKind, sender_user_id: int | None) -> bool:
    """A person's or an agent's reply ends the doctor's wait; a system message (the hand-off
    notice, a campaign, a follow-up) does not."""
    return sender_kind in (SenderKind.admin, SenderKind.ai) or sender_user_id is not None


class MessageService:
    # --- Outbound -----------------------------------------------------------------------------

    def queue_outbound(self, session: Session, request: OutboundRequest) -> Message:
        """Check the outbound rules and queue the message; a worker sends it after commit."""
        plan = self.plan_outbound(session, request)
        if plan.problems:
            raise plan.problems[0]
        assert plan.conversation is not None
        conversation = plan.conversation
        now = utcnow()
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
                template_category=plan.template_category,
                context_wamid=request.context_message_id,
                media_file_id=plan.media_file_id,
                created_at=now,
            )
        )
        conversation.last_message_at = now
        conversation.last_message_id = message.id
        if answers_the_doctor(request.sender_kind, request.sender_user_id):
            conversation.awaiting_since = None
        _note_activity(plan.doctor, conversation.number_id, last_outbound_at=now)
        events.message_changed(message, created=True)
        events.conversation_changed(conversation, latest=message)
        enqueue(session, SEND_TASK, message.id)
        return message

    def plan_outbound(self, session: Session, request: OutboundRequest) -> OutboundPlan:
        """Apply every outbound rule without raising: the plan lists what stands in the way."""
        doctor = self._doctor_for(session, request)
        to, recipient = doctor.address
        plan = OutboundPlan(
            request, doctor, request.payload, None, template_category=request.template_category
        )
        try:
            media = self._stored_media(session, request)
            if media is not None:
                plan.media_file_id = media.id
                # Checked as WhatsApp will see it: with a media id in place of our file.
                plan.payload = with_media_id(request.payload, "pending-upload", media.filename)
            validate_outbound(
                OutboundMessage(
                    to=to,
                    recipient=recipient,
                    type=request.type,
                    payload=plan.payload,
                    context_message_id=request.context_message_id,
                )
            )
        except (BadRequest, NotFound) as error:
            plan.problems.append(BadRequest(error.detail))
        conversations = ConversationRepository(session)
        try:
            plan.number = self._choose_number(session, doctor, request.number_id)
        except (Conflict, ServiceUnavailable, NotFound) as error:
            plan.problems.extend(self._doctor_problems(doctor, plan.template_category))
            plan.problems.append(error)
            return plan
        capabilities = provider(plan.number.channel.value).capabilities
        if request.type not in capabilities.outbound_types:
            plan.problems.append(
                BadRequest(
                    f"Number {plan.number.label} cannot send {request.type} messages: its "
                    f"channel ({capabilities.kind}) does not support them."
                )
            )
        if request.type == "template":
            plan.problems.extend(self._template_problems(session, plan))
        plan.problems.extend(self._doctor_problems(doctor, plan.template_category))
        conversation = plan.conversation = conversations.get_or_create(doctor.id, plan.number)
        now = utcnow()
        plan.window_open = not capabilities.service_window or window_open(conversation, now)
        if (
            capabilities.service_window
            and plan.window_open
            and conversation.last_inbound_at is not None
        ):
            plan.window_closes_at = conversation.last_inbound_at + CUSTOMER_SERVICE_WINDOW
        if request.type != "template" and not plan.window_open:
            plan.problems.append(TemplateRequired(WINDOW_CLOSED_REASON))
        if is_automatic(request.sender_kind, request.sender_user_id, request.sender_agent):
            if conversations.doctor_in_human_mode(doctor.id):
                plan.problems.append(
                    HumanTakeover(
                        "A team member has taken this doctor's conversation over: "
                        "automatic messages are not sent until it is released."
                    )
                )
            elif (
                request.sender_kind is SenderKind.ai and conversation.mode is ConversationMode.draft
            ):
                plan.problems.append(
                    ApprovalRequired(
                        "This conversation is in draft mode: AI replies wait for approval."
                    )
                )
        return plan

    @staticmethod
    def _doctor_for(session: Session, request: OutboundRequest) -> Doctor:
        if request.doctor_id is not None:
            doctor = doctor_service.get(session, request.doctor_id)
            if doctor is None:
                raise NotFound(f"No doctor with id {request.doctor_id}.")
            return doctor
        if request.to is None:
            raise BadRequest("Say who the message is for: a doctor or a phone number.")
        return doctor_service.get_or_create(session, to_wa_id(request.to))

    @staticmethod
    def _stored_media(session: Session, request: OutboundRequest) -> MediaFile | None:
        """A file kept by SurgiAI (`media_file_id`) to send as this message's media, or as its
        template's header."""
        if request.type == "template":
            header = header_media(request.payload)
            if header is None or "media_file_id" not in header[1]:
                return None
            kind, body = header
            what = f"the template's {kind} header"
        elif request.type in MEDIA_KINDS and "media_file_id" in request.payload:
            kind, body, what = request.type, request.payload, request.type
        else:
            return None
        raw_id = body["media_file_id"]
        if not isinstance(raw_id, int) or isinstance(raw_id, bool):
            raise BadRequest("media_file_id must be the id of an uploaded file.")
        media = media_service.get(session, raw_id)
        if not MEDIA_KINDS[kind](media.mime_type):
            raise BadRequest(f"A {media.mime_type} file cannot be sent as {what}.")
        return media

    @staticmethod
    def _template_problems(session: Session, plan: OutboundPlan) -> list[SurgiAIError]:
        """Checks against our synced copy of the template; one we have never seen is left for
        WhatsApp to judge."""
        assert plan.number is not None
        payload = plan.request.payload
        name = str(payload.get("name", ""))
        language = str((payload.get("language") or {}).get("code", ""))
        template = template_service.find(session, plan.number.waba_id, name, language)
        if template is None:
            return []
        plan.template_category = plan.template_category or template.category
        problems: list[SurgiAIError] = []
        if not template.sendable:
            problems.append(
                TemplateNotApproved(
                    f"Template {name} ({language}) is {template.status} on WhatsApp: "
                    "only approved templates can be sent."
                )
            )
        given = template_parameters(payload)
        missing = [
            f"{component} {{{{{variable}}}}}"
            for component, variables in template.variables.items()
            for variable in variables
            if variable not in given.get(component.split(":")[0], {})
            and not component.startswith("button:")
        ]
        if missing:
            problems.append(BadRequest(f"Template {name} needs a value for {', '.join(missing)}."))
        # WhatsApp refuses it only once sent (132000): said before anything is queued.
        needed = (template.header_format or "").lower()
        if needed in HEADER_MEDIA_KINDS:
            header = header_media(payload)
            if header is None or header[0] != needed:
                article = "an" if needed == "image" else "a"
                problems.append(BadRequest(f"{name} needs {article} {needed} for its header."))
        return problems

    @staticmethod
    def _doctor_problems(doctor: Doctor, template_category: str | None) -> list[SurgiAIError]:
        problems: list[SurgiAIError] = []
        if doctor.unreachable_reason:
            problems.append(
                DoctorUnreachable(
                    f"This doctor cannot receive WhatsApp messages: {doctor.unreachable_reason}"
                )
            )
        if (template_category or "").upper() == "MARKETING" and doctor.marketing_opted_out:
            problems.append(MarketingOptedOut("This doctor has stopped marketing messages."))
        return problems

    def _choose_number(
        self, session: Session, doctor: Doctor, number_id: int | None
    ) -> WhatsAppNumber:
        if number_id is not None:
            number = number_service.get(session, number_id)
            if not number_service.can_send(number):
                raise NumberUnavailable(
                    f"Number {number.label} cannot send now: {self._why_not(number)}"
                )
            return number
        recent = ConversationRepository(session).for_doctor_recent_first(doctor.id)
        chosen = number_service.pick_sender(session, [c.number for c in recent])
        if chosen is None:
            raise ServiceUnavailable(
                "No WhatsApp number can send right now: none is registered, or each is paused, "
                "disabled or blocked by WhatsApp."
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
        events.message_changed(message)
        self._wait_again_if_unanswered(message)

    def cancel(self, message: Message, reason: str) -> None:
        message.status = MessageState.cancelled
        message.failed_at = utcnow()
        message.error_reason = reason[:500]
        message.next_attempt_at = None
        events.message_changed(message)
        self._wait_again_if_unanswered(message)

    def _wait_again_if_unanswered(self, message: Message) -> None:
        session = object_session(message)
        if session is not None:
            self.wait_again_if_unanswered(session, message)

    def wait_again_if_unanswered(self, session: Session, message: Message) -> None:
        """An answer that failed or was cancelled never reached the doctor: if it was the one
        that ended their wait, they wait again (from their oldest unanswered message)."""
        conversation = message.conversation
        if (
            message.direction is not Direction.outbound
            or not answers_the_doctor(message.sender_kind, message.sender_user_id)
            or conversation.status is not ConversationStatus.open
            or conversation.awaiting_since is not None
        ):
            return
        since = InboxRepository(session).unanswered_since(conversation.id)
        if since is not None:
            conversation.awaiting_since = since
            events.conversation_changed(conversation)

    def react_to_error(self, session: Session, message: Message, error: ErrorDetail) -> None:
        """What an error means beyond this message: pause the number, mark the doctor."""
        conversation = message.conversation
        number_service.apply_channel_error(conversation.number, error)
        if error.reaction is ErrorReaction.recipient_unreachable:
            doctor_service.mark_unreachable(conversation.doctor, error.reason)
        elif error.reaction is ErrorReaction.marketing_opted_out:
            consent_service.record(
                session,
                conversation.doctor,
                opted_out=True,
                source=ConsentSource.error_131050,
                number_id=conversation.number_id,
                detail=f"error {error.code} on message {message.id}: {error.reason}",
            )

    # --- Inbound ------------------------------------------------------------------------------

    def record_inbound(
        self, session: Session, number: WhatsAppNumber, inbound: InboundMessage
    ) -> Message | None:
        """Store a doctor's message once (by wamid). Returns it, or None for a duplicate."""
        doctor = identity_service.resolve(session, inbound.sender)
        if doctor is None:
            log.info("conversations.inbound.no_sender", type=inbound.type.value)
            return None
        doctor_service.mark_reachable(doctor)
        conversation = ConversationRepository(session).get_or_create(doctor.id, number)
        now = utcnow()
        message = MessageRepository(session).insert_inbound_once(
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
                "created_at": now,
            }
        )
        if message is None:
            return None
        # A message (not a status) from the doctor opens or refreshes the 24 h window.
        if conversation.last_inbound_at is None or inbound.timestamp > conversation.last_inbound_at:
            conversation.last_inbound_at = inbound.timestamp
        # The inbox sorts on arrival, which only moves forward.
        conversation.last_message_at = max(conversation.last_message_at or now, now)
        conversation.last_message_id = max(conversation.last_message_id or 0, message.id)
        # In SQL, not Python: two workers storing two messages of one doctor both count.
        conversation.unread_count = Conversation.unread_count + 1
        # Writing into a closed conversation reopens it, and the doctor now waits for us.
        conversation.status = ConversationStatus.open
        if conversation.awaiting_since is None:
            conversation.awaiting_since = now
        _note_activity(doctor, number.id, last_inbound_at=now)
        events.message_changed(message, created=True)
        events.conversation_changed(conversation, latest=message)
        if inbound.type.value in INBOUND_MEDIA_TYPES and inbound.media and inbound.media.id:
            enqueue(session, DOWNLOAD_MEDIA_TASK, message.id)
        return message

    def apply_status(
        self, session: Session, update: StatusUpdate, receipts: Receipts
    ) -> int | None:
        """Move an outbound message forward (never back); failed is terminal. Returns the
        message's id, or None for a message we do not know.

        A failure is told at once, with its reason. Any other step forward is added to
        `receipts`, which the caller finishes once for its group (`finish_receipts`)."""
        messages = MessageRepository(session)
        # Statuses are three webhooks for every message sent: the common case (sent,
        # delivered, read) reads two columns and writes one row, without loading the message.
        for _ in range(STATUS_RACE_RETRIES):
            seen = messages.status_by_wamid(update.wamid)
            if seen is None:
                break
            message_id, status, recipient = seen
            if update.recipient is not None or update.recipient_user_id is not None:
                self._learn_recipient(session, message_id, recipient, update)
            if not status_advances(status.value, update.status):
                return message_id
            if update.status == MessageStatus.failed:
                return self._fail(session, message_id, update)
            # Compare-and-set: a concurrent worker that moved it first makes us look again.
            new_status = MessageState(update.status)
            if messages.advance_status(message_id, status, new_status, update.timestamp):
                receipts.advanced.append(message_id)
                if new_status is MessageState.read:
                    receipts.read.append(message_id)
                return message_id
        else:
            raise RuntimeError(f"status of message {update.wamid!r} kept changing under us")
        message = self._adopt_by_callback(session, update)
        if message is None:
            log.info("conversations.status.unknown_message", status=update.status)
            return None
        return self.apply_status(session, update, receipts)

    def finish_receipts(self, session: Session, receipts: Receipts) -> None:
        """What the receipts of one transaction do once for them all: dashboards hear of
        their messages' new ticks in one event, and their reads move lead scores in one pass."""
        events.message_statuses_changed(session, receipts.advanced)
        self.note_reads(session, receipts.read)

    @staticmethod
    def note_reads(session: Session, message_ids: Sequence[int]) -> None:
        """Doctors reading what we sent is engagement: each message read moves its doctor's
        lead score once (a status never moves back to read). One pass for them all: a
        campaign brings hundreds of read receipts a second, and scoring each on its own (a
        query and a flush per read) was most of what receipts cost."""
        doctors = MessageRepository(session).recipients_of(message_ids)
        lead_service.record_reads(session, [doctors[i] for i in message_ids if i in doctors])

    @staticmethod
    def _learn_recipient(
        session: Session, message_id: int, known: dict[str, str | None], update: StatusUpdate
    ) -> None:
        """A status names who received the message: the BSUID of a doctor we wrote to by
        phone, the phone or username of one we wrote to by BSUID. `known` is what we have:
        nothing more is read unless the status says something new."""
        who = update.recipient or UserIdentity(user_id=update.recipient_user_id)
        if who.user_id is None:
            who = who.model_copy(update={"user_id": update.recipient_user_id})
        if all(getattr(who, name) in (None, known[name]) for name in known):
            return
        doctor = MessageRepository(session).recipient_of(message_id)
        if doctor is not None:
            identity_service.link(session, doctor, who)

    def _fail(self, session: Session, message_id: int, update: StatusUpdate) -> int:
        message = MessageRepository(session).get(message_id)
        assert message is not None
        message.status = MessageState.failed
        message.timestamp = update.timestamp
        error = update.errors[0] if update.errors else ErrorDetail()
        self.mark_failed(message, error.code, error.title, error.reason)
        message.failed_at = update.timestamp
        self.react_to_error(session, message, error)
        events.message_changed(message)
        return message_id

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
        events.message_changed(message)
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


message_service = MessageService()


def _note_activity(
    doctor: Doctor,
    number_id: int,
    *,
    last_inbound_at: datetime | None = None,
    last_outbound_at: datetime | None = None,
) -> None:
    """Keep the doctor's activity times on their row (segments filter on them without joining
    messages) and give them a sticky number, their first conversation's. The doctor is loaded
    already: this adds no query, and its columns join the row's one UPDATE at flush."""
    if last_inbound_at is not None and (
        doctor.last_inbound_at is None or doctor.last_inbound_at < last_inbound_at
    ):
        doctor.last_inbound_at = last_inbound_at
    if last_outbound_at is not None and (
        doctor.last_outbound_at is None or doctor.last_outbound_at < last_outbound_at
    ):
        doctor.last_outbound_at = last_outbound_at
    if doctor.sticky_number_id is None:
        doctor.sticky_number_id = number_id
