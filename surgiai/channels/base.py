"""Channel-neutral message types, errors and the `ChannelAdapter` protocol.

**The canonical message shape.** Inside SurgiAI a message is in the WhatsApp Cloud API's own JSON
shape, stated once here: an outbound `payload` is the Cloud API's type object (`{"body": ...}`
for `type="text"`, `{"name", "language", "components"}` for a template), an inbound message's
stored `raw` is the Cloud API's message object, and templates keep the Cloud API's components.
`surgiai.channels.validation` checks that shape against WhatsApp's limits. Every provider
(`cloud`, later `web`, the WhatsApp Web bridge) translates to and from it inside its own package,
so the domains never see another shape and never a vendor's error codes: they act on an
`ErrorReaction` and keep the vendor's code only to show it.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from surgiai.errors import BadRequest


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


# ---------------------------------------------------------------------------------------------
# Outbound


class OutboundMessage(_Frozen):
    """One message to send. `payload` is the type object, e.g. `{"body": "Hi"}` for
    `type="text"`; `channels.validation` checks it.

    The recipient is `to`, their phone number, or else `recipient`, their business-scoped user
    id (BSUID), for a doctor who reached us by username without a phone number."""

    to: str | None = None
    recipient: str | None = None
    type: str
    payload: dict[str, Any]
    context_message_id: str | None = None
    biz_opaque_callback_data: str | None = None


class SendResult(_Frozen):
    """What the channel accepted. Acceptance is not delivery: status updates report that."""

    wamid: str
    wa_id: str | None = None
    user_id: str | None = None
    input: str | None = None
    # Template pacing only: accepted | held_for_quality_assessment | paused.
    message_status: str | None = None


# ---------------------------------------------------------------------------------------------
# Message status ordering


class MessageStatus(StrEnum):
    sent = "sent"
    delivered = "delivered"
    read = "read"
    played = "played"
    failed = "failed"


_STATUS_RANK: dict[str, int] = {
    MessageStatus.sent: 1,
    MessageStatus.delivered: 2,
    MessageStatus.read: 3,
    MessageStatus.played: 4,
    MessageStatus.failed: 5,
}


def status_rank(status: str | None) -> int:
    """sent 1 < delivered 2 < read 3 < played 4; failed 5. Anything else (None, a local
    `queued`/`accepted`, a status Meta adds later) is 0."""
    return _STATUS_RANK.get(status or "", 0)


def status_advances(current: str | None, new: str) -> bool:
    """Whether a status update may replace the stored status.

    Webhooks arrive out of order and more than once, so state only moves forward: `delivered`
    never overwrites `read`. `failed` is terminal: it replaces any other state and nothing
    replaces it. Unknown statuses never move state.
    """
    if current == MessageStatus.failed or status_rank(new) == 0:
        return False
    return new == MessageStatus.failed or status_rank(new) > status_rank(current)


# ---------------------------------------------------------------------------------------------
# Inbound messages


class InboundType(StrEnum):
    text = "text"
    image = "image"
    video = "video"
    document = "document"
    sticker = "sticker"
    audio = "audio"
    interactive = "interactive"
    button = "button"
    reaction = "reaction"
    location = "location"
    contacts = "contacts"
    order = "order"
    system = "system"
    revoke = "revoke"
    edit = "edit"
    unsupported = "unsupported"


# ---------------------------------------------------------------------------------------------
# Errors


class ErrorReaction(StrEnum):
    """What an error means for the sender, whatever the channel said."""

    # Retry the same request with backoff (a bounded number of times).
    retry_transient = "retry_transient"
    # Rate limits (app, account or number throughput): back off and slow the sender down.
    throttled = "throttled"
    # Too many messages to this one recipient: delay only them, keep sending to others.
    retry_later_pair = "retry_later_pair"
    # The 24 h customer-service window is closed: only an approved template may be sent.
    template_required = "template_required"
    # The number or account is restricted: stop sending on it and alert admins.
    pause_number = "pause_number"
    # The doctor cannot receive WhatsApp messages from us.
    recipient_unreachable = "recipient_unreachable"
    # Marketing to this doctor is capped for now: not sent, nothing to change.
    marketing_capped = "marketing_capped"
    # The doctor stopped marketing messages: record it, send them no more.
    marketing_opted_out = "marketing_opted_out"
    # The number's credentials expired or were revoked: reconnect the number.
    auth_failed = "auth_failed"
    # Permissions, registration or template setup must be fixed by an admin.
    config = "config"
    # Our request was wrong: fix the code or the content; retrying cannot help.
    bug = "bug"
    # Not sent and not worth resending.
    drop = "drop"
    # An error the channel's table does not know: terminal until a human looks.
    unknown = "unknown"


RETRYABLE_REACTIONS = frozenset(
    {ErrorReaction.retry_transient, ErrorReaction.throttled, ErrorReaction.retry_later_pair}
)
# The number must stop sending until an admin resumes it.
PAUSING_REACTIONS = frozenset({ErrorReaction.pause_number, ErrorReaction.auth_failed})


class ErrorDetail(_Frozen):
    """An error the channel reported, synchronously or in a status webhook. `code`, `title`
    and `details` are the vendor's, for display; `reaction` and `reason` are what it means."""

    code: int | None = None
    title: str | None = None
    message: str | None = None
    details: str | None = None
    href: str | None = None
    reaction: ErrorReaction = ErrorReaction.unknown
    # One sentence an admin understands.
    reason: str = "The channel reported an error."


class ChannelError(Exception, metaclass=ABCMeta):
    """Everything an adapter raises: the channel refused the call or could not be reached."""

    @property
    @abstractmethod
    def error(self) -> ErrorDetail:
        """What the domain records and acts on."""

    @property
    @abstractmethod
    def retryable(self) -> bool:
        """Whether trying the same call again may succeed."""

    @abstractmethod
    def retry_delay(self, retries_done: int) -> float | None:
        """Seconds to wait before the next attempt of a send, or None when the error is
        terminal or its retries are used up. Callers add jitter."""


class UnreadableWebhook(BadRequest):
    """A webhook body that is not what the channel sends."""

    @property
    def public_name(self) -> str:
        return "BadRequest"


@dataclass(frozen=True)
class WebhookAccounts:
    """Whom one delivery speaks for: the business numbers its parts name (Cloud: each
    `phone_number_id`) and, for parts naming none (management events), their business accounts
    (Cloud: the WABA id of the entry; "" for a part naming neither, which nobody owns)."""

    sender_ids: frozenset[str]
    account_ids: frozenset[str]


class MediaRef(_Frozen):
    """Inbound media. `id` is downloadable for 7 days; `url`, when present, for 5 minutes."""

    id: str | None = None
    mime_type: str | None = None
    sha256: str | None = None
    caption: str | None = None
    filename: str | None = None
    voice: bool = False
    animated: bool = False
    url: str | None = None


class InteractiveReply(_Frozen):
    """A tap on something we sent. `kind` is `button_reply`, `list_reply`, `nfm_reply` (Flow
    completion) or `template_button` (quick-reply button of a template)."""

    kind: str
    id: str | None = None
    title: str | None = None
    description: str | None = None
    # Flow answers (`nfm_reply.response_json`), decoded; None when absent or not a JSON object.
    response: dict[str, Any] | None = None


class Reaction(_Frozen):
    message_id: str | None = None
    # None means the doctor removed their reaction.
    emoji: str | None = None


class Location(_Frozen):
    latitude: float
    longitude: float
    name: str | None = None
    address: str | None = None
    url: str | None = None


class SharedPhone(_Frozen):
    phone: str | None = None
    wa_id: str | None = None
    type: str | None = None


class SharedContact(_Frozen):
    formatted_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phones: list[SharedPhone] = Field(default_factory=list)
    raw: dict[str, Any] = Field(default_factory=dict)


class OrderItem(_Frozen):
    product_retailer_id: str | None = None
    quantity: int | None = None
    item_price: Decimal | None = None
    currency: str | None = None


class Order(_Frozen):
    catalog_id: str | None = None
    text: str | None = None
    items: list[OrderItem] = Field(default_factory=list)


class SystemChange(_Frozen):
    """`user_changed_number` (new number in `wa_id`, new BSUID in `user_id`),
    `user_changed_user_id` (a new BSUID only) or `customer_identity_changed`."""

    type: str | None = None
    body: str | None = None
    wa_id: str | None = None
    user_id: str | None = None
    parent_user_id: str | None = None
    previous_user_id: str | None = None
    previous_parent_user_id: str | None = None
    identity_hash: str | None = None


class UserIdentity(_Frozen):
    """Who a WhatsApp user is, as far as one webhook says. Any field may be missing: `wa_id`
    (phone digits) only when WhatsApp may share the phone, `user_id` (the business-scoped user
    id, BSUID: `IN.1648738043044942`) from 2026 on, `parent_user_id` (`IN.ENT.…`) where parent
    BSUIDs are enabled, `username` when the user has one."""

    wa_id: str | None = None
    user_id: str | None = None
    parent_user_id: str | None = None
    username: str | None = None
    profile_name: str | None = None

    @property
    def known(self) -> bool:
        """Whether it names a user at all (a name alone does not)."""
        return bool(self.wa_id or self.user_id or self.parent_user_id)


class Referral(_Frozen):
    """Where a conversation came from (click-to-WhatsApp ad or post)."""

    source_url: str | None = None
    source_id: str | None = None
    source_type: str | None = None
    headline: str | None = None
    body: str | None = None
    media_type: str | None = None
    image_url: str | None = None
    video_url: str | None = None
    thumbnail_url: str | None = None
    ctwa_clid: str | None = None


class MessageContext(_Frozen):
    """A quoted reply (`message_id` of the quoted message), forwarding flags or a product
    enquiry (`referred_product`)."""

    from_number: str | None = None
    message_id: str | None = None
    forwarded: bool = False
    frequently_forwarded: bool = False
    referred_product: dict[str, Any] | None = None


class InboundMessage(_Frozen):
    wamid: str
    phone_number_id: str
    display_phone_number: str | None = None
    waba_id: str | None = None
    # The sender's phone digits; None when WhatsApp does not share it (a username user).
    from_wa_id: str | None = None
    # Business-scoped user id ("BSUID") and parent BSUID, when Meta sends them.
    from_user_id: str | None = None
    from_parent_user_id: str | None = None
    profile_name: str | None = None
    username: str | None = None
    timestamp: datetime
    type: InboundType
    # The vendor's type name, kept when `type` is `unsupported` because we do not know it.
    original_type: str | None = None
    # The best human-readable text: body, caption, button or row title, emoji, place, names.
    text: str | None = None
    media: MediaRef | None = None
    interactive: InteractiveReply | None = None
    reaction: Reaction | None = None
    location: Location | None = None
    contacts: list[SharedContact] = Field(default_factory=list)
    order: Order | None = None
    system: SystemChange | None = None
    referral: Referral | None = None
    context: MessageContext | None = None
    # revoke/edit: the message that was deleted or edited.
    original_message_id: str | None = None
    errors: list[ErrorDetail] = Field(default_factory=list)
    raw: dict[str, Any]

    @property
    def sender(self) -> UserIdentity:
        return UserIdentity(
            wa_id=self.from_wa_id,
            user_id=self.from_user_id,
            parent_user_id=self.from_parent_user_id,
            username=self.username,
            profile_name=self.profile_name,
        )


# ---------------------------------------------------------------------------------------------
# Status updates


class Pricing(_Frozen):
    billable: bool | None = None
    pricing_model: str | None = None
    type: str | None = None
    category: str | None = None


class ConversationInfo(_Frozen):
    id: str | None = None
    expires_at: datetime | None = None
    origin_type: str | None = None


class StatusUpdate(_Frozen):
    wamid: str
    phone_number_id: str
    waba_id: str | None = None
    # A `MessageStatus` value; kept as text so a status Meta adds later does not break parsing.
    status: str
    timestamp: datetime
    # The phone digits we sent to, or the BSUID when we sent by BSUID.
    recipient_id: str | None = None
    recipient_user_id: str | None = None
    recipient_type: str | None = None
    recipient_participant_id: str | None = None
    # Who received it, from the delivery's `contacts` (sent/delivered/read; never on failed).
    recipient: UserIdentity | None = None
    errors: list[ErrorDetail] = Field(default_factory=list)
    pricing: Pricing | None = None
    conversation: ConversationInfo | None = None
    biz_opaque_callback_data: str | None = None
    raw: dict[str, Any]


# ---------------------------------------------------------------------------------------------
# Account and template management events


class TemplateStatusEvent(_Frozen):
    waba_id: str | None = None
    time: datetime | None = None
    event: str | None = None
    template_id: str | None = None
    template_name: str | None = None
    language: str | None = None
    reason: str | None = None
    category: str | None = None
    other_info: dict[str, Any] | None = None
    rejection_info: dict[str, Any] | None = None
    disable_info: dict[str, Any] | None = None
    raw: dict[str, Any]


class TemplateQualityEvent(_Frozen):
    waba_id: str | None = None
    time: datetime | None = None
    template_id: str | None = None
    template_name: str | None = None
    language: str | None = None
    previous_quality: str | None = None
    new_quality: str | None = None
    raw: dict[str, Any]


class PhoneQualityEvent(_Frozen):
    waba_id: str | None = None
    time: datetime | None = None
    display_phone_number: str | None = None
    event: str | None = None
    current_limit: str | None = None
    old_limit: str | None = None
    max_daily_conversations_per_business: str | None = None
    raw: dict[str, Any]


class BanInfo(_Frozen):
    waba_ban_state: str | None = None
    waba_ban_date: str | None = None


class Restriction(_Frozen):
    restriction_type: str | None = None
    expires_at: datetime | None = None


class AccountUpdateEvent(_Frozen):
    waba_id: str | None = None
    time: datetime | None = None
    event: str | None = None
    phone_number: str | None = None
    ban_info: BanInfo | None = None
    violation_type: str | None = None
    restrictions: list[Restriction] = Field(default_factory=list)
    raw: dict[str, Any]


class UserPreferenceEvent(_Frozen):
    """A doctor stopped or resumed marketing messages (`category="marketing_messages"`)."""

    waba_id: str | None = None
    phone_number_id: str | None = None
    wa_id: str | None = None
    user_id: str | None = None
    parent_user_id: str | None = None
    category: str | None = None
    value: str | None = None
    detail: str | None = None
    timestamp: datetime | None = None
    raw: dict[str, Any]


class UserIdChangeEvent(_Frozen):
    """A user's BSUID changed (with their phone number, or alone): `previous` names them as we
    knew them, `current` as they are now. System messages about a number change carry the
    same facts and are stored in the conversation besides."""

    waba_id: str | None = None
    phone_number_id: str | None = None
    previous: UserIdentity
    current: UserIdentity
    timestamp: datetime | None = None
    raw: dict[str, Any]


ManagementEvent = (
    TemplateStatusEvent
    | TemplateQualityEvent
    | PhoneQualityEvent
    | AccountUpdateEvent
    | UserPreferenceEvent
    | UserIdChangeEvent
)


class ValueErrorEvent(_Frozen):
    """An error the channel reported outside any message or status (system or app level)."""

    waba_id: str | None = None
    phone_number_id: str | None = None
    error: ErrorDetail
    raw: dict[str, Any]


class UnknownChange(_Frozen):
    """A change we do not handle (an unsubscribed field) or an element we could not read."""

    waba_id: str | None = None
    field: str | None = None
    reason: str | None = None
    value: Any = None


class InboundEvents(_Frozen):
    """Everything one webhook delivery carried, in delivery order within each list."""

    messages: list[InboundMessage] = Field(default_factory=list)
    statuses: list[StatusUpdate] = Field(default_factory=list)
    management: list[ManagementEvent] = Field(default_factory=list)
    errors: list[ValueErrorEvent] = Field(default_factory=list)
    unknown: list[UnknownChange] = Field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# What adapters report


class DownloadedMedia(_Frozen):
    data: bytes
    mime_type: str


class NumberHealthReport(_Frozen):
    """A number's health as the channel reports it; None where it says nothing."""

    status: str | None = None
    quality_rating: str | None = None
    verified_name: str | None = None
    messaging_tier: str | None = None
    # The channel's throughput level (Cloud API: STANDARD, HIGH, COEXISTENCE).
    throughput_level: str | None = None


class TemplateInfo(_Frozen):
    """One message template of an account, as the channel lists it (components in the
    canonical shape)."""

    name: str
    language: str
    status: str
    category: str | None = None
    parameter_format: str = "POSITIONAL"
    components: list[dict[str, Any]] = Field(default_factory=list)
    template_id: str | None = None
    rejected_reason: str | None = None
    # None: the listing said nothing about quality (keep what a quality webhook told us).
    quality: str | None = None


# ---------------------------------------------------------------------------------------------
# The adapter protocol


class ChannelCapabilities(_Frozen):
    """What a provider can do; the send path refuses, or skips, what it cannot."""

    kind: str
    # Message types it can send (`template` among them or not).
    outbound_types: frozenset[str]
    read_receipts: bool
    typing_indicator: bool
    # Free-form messages need an open 24 h customer-service window.
    service_window: bool


class ChannelConfig(BaseModel):
    """Credentials and endpoints for one channel account, from the numbers domain."""

    model_config = ConfigDict(frozen=True)

    kind: str
    base_url: str
    api_version: str | None = None
    access_token: SecretStr


@runtime_checkable
class ChannelAdapter(Protocol):
    """One provider's edge for one account. `sender_id` is the business number's id on that
    provider (Cloud: the `phone_number_id`); `account_id` its business account (Cloud: the
    WABA). Every call raises `ChannelError` when the channel refuses or cannot be reached."""

    @property
    def kind(self) -> str: ...

    async def send(self, sender_id: str, message: OutboundMessage) -> SendResult: ...

    async def mark_read(self, sender_id: str, message_id: str) -> None: ...

    async def show_typing(self, sender_id: str, message_id: str) -> None: ...

    async def upload_media(self, sender_id: str, data: bytes, mime_type: str, filename: str) -> str:
        """The channel's media id for the uploaded file."""
        ...

    async def download_media(self, sender_id: str, media_id: str) -> DownloadedMedia: ...

    async def number_health(self, sender_id: str) -> NumberHealthReport: ...

    async def list_templates(self, account_id: str) -> list[TemplateInfo]:
        """Every template of the account; raises rather than return part of the list."""
        ...

    async def aclose(self) -> None: ...


class InboundWebhooks(Protocol):
    """How one provider's webhooks come in: authenticated before anything is stored, then read
    into neutral events by a task."""

    # The `external_events.source` its deliveries are stored under.
    source: str
    max_body_bytes: int
    # The header carrying the signature, as the provider writes it (matched ignoring case).
    signature_header: str

    def signature_well_formed(self, signature: str) -> bool:
        """Whether the header's value has the provider's form: decided before the body is read,
        so a request that could never be authenticated costs no memory."""
        ...

    def signing_secrets(self, raw_body: bytes, signature: str, secrets: Sequence[str]) -> list[str]:
        """Those of `secrets` under which `signature` signs the exact `raw_body`, each
        compared in constant time."""
        ...

    def check_envelope(self, raw_body: bytes) -> WebhookAccounts:
        """Whom a signed body speaks for. Raises `UnreadableWebhook` for one that is not this
        provider's webhook, or that no real one resembles (nested far deeper)."""
        ...

    def decode(self, raw_body: bytes) -> Mapping[str, Any]:
        """A stored delivery's JSON, for `parse` or for showing it. Raises `UnreadableWebhook`
        (never `RecursionError`) for a body `check_envelope` would refuse."""
        ...

    def only_receipts(self, raw_body: bytes) -> bool:
        """Whether a delivery carries delivery receipts and nothing else (decided without
        parsing it: it is asked of every delivery as it arrives)."""
        ...

    def subscription_challenge(self, params: Mapping[str, str], verify_token: str) -> str | None:
        """The answer to the provider's subscription handshake; None refuses it (403)."""
        ...

    def parse(self, body: Mapping[str, Any]) -> InboundEvents:
        """Everything one stored delivery carried. Raises `UnreadableWebhook`."""
        ...
