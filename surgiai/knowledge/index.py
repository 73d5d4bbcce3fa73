"""Each process keeps one answering index of what SurgiAI knows, rebuilt only when the knowledge
revision moved (one indexed read per message to find out)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from surgiai.catalogue.models import Course, CourseStatus, Product
from surgiai.catalogue.revision import current_revision
from surgiai.knowledge.answers import Answerer
from surgiai.knowledge.models import Document, DocumentChunk, DocumentState, FaqEntry, FaqStatus
from surgiai.knowledge.snapshot import (
    CourseFact,
    FaqFact,
    KnowledgeSnapshot,
    Passage,
    ProductFact,
)

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Knowledge:
    snapshot: KnowledgeSnapshot
    # None when building the index failed: the standby still answers from the snapshot.
    answerer: Answerer | None


def load_snapshot(session: Session) -> KnowledgeSnapshot:
    """What the agents answer from, as the database has it now."""
    revision = current_revision(session)
    titles = {
        document_id: (title, version)
        for document_id, title, version in session.execute(
            select(Document.id, Document.title, Document.version)
        )
    }

    def citation(document_id: int | None, page: int | None) -> str | None:
        if document_id is None or document_id not in titles:
            return None
        title = titles[document_id][0]
        return f"{title}, p. {page}" if page else title

    products = tuple(
        ProductFact(
            id=row.id,
            name=row.name,
            code=row.code,
            pack_size=row.pack_size,
            price=row.price,
            currency=row.currency,
            category=row.category,
            available=row.available,
            citation=citation(row.source_document_id, row.source_page),
        )
        for row in session.scalars(select(Product).order_by(Product.id))
    )
    courses = tuple(
        CourseFact(
            id=row.id,
            title=row.title,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            city=row.city,
            venue=row.venue,
            fee=row.fee,
            currency=row.currency,
            cme_credits=row.cme_credits,
            seats=row.seats,
            citation=citation(row.source_document_id, row.source_page),
        )
        for row in session.scalars(
            select(Course).where(Course.status == CourseStatus.confirmed).order_by(Course.id)
        )
    )
    faqs = tuple(
        FaqFact(
            id=row.id,
            question=row.question,
            phrasings=tuple(row.phrasings),
            answer=row.answer,
            citation=row.citation,
        )
        for row in session.scalars(
            select(FaqEntry).where(FaqEntry.status == FaqStatus.approved).order_by(FaqEntry.id)
        )
    )
    passages = tuple(
        Passage(
            chunk_id=chunk_id,
            document_id=document_id,
            document_title=title,
            page=page,
            kind=kind,
            text=text,
        )
        for chunk_id, document_id, title, page, kind, text in session.execute(
            select(
                DocumentChunk.id,
                DocumentChunk.document_id,
                Document.title,
                DocumentChunk.page,
                DocumentChunk.kind,
                DocumentChunk.text,
            )
            .join(Document, Document.id == DocumentChunk.document_id)
            .where(Document.state == DocumentState.ready)
            .order_by(DocumentChunk.document_id, DocumentChunk.ordinal)
        )
    )
    return KnowledgeSnapshot(
        revision=revision, products=products, courses=courses, faqs=faqs, passages=passages
    )


class KnowledgeIndex:
    """Per process: the current `Knowledge` for each database this process talks to."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_bind: dict[int, Knowledge] = {}

    def current(self, session: Session) -> Knowledge:
        bind = id(session.get_bind())
        revision = current_revision(session)
        known = self._by_bind.get(bind)
        if known is not None and known.snapshot.revision == revision:
            return known
        # One thread builds; the others wait for it rather than build the same index again.
        with self._lock:
            known = self._by_bind.get(bind)
            if known is not None and known.snapshot.revision == revision:
                return known
            started = time.perf_counter()
            snapshot = load_snapshot(session)
            try:
                answerer: Answerer | None = Answerer(snapshot)
            except Exception:
                log.exception("knowledge.index.failed", revision=snapshot.revision)
                answerer = None
            knowledge = Knowledge(snapshot, answerer)
            if len(self._by_bind) > 16:
                self._by_bind.clear()
            self._by_bind[bind] = knowledge
            log.info(
                "knowledge.index.built",
                revision=snapshot.revision,
                products=len(snapshot.products),
                faqs=len(snapshot.faqs),
                passages=len(snapshot.passages),
                seconds=round(time.perf_counter() - started, 3),
            )
            return knowledge


knowledge_index = KnowledgeIndex()
