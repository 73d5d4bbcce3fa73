from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from surgiai.knowledge.models import Document, DocumentChunk, DocumentState, FaqEntry, FaqStatus


class DocumentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, document: Document) -> Document:
        self.session.add(document)
        self.session.flush()
        return document

    def get(self, document_id: int) -> Document | None:
        return self.session.get(Document, document_id)

    def get_for_update(self, document_id: int) -> Document | None:
        """The row, locked until the commit (on SQLite: the write lock taken now)."""
        return self.session.scalars(
            select(Document)
            .where(Document.id == document_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one_or_none()

    def page(self, *, limit: int, before_id: int | None) -> Sequence[Document]:
        statement = select(Document).order_by(Document.id.desc()).limit(limit)
        if before_id is not None:
            statement = statement.where(Document.id < before_id)
        return self.session.scalars(statement).all()

    def current_version(self, title: str) -> Document | None:
        """The newest version of the document of this title (any case) that is ready or on its
        way to be: what a new upload of that title replaces."""
        return self.session.scalars(
            select(Document)
            .where(
                func.lower(Document.title) == title.lower(),
                Document.state.in_((DocumentState.ready, DocumentState.processing)),
            )
            .order_by(Document.id.desc())
            .limit(1)
        ).one_or_none()

    def highest_version(self, title: str) -> int:
        version = self.session.scalar(
            select(func.max(Document.version)).where(func.lower(Document.title) == title.lower())
        )
        return version or 0

    def processing(self) -> Sequence[Document]:
        return self.session.scalars(
            select(Document).where(Document.state == DocumentState.processing)
        ).all()

    def set_progress(self, document_id: int, *, pages: int, pages_done: int) -> bool:
        """False when the document is no longer being processed (deleted meanwhile)."""
        result = self.session.execute(
            update(Document)
            .where(Document.id == document_id, Document.state == DocumentState.processing)
            .values(pages=pages, pages_done=pages_done)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def delete(self, document: Document) -> None:
        self.session.delete(document)
        self.session.flush()

    def chunks(self, document_id: int, page: int) -> Sequence[DocumentChunk]:
        return self.session.scalars(
            select(DocumentChunk)
            .where(DocumentChunk.document_id == document_id, DocumentChunk.page == page)
            .order_by(DocumentChunk.ordinal)
        ).all()

    def all_chunks(self, document_id: int) -> Sequence[DocumentChunk]:
        return self.session.scalars(
            select(DocumentChunk)
            .where(DocumentChunk.document_id == document_id)
            .order_by(DocumentChunk.ordinal)
        ).all()

    def pages_with_chunks(self, document_id: int) -> list[int]:
        return list(
            self.session.scalars(
                select(DocumentChunk.page)
                .where(DocumentChunk.document_id == document_id)
                .distinct()
                .order_by(DocumentChunk.page)
            )
        )

    def replace_chunks(self, document_id: int, chunks: Sequence[DocumentChunk]) -> None:
        self.session.execute(delete(DocumentChunk).where(DocumentChunk.document_id == document_id))
        self.session.add_all(chunks)
        self.session.flush()

    def approved_faqs(self) -> Sequence[FaqEntry]:
        return self.session.scalars(
            select(FaqEntry).where(FaqEntry.status == FaqStatus.approved).order_by(FaqEntry.id)
        ).all()
