"""Turn a Cloud API webhook body into neutral events (CLOUD_API.md §3.3-3.5).

Meta batches entries, changes, messages and statuses, adds fields and message types over time
and omits optional fields freely. So: every element is read on its own; unknown message types
become `unsupported`; unknown fields become `UnknownChange`; an element we cannot read at all
(no id) becomes an `UnknownChange` with a reason instead of failing the whole delivery. Only an
envelope that is not a WhatsApp webhook raises `MalformedWebhook`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import structlog

from surgiai.channels.base import (
    AccountUpdateEvent,
    BanInfo,
    ConversationInfo,
    ErrorDetail,
    InboundEvents,
    InboundMessage,
    InboundType,
    InteractiveReply,
    Location,
    ManagementEvent,
    MediaRef,
    MessageContext,
    Order,
    OrderItem,
    PhoneQualityEvent,
    Pricing,
    Reaction,
    Referral,
    Restriction,
    SharedContact,
    SharedPhone,
    StatusUpdate,
    SystemChange,
    TemplateQualityEvent,
    TemplateStatusEvent,
    UnknownChange,
    UnreadableWebhook,
    UserIdChangeEvent,
    UserIdentity,
    UserPreferenceEvent,
    ValueErrorEvent,
)
from surgiai.channels.cloud.errors import error_detail
from surgiai.channels.validation import MEDIA_TYPES
from surgiai.kit.time import utcnow

log = structlog.get_logger(__name__)

WEBHOOK_OBJECT = "whatsapp_business_account"
_KNOWN_TYPES = frozenset(t.value for t in InboundType)

# One name for what a Cloud API delivery parses into; the type itself is channel-neutral.
ParsedWebhook = InboundEvents


class MalformedWebhook(UnreadableWebhook):
    """The body is not a WhatsApp Business Account webhook at all."""


class _Unreadable(Exception):
    """An element lacks what we need to store it (its id)."""


# ---------------------------------------------------------------------------------------------
# Tolerant readers: Meta sends ids as numbers or strings and drops optional keys.


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    text = str(value)
    return text or None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def _float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _time(value: Any) -> datetime | None:
    """Unix seconds (string or number) → aware UTC datetime."""
    seconds = _float(value)
    if seconds is None:
        return None
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _errors(value: Any) -> list[ErrorDetail]:
    return [_error(item) for item in _list(value) if isinstance(item, dict)]


def _error(item: dict[str, Any]) -> ErrorDetail:
    return error_detail(
        _int(item.get("code")),
        title=_str(item.get("title")),
        message=_str(item.get("message")),
        details=_str(_dict(item.get("error_data")).get("details")),
        href=_str(item.get("href")),
    )


# ---------------------------------------------------------------------------------------------
# Envelope


def parse_webhook(body: Mapping[str, Any]) -> ParsedWebhook:
    """Read every entry, change, message, status and management event of one delivery."""
    if not isinstance(body, Mapping):
        raise MalformedWebhook("webhook body must be a JSON object")
    if body.get("object") != WEBHOOK_OBJECT:
        raise MalformedWebhook(
            f"not a WhatsApp webhook: object is {body.get('object')!r}, expected {WEBHOOK_OBJECT!r}"
        )
    entries = body.get("entry")
    if not isinstance(entries, list):
        raise MalformedWebhook("not a WhatsApp webhook: `entry` must be a list")
    out = _Collector()
    for entry in entries:
        if not isinstance(entry, dict):
            out.unknown.append(UnknownChange(reason="entry is not an object", value=entry))
            continue
        waba_id = _str(entry.get("id"))
        entry_time = _time(entry.get("time"))
        for change in _list(entry.get("changes")):
            out.change(waba_id, entry_time, change)
    return ParsedWebhook(
        messages=out.messages,
        statuses=out.statuses,
        management=out.management,
        errors=out.errors,
        unknown=out.unknown,
    )


class _Collector:
    def __init__(self) -> None:
        self.messages: list[InboundMessage] = []
        self.statuses: list[StatusUpdate] = []
        self.management: list[ManagementEvent] = []
        self.errors: list[ValueErrorEvent] = []
        self.unknown: list[UnknownChange] = []

    @contextmanager
    def _element(self, waba_id: str | None, field: str, element: Any) -> Iterator[None]:
        """Read one element; if it cannot be read, keep it as an `UnknownChange` and go on."""
        try:
            yield
        except (_Unreadable, TypeError, ValueError, AttributeError) as error:
            reason = str(error) or type(error).__name__
            if not isinstance(error, _Unreadable):
                # A shape we did not foresee: worth a look, but never worth losing the delivery.
                log.warning(
                    "channels.cloud.webhook_element_unreadable",
                    field=field,
                    error=type(error).__name__,
                )
            self.unknown.append(
                UnknownChange(waba_id=waba_id, field=field, reason=reason, value=element)
            )

    def change(self, waba_id: str | None, entry_time: datetime | None, change: Any) -> None:
        field = _str(_dict(change).get("field"))
        value = _dict(change).get("value")
        if field is None or not isinstance(value, dict):
            reason = "change has no field" if field is None else "change has no value"
            self.unknown.append(
                UnknownChange(waba_id=waba_id, field=field, reason=reason, value=change)
            )
        elif field == "messages":
            self._messages_value(waba_id, value)
        elif field == "user_preferences":
            self._preferences(waba_id, value)
        elif field == "user_id_update":
            self._user_id_updates(waba_id, value)
        elif field in _MANAGEMENT_PARSERS:
            with self._element(waba_id, field, value):
                self.management.append(_MANAGEMENT_PARSERS[field](waba_id, entry_time, value))
        else:
            self.unknown.append(UnknownChange(waba_id=waba_id, field=field, value=value))

    def _messages_value(self, waba_id: str | None, value: dict[str, Any]) -> None:
        metadata = _dict(value.get("metadata"))
        phone_number_id = _str(metadata.get("phone_number_id"))
        display = _str(metadata.get("display_phone_number"))
        if phone_number_id is None:
            self.unknown.append(
                UnknownChange(
                    waba_id=waba_id,
                    field="messages",
                    reason="no metadata.phone_number_id",
                    value=value,
                )
            )
            return
        contacts = _Contacts(value.get("contacts"))
        for raw in _list(value.get("messages")):
            with self._element(waba_id, "messages", raw):
                message = _message(raw, phone_number_id, display, waba_id, contacts)
                self.messages.append(message)
                change = _identity_change(message)
                if change is not None:
                    self.management.append(change)
        statuses = _list(value.get("statuses"))
        for raw in statuses:
            with self._element(waba_id, "statuses", raw):
                self.statuses.append(
                    _status(raw, phone_number_id, waba_id, contacts, alone=len(statuses) == 1)
                )
        for raw in _list(value.get("errors")):
            if isinstance(raw, dict):
                self.errors.append(
                    ValueErrorEvent(
                        waba_id=waba_id, phone_number_id=phone_number_id, error=_error(raw), raw=raw
                    )
                )

    def _user_id_updates(self, waba_id: str | None, value: dict[str, Any]) -> None:
        phone_number_id = _str(_dict(value.get("metadata")).get("phone_number_id"))
        for raw in _list(value.get("user_id_update")) or [value]:
            with self._element(waba_id, "user_id_update", raw):
                self.management.append(_user_id_update(raw, waba_id, phone_number_id))

    def _preferences(self, waba_id: str | None, value: dict[str, Any]) -> None:
        phone_number_id = _str(_dict(value.get("metadata")).get("phone_number_id"))
        for raw in _list(value.get("user_preferences")):
            with self._element(waba_id, "user_preferences", raw):
                self.management.append(_preference(raw, waba_id, phone_number_id))


# ---------------------------------------------------------------------------------------------
# Messages


class _Contacts:
    """A delivery's `contacts`, found by phone or by BSUID: a username user's entry has no
    `wa_id`, and a system message's delivery has no entry at all."""

    def __init__(self, value: Any) -> None:
        self.entries = [c for c in _list(value) if isinstance(c, dict)]

    def find(self, wa_id: str | None, user_id: str | None) -> dict[str, Any]:
        for contact in self.entries:
            if (user_id and _str(contact.get("user_id")) == user_id) or (
                wa_id and _str(contact.get("wa_id")) == wa_id
            ):
                return contact
        # Nothing names the sender (or the delivery names no one): a lone entry is theirs.
        return self.entries[0] if len(self.entries) == 1 and not (wa_id or user_id) else {}


def _identity(contact: dict[str, Any]) -> UserIdentity:
    profile = _dict(contact.get("profile"))
    return UserIdentity(
        wa_id=_str(contact.get("wa_id")),
        user_id=_str(contact.get("user_id")),
        parent_user_id=_str(contact.get("parent_user_id")),
        username=_str(profile.get("username")) or _str(contact.get("username")),
        profile_name=_str(profile.get("name")),
    )


def _message(
    raw: Any,
    phone_number_id: str,
    display: str | None,
    waba_id: str | None,
    contacts: _Contacts,
) -> InboundMessage:
    if not isinstance(raw, dict):
        raise _Unreadable("message is not an object")
    wamid = _str(raw.get("id"))
    if wamid is None:
        raise _Unreadable("message has no id")
    sender = _str(raw.get("from"))
    sender_user_id = _str(raw.get("from_user_id"))
    contact = _identity(contacts.find(sender, sender_user_id))
    vendor_type = _str(raw.get("type"))
    type_ = InboundType(vendor_type) if vendor_type in _KNOWN_TYPES else InboundType.unsupported
    if type_ is InboundType.unsupported:
        vendor_type = _str(_dict(raw.get("unsupported")).get("type")) or vendor_type
    content = _content(type_, raw)
    system: SystemChange | None = content.get("system")
    if system is not None and not (sender or sender_user_id or contact.known):
        # A user id change may name no sender: it is from the user we knew by the old id.
        sender_user_id = system.previous_user_id
    return InboundMessage(
        wamid=wamid,
        phone_number_id=phone_number_id,
        display_phone_number=display,
        waba_id=waba_id,
        from_wa_id=sender or contact.wa_id,
        from_user_id=sender_user_id or contact.user_id,
        from_parent_user_id=_str(raw.get("from_parent_user_id")) or contact.parent_user_id,
        profile_name=contact.profile_name,
        username=contact.username,
        timestamp=_time(raw.get("timestamp")) or utcnow(),
        type=type_,
        original_type=vendor_type if type_ is InboundType.unsupported else None,
        referral=_referral(raw.get("referral")),
        context=_context(raw.get("context")),
        errors=_errors(raw.get("errors")),
        raw=raw,
        **content,
    )


def _content(type_: InboundType, raw: dict[str, Any]) -> dict[str, Any]:
    """The type-specific fields of `InboundMessage` (text, media, interactive, ...)."""
    body = _dict(raw.get(type_.value))
    if type_ is InboundType.text:
        return {"text": _str(body.get("body"))}
    if type_.value in MEDIA_TYPES:
        media = _media(body, type_)
        return {"media": media, "text": media.caption}
    if type_ is InboundType.interactive:
        reply = _interactive(body)
        return {"interactive": reply, "text": reply.title if reply else None}
    if type_ is InboundType.button:
        reply = InteractiveReply(
            kind="template_button", id=_str(body.get("payload")), title=_str(body.get("text"))
        )
        return {"interactive": reply, "text": reply.title}
    if type_ is InboundType.reaction:
        reaction = Reaction(message_id=_str(body.get("message_id")), emoji=_str(body.get("emoji")))
        return {"reaction": reaction, "text": reaction.emoji}
    if type_ is InboundType.location:
        location = _location(body)
        place = ", ".join(p for p in (location.name, location.address) if p) if location else ""
        return {"location": location, "text": place or None}
    if type_ is InboundType.contacts:
        shared = [_shared_contact(c) for c in _list(raw.get("contacts")) if isinstance(c, dict)]
        names = ", ".join(c.formatted_name for c in shared if c.formatted_name)
        return {"contacts": shared, "text": names or None}
    if type_ is InboundType.order:
        order = _order(body)
        return {"order": order, "text": order.text}
    if type_ is InboundType.system:
        system = _system(body, _dict(raw.get("identity")))
        return {"system": system, "text": system.body}
    if type_ is InboundType.revoke:
        return {"original_message_id": _str(body.get("original_message_id"))}
    if type_ is InboundType.edit:
        return _edit(body)
    return {}


def _media(body: dict[str, Any], type_: InboundType) -> MediaRef:
    return MediaRef(
        id=_str(body.get("id")),
        mime_type=_str(body.get("mime_type")),
        sha256=_str(body.get("sha256")),
        caption=_str(body.get("caption")),
        filename=_str(body.get("filename")),
        voice=type_ is InboundType.audio and body.get("voice") is True,
        animated=body.get("animated") is True,
        url=_str(body.get("url")),
    )


def _interactive(body: dict[str, Any]) -> InteractiveReply | None:
    kind = _str(body.get("type"))
    if kind is None:
        return None
    reply = _dict(body.get(kind))
    if kind == "nfm_reply":
        return InteractiveReply(
            kind=kind,
            id=_str(reply.get("name")),
            title=_str(reply.get("body")),
            response=_json_object(reply.get("response_json")),
        )
    return InteractiveReply(
        kind=kind,
        id=_str(reply.get("id")),
        title=_str(reply.get("title")),
        description=_str(reply.get("description")),
    )


def _json_object(value: Any) -> dict[str, Any] | None:
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        return None
    try:
        decoded = json.loads(value)
    except ValueError:
        return None
    return decoded if isinstance(decoded, dict) else None


def _location(body: dict[str, Any]) -> Location | None:
    latitude, longitude = _float(body.get("latitude")), _float(body.get("longitude"))
    if latitude is None or longitude is None:
        return None
    return Location(
        latitude=latitude,
        longitude=longitude,
        name=_str(body.get("name")),
        address=_str(body.get("address")),
        url=_str(body.get("url")),
    )


def _shared_contact(raw: dict[str, Any]) -> SharedContact:
    name = _dict(raw.get("name"))
    return SharedContact(
        formatted_name=_str(name.get("formatted_name")),
        first_name=_str(name.get("first_name")),
        last_name=_str(name.get("last_name")),
        phones=[
            SharedPhone(
                phone=_str(p.get("phone")), wa_id=_str(p.get("wa_id")), type=_str(p.get("type"))
            )
            for p in _list(raw.get("phones"))
            if isinstance(p, dict)
        ],
        raw=raw,
    )


def _order(body: dict[str, Any]) -> Order:
    return Order(
        catalog_id=_str(body.get("catalog_id")),
        text=_str(body.get("text")),
        items=[
            OrderItem(
                product_retailer_id=_str(item.get("product_retailer_id")),
                quantity=_int(item.get("quantity")),
                item_price=_decimal(item.get("item_price")),
                currency=_str(item.get("currency")),
            )
            for item in _list(body.get("product_items"))
            if isinstance(item, dict)
        ],
    )


def _system(body: dict[str, Any], identity: dict[str, Any]) -> SystemChange:
    return SystemChange(
        type=_str(body.get("type")),
        body=_str(body.get("body")),
        wa_id=_str(body.get("wa_id")),
        user_id=_str(body.get("user_id")),
        parent_user_id=_str(body.get("parent_user_id")),
        previous_user_id=_str(body.get("previous_user_id")),
        previous_parent_user_id=_str(body.get("previous_parent_user_id")),
        identity_hash=_str(identity.get("hash")),
    )


IDENTITY_CHANGES = frozenset({"user_changed_number", "user_changed_user_id"})


def _identity_change(message: InboundMessage) -> UserIdChangeEvent | None:
    """A system message saying the user's number or BSUID changed, as an identity move: from
    the sender as we knew them to the new phone and BSUID."""
    system = message.system
    if system is None or system.type not in IDENTITY_CHANGES:
        return None
    previous = UserIdentity(
        wa_id=message.from_wa_id,
        user_id=system.previous_user_id or message.from_user_id,
        parent_user_id=system.previous_parent_user_id or message.from_parent_user_id,
    )
    current = UserIdentity(
        wa_id=system.wa_id if system.type == "user_changed_number" else None,
        user_id=system.user_id,
        parent_user_id=system.parent_user_id,
    )
    if not previous.known or not current.known:
        return None
    return UserIdChangeEvent(
        waba_id=message.waba_id,
        phone_number_id=message.phone_number_id,
        previous=previous,
        current=current,
        timestamp=message.timestamp,
        raw=message.raw,
    )


def _edit(body: dict[str, Any]) -> dict[str, Any]:
    """An edit carries the new version as a nested message; read its text or media."""
    content: dict[str, Any] = {"original_message_id": _str(body.get("original_message_id"))}
    edited = _dict(body.get("message"))
    edited_type = _str(edited.get("type"))
    if edited_type in _KNOWN_TYPES and edited_type not in {"edit", "revoke"}:
        nested = _content(InboundType(edited_type), edited)
        content.update({key: nested[key] for key in ("text", "media") if key in nested})
    return content


def _referral(value: Any) -> Referral | None:
    if not isinstance(value, dict):
        return None
    return Referral(**{name: _str(value.get(name)) for name in Referral.model_fields})


def _context(value: Any) -> MessageContext | None:
    if not isinstance(value, dict):
        return None
    product = value.get("referred_product")
    return MessageContext(
        from_number=_str(value.get("from")),
        message_id=_str(value.get("id")),
        forwarded=value.get("forwarded") is True,
        frequently_forwarded=value.get("frequently_forwarded") is True,
        referred_product=product if isinstance(product, dict) else None,
    )


# ---------------------------------------------------------------------------------------------
# Statuses


def _status(
    raw: Any, phone_number_id: str, waba_id: str | None, contacts: _Contacts, *, alone: bool
) -> StatusUpdate:
    """`alone`: the only status of its delivery, so a lone contact entry is its recipient."""
    if not isinstance(raw, dict):
        raise _Unreadable("status is not an object")
    wamid, status = _str(raw.get("id")), _str(raw.get("status"))
    if wamid is None or status is None:
        raise _Unreadable("status has no id or no status")
    recipient_id, recipient_user_id = (
        _str(raw.get("recipient_id")),
        _str(raw.get("recipient_user_id")),
    )
    contact = contacts.find(recipient_id, recipient_user_id)
    if not contact and alone and len(contacts.entries) == 1:
        contact = contacts.entries[0]
    pricing = raw.get("pricing")
    conversation = raw.get("conversation")
    return StatusUpdate(
        wamid=wamid,
        phone_number_id=phone_number_id,
        waba_id=waba_id,
        status=status,
        timestamp=_time(raw.get("timestamp")) or utcnow(),
        recipient_id=recipient_id,
        recipient_user_id=recipient_user_id,
        recipient_type=_str(raw.get("recipient_type")),
        recipient_participant_id=_str(raw.get("recipient_participant_id")),
        recipient=_identity(contact) if contact else None,
        errors=_errors(raw.get("errors")),
        pricing=_pricing(pricing) if isinstance(pricing, dict) else None,
        conversation=_conversation(conversation) if isinstance(conversation, dict) else None,
        biz_opaque_callback_data=_str(raw.get("biz_opaque_callback_data")),
        raw=raw,
    )


def _pricing(value: dict[str, Any]) -> Pricing:
    billable = value.get("billable")
    return Pricing(
        billable=billable if isinstance(billable, bool) else None,
        pricing_model=_str(value.get("pricing_model")),
        type=_str(value.get("type")),
        category=_str(value.get("category")),
    )


def _conversation(value: dict[str, Any]) -> ConversationInfo:
    return ConversationInfo(
        id=_str(value.get("id")),
        expires_at=_time(value.get("expiration_timestamp")),
        origin_type=_str(_dict(value.get("origin")).get("type")),
    )


# ---------------------------------------------------------------------------------------------
# Management fields


def _template_status(
    waba_id: str | None, time: datetime | None, value: dict[str, Any]
) -> TemplateStatusEvent:
    def info(key: str) -> dict[str, Any] | None:
        return value.get(key) if isinstance(value.get(key), dict) else None

    return TemplateStatusEvent(
        waba_id=waba_id,
        time=time,
        event=_str(value.get("event")),
        template_id=_str(value.get("message_template_id")),
        template_name=_str(value.get("message_template_name")),
        language=_str(value.get("message_template_language")),
        reason=_str(value.get("reason")),
        category=_str(value.get("message_template_category")),
        other_info=info("other_info"),
        rejection_info=info("rejection_info"),
        disable_info=info("disable_info"),
        raw=value,
    )


def _template_quality(
    waba_id: str | None, time: datetime | None, value: dict[str, Any]
) -> TemplateQualityEvent:
    return TemplateQualityEvent(
        waba_id=waba_id,
        time=time,
        template_id=_str(value.get("message_template_id")),
        template_name=_str(value.get("message_template_name")),
        language=_str(value.get("message_template_language")),
        previous_quality=_str(value.get("previous_quality_score")),
        new_quality=_str(value.get("new_quality_score")),
        raw=value,
    )


def _phone_quality(
    waba_id: str | None, time: datetime | None, value: dict[str, Any]
) -> PhoneQualityEvent:
    return PhoneQualityEvent(
        waba_id=waba_id,
        time=time,
        display_phone_number=_str(value.get("display_phone_number")),
        event=_str(value.get("event")),
        current_limit=_str(value.get("current_limit")),
        old_limit=_str(value.get("old_limit")),
        max_daily_conversations_per_business=_str(
            value.get("max_daily_conversations_per_business")
        ),
        raw=value,
    )


def _account_update(
    waba_id: str | None, time: datetime | None, value: dict[str, Any]
) -> AccountUpdateEvent:
    ban = value.get("ban_info")
    return AccountUpdateEvent(
        waba_id=waba_id,
        time=time,
        event=_str(value.get("event")),
        phone_number=_str(value.get("phone_number")),
        ban_info=BanInfo(
            waba_ban_state=_str(ban.get("waba_ban_state")),
            waba_ban_date=_str(ban.get("waba_ban_date")),
        )
        if isinstance(ban, dict)
        else None,
        violation_type=_str(_dict(value.get("violation_info")).get("violation_type")),
        restrictions=[
            Restriction(
                restriction_type=_str(item.get("restriction_type")),
                expires_at=_time(item.get("expiration")),
            )
            for item in _list(value.get("restriction_info"))
            if isinstance(item, dict)
        ],
        raw=value,
    )


_MANAGEMENT_PARSERS: dict[
    str, Callable[[str | None, datetime | None, dict[str, Any]], ManagementEvent]
] = {
    "message_template_status_update": _template_status,
    "message_template_quality_update": _template_quality,
    "phone_number_quality_update": _phone_quality,
    "account_update": _account_update,
}


def _preference(raw: Any, waba_id: str | None, phone_number_id: str | None) -> UserPreferenceEvent:
    if not isinstance(raw, dict):
        raise _Unreadable("user preference is not an object")
    return UserPreferenceEvent(
        waba_id=waba_id,
        phone_number_id=phone_number_id,
        wa_id=_str(raw.get("wa_id")),
        user_id=_str(raw.get("user_id")),
        parent_user_id=_str(raw.get("parent_user_id")),
        category=_str(raw.get("category")),
        value=_str(raw.get("value")),
        detail=_str(raw.get("detail")),
        timestamp=_time(raw.get("timestamp")),
        raw=raw,
    )


def _user_id_update(
    raw: Any, waba_id: str | None, phone_number_id: str | None
) -> UserIdChangeEvent:
    """A `user_id_update` notification. Partners describe it either flat (`previous_user_id`
    beside the new `user_id`) or with `{"previous", "current"}` pairs; both are read."""
    if not isinstance(raw, dict):
        raise _Unreadable("user id update is not an object")

    def pair(key: str) -> tuple[str | None, str | None]:
        value = raw.get(key)
        if isinstance(value, dict):
            return _str(value.get("previous")), _str(value.get("current"))
        return _str(raw.get(f"previous_{key}")), _str(value)

    previous_user_id, user_id = pair("user_id")
    previous_parent, parent = pair("parent_user_id")
    wa_id = _str(raw.get("wa_id"))
    previous = UserIdentity(wa_id=wa_id, user_id=previous_user_id, parent_user_id=previous_parent)
    current = UserIdentity(wa_id=wa_id, user_id=user_id, parent_user_id=parent)
    if previous_user_id is None or user_id is None:
        raise _Unreadable("user id update names no previous and new user id")
    return UserIdChangeEvent(
        waba_id=waba_id,
        phone_number_id=phone_number_id,
        previous=previous,
        current=current,
        timestamp=_time(raw.get("timestamp")),
        raw=raw,
    )
