from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from surgiai.db.base import Base
from surgiai.kit.time import utcnow


class RunOutcome(StrEnum):
    ok = "ok"
    error = "error"
    timeout = "timeout"
    # Not run: its circuit breaker was open, or an admin disabled it.
    circuit_open = "circuit_open"
    disabled = "disabled"


class AgentRun(Base):
    """One agent handling one message: what health monitoring and learning are built from."""

    __tablename__ = "agent_run"
    __table_args__ = (Index("ix_agent_run_agent_started", "agent", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agent: Mapped[str] = mapped_column(String(64))
    # primary, standby, side_effect or handoff: which part it played for this message.
    role: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("message.id", ondelete="SET NULL"), default=None, index=True
    )
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversation.id", ondelete="SET NULL"), default=None
    )
    intent: Mapped[str | None] = mapped_column(String(32), default=None)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    duration_ms: Mapped[float] = mapped_column(default=0.0)
    outcome: Mapped[RunOutcome] = mapped_column(Enum(RunOutcome, native_enum=False, length=16))
    error: Mapped[str | None] = mapped_column(String(1000), default=None)
    actions: Mapped[int] = mapped_column(default=0)


class AgentSetting(Base):
    """An admin's switch: a disabled agent is replaced by its standby (or skipped)."""

    __tablename__ = "agent_setting"

    agent: Mapped[str] = mapped_column(String(64), primary_key=True)
    disabled: Mapped[bool] = mapped_column(default=False)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), default=None
    )
    reason: Mapped[str | None] = mapped_column(String(300), default=None)


class CrashReport(Base):
    """Every option for a message failed (or the Master Agent itself did): a person takes the
    conversation and this report says why."""

    __tablename__ = "crash_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    agent: Mapped[str] = mapped_column(String(64), index=True)
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("message.id", ondelete="SET NULL"), default=None
    )
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversation.id", ondelete="SET NULL"), default=None
    )
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    error_type: Mapped[str] = mapped_column(String(200))
    error: Mapped[str] = mapped_column(String(2000))
    stack_trace: Mapped[str] = mapped_column(Text)


class ScheduledState(StrEnum):
    waiting = "waiting"
    sent = "sent"
    # Not sent: the doctor wrote first, a person took over, or the send was refused.
    cancelled = "cancelled"


class ScheduledAction(Base):
    """An agent's follow-up waiting for its time (a `Schedule` action). Carried out once: the
    state moves from waiting in the same transaction that queues the message."""

    __tablename__ = "scheduled_action"
    __table_args__ = (Index("ix_scheduled_action_state_due", "state", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversation.id", ondelete="CASCADE"), index=True
    )
    agent: Mapped[str] = mapped_column(String(64))
    # The action to carry out, as `surgiai.agents.scheduled` encodes it.
    action: Mapped[dict[str, object]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime] = mapped_column()
    # The doctor's newest message when it was scheduled: a newer one means they replied.
    after_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("message.id", ondelete="SET NULL"), default=None
    )
    unless_doctor_replies: Mapped[bool] = mapped_column(default=True)
    state: Mapped[ScheduledState] = mapped_column(
        Enum(ScheduledState, native_enum=False, length=16), default=ScheduledState.waiting
    )
    settled_at: Mapped[datetime | None] = mapped_column(default=None)
    outcome: Mapped[str | None] = mapped_column(String(300), default=None)
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("message.id", ondelete="SET NULL"), default=None
    )
