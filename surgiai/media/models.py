from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from surgiai.db.base import Base
from surgiai.kit.time import utcnow


class MediaFile(Base):
    """A file kept by SurgiAI (inbound media we downloaded, files admins uploaded)."""

    __tablename__ = "media_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    mime_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    filename: Mapped[str | None] = mapped_column(String(255), default=None)
    # Relative to the data dir's media folder.
    storage_path: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MediaUpload(Base):
    """A stored file uploaded to one of our numbers: WhatsApp media ids are per number and
    last 30 days, so each (file, number) is uploaded once and reused while fresh."""

    __tablename__ = "media_upload"
    __table_args__ = (UniqueConstraint("media_file_id", "number_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    media_file_id: Mapped[int] = mapped_column(ForeignKey("media_file.id", ondelete="CASCADE"))
    number_id: Mapped[int] = mapped_column(ForeignKey("whatsapp_number.id", ondelete="CASCADE"))
    wa_media_id: Mapped[str] = mapped_column(String(128))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
