from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, Index, LargeBinary, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from surgiai.db.base import Base
from surgiai.kit.time import utcnow


class EventState(StrEnum):
    pending = "pending"
    processing = "processing"
    processed = "processed"
    # Valid, but for a phone number id we do not have: kept for the admins to see.
    unrouted = "unrouted"
    failed = "failed"


class ExternalEvent(Base):
    """A webhook delivery exactly as received. The unique key makes redeliveries harmless."""

    __tablename__ = "external_event"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_external_event_state_received", "state", "received_at"),
        # Pending deliveries are claimed others first, then receipts, oldest first in each.
        Index("ix_external_event_state_receipts_only_id", "state", "receipts_only", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    # SHA-256 of the raw body: Meta redelivers the same bytes.
    external_id: Mapped[str] = mapped_column(String(64))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    # Delivery receipts and nothing else. A campaign brings thousands a minute; a doctor's
    # message or a number turning RED must not wait behind them.
    receipts_only: Mapped[bool] = mapped_column(default=False, server_default=false())
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[EventState] = mapped_column(
        Enum(EventState, native_enum=False, length=16), default=EventState.pending
    )
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    # The process holding the claim (`worker.claimants`): gone, the claim goes back at once.
    claimed_by: Mapped[str | None] = mapped_column(String(200), default=None)
    processed_at: Mapped[datetime | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(String(1000), default=None)
