from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from surgiai.kit.schemas import BodyId, Flag, PartialUpdate

OutboundType = Literal[
    "text",
    "template",
    "interactive",
    "image",
    "document",
    "audio",
    "video",
    "sticker",
    "reaction",
    "location",
    "contacts",
]


class CloudApiShaped(BaseModel):
    """A message in the Cloud API's own shape: `"type"` and an object under that type's name."""

    model_config = ConfigDict(extra="allow")

    type: OutboundType

    @model_validator(mode="after")
    def _has_type_object(self) -> CloudApiShaped:
        extra = self.model_extra or {}
        if not isinstance(extra.get(self.type), dict):
            raise ValueError(f'a "{self.type}" object is required for type "{self.type}"')
        unexpected = set(extra) - {self.type}
        if unexpected:
            raise ValueError(f"unexpected fields: {', '.join(sorted(unexpected))}")
        return self

    @property
    def type_object(self) -> dict[str, Any]:
        value: dict[str, Any] = (self.model_extra or {})[self.type]
        return value


class MessageCreate(CloudApiShaped):
    """`{"to", "type", "<type>": {...}}`, or `doctor_id` in place of `to` (a doctor who reached
    us by username has no phone number to give)."""

    to: Annotated[str | None, Field(min_length=5, max_length=32)] = None
    doctor_id: BodyId | None = None
    number_id: BodyId | None = None
    # Quote a message of the conversation (its wamid).
    context_message_id: Annotated[str | None, Field(max_length=128)] = None

    @model_validator(mode="after")
    def _one_recipient(self) -> MessageCreate:
        if (self.to is None) == (self.doctor_id is None):
            raise ValueError("give either `to` (a phone number) or `doctor_id`, not both")
        return self


class Sender(BaseModel):
    """Who wrote a message, as the inbox labels it: "Doctor", "AI · smart_reply",
    "Admin · Priya"; an AI message approved by an admin names both ("AI · greeting (approved by
    Priya)"), one an admin rewrote first is theirs ("Edited by Priya from AI · greeting
    draft")."""

    kind: Literal["doctor", "ai", "admin", "system"]
    label: str
    agent: str | None = None
    user_id: int | None = None
    user_name: str | None = None


class MessageMedia(BaseModel):
    """A media message's file as the inbox shows it. `ready`: kept by SurgiAI, at `url`;
    `downloading`: the doctor's file is being fetched from WhatsApp; `failed`: WhatsApp would
    not give it (`error` says why); `not_kept`: sent by a link or WhatsApp media id, never
    stored here."""

    state: Literal["ready", "downloading", "failed", "not_kept"]
    url: str | None = None
    mime_type: str | None = None
    size: int | None = None
    filename: str | None = None
    error: str | None = None


class MessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    conversation_id: int
    number_id: int
    # The doctor's phone digits; None for a doctor known only by WhatsApp user id.
    wa_id: str | None
    direction: str
    wamid: str | None
    type: str
    text: str | None
    payload: dict[str, Any]
    status: str
    created_at: datetime
    timestamp: datetime | None
    sent_at: datetime | None
    delivered_at: datetime | None
    read_at: datetime | None
    played_at: datetime | None
    failed_at: datetime | None
    error_code: int | None
    error_title: str | None
    error_reason: str | None
    sender_kind: str
    sender_user_id: int | None
    sender_agent: str | None
    sender: Sender
    # The text (or caption, or interactive body) with WhatsApp's formatting as safe HTML.
    html: str | None
    context_wamid: str | None
    media_file_id: int | None
    # Image, video, audio, document and sticker messages only.
    media: MessageMedia | None = None
    attempts: int
    next_attempt_at: datetime | None


class MessagePage(BaseModel):
    items: list[MessageRead]
    next_cursor: int | None


# --- Inbox --------------------------------------------------------------------------------------

ModeName = Literal["ai", "draft", "human"]
StatusName = Literal["open", "closed"]
Tag = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[\w][\w .:/+-]*$")]


class UserRef(BaseModel):
    id: int
    name: str


class DoctorSummary(BaseModel):
    id: int
    # Phone digits; None for a doctor who reached us by username without a phone number.
    wa_id: str | None
    # WhatsApp's business-scoped user id (BSUID) and the doctor's WhatsApp username, if any.
    user_id: str | None
    username: str | None
    name: str | None
    profile_name: str | None
    display_name: str
    tags: list[str]
    marketing_opted_out: bool
    unreachable_reason: str | None


class NumberRef(BaseModel):
    id: int
    label: str
    display_phone_number: str


class LastMessage(BaseModel):
    id: int
    direction: str
    type: str
    text: str | None
    status: str
    sender_kind: str
    created_at: datetime


class ConversationRead(BaseModel):
    id: int
    doctor: DoctorSummary
    number: NumberRef
    mode: ModeName
    status: StatusName
    assigned_user: UserRef | None
    unread_count: int
    created_at: datetime
    last_message_at: datetime | None
    last_inbound_at: datetime | None
    # Since when the doctor waits for our answer (their oldest unanswered message); null when
    # nobody waits.
    awaiting_since: datetime | None
    window_open: bool
    window_closes_at: datetime | None
    last_message: LastMessage | None


class ConversationPage(BaseModel):
    items: list[ConversationRead]
    # Pass as `cursor` for the next (older) page; null on the last page.
    next_cursor: str | None


class ConversationUpdate(PartialUpdate):
    clearable = frozenset({"assigned_user_id"})

    status: StatusName | None = None
    mode: ModeName | None = None
    # Assign to a user (their id), or null to unassign; omit to leave as is.
    assigned_user_id: BodyId | None = None
    tags: Annotated[list[Tag] | None, Field(max_length=50)] = None


class NoteCreate(BaseModel):
    body: Annotated[str, Field(min_length=1, max_length=4096)]


class NoteRead(BaseModel):
    id: int
    conversation_id: int
    author: UserRef | None
    body: str
    created_at: datetime


class ThreadMessageCreate(CloudApiShaped):
    """A message for this conversation's doctor, in the Cloud API's own shape
    (`{"type": "text", "text": {"body": "..."}}`), sent from the conversation's number.
    With `preview: true` nothing is sent: the answer shows what would be."""

    preview: Flag = False
    context_message_id: Annotated[str | None, Field(max_length=128)] = None
    template_category: Literal["MARKETING", "UTILITY", "AUTHENTICATION"] | None = None


class Problem(BaseModel):
    # The error the send would fail with (the same `error` name and detail).
    error: str
    detail: str
    status_code: int


class LengthCheck(BaseModel):
    field: str
    characters: int
    limit: int


class RenderedMessage(BaseModel):
    """What the doctor will see."""

    type: str
    # Text as the doctor reads it (template variables filled), and as safe HTML.
    text: str | None
    html: str | None
    header: str | None = None
    footer: str | None = None
    buttons: list[str] = Field(default_factory=list)
    list_button: str | None = None
    list_rows: list[str] = Field(default_factory=list)
    media: dict[str, Any] | None = None
    template: dict[str, Any] | None = None


class Preview(BaseModel):
    can_send: bool
    problems: list[Problem]
    rendered: RenderedMessage
    number: NumberRef | None
    number_can_send: bool
    # Where it goes: the doctor's phone digits, or else their WhatsApp user id (`recipient`).
    to: str | None
    recipient: str | None
    window_open: bool
    window_closes_at: datetime | None
    template_required: bool
    lengths: list[LengthCheck]
    marketing_opted_out: bool
    unreachable_reason: str | None
    mode: ModeName | None
    # The exact request the sending number's channel will make (Cloud API: the JSON body of
    # POST /messages), except for `biz_opaque_callback_data` (it carries the message's id once
    # created) and a stored file's media id (uploaded at send time: "pending-upload"); None
    # while no number can send it.
    request: dict[str, Any] | None


class TypingCreate(BaseModel):
    # False when the admin stops typing without sending (the dashboard clears the indicator).
    active: Flag = True


class AdminTyping(BaseModel):
    kind: Literal["admin"]
    user_id: int
    name: str


class AgentTyping(BaseModel):
    kind: Literal["ai"]
    agent: str | None


class ConversationRemoved(BaseModel):
    """A conversation merged into another when two records of one doctor became one (the
    `conversation.removed` event): its messages are `merged_into`'s now."""

    id: int
    merged_into: int


class TouchedConversation(BaseModel):
    id: int
    last_message_id: int | None


class ConversationsTouched(BaseModel):
    """Messages were added to these conversations in bulk (a campaign's chunk), without an
    event per message (the `conversations.touched` event): a dashboard refetches the lists and
    any open thread that lacks `last_message_id`."""

    conversations: list[TouchedConversation]


class TypingRead(BaseModel):
    """Someone is about to answer in a conversation (the `typing` event): nothing is stored."""

    conversation_id: int
    actor: Annotated[AdminTyping | AgentTyping, Field(discriminator="kind")]
    # False when they stopped without sending.
    active: bool


class DraftContextMessage(BaseModel):
    """A message of the thread shown beside a draft, so that it is not decided blind."""

    id: int
    direction: Literal["in", "out"]
    type: str
    text: str | None
    sender: Sender
    created_at: datetime


class DraftRead(BaseModel):
    id: int
    conversation_id: int
    doctor: DoctorSummary
    number: NumberRef
    status: Literal["pending", "approved", "rejected"]
    agent: str
    reason: str
    type: str
    payload: dict[str, Any]
    text: str | None
    html: str | None
    template_category: str | None
    context_wamid: str | None
    created_at: datetime
    decided_at: datetime | None
    decided_by: UserRef | None
    edited_type: str | None
    edited_payload: dict[str, Any] | None
    rejection_reason: str | None
    message_id: int | None
    sources: list[str] = Field(
        description='Where the agent found the answer: "Catalogue 2026, p. 3", "FAQ #12".'
    )
    answers: list[DraftContextMessage] = Field(
        description="The doctor's messages the draft answers, oldest first."
    )
    recent: list[DraftContextMessage] = Field(
        description="The thread's latest messages, oldest first (the doctor may have written "
        "again since the draft)."
    )


class DraftPage(BaseModel):
    items: list[DraftRead]
    next_cursor: int | None


class DraftApprove(BaseModel):
    """Approve as proposed (no body), or send an edited version: `{"type": "text",
    "text": {"body": "..."}}`. The original and the edit are both kept."""

    model_config = ConfigDict(extra="allow")

    type: OutboundType | None = None

    @model_validator(mode="after")
    def _edit_is_complete(self) -> DraftApprove:
        extra = self.model_extra or {}
        if self.type is None:
            if extra:
                raise ValueError("an edit needs its type")
            return self
        if not isinstance(extra.get(self.type), dict):
            raise ValueError(f'a "{self.type}" object is required for type "{self.type}"')
        unexpected = set(extra) - {self.type}
        if unexpected:
            raise ValueError(f"unexpected fields: {', '.join(sorted(unexpected))}")
        return self

    @property
    def edit(self) -> tuple[str, dict[str, Any]] | None:
        if self.type is None:
            return None
        value: dict[str, Any] = (self.model_extra or {})[self.type]
        return self.type, value


class DraftReject(BaseModel):
    reason: Annotated[str | None, Field(max_length=500)] = None


class MessageStatusChange(BaseModel):
    """How far an outbound message got, as its `MessageRead` now says: its tick."""

    id: int
    conversation_id: int
    status: Literal["sent", "delivered", "read", "played"]
    # The time WhatsApp gave the latest status, and each status's own.
    timestamp: datetime | None
    sent_at: datetime | None
    delivered_at: datetime | None
    read_at: datetime | None
    played_at: datetime | None


class MessageStatusesChanged(BaseModel):
    """Receipts applied together moved these messages forward (the `messages.status_changed`
    event, one per group of receipts, instead of a `message.updated` each: three receipts come
    for every message a campaign sends). A dashboard applies each to the message and to the
    conversation whose last message it is, never moving a tick back. A failure is not here: it
    comes as `message.updated`, with its reason."""

    messages: list[MessageStatusChange]
