"""What SurgiAI knows beyond the catalogue: uploaded documents (PDF catalogues, brochures,
policies) as text passages and tables with page references, and the FAQ answers admins
approved. `KnowledgeRevision` counts changes, so each process rebuilds its in-memory index
(`surgiai.knowledge.snapshot`) only when something changed."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from surgiai.db.base import Base
from surgiai.kit.time import utcnow


class DocumentState(enum.StrEnum):
    processing = "processing"
    ready = "ready"
    failed = "failed"
    # A newer version of the same document replaced it; kept for its history and citations.
    superseded = "superseded"


class Document(Base):
    __tablename__ = "document"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Cited in answers ("Catalogue 2026, p. 3"); versions of one document share it.
    title: Mapped[str] = mapped_column(String(200), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    media_file_id: Mapped[int] = mapped_column(ForeignKey("media_file.id", ondelete="RESTRICT"))
    size: Mapped[int]
    version: Mapped[int] = mapped_column(default=1)
    # The version this one replaces once it is ready (None for a first upload).
    replaces_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("document.id", ondelete="SET NULL"), default=None
    )
    state: Mapped[DocumentState] = mapped_column(
        Enum(DocumentState, native_enum=False, length=16), default=DocumentState.processing
    )
    # Why processing failed, in words an admin can act on.
    failure_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    pages: Mapped[int | None] = mapped_column(default=None)
    pages_done: Mapped[int] = mapped_column(default=0)
    # What processing found: {"chunks": n, "tables": n, "products": n, "courses": n,
    # "faqs_flagged": n}.
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    uploaded_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(default=None)


class DocumentChunk(Base):
    """A passage of a document's text (a few sentences), or one table rendered as text, with
    the page it is on: what retrieval searches and answers cite."""

    __tablename__ = "document_chunk"
    __table_args__ = (Index("ix_document_chunk_document_ordinal", "document_id", "ordinal"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    page: Mapped[int]
    ordinal: Mapped[int]
    # "text" or "table".
    kind: Mapped[str] = mapped_column(String(8), default="text")
    text: Mapped[str] = mapped_column(Text)
    # For a table: its cells, row by row.
    rows: Mapped[list[list[str]] | None] = mapped_column(JSON, default=None)


class FaqStatus(enum.StrEnum):
    suggested = "suggested"
    approved = "approved"
    rejected = "rejected"


class FaqEntry(Base):
    __tablename__ = "faq_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    question: Mapped[str] = mapped_column(String(500))
    # Other wordings of the same question, doctors' own among them: what matching learns.
    phrasings: Mapped[list[str]] = mapped_column(JSON, default=list)
    answer: Mapped[str] = mapped_column(Text)
    # Where the answer comes from: "Catalogue 2026, p. 3", or the admin who wrote it.
    citation: Mapped[str | None] = mapped_column(String(200), default=None)
    status: Mapped[FaqStatus] = mapped_column(
        Enum(FaqStatus, native_enum=False, length=16), default=FaqStatus.suggested, index=True
    )
    source_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("document.id", ondelete="SET NULL"), default=None
    )
    source_page: Mapped[int | None] = mapped_column(default=None)
    # The numbers, prices, dates and codes the answer states: a new document version that no
    # longer contains one of them flags the entry for review.
    facts: Mapped[list[str]] = mapped_column(JSON, default=list)
    needs_review: Mapped[bool] = mapped_column(default=False)
    review_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    # The doctor's message that made SurgiAI suggest it, when a doctor asked.
    asked_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("message.id", ondelete="SET NULL"), default=None
    )
    asked_conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversation.id", ondelete="SET NULL"), default=None
    )
    # How often doctors asked it (suggestions for the same question are counted, not repeated).
    asked_count: Mapped[int] = mapped_column(default=0)
    decided_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), default=None
    )
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
