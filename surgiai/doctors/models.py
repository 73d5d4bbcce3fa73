from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from surgiai.db.base import Base, TimestampMixin


class Doctor(TimestampMixin, Base):
    """A lead: a doctor we talk to on WhatsApp.

    WhatsApp names a user by phone (`wa_id`, digits), by business-scoped user id (`user_id`,
    the BSUID) and, where enabled, by parent BSUID; a doctor who uses a username may reach us
    with no phone at all. Each is unique and any may be missing, but never all three: a doctor
    is found by whichever a webhook carries (`conversations.identity`)."""

    __tablename__ = "doctor"

    id: Mapped[int] = mapped_column(primary_key=True)
    wa_id: Mapped[str | None] = mapped_column(String(32), unique=True, default=None)
    user_id: Mapped[str | None] = mapped_column(String(140), unique=True, default=None)
    parent_user_id: Mapped[str | None] = mapped_column(String(140), unique=True, default=None)
    # Their WhatsApp username, if they have one (it may change; the BSUID does not).
    username: Mapped[str | None] = mapped_column(String(64), default=None)
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

    @property
    def display_name(self) -> str:
        """What the team and the agents call them: our name for them, their WhatsApp profile
        name, their username, their number, or failing all, their WhatsApp user id."""
        if self.name or self.profile_name:
            return self.name or self.profile_name or ""
        if self.username:
            return f"@{self.username}"
        if self.wa_id:
            return f"+{self.wa_id}"
        return f"WhatsApp user {self.user_id or self.parent_user_id or self.id}"

    @property
    def address(self) -> tuple[str | None, str | None]:
        """Where to send: `(phone, None)` when we know the phone, else `(None, BSUID)`; both
        None when we know neither (a doctor whose identifiers moved to someone else)."""
        if self.wa_id:
            return self.wa_id, None
        return None, self.user_id or self.parent_user_id


class DoctorTag(Base):
    """A label on a doctor (set by the team or by lead scoring); the inbox filters on it."""

    __tablename__ = "doctor_tag"

    doctor_id: Mapped[int] = mapped_column(
        ForeignKey("doctor.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
