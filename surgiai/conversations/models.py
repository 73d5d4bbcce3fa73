from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Double, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surgiai.db.base import Base
from surgiai.doctors.models import Doctor
from surgiai.kit.time import utcnow
from surgiai.media.models import MediaFile
from surgiai.numbers.models import WhatsAppNumber


class ConversationMode(StrEnum):
    ai = "ai"  # AI agents answer on their own
    draft = "draft"  # AI replies wait in the approval queue
    human = "human"  # AI silent: only people write


class ConversationStatus(StrEnum):
    open = "open"
    closed = "closed"


class Conversation(Base):
    """One doctor on one of our numbers. The 24 h customer-service window lives here."""

    __tablename__ = "conversation"
    __table_args__ = (
        UniqueConstraint("doctor_id", "number_id"),
        # The inbox: newest activity first, with (last_message_at, id) as the cursor.
        Index("ix_conversation_activity", "last_message_at", "id"),
        # The "awaiting our reply" queue: longest waiting first.
        Index("ix_conversation_awaiting", "awaiting_since", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("doctor.id", ondelete="CASCADE"))
    number_id: Mapped[int] = mapped_column(
        ForeignKey("whatsapp_number.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_inbound_at: Mapped[datetime | None] = mapped_column(default=None)
    # Always set (creation time until the first message): the inbox sorts and pages on it.
    last_message_at: Mapped[datetime | None] = mapped_column(default=None)
    # No foreign key: message already points here, and this is only a display shortcut.
    last_message_id: Mapped[int | None] = mapped_column(default=None)
    mode: Mapped[ConversationMode] = mapped_column(
        Enum(ConversationMode, native_enum=False, length=16), default=ConversationMode.ai
    )
    mode_changed_at: Mapped[datetime | None] = mapped_column(default=None)
    status: Mapped[ConversationStatus] = mapped_column(
        Enum(ConversationStatus, native_enum=False, length=16), default=ConversationStatus.open
    )
    assigned_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), default=None, index=True
    )
    # When the doctor's oldest unanswered message arrived: set by their message, cleared by a
    # person's or an agent's answer (not by the hand-off notice) or by closing. None: not waiting.
    awaiting_since: Mapped[datetime | None] = mapped_column(default=None)
    # The doctor's messages nobody on the team has opened yet.
    unread_count: Mapped[int] = mapped_column(default=0)
    # When WhatsApp's typing indicator was last sent (it shows for up to 25 s).
    typing_sent_at: Mapped[datetime | None] = mapped_column(default=None)
    # GCRA state of WhatsApp's pair rate (number → this doctor), epoch seconds: kept on the
    # row that the send path locks anyway, so pacing a doctor costs no extra transaction.
    pair_tat: Mapped[float | None] = mapped_column(Double, default=None)

    doctor: Mapped[Doctor] = relationship(lazy="joined")
    number: Mapped[WhatsAppNumber] = relationship(lazy="joined")


class Direction(StrEnum):
    inbound = "in"
    outbound = "out"


class MessageState(StrEnum):
    received = "received"  # inbound
    queued = "queued"  # outbound, waiting for a worker (or a retry time)
    sending = "sending"  # a worker claimed it and is calling the channel
    accepted = "accepted"  # the channel took it (we have its wamid); no status webhook yet
    sent = "sent"
    delivered = "delivered"
    read = "read"
    played = "played"
    failed = "failed"
    # Never sent, on purpose: a person took the conversation over before an automatic message
    # left (the reason is in error_reason).
    cancelled = "cancelled"


class SenderKind(StrEnum):
    doctor = "doctor"
    ai = "ai"
    admin = "admin"
    system = "system"


class Message(Base):
    __tablename__ = "message"
    __table_args__ = (
        Index("ix_message_conversation_id", "conversation_id", "id"),
        Index("ix_message_state_next_attempt", "status", "next_attempt_at"),
        Index("ix_message_agent_state", "agent_state", "agent_claimed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversation.id", ondelete="CASCADE"))
    direction: Mapped[Direction] = mapped_column(Enum(Direction, native_enum=False, length=8))
    wamid: Mapped[str | None] = mapped_column(String(128), unique=True, default=None)
    type: Mapped[str] = mapped_column(String(32))
    # The human-readable text (body, caption, button title …) for the inbox and search.
    text: Mapped[str | None] = mapped_column(Text, default=None)
    # Outbound: the Cloud API type object to send. Inbound: the message as received.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[MessageState] = mapped_column(Enum(MessageState, native_enum=False, length=16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the doctor sent it (inbound) or the last status time reported by WhatsApp.
    timestamp: Mapped[datetime | None] = mapped_column(default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
    read_at: Mapped[datetime | None] = mapped_column(default=None)
    played_at: Mapped[datetime | None] = mapped_column(default=None)
    failed_at: Mapped[datetime | None] = mapped_column(default=None)
    error_code: Mapped[int | None] = mapped_column(default=None)
    error_title: Mapped[str | None] = mapped_column(String(300), default=None)
    error_reason: Mapped[str | None] = mapped_column(String(500), default=None)

    sender_kind: Mapped[SenderKind] = mapped_column(Enum(SenderKind, native_enum=False, length=16))
    # The admin who wrote it, or for an AI message the admin who approved its draft.
    sender_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), default=None
    )
    sender_agent: Mapped[str | None] = mapped_column(String(64), default=None)
    # Template category (MARKETING, UTILITY, AUTHENTICATION) for outbound templates.
    template_category: Mapped[str | None] = mapped_column(String(32), default=None)
    context_wamid: Mapped[str | None] = mapped_column(String(128), default=None)
    media_file_id: Mapped[int | None] = mapped_column(
        ForeignKey("media_file.id", ondelete="SET NULL"), default=None
    )
    # Inbound media WhatsApp would not give us (expired, too large …), in words for the team.
    media_error: Mapped[str | None] = mapped_column(String(300), default=None)

    # Inbound: the Master Agent's processing (pending → processing → done), claimed by a
    # worker's token so a message is answered exactly once whatever crashes.
    agent_state: Mapped[str | None] = mapped_column(String(16), default=None)
    agent_claim: Mapped[str | None] = mapped_column(String(32), default=None)
    agent_claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    # The process holding the claim (`worker.claimants`): gone, the claim goes back at once.
    agent_claimed_by: Mapped[str | None] = mapped_column(String(200), default=None)

    # Outbound delivery bookkeeping.
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(200), default=None)

    conversation: Mapped[Conversation] = relationship(lazy="joined")
    # Loaded for a page of messages in one query, and only for those that have a file.
    media_file: Mapped[MediaFile | None] = relationship(lazy="selectin")


class ConversationNote(Base):
    """An internal note on a conversation: seen by the team, never sent to the doctor."""

    __tablename__ = "conversation_note"
    __table_args__ = (Index("ix_conversation_note_conversation_id", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversation.id", ondelete="CASCADE"))
    author_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), default=None
    )
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DraftStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class Draft(Base):
    """An AI reply waiting for a person: approved as is, edited then approved, or rejected.
    The proposed and the approved payloads are both kept: the edit is what the AI learns from."""

    __tablename__ = "draft"
    __table_args__ = (Index("ix_draft_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversation.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[DraftStatus] = mapped_column(
        Enum(DraftStatus, native_enum=False, length=16), default=DraftStatus.pending
    )
    agent: Mapped[str] = mapped_column(String(64))
    # Why it waits: the conversation is in draft mode, or the agent asked for approval.
    reason: Mapped[str] = mapped_column(String(300))
    type: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    text: Mapped[str | None] = mapped_column(Text, default=None)
    template_category: Mapped[str | None] = mapped_column(String(32), default=None)
    context_wamid: Mapped[str | None] = mapped_column(String(128), default=None)
    # The agent's sources for the reply ("Catalogue 2026, p. 3", "FAQ #12").
    sources: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    decided_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), default=None
    )
    # What was approved when an admin changed it first; None when approved as proposed.
    edited_type: Mapped[str | None] = mapped_column(String(32), default=None)
    edited_payload: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    rejection_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("message.id", ondelete="SET NULL"), default=None
    )

    conversation: Mapped[Conversation] = relationship(lazy="joined")
