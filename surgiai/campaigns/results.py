"""What a campaign achieved: recipients by state, how far WhatsApp got them (delivered, read),
who answered, why some failed or were skipped, who opted out after it, and what it cost.

Everything is counted in SQL, a few grouped queries per campaign whatever its size: a
100,000-recipient campaign is read through `ix_campaign_recipient_work` (campaign, state,
number) and the message's primary key, never row by row in Python."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, select
from sqlalchemy.orm import Session

from surgiai.campaigns import pricing
from surgiai.campaigns.models import Campaign, CampaignRecipient, RecipientState
from surgiai.campaigns.reasons import retryable
from surgiai.campaigns.schemas import (
    CampaignResults,
    RecipientCounts,
    RecipientPage,
    RecipientRead,
    ResultRow,
)
from surgiai.conversations.models import Message, MessageState
from surgiai.doctors.models import ConsentEvent, Doctor
from surgiai.kit.time import utcnow
from surgiai.numbers.models import WhatsAppNumber

# Read implies delivered; a voice note played implies read.
DELIVERED_STATES = (MessageState.delivered, MessageState.read, MessageState.played)
READ_STATES = (MessageState.read, MessageState.played)
NO_NUMBER = "No number"
UNKNOWN_REASON = "Unknown reason"


@dataclass
class _Tally:
    """One group of recipients (a campaign, variant, number and state)."""

    campaign_id: int
    variant: str
    number_id: int | None
    state: RecipientState
    recipients: int
    delivered: int
    read: int
    replied: int
    deferred: int


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _tallies(
    session: Session, campaign_ids: Sequence[int], now: datetime, *, by_variant_and_number: bool
) -> list[_Tally]:
    """Recipients grouped by campaign and state (and by variant and number for a campaign's
    results), with how far their messages got: one query, whatever the campaigns' size."""
    recipient = CampaignRecipient
    group: list[Any] = [recipient.campaign_id, recipient.state]
    if by_variant_and_number:
        group += [recipient.variant, recipient.number_id]
    query = (
        select(
            *group,
            func.count(),
            func.count(recipient.replied_at),
            _flag(and_(recipient.state == RecipientState.pending, recipient.not_before > now)),
            _flag(Message.status.in_(DELIVERED_STATES)),
            _flag(Message.status.in_(READ_STATES)),
        )
        .outerjoin(Message, Message.id == recipient.message_id)
        .where(recipient.campaign_id.in_(campaign_ids))
        .group_by(*group)
    )
    tallies = []
    for row in session.execute(query):
        campaign_id, state, *by, total, replied, deferred, delivered, read = row
        variant, number_id = by if by_variant_and_number else ("", None)
        tallies.append(
            _Tally(
                campaign_id=campaign_id,
                variant=variant,
                number_id=number_id,
                state=state,
                recipients=int(total),
                delivered=int(delivered),
                read=int(read),
                replied=int(replied),
                deferred=int(deferred),
            )
        )
    return tallies


def _counts(tallies: Iterable[_Tally]) -> RecipientCounts:
    counts = RecipientCounts()
    for tally in tallies:
        counts.total += tally.recipients
        state = tally.state.value
        setattr(counts, state, getattr(counts, state) + tally.recipients)
        counts.delivered += tally.delivered
        counts.read += tally.read
        counts.replied += tally.replied
        counts.deferred += tally.deferred
    return counts


def counts(session: Session, campaign_id: int, *, now: datetime | None = None) -> RecipientCounts:
    """The campaign's recipients by state, and how far the sent ones got."""
    return _counts(_tallies(session, [campaign_id], now or utcnow(), by_variant_and_number=False))


def counts_by_campaign(
    session: Session, campaign_ids: Sequence[int], *, now: datetime | None = None
) -> dict[int, RecipientCounts]:
    """Counts of a page of campaigns in one query (every id given has an entry)."""
    if not campaign_ids:
        return {}
    grouped: dict[int, list[_Tally]] = {campaign_id: [] for campaign_id in campaign_ids}
    for tally in _tallies(session, campaign_ids, now or utcnow(), by_variant_and_number=False):
        grouped[tally.campaign_id].append(tally)
    return {campaign_id: _counts(tallies) for campaign_id, tallies in grouped.items()}


def _rows(tallies: Iterable[tuple[str, _Tally]]) -> list[ResultRow]:
    rows: dict[str, ResultRow] = {}
    for key, tally in tallies:
        row = rows.setdefault(
            key, ResultRow(key=key, sent=0, delivered=0, read=0, replied=0, failed=0)
        )
        if tally.state == RecipientState.sent:
            row.sent += tally.recipients
        elif tally.state == RecipientState.failed:
            row.failed += tally.recipients
        row.delivered += tally.delivered
        row.read += tally.read
        row.replied += tally.replied
    return [row for row in rows.values() if row.sent or row.failed]


def _number_labels(session: Session, number_ids: set[int]) -> dict[int | None, str]:
    found = dict(
        session.execute(
            select(WhatsAppNumber.id, WhatsAppNumber.label).where(WhatsAppNumber.id.in_(number_ids))
        ).all()
    )
    labels: dict[int | None, str] = {None: NO_NUMBER}
    taken = list(found.values())
    for number_id in number_ids:
        label = found.get(number_id, f"Number #{number_id} (deleted)")
        # Two numbers with one label stay two rows.
        labels[number_id] = f"{label} (#{number_id})" if taken.count(label) > 1 else label
    return labels


def _by_reason(session: Session, campaign_id: int, state: RecipientState) -> dict[str, int]:
    grouped: dict[str, int] = {}
    rows = session.execute(
        select(CampaignRecipient.reason, CampaignRecipient.error_code, func.count())
        .where(CampaignRecipient.campaign_id == campaign_id, CampaignRecipient.state == state)
        .group_by(CampaignRecipient.reason, CampaignRecipient.error_code)
    )
    for reason, error_code, recipients in rows:
        key = reason or (f"Error {error_code}" if error_code is not None else UNKNOWN_REASON)
        grouped[key] = grouped.get(key, 0) + int(recipients)
    return dict(sorted(grouped.items(), key=lambda item: (-item[1], item[0])))


def _opted_out_after(session: Session, campaign_id: int) -> int:
    """Doctors with an opt-out in the consent ledger after the campaign reached them."""
    recipient = CampaignRecipient
    opted_out = exists().where(
        ConsentEvent.doctor_id == recipient.doctor_id,
        ConsentEvent.opted_out.is_(True),
        ConsentEvent.created_at > recipient.sent_at,
    )
    found = session.scalar(
        select(func.count()).where(
            recipient.campaign_id == campaign_id, recipient.sent_at.is_not(None), opted_out
        )
    )
    return int(found or 0)


def _charged(session: Session, campaign_id: int) -> list[tuple[str, str, int]]:
    """(category, country, messages) of the messages WhatsApp accepted. Doctors are grouped
    by their number's first digits in SQL (which fix the calling code); only calling codes
    shared by several countries are looked at number by number."""
    recipient = CampaignRecipient
    prefix = func.substr(Doctor.wa_id, 1, pricing.PREFIX_LENGTH)
    sent = and_(recipient.campaign_id == campaign_id, recipient.state == RecipientState.sent)
    base = (
        select(recipient.message_type, Message.template_category)
        .join(Doctor, Doctor.id == recipient.doctor_id)
        .outerjoin(Message, Message.id == recipient.message_id)
        .where(sent)
    )
    counted: list[tuple[str, str, int]] = []
    shared: set[str] = set()
    for message_type, template_category, digits, messages in session.execute(
        base.add_columns(prefix, func.count()).group_by(
            recipient.message_type, Message.template_category, prefix
        )
    ):
        category = pricing.category_of(message_type, template_category)
        country = pricing.country_of_prefix(digits) if digits else pricing.UNKNOWN
        if country is None:
            shared.add(digits)
            continue
        counted.append((category, country, int(messages)))
    if shared:
        for message_type, template_category, wa_id, messages in session.execute(
            base.add_columns(Doctor.wa_id, func.count())
            .where(prefix.in_(shared))
            .group_by(recipient.message_type, Message.template_category, Doctor.wa_id)
        ):
            category = pricing.category_of(message_type, template_category)
            counted.append((category, pricing.country_of(wa_id), int(messages)))
    return counted


def results(
    session: Session,
    campaign: Campaign,
    *,
    prices: pricing.PriceList = pricing.DEFAULT_PRICES,
    now: datetime | None = None,
) -> CampaignResults:
    """The campaign's results page: counts, per variant and per number, failures (and which of
    them a retry can help) and skips by reason, opt-outs after it, and its estimated cost
    (`pricing.price_list(settings.campaign_prices_file)` for the workspace's rates)."""
    tallies = _tallies(session, [campaign.id], now or utcnow(), by_variant_and_number=True)
    labels = _number_labels(
        session, {tally.number_id for tally in tallies if tally.number_id is not None}
    )
    cost, estimated = pricing.cost_lines(prices, _charged(session, campaign.id))
    failed_by_reason = _by_reason(session, campaign.id, RecipientState.failed)
    return CampaignResults(
        counts=_counts(tallies),
        by_variant=sorted(
            _rows((tally.variant, tally) for tally in tallies), key=lambda row: row.key
        ),
        by_number=sorted(
            _rows((labels[tally.number_id], tally) for tally in tallies), key=lambda row: row.key
        ),
        failed_by_reason=failed_by_reason,
        retryable_reasons=[reason for reason in failed_by_reason if retryable(reason)],
        skipped_by_reason=_by_reason(session, campaign.id, RecipientState.skipped),
        opted_out_after=_opted_out_after(session, campaign.id),
        cost=cost,
        currency=prices.currency,
        estimated_cost=estimated,
    )


def recipients_page(
    session: Session,
    campaign_id: int,
    *,
    state: RecipientState | None = None,
    limit: int = 50,
    cursor: int | None = None,
) -> RecipientPage:
    """A page of the campaign's recipients in the order they were frozen (by id); `cursor` is
    the last id of the previous page."""
    recipient = CampaignRecipient
    query = (
        select(recipient, Doctor, Message.status)
        .join(Doctor, Doctor.id == recipient.doctor_id)
        .outerjoin(Message, Message.id == recipient.message_id)
        .where(recipient.campaign_id == campaign_id)
        .order_by(recipient.id)
        .limit(limit + 1)
    )
    if state is not None:
        query = query.where(recipient.state == state)
    if cursor is not None:
        query = query.where(recipient.id > cursor)
    rows = session.execute(query).all()
    items = [
        RecipientRead(
            id=row.id,
            doctor_id=row.doctor_id,
            doctor_name=doctor.display_name,
            wa_id=doctor.wa_id,
            variant=row.variant,
            number_id=row.number_id,
            state=row.state,
            message_status=status.value if status is not None else None,
            message_id=row.message_id,
            reason=row.reason,
            error_code=row.error_code,
            not_before=row.not_before,
            sent_at=row.sent_at,
            replied_at=row.replied_at,
        )
        for row, doctor, status in rows[:limit]
    ]
    return RecipientPage(items=items, next_cursor=items[-1].id if len(rows) > limit else None)
