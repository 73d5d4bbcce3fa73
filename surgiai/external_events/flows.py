"""Apply one parsed delivery across domains: numbers, doctors, conversations, templates and the
Master Agent. The events are channel-neutral (`surgiai.channels.base`), whichever provider
delivered them."""

from __future__ import annotations

from dataclasses import dataclass, field

import structlog
from sqlalchemy.orm import Session

from surgiai.agents.master import queue_inbound
from surgiai.campaigns.replies import note_reply
from surgiai.campaigns.service import campaign_service
from surgiai.channels.base import (
    AccountUpdateEvent,
    ErrorDetail,
    InboundEvents,
    MessageStatus,
    PhoneQualityEvent,
    TemplateQualityEvent,
    TemplateStatusEvent,
    UserIdChangeEvent,
    UserIdentity,
    UserPreferenceEvent,
)
from surgiai.config import Settings
from surgiai.conversations.identity import identity_service
from surgiai.conversations.inbox import inbox_service
from surgiai.conversations.service import Receipts, message_service
from surgiai.doctors.consent import consent_service
from surgiai.doctors.models import ConsentSource
from surgiai.numbers.models import WhatsAppNumber
from surgiai.numbers.repository import NumberRepository
from surgiai.numbers.service import number_service
from surgiai.templates.service import template_service

log = structlog.get_logger(__name__)


@dataclass
class WebhookOutcome:
    messages_stored: int = 0
    statuses_applied: int = 0
    unknown_phone_number_ids: set[str] = field(default_factory=set)
    # Doctors' messages stored per number: Meta counts them against its throughput too.
    inbound_by_number: dict[int, int] = field(default_factory=dict)
    rates: dict[int, float] = field(default_factory=dict)
    # What its receipts changed: the caller finishes them once for its group
    # (`MessageService.finish_receipts`).
    receipts: Receipts = field(default_factory=Receipts)


def apply_inbound(
    session: Session,
    settings: Settings,
    events: InboundEvents,
    by_pnid: dict[str, WhatsAppNumber | None] | None = None,
) -> WebhookOutcome:
    """`by_pnid`: numbers already looked up by their id on the channel, kept across the
    deliveries of one processing run."""
    outcome = WebhookOutcome()
    numbers = NumberRepository(session)
    if by_pnid is None:
        by_pnid = {}

    def number_for(phone_number_id: str) -> WhatsAppNumber | None:
        if phone_number_id not in by_pnid:
            by_pnid[phone_number_id] = numbers.get_by_phone_number_id(phone_number_id)
        found = by_pnid[phone_number_id]
        if found is None:
            outcome.unknown_phone_number_ids.add(phone_number_id)
        return found

    for inbound in events.messages:
        number = number_for(inbound.phone_number_id)
        if number is None:
            continue
        message = message_service.record_inbound(session, number, inbound)
        if message is not None:
            outcome.messages_stored += 1
            # An answer to a campaign that reached them in the last 72 h counts in its results.
            note_reply(session, message.conversation.doctor_id, inbound.timestamp)
            outcome.inbound_by_number[number.id] = outcome.inbound_by_number.get(number.id, 0) + 1
            outcome.rates[number.id] = float(number.throughput_mps)
            inbox_service.switch_to_human_if_asked(session, message)
            queue_inbound(session, settings, message)
    for update in events.statuses:
        if number_for(update.phone_number_id) is None:
            continue
        message_id = message_service.apply_status(session, update, outcome.receipts)
        if message_id is None:
            continue
        outcome.statuses_applied += 1
        if update.status == MessageStatus.failed:
            error = update.errors[0] if update.errors else ErrorDetail()
            campaign_service.message_failed(session, message_id, error)
    for error_event in events.errors:
        number = number_for(error_event.phone_number_id or "")
        if number is not None:
            number_service.apply_channel_error(number, error_event.error)
    for event in events.management:
        _apply_management(session, event, numbers)
    for unknown in events.unknown:
        log.info("webhooks.unhandled", field=unknown.field, reason=unknown.reason)
    return outcome


def _apply_management(
    session: Session,
    event: object,
    numbers: NumberRepository,
) -> None:
    if isinstance(event, UserPreferenceEvent):
        if event.category != "marketing_messages":
            return
        who = UserIdentity(
            wa_id=event.wa_id, user_id=event.user_id, parent_user_id=event.parent_user_id
        )
        doctor = identity_service.resolve(session, who)
        if doctor is None:
            return
        if event.value not in {"stop", "resume", "signup"}:
            return
        number = numbers.get_by_phone_number_id(event.phone_number_id or "")
        consent_service.record(
            session,
            doctor,
            opted_out=event.value == "stop",
            source=ConsentSource.user_preferences,
            number_id=number.id if number is not None else None,
            detail=" ".join(filter(None, ["user_preferences", event.value, event.detail])),
        )
    elif isinstance(event, UserIdChangeEvent):
        identity_service.move(session, event.previous, event.current)
    elif isinstance(event, PhoneQualityEvent):
        for number in numbers.list_for_waba(event.waba_id or ""):
            if _same_phone(number.display_phone_number, event.display_phone_number):
                number_service.apply_quality_event(number, event)
    elif isinstance(event, AccountUpdateEvent):
        for number in numbers.list_for_waba(event.waba_id or ""):
            if event.phone_number is None or _same_phone(
                number.display_phone_number, event.phone_number
            ):
                number_service.apply_account_event(number, event)
    elif isinstance(event, TemplateStatusEvent):
        template_service.apply_status_event(session, event)
    elif isinstance(event, TemplateQualityEvent):
        template_service.apply_quality_event(session, event)
    else:
        log.info("webhooks.management", kind=type(event).__name__)


def _same_phone(ours: str, theirs: str | None) -> bool:
    digits = "".join(ch for ch in ours if ch.isdigit())
    return theirs is not None and digits == "".join(ch for ch in theirs if ch.isdigit())
