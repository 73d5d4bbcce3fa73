from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from surgiai.db.base import Base
from surgiai.kit.time import utcnow
from surgiai.templates import components as parts

# Only APPROVED templates can be sent; any other status gets 132001, 132015 or 132016.
SENDABLE_STATUS = "APPROVED"
# Our own status for a template WhatsApp no longer lists (its word for a deleted template).
DELETED_STATUS = "DELETED"


class MessageTemplate(Base):
    """Our copy of one WhatsApp template in one language, as the Graph API last described it.

    A template WhatsApp stops listing is kept with status DELETED rather than removed: messages
    sent with it stay in the inbox, and their preview still needs its text.
    """

    __tablename__ = "message_template"
    __table_args__ = (UniqueConstraint("waba_id", "name", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    waba_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(512))
    language: Mapped[str] = mapped_column(String(32))
    # As WhatsApp says: APPROVED, PENDING, REJECTED, PAUSED, DISABLED, IN_APPEAL, DELETED…
    status: Mapped[str] = mapped_column(String(32))
    # MARKETING, UTILITY or AUTHENTICATION.
    category: Mapped[str | None] = mapped_column(String(32), default=None)
    # POSITIONAL (`{{1}}`, WhatsApp's default) or NAMED (`{{first_name}}`).
    parameter_format: Mapped[str] = mapped_column(String(16), default="POSITIONAL")
    components: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # WhatsApp's id: status and quality webhooks name the template by it.
    template_id: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    # GREEN, YELLOW, RED or UNKNOWN; None until WhatsApp reports one.
    quality: Mapped[str | None] = mapped_column(String(16), default=None)
    rejected_reason: Mapped[str | None] = mapped_column(String(1000), default=None)
    # When `status` was known to be true: the status webhook's time, or the second a sync
    # started reading. Webhooks come late and more than once; an older one changes nothing.
    status_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When a sync last listed it.
    synced_at: Mapped[datetime]
    # When something WhatsApp says about it last changed. Set by the service rather than on
    # every UPDATE, since each sync touches `synced_at` whether or not anything changed.
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def sendable(self) -> bool:
        return self.status == SENDABLE_STATUS

    @property
    def body_text(self) -> str | None:
        return parts.component_text(self.components, "BODY")

    @property
    def header_format(self) -> str | None:
        return parts.header_format(self.components)

    @property
    def header_text(self) -> str | None:
        return parts.header_text(self.components)

    @property
    def footer_text(self) -> str | None:
        return parts.component_text(self.components, "FOOTER")

    @property
    def button_texts(self) -> list[str]:
        return parts.button_texts(self.components)

    @property
    def variables(self) -> dict[str, list[str]]:
        return parts.variables(self.components, self.parameter_format)


class TemplateSync(Base):
    """The template sync of one WhatsApp Business Account: asked for, running, last outcome."""

    __tablename__ = "template_sync"

    waba_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    requested_at: Mapped[datetime | None] = mapped_column(default=None)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    # The last sync that read the whole list and applied it.
    synced_at: Mapped[datetime | None] = mapped_column(default=None)
    template_count: Mapped[int | None] = mapped_column(default=None)
    # Set when the last attempt failed, cleared by the next success.
    last_error: Mapped[str | None] = mapped_column(String(1000), default=None)
    last_error_at: Mapped[datetime | None] = mapped_column(default=None)

    @property
    def pending(self) -> bool:
        """Queued and not picked up by a worker yet."""
        return self.requested_at is not None and (
            self.started_at is None or self.started_at < self.requested_at
        )
