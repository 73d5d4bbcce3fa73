from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from surgiai.db.base import Base, TimestampMixin


class Doctor(TimestampMixin, Base):
    """A lead: a doctor we talk to on WhatsApp, keyed by their WhatsApp id (digits)."""

    __tablename__ = "doctor"

    id: Mapped[int] = mapped_column(primary_key=True)
    wa_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str | None] = mapped_column(String(200), default=None)
    # The name WhatsApp shows for them (their own profile), kept apart from a name we were given.
    profile_name: Mapped[str | None] = mapped_column(String(200), default=None)
    # Marketing preference: set by a user_preferences "stop" or error 131050, cleared on resume.
    marketing_opted_out: Mapped[bool] = mapped_column(default=False)
    marketing_opted_out_at: Mapped[datetime | None] = mapped_column(default=None)
    # Set by error 131026: not on WhatsApp, or cannot receive; nothing is sent until cleared.
    unreachable_reason: Mapped[str | None] = mapped_column(String(300), default=None)
    unreachable_at: Mapped[datetime | None] = mapped_column(default=None)
    # Lead score kept by the agents (interest shown, orders, courses); higher is warmer.
    lead_score: Mapped[int] = mapped_column(default=0)


class DoctorTag(Base):
    """A label on a doctor (set by the team or by lead scoring); the inbox filters on it."""

    __tablename__ = "doctor_tag"

    doctor_id: Mapped[int] = mapped_column(
        ForeignKey("doctor.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
