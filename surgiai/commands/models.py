from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from surgiai.db.base import Base
from surgiai.kit.time import utcnow


class PendingCommandState(StrEnum):
    pending = "pending"
    confirmed = "confirmed"
    cancelled = "cancelled"
    # A newer irreversible command from the same user replaced it before any answer.
    superseded = "superseded"
    # Answered YES or NO too late: it was not carried out.
    expired = "expired"


class PendingCommand(Base):
    """An irreversible admin command (a pause) waiting for its user's YES or NO: it is carried
    out only if the answer comes before `expires_at`."""

    __tablename__ = "pending_command"
    __table_args__ = (Index("ix_pending_command_user_state", "user_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    # The parsed `Command`, as `surgiai.commands.grammar` spells it.
    action: Mapped[str] = mapped_column(String(16))
    target_kind: Mapped[str | None] = mapped_column(String(16), default=None)
    target: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    state: Mapped[PendingCommandState] = mapped_column(
        Enum(PendingCommandState, native_enum=False, length=16),
        default=PendingCommandState.pending,
    )
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
