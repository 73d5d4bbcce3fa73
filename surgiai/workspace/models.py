from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, text, true
from sqlalchemy.orm import Mapped, mapped_column

from surgiai.db.base import Base
from surgiai.kit.time import utcnow

SINGLE_ROW_ID = 1


class AnswerPolicy(enum.StrEnum):
    """Which AI answers go out without a person."""

    # Built from the catalogue and approved FAQs; answers from raw document text wait for
    # approval.
    approved_only = "approved_only"
    # Answers from document text go out too (still checked against their sources).
    allow_documents = "allow_documents"


class WorkspaceSettings(Base):
    """How the workspace behaves, as its admins set it on the Settings page. One row at most:
    until an admin first saves, there is none and the environment's `Settings` stand in for it
    (`surgiai.workspace.service`)."""

    __tablename__ = "workspace_settings"
    __table_args__ = (CheckConstraint(f"id = {SINGLE_ROW_ID}", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False, default=SINGLE_ROW_ID)
    # Shown in the dashboard's header and title.
    business_name: Mapped[str] = mapped_column(String(100), server_default="SurgiAI")
    # False: no AI agent answers doctors (their consent, STOP and START, is still recorded).
    ai_replies_enabled: Mapped[bool] = mapped_column(server_default=true())
    # How long the Master Agent waits for a doctor who is still typing.
    burst_seconds: Mapped[float] = mapped_column(server_default=text("3.0"))
    # Health alerts to the phones of the users who may act on them.
    whatsapp_alerts_enabled: Mapped[bool] = mapped_column(server_default=true())
    # The approved template carrying alerts outside a user's 24 h window (one body parameter).
    alert_template: Mapped[str | None] = mapped_column(String(512), default=None)
    alert_template_language: Mapped[str] = mapped_column(String(32), server_default="en")
    # The team's time zone (IANA name): reports count calendar days in it.
    timezone: Mapped[str] = mapped_column(String(64), server_default="UTC")
    # The country (ISO 3166 code) of a phone number typed without its country code.
    default_region: Mapped[str] = mapped_column(String(2), server_default="IN")
    # An `AnswerPolicy`.
    answer_policy: Mapped[str] = mapped_column(String(32), server_default="approved_only")
    updated_at: Mapped[datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )
    updated_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), default=None
    )
