"""Campaigns (bulk broadcasts) and their recipients.

A recipient row is the exactly-once unit: one per doctor per campaign, frozen when the campaign
starts with the number it leaves from and the exact message it will carry. A row that has a
message with a wamid is never sent again."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from surgiai.db.base import Base
from surgiai.kit.time import utcnow


class CampaignStatus(StrEnum):
    draft = "draft"
    scheduled = "scheduled"
    running = "running"
    paused = "paused"
    completed = "completed"
    cancelled = "cancelled"


class CampaignKind(StrEnum):
    # An approved template: reaches any doctor who has not opted out of marketing.
    template = "template"
    # Free-form text: only doctors inside their 24 h customer-service window.
    text = "text"


class RecipientState(StrEnum):
    # Waiting for its turn (`not_before` may hold it back: quiet hours, tier, a retry).
    pending = "pending"
    # Claimed by a worker that is sending it now.
    sending = "sending"
    # WhatsApp accepted it (its message has a wamid); delivery and reads follow on the message.
    sent = "sent"
    failed = "failed"
    # Not sent, on purpose: opted out, unreachable, taken over by a person, window closed.
    skipped = "skipped"
    # The campaign was cancelled before its turn.
    cancelled = "cancelled"


class Campaign(Base):
    __tablename__ = "campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[CampaignStatus] = mapped_column(
        Enum(CampaignStatus, native_enum=False, length=16), default=CampaignStatus.draft
    )
    kind: Mapped[CampaignKind] = mapped_column(Enum(CampaignKind, native_enum=False, length=16))
    segment_id: Mapped[int | None] = mapped_column(
        ForeignKey("segment.id", ondelete="SET NULL"), default=None
    )
    # The segment's filters as they were when the campaign started (the segment may change).
    audience_filters: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # One message per variant: `[{"key": "A", "share": 100, "template_name", "language",
    # "parameters": {...}, "text"}]`; see schemas.VariantIn.
    variants: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    header_media_file_id: Mapped[int | None] = mapped_column(
        ForeignKey("media_file.id", ondelete="SET NULL"), default=None
    )
    scheduled_at: Mapped[datetime | None] = mapped_column(default=None)
    # Quiet hours in the team's time zone, as minutes after midnight (21:00 → 1260).
    quiet_start_minute: Mapped[int | None] = mapped_column(default=None)
    quiet_end_minute: Mapped[int | None] = mapped_column(default=None)
    time_zone: Mapped[str] = mapped_column(String(64), default="Asia/Kolkata")
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    # Why it is paused when a person did not pause it (no number left to send from).
    paused_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    # The plan made at start: when it should finish, and how many wait for the next 24 h.
    forecast_finish_at: Mapped[datetime | None] = mapped_column(default=None)
    deferred_count: Mapped[int] = mapped_column(default=0)


class CampaignRecipient(Base):
    __tablename__ = "campaign_recipient"
    __table_args__ = (
        # The idempotency key: a doctor is in a campaign once.
        UniqueConstraint("campaign_id", "doctor_id"),
        Index("ix_campaign_recipient_work", "campaign_id", "state", "number_id"),
        # A doctor's reply is matched to the campaigns that reached them.
        Index("ix_campaign_recipient_doctor_sent", "doctor_id", "sent_at"),
        # The sweeper looks for claims of workers that died.
        Index("ix_campaign_recipient_claims", "state", "claimed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    doctor_id: Mapped[int] = mapped_column(ForeignKey("doctor.id", ondelete="CASCADE"))
    variant: Mapped[str] = mapped_column(String(8), default="A")
    number_id: Mapped[int | None] = mapped_column(
        ForeignKey("whatsapp_number.id", ondelete="SET NULL"), default=None, index=True
    )
    state: Mapped[RecipientState] = mapped_column(
        Enum(RecipientState, native_enum=False, length=16), default=RecipientState.pending
    )
    # The message type and its object exactly as they will be sent, rendered at start.
    message_type: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # What the inbox shows for it (the template's text with this doctor's values).
    preview: Mapped[str | None] = mapped_column(Text, default=None)
    not_before: Mapped[datetime | None] = mapped_column(default=None)
    # The message in the doctor's conversation (its wamid and ticks); created at the claim.
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("message.id", ondelete="SET NULL"), default=None, unique=True
    )
    claimed_by: Mapped[str | None] = mapped_column(String(200), default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    # 131049 (Meta's per-user marketing limit) is retried once, a day later.
    marketing_limit_retried: Mapped[bool] = mapped_column(default=False)
    error_code: Mapped[int | None] = mapped_column(default=None)
    # A short reason people group failures by ("Opted out", "Not on WhatsApp", …).
    reason: Mapped[str | None] = mapped_column(String(300), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    # The doctor's first message within 72 h after it was sent.
    replied_at: Mapped[datetime | None] = mapped_column(default=None)
