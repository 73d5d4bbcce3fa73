from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from surgiai.knowledge.models import DocumentState


class DocumentSummary(BaseModel):
    """What processing found (zeros until the document is ready). The row's summary also holds
    processing's own bookkeeping, which is not shown (extra keys are ignored)."""

    chunks: int = 0
    tables: int = 0
    products: int = 0
    courses: int = 0
    products_added: int = 0
    products_updated: int = 0
    products_retired: int = 0
    courses_added: int = 0
    courses_updated: int = 0
    faqs_flagged: int = 0
    # Pages with nothing to read (a scanned page inside a text document).
    pages_without_text: int = 0


class DocumentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    filename: str
    size: int
    version: int
    replaces_document_id: int | None
    state: DocumentState
    failure_reason: str | None
    pages: int | None
    pages_done: int
    summary: DocumentSummary
    uploaded_by_user_id: int | None
    created_at: datetime
    processed_at: datetime | None


class DocumentPage(BaseModel):
    items: list[DocumentRead]
    next_cursor: int | None


class DocumentChunkRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    page: int
    ordinal: int
    kind: str = Field(description='"text" or "table"')
    text: str
    rows: list[list[str]] | None


class DocumentChunks(BaseModel):
    """The passages of one page, and which pages have any."""

    page: int
    pages_with_chunks: list[int]
    items: list[DocumentChunkRead]
