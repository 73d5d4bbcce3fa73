"""ORM rows → API shapes for the inbox. Pure functions of loaded rows plus the names they
need, so the API, the thread and the real-time events show a message the same way."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from urllib.parse import urlencode

from surgiai.conversations.formatting import to_html
from surgiai.conversations.models import (
    Conversation,
    ConversationNote,
    Direction,
    Draft,
    Message,
    SenderKind,
)
from surgiai.conversations.schemas import (
    ConversationRead,
    DoctorSummary,
    DraftContextMessage,
    DraftRead,
    LastMessage,
    MessageMedia,
    MessageRead,
    NoteRead,
    NumberRef,
    Sender,
    UserRef,
)
from surgiai.conversations.window import CUSTOMER_SERVICE_WINDOW, window_open
from surgiai.doctors.models import Doctor
from surgiai.media.service import MEDIA_MESSAGE_TYPES, download_name
from surgiai.numbers.models import WhatsAppNumber

UserNames = Mapping[int, str]


def sender_of(message: Message, names: UserNames) -> Sender:
    user_name = names.get(message.sender_user_id) if message.sender_user_id else None
    kind = message.sender_kind
    if kind is SenderKind.doctor:
        label = "Doctor"
    elif kind is SenderKind.ai:
        label = f"AI · {message.sender_agent or 'assistant'}"
        if user_name:
            label += f" (approved by {user_name})"
    elif kind is SenderKind.admin and message.sender_agent:
        # An AI draft an admin rewrote before approving: their words now, on the agent's cue.
        label = f"Edited by {user_name or 'former user'} from AI · {message.sender_agent} draft"
    elif kind is SenderKind.admin:
        label = f"Admin · {user_name or 'former user'}"
    else:
        label = f"System · {message.sender_agent}" if message.sender_agent else "System"
    return Sender(
        kind=kind.value,
        label=label,
        agent=message.sender_agent,
        user_id=message.sender_user_id,
        user_name=user_name,
    )


def formatted_html(type_: str, text: str | None) -> str | None:
    """Only free text carries WhatsApp formatting; a template summary or an emoji does not."""
    if text is None or type_ in {"template", "reaction", "location", "contacts"}:
        return None
    return to_html(text)


def message_media(message: Message) -> MessageMedia | None:
    if message.type not in MEDIA_MESSAGE_TYPES:
        return None
    body = message.payload.get(message.type) if message.direction.value == "in" else None
    described = body if isinstance(body, dict) else message.payload
    mime_type = described.get("mime_type")
    # The message's own name: one file (kept once by content) may be sent under several.
    filename = described.get("filename") if isinstance(described.get("filename"), str) else None
    media = message.media_file
    if media is not None:
        return MessageMedia(
            state="ready",
            url=f"/api/v1/media/{media.id}"
            + (f"?{urlencode({'name': filename})}" if filename else ""),
            mime_type=media.mime_type,
            size=media.size,
            filename=filename or download_name(media),
        )
    common = {"mime_type": mime_type if isinstance(mime_type, str) else None, "filename": filename}
    if message.media_error:
        return MessageMedia(state="failed", error=message.media_error, **common)
    if message.direction.value == "in" and isinstance(body, dict) and body.get("id"):
        return MessageMedia(state="downloading", **common)
    if message.direction.value == "in":
        return MessageMedia(
            state="failed", error="WhatsApp sent no media id for this file.", **common
        )
    return MessageMedia(state="not_kept", **common)


def message_read(message: Message, names: UserNames) -> MessageRead:
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
        sender=sender_of(message, names),
        html=formatted_html(message.type, message.text),
        context_wamid=message.context_wamid,
        media_file_id=message.media_file_id,
        media=message_media(message),
        attempts=message.attempts,
        next_attempt_at=message.next_attempt_at,
    )


def doctor_summary(doctor: Doctor, tags: list[str]) -> DoctorSummary:
    return DoctorSummary(
        id=doctor.id,
        wa_id=doctor.wa_id,
        user_id=doctor.user_id,
        username=doctor.username,
        name=doctor.name,
        profile_name=doctor.profile_name,
        display_name=doctor.display_name,
        tags=sorted(tags),
        marketing_opted_out=doctor.marketing_opted_out,
        unreachable_reason=doctor.unreachable_reason,
    )


def number_ref(number: WhatsAppNumber) -> NumberRef:
    return NumberRef(
        id=number.id, label=number.label, display_phone_number=number.display_phone_number
    )


def user_ref(user_id: int | None, names: UserNames) -> UserRef | None:
    if user_id is None:
        return None
    return UserRef(id=user_id, name=names.get(user_id, "former user"))


def conversation_read(
    conversation: Conversation,
    *,
    tags: list[str],
    names: UserNames,
    last_message: LastMessage | None,
    now: datetime,
) -> ConversationRead:
    is_open = window_open(conversation, now)
    return ConversationRead(
        id=conversation.id,
        doctor=doctor_summary(conversation.doctor, tags),
        number=number_ref(conversation.number),
        mode=conversation.mode.value,
        status=conversation.status.value,
        assigned_user=user_ref(conversation.assigned_user_id, names),
        unread_count=conversation.unread_count,
        created_at=conversation.created_at,
        last_message_at=conversation.last_message_at,
        last_inbound_at=conversation.last_inbound_at,
        awaiting_since=conversation.awaiting_since,
        window_open=is_open,
        window_closes_at=(
            conversation.last_inbound_at + CUSTOMER_SERVICE_WINDOW
            if is_open and conversation.last_inbound_at
            else None
        ),
        last_message=last_message,
    )


def note_read(note: ConversationNote, names: UserNames) -> NoteRead:
    return NoteRead(
        id=note.id,
        conversation_id=note.conversation_id,
        author=user_ref(note.author_user_id, names),
        body=note.body,
        created_at=note.created_at,
    )


# How much of the thread a draft shows: its question plus the latest few messages.
DRAFT_RECENT_MESSAGES = 6


def context_message(message: Message, names: UserNames) -> DraftContextMessage:
    return DraftContextMessage(
        id=message.id,
        direction=message.direction.value,
        type=message.type,
        text=message.text,
        sender=sender_of(message, names),
        created_at=message.created_at,
    )


def answered_by(draft: Draft, tail: Sequence[Message]) -> list[Message]:
    """The doctor's messages a draft answers, from the thread's latest messages (oldest
    first): those the doctor wrote since the last message to them before the draft; else the
    one the draft quotes."""
    before = [m for m in tail if m.created_at <= draft.created_at]
    answered: list[Message] = []
    for message in reversed(before):
        if message.direction is not Direction.inbound:
            break
        answered.append(message)
    if not answered and draft.context_wamid:
        answered = [m for m in tail if m.wamid == draft.context_wamid]
    return answered[::-1]


def draft_read(
    draft: Draft, *, tags: list[str], names: UserNames, tail: Sequence[Message] = ()
) -> DraftRead:
    """`tail`: the conversation's latest messages, oldest first."""
    conversation = draft.conversation
    return DraftRead(
        id=draft.id,
        conversation_id=draft.conversation_id,
        doctor=doctor_summary(conversation.doctor, tags),
        number=number_ref(conversation.number),
        status=draft.status.value,
        agent=draft.agent,
        reason=draft.reason,
        type=draft.type,
        payload=draft.payload,
        text=draft.text,
        html=formatted_html(draft.type, draft.text),
        template_category=draft.template_category,
        context_wamid=draft.context_wamid,
        created_at=draft.created_at,
        decided_at=draft.decided_at,
        decided_by=user_ref(draft.decided_by_user_id, names),
        edited_type=draft.edited_type,
        edited_payload=draft.edited_payload,
        rejection_reason=draft.rejection_reason,
        message_id=draft.message_id,
        sources=list(draft.sources or []),
        answers=[context_message(m, names) for m in answered_by(draft, tail)],
        recent=[context_message(m, names) for m in tail[-DRAFT_RECENT_MESSAGES:]],
    )
