from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, String
from sqlalchemy.orm import Mapped, mapped_column

from surgiai.db.base import Base, TimestampMixin


class ChannelKind(StrEnum):
    cloud = "cloud"


class WhatsAppNumber(TimestampMixin, Base):
    __tablename__ = "whatsapp_number"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(100))
    channel: Mapped[ChannelKind] = mapped_column(Enum(ChannelKind, native_enum=False, length=16))
    phone_number_id: Mapped[str] = mapped_column(String(64), unique=True)
    waba_id: Mapped[str] = mapped_column(String(64), index=True)
    business_portfolio_id: Mapped[str | None] = mapped_column(String(64), default=None)
    display_phone_number: Mapped[str] = mapped_column(String(32))
    verified_name: Mapped[str | None] = mapped_column(String(200), default=None)
    # Encrypted with SURGIAI_SECRET_KEY (kit.crypto); the API shows only the hints.
    access_token_encrypted: Mapped[str] = mapped_column(String(2000))
    access_token_hint: Mapped[str] = mapped_column(String(8))
    app_secret_encrypted: Mapped[str | None] = mapped_column(String(1000), default=None)
    enabled: Mapped[bool] = mapped_column(default=True)
    # The mode new conversations on this number start in, and that `release` returns to.
    default_mode: Mapped[str] = mapped_column(String(16), default="ai")

    # Live health, from the Graph API, management webhooks and send errors.
    status: Mapped[str] = mapped_column(String(32), default="UNKNOWN")
    quality_rating: Mapped[str] = mapped_column(String(16), default="UNKNOWN")
    messaging_tier: Mapped[str | None] = mapped_column(String(32), default=None)
    throughput_level: Mapped[str] = mapped_column(String(16), default="STANDARD")
    # Our own pacing ceiling (messages per second), from the throughput level unless overridden.
    throughput_mps: Mapped[int] = mapped_column(default=80)
    paused: Mapped[bool] = mapped_column(default=False)
    paused_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    paused_at: Mapped[datetime | None] = mapped_column(default=None)
    # The `ErrorReaction` of the error that paused it (None: paused for another reason), so the
    # dashboard can say what to fix.
    paused_reaction: Mapped[str | None] = mapped_column(String(32), default=None)
    last_error_code: Mapped[int | None] = mapped_column(default=None)
    last_error_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    last_error_at: Mapped[datetime | None] = mapped_column(default=None)
    health_checked_at: Mapped[datetime | None] = mapped_column(default=None)
    health_check_error: Mapped[str | None] = mapped_column(String(500), default=None)
    # The `ErrorReaction` of the failed check; None when WhatsApp could not be reached.
    health_check_reaction: Mapped[str | None] = mapped_column(String(32), default=None)
