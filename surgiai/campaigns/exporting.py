"""A campaign's recipients with their outcome, as CSV: read a batch at a time and streamed, safe
to open in a spreadsheet (cells that could run as a formula are prefixed, as the doctors'
export does), UTF-8 with a byte-order mark so Excel shows Devanagari names right."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from surgiai.campaigns.models import CampaignRecipient
from surgiai.conversations.models import Message
from surgiai.doctors.exporting import csv_chunks, safe_cell
from surgiai.doctors.models import Doctor
from surgiai.numbers.models import WhatsAppNumber

BATCH_SIZE = 1000
HEADERS = [
    "Doctor",
    "Number or user id",
    "Variant",
    "Sent from",
    "State",
    "WhatsApp status",
    "Reason",
    "Error code",
    "Sent at",
    "Delivered at",
    "Read at",
    "Replied at",
]


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else ""


def _doctor_name(
    name: str | None,
    profile_name: str | None,
    username: str | None,
    wa_id: str | None,
    user_id: str | None,
) -> str:
    """`Doctor.display_name`, from the columns alone."""
    if name or profile_name:
        return name or profile_name or ""
    if username:
        return f"@{username}"
    return f"+{wa_id}" if wa_id else f"WhatsApp user {user_id}"


def rows(session: Session, campaign_id: int) -> Iterator[list[str]]:
    """The header, then one row per recipient, by doctor: batches are read along the unique
    (campaign, doctor) index, so each costs the same however far into the campaign it is."""
    yield [safe_cell(header) for header in HEADERS]
    recipient = CampaignRecipient
    query = (
        select(
            recipient.doctor_id,
            Doctor.name,
            Doctor.profile_name,
            Doctor.username,
            Doctor.wa_id,
            Doctor.user_id,
            Doctor.parent_user_id,
            recipient.variant,
            WhatsAppNumber.label,
            recipient.state,
            Message.status,
            recipient.reason,
            recipient.error_code,
            recipient.sent_at,
            Message.delivered_at,
            Message.read_at,
            recipient.replied_at,
        )
        .join(Doctor, Doctor.id == recipient.doctor_id)
        .outerjoin(WhatsAppNumber, WhatsAppNumber.id == recipient.number_id)
        .outerjoin(Message, Message.id == recipient.message_id)
        .where(recipient.campaign_id == campaign_id)
        .order_by(recipient.doctor_id)
        .limit(BATCH_SIZE)
    )
    last_doctor_id = 0
    while True:
        batch = session.execute(query.where(recipient.doctor_id > last_doctor_id)).all()
        if not batch:
            return
        for (
            _doctor_id,
            name,
            profile_name,
            username,
            wa_id,
            user_id,
            parent_user_id,
            variant,
            label,
            state,
            status,
            reason,
            error_code,
            sent_at,
            delivered_at,
            read_at,
            replied_at,
        ) in batch:
            user = user_id or parent_user_id
            values: list[Any] = [
                _doctor_name(name, profile_name, username, wa_id, user),
                f"+{wa_id}" if wa_id else user,
                variant,
                label,
                state.value,
                status.value if status is not None else "",
                reason,
                error_code,
                _when(sent_at),
                _when(delivered_at),
                _when(read_at),
                _when(replied_at),
            ]
            yield [safe_cell(value) for value in values]
        last_doctor_id = batch[-1][0]


def csv_export(session: Session, campaign_id: int) -> Iterator[bytes]:
    """The CSV's bytes, in chunks of about `BATCH_SIZE` rows."""
    return csv_chunks(rows(session, campaign_id))


def stream(open_session: Callable[[], Session], campaign_id: int) -> Iterator[bytes]:
    """For a StreamingResponse: read in a session of its own, since the response is sent after
    the request's unit of work has ended."""
    with open_session() as session:
        yield from csv_export(session, campaign_id)


def filename(campaign_id: int, name: str) -> str:
    """`campaign-12-cme-laparoscopy-2027.csv`: ASCII only, for Content-Disposition."""
    slug = "".join(ch.lower() if ch.isascii() and ch.isalnum() else "-" for ch in name)
    slug = "-".join(part for part in slug.split("-") if part)[:60]
    return f"campaign-{campaign_id}-{slug}.csv" if slug else f"campaign-{campaign_id}.csv"
