from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Mapper, mapped_column

from surgiai.db.base import Base, TimestampMixin
from surgiai.kit.time import utcnow


class LifecycleStage(enum.StrEnum):
    new = "new"
    engaged = "engaged"
    qualified = "qualified"
    customer = "customer"
    dormant = "dormant"
    lost = "lost"


class Doctor(TimestampMixin, Base):
    """A lead: a doctor we talk to on WhatsApp.

    WhatsApp names a user by phone (`wa_id`, digits), by business-scoped user id (`user_id`,
    the BSUID) and, where enabled, by parent BSUID; a doctor who uses a username may reach us
    with no phone at all. Each is unique and any may be missing, but never all three: a doctor
    is found by whichever a webhook carries (`conversations.identity`)."""

    __tablename__ = "doctor"
    # For segment counts (`doctors.filters`, migration 0017): filters compare text in lower
    # case, and "not heard from since" is counted for the doctors who still take marketing.
    __table_args__ = (
        Index("ix_doctor_lower_specialty", text("lower(specialty)")),
        Index("ix_doctor_lower_city", text("lower(city)")),
        Index("ix_doctor_lower_state", text("lower(state)")),
        Index("ix_doctor_consent_last_inbound", "marketing_opted_out", "last_inbound_at"),
    )

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
    lead_score: Mapped[int] = mapped_column(default=0, index=True)
    # The score's factor breakdown, as the scorer last explained it ({"recency": 20, …}).
    score_reasons: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # An admin's score, which the scorer leaves alone until it is cleared.
    score_overridden: Mapped[bool] = mapped_column(default=False)
    stage: Mapped[LifecycleStage] = mapped_column(
        Enum(LifecycleStage, native_enum=False, length=16),
        default=LifecycleStage.new,
        server_default=LifecycleStage.new.value,
        index=True,
    )
    stage_overridden: Mapped[bool] = mapped_column(default=False)
    # The profile, from imports, admins and what the doctor writes.
    specialty: Mapped[str | None] = mapped_column(String(100), default=None, index=True)
    city: Mapped[str | None] = mapped_column(String(100), default=None, index=True)
    state: Mapped[str | None] = mapped_column(String(100), default=None, index=True)
    hospital: Mapped[str | None] = mapped_column(String(200), default=None)
    registration_number: Mapped[str | None] = mapped_column(String(64), default=None)
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    preferred_language: Mapped[str | None] = mapped_column(String(16), default=None)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The number that talks to this doctor (campaigns keep to it while it is healthy).
    sticky_number_id: Mapped[int | None] = mapped_column(
        ForeignKey("whatsapp_number.id", ondelete="SET NULL"), default=None
    )
    # Activity, kept on the row so that segments count 100,000 doctors without joins.
    last_inbound_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    last_outbound_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    # What the list's free-text search reads (`doctors.search`), kept in step on every write.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")

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


class ConsentSource(enum.StrEnum):
    keyword = "keyword"  # STOP / START and their variants, in a message
    user_preferences = "user_preferences"  # Meta's user_preferences webhook
    error_131050 = "error_131050"  # Meta refused a marketing message: the user stopped them
    admin = "admin"
    import_ = "import"


class ConsentEvent(Base):
    """The consent ledger: every change of a doctor's marketing consent, across all numbers and
    channels, with when, why, on which number and by whom."""

    __tablename__ = "consent_event"
    __table_args__ = (Index("ix_consent_event_doctor_created", "doctor_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("doctor.id", ondelete="CASCADE"))
    opted_out: Mapped[bool]
    source: Mapped[ConsentSource] = mapped_column(
        Enum(
            ConsentSource,
            native_enum=False,
            length=32,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    number_id: Mapped[int | None] = mapped_column(
        ForeignKey("whatsapp_number.id", ondelete="SET NULL"), default=None
    )
    actor_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), default=None
    )
    # The words or the event behind it ("STOP", "error 131050 on wamid …", an admin's reason).
    detail: Mapped[str | None] = mapped_column(String(300), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DoctorEvent(Base):
    """A doctor's timeline beside their messages: score and stage changes (with their reasons),
    tags added and removed, profile edits, imports."""

    __tablename__ = "doctor_event"
    __table_args__ = (Index("ix_doctor_event_doctor_created", "doctor_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("doctor.id", ondelete="CASCADE"))
    # "score", "stage", "tag_added", "tag_removed", "profile", "import" …
    kind: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # None for SurgiAI itself (the scorer, an import run by the CLI).
    actor_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Segment(Base):
    """A saved filter over doctors (specialty, city, state, tags, score, stage, activity,
    consent, number); counted live, targeted by broadcasts, offers and re-engagement."""

    __tablename__ = "segment"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ImportState(enum.StrEnum):
    processing = "processing"
    done = "done"
    failed = "failed"


class DoctorImport(Base):
    """An import of doctors from a CSV or XLSX file, run as a task: its progress, counts and
    every rejected row with its number and reason."""

    __tablename__ = "doctor_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    media_file_id: Mapped[int] = mapped_column(ForeignKey("media_file.id", ondelete="RESTRICT"))
    # Which column holds which field, as the admin mapped them ({"name": "Doctor Name", …}).
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[ImportState] = mapped_column(
        Enum(ImportState, native_enum=False, length=16), default=ImportState.processing
    )
    failure_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    rows_total: Mapped[int | None] = mapped_column(default=None)
    rows_done: Mapped[int] = mapped_column(default=0)
    added: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    # [{"row": 12, "reason": "…"}], the first few thousand.
    rejected: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    # Runs started, and the last sign of life of the current one (its start, each batch): the
    # sweeper re-runs an import whose worker died (`doctors.tasks`).
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    heartbeat_at: Mapped[datetime | None] = mapped_column(default=None)


SEARCHED_FIELDS: tuple[str, ...] = (
    "name",
    "profile_name",
    "username",
    "hospital",
    "registration_number",
    "email",
    "wa_id",
)


def search_text_of(values: Mapping[str, Any]) -> str:
    """A doctor's `search_text` from its fields (`doctors.search`)."""
    return " ".join(str(values[name]).casefold() for name in SEARCHED_FIELDS if values.get(name))


@event.listens_for(Doctor, "before_insert")
@event.listens_for(Doctor, "before_update")
def _refresh_search_text(_mapper: Mapper[Doctor], _connection: Connection, doctor: Doctor) -> None:
    doctor.search_text = search_text_of({name: getattr(doctor, name) for name in SEARCHED_FIELDS})
