"""A doctor's message after a campaign reached them: counted as a reply to it (within 72 h),
and named to the Master Agent, so that "yes, send me the brochure" is understood."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from surgiai.campaigns.models import Campaign, CampaignRecipient

REPLY_WINDOW = timedelta(hours=72)


def note_reply(session: Session, doctor_id: int, at: datetime) -> list[int]:
    """Mark the campaign messages the doctor is answering (sent in the 72 h before `at`, not
    answered yet) as replied at `at`. One UPDATE along (doctor, sent_at); returns the ids of
    the campaigns whose reply count went up (to tell their live pages)."""
    # On the connection: a bulk UPDATE, no ORM objects to keep in step.
    result = session.connection().execute(
        update(CampaignRecipient)
        .where(
            CampaignRecipient.doctor_id == doctor_id,
            CampaignRecipient.sent_at >= at - REPLY_WINDOW,
            CampaignRecipient.sent_at <= at,
            CampaignRecipient.replied_at.is_(None),
        )
        .values(replied_at=at)
        .returning(CampaignRecipient.campaign_id)
    )
    return sorted(result.scalars())


@dataclass(frozen=True)
class RepliedCampaign:
    campaign_id: int
    name: str
    variant: str
    # The message as this doctor read it (the template's text with their values).
    preview: str | None
    sent_at: datetime


def campaign_replied_to(session: Session, doctor_id: int, at: datetime) -> RepliedCampaign | None:
    """The latest campaign that reached the doctor in the 72 h before `at`, if any."""
    row = session.execute(
        select(
            CampaignRecipient.campaign_id,
            Campaign.name,
            CampaignRecipient.variant,
            CampaignRecipient.preview,
            CampaignRecipient.sent_at,
        )
        .join(Campaign, Campaign.id == CampaignRecipient.campaign_id)
        .where(
            CampaignRecipient.doctor_id == doctor_id,
            CampaignRecipient.sent_at >= at - REPLY_WINDOW,
            CampaignRecipient.sent_at <= at,
        )
        .order_by(CampaignRecipient.sent_at.desc(), CampaignRecipient.id.desc())
        .limit(1)
    ).first()
    if row is None or row.sent_at is None:
        return None
    return RepliedCampaign(row.campaign_id, row.name, row.variant, row.preview, row.sent_at)
