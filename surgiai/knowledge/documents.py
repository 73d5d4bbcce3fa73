"""Documents: PDF catalogues, brochures and policies uploaded by admins, read into passages
and catalogue rows by a task.

An upload is checked at once (empty, too large, not a PDF: refused with a 4xx), stored, and
becomes a document in state `processing`; the task reads it (`knowledge.pdf`), writing its
progress as it goes, and then in one transaction stores its passages, applies its products and
courses to the catalogue, retires the version it replaces and flags the FAQ answers that
version's changes touch. A file that cannot be read fails with the reason and changes nothing
else: the version it would have replaced keeps answering.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path, PurePath

import structlog
from sqlalchemy.orm import Session

from surgiai.audit.service import audit_service
from surgiai.auth.models import User
from surgiai.catalogue.extraction import (
    ExtractedCourse,
    ExtractedProduct,
    courses_from_table,
    courses_from_text,
    products_from_table,
)
from surgiai.catalogue.revision import bump_revision
from surgiai.catalogue.service import catalogue_service
from surgiai.config import Settings
from surgiai.db.outbox import enqueue
from surgiai.errors import (
    BadRequest,
    Conflict,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from surgiai.kit.time import utcnow
from surgiai.knowledge.chunking import chunk_document, page_tables
from surgiai.knowledge.facts_text import normalise_fact
from surgiai.knowledge.models import Document, DocumentChunk, DocumentState
from surgiai.knowledge.pdf import NOT_A_PDF, PdfContent, looks_like_pdf
from surgiai.knowledge.repository import DocumentRepository
from surgiai.knowledge.versioning import flag_changed_faqs
from surgiai.media.service import media_service

log = structlog.get_logger(__name__)

PROCESS_TASK = "knowledge.process_document"
PDF_MIME_TYPE = "application/pdf"
TITLE_CHARS = 200
# A worker that dies mid-document (killed, out of memory) leaves it `processing`: the sweeper
# queues it again once this long has passed since its attempt began or it was last queued.
# Even a document at the page limit is read in a minute or two.
STUCK_AFTER = timedelta(minutes=10)
# A job lost before its first attempt began (the embedded queue restarted).
LOST_AFTER = timedelta(minutes=2)
# A file that stops a worker this many times is not tried again.
MAX_ATTEMPTS = 3

GENERIC_FAILURE = (
    "Something went wrong on our side while reading this PDF. Try uploading it again; if it "
    "fails again, tell your SurgiAI administrator."
)
CRASHED = (
    "Reading this PDF stopped {attempts} times before it finished (the worker ran out of "
    "memory or restarted). Split it into smaller files and upload them one by one."
)
FILE_GONE = "The uploaded file is no longer stored. Upload it again."


class ProcessingStopped(Exception):
    """The document was deleted (or finished elsewhere) while being read."""


@dataclass(frozen=True)
class Extraction:
    products: list[ExtractedProduct]
    courses: list[ExtractedCourse]


class DocumentService:
    # --- Uploading ---------------------------------------------------------------------------

    def upload(
        self,
        session: Session,
        settings: Settings,
        *,
        data: bytes,
        filename: str,
        title: str | None,
        replaces_document_id: int | None,
        user: User,
    ) -> Document:
        """Store a PDF and queue its reading. Raises BadRequest (empty), PayloadTooLarge,
        UnsupportedMediaType (not a PDF by its bytes), NotFound or Conflict (what it replaces)."""
        if not data:
            raise BadRequest("The file is empty.")
        if len(data) > settings.document_max_bytes:
            raise PayloadTooLarge(too_large(settings.document_max_bytes))
        if not looks_like_pdf(data):
            raise UnsupportedMediaType(NOT_A_PDF)
        documents = DocumentRepository(session)
        chosen_title = tidy_title(title or "") or None
        replaced: Document | None
        if replaces_document_id is not None:
            replaced = documents.get(replaces_document_id)
            if replaced is None:
                raise NotFound(f"No document with id {replaces_document_id} to replace.")
            _check_replaceable(replaced)
            final_title = chosen_title or replaced.title
        else:
            final_title = chosen_title or title_of(filename)
            replaced = documents.current_version(final_title)
            if replaced is not None:
                _check_replaceable(replaced)
                # "CATALOGUE_2026.pdf" is the next version of "Catalogue 2026", and says so.
                final_title = chosen_title or replaced.title
        media = media_service.store(
            session,
            settings.data_dir / "media",
            data,
            mime_type=PDF_MIME_TYPE,
            filename=filename,
        )
        document = documents.add(
            Document(
                title=final_title,
                filename=filename[:255],
                media_file_id=media.id,
                size=len(data),
                version=(
                    max(replaced.version, documents.highest_version(final_title)) + 1
                    if replaced is not None
                    else 1
                ),
                replaces_document_id=replaced.id if replaced else None,
                state=DocumentState.processing,
                pages_done=0,
                summary={},
                uploaded_by_user_id=user.id,
            )
        )
        enqueue(session, PROCESS_TASK, document.id)
        audit_service.record(
            session,
            "document.uploaded",
            actor_user_id=user.id,
            actor_email=user.email,
            target_type="document",
            target_id=document.id,
            details={"title": document.title, "version": document.version, "size": len(data)},
        )
        log.info(
            "knowledge.document.uploaded",
            document_id=document.id,
            version=document.version,
            size=len(data),
        )
        return document

    # --- Reading -----------------------------------------------------------------------------

    def get(self, session: Session, document_id: int) -> Document:
        document = DocumentRepository(session).get(document_id)
        if document is None:
            raise NotFound(f"No document with id {document_id}.")
        return document

    def page(self, session: Session, *, limit: int, before_id: int | None) -> Sequence[Document]:
        """Newest first."""
        return DocumentRepository(session).page(limit=limit, before_id=before_id)

    def chunks(
        self, session: Session, document_id: int, page: int
    ) -> tuple[Sequence[DocumentChunk], list[int]]:
        """The passages of one page, and the pages that have any."""
        self.get(session, document_id)
        documents = DocumentRepository(session)
        return documents.chunks(document_id, page), documents.pages_with_chunks(document_id)

    # --- Deleting ----------------------------------------------------------------------------

    def delete(self, session: Session, document_id: int, user: User) -> None:
        """Its passages go with it; products and courses it was the source of stay, without
        their source. A document being read can be deleted: its task then stops."""
        documents = DocumentRepository(session)
        document = documents.get(document_id)
        if document is None:
            raise NotFound(f"No document with id {document_id}.")
        details = {"title": document.title, "version": document.version}
        documents.delete(document)
        bump_revision(session)
        audit_service.record(
            session,
            "document.deleted",
            actor_user_id=user.id,
            actor_email=user.email,
            target_type="document",
            target_id=document_id,
            details=details,
        )

    # --- Processing (the task's steps; the task commits between them) -----------------------

    def start(self, session: Session, document_id: int) -> Document | None:
        """Begin an attempt: the document to read, or None when there is nothing to do (it
        is gone, already done, or failed for having stopped too many workers)."""
        document = DocumentRepository(session).get_for_update(document_id)
        if document is None or document.state != DocumentState.processing:
            return None
        attempts = int(document.summary.get("attempts", 0)) + 1
        if attempts > MAX_ATTEMPTS:
            self._fail(document, CRASHED.format(attempts=attempts - 1))
            return None
        document.summary = {"attempts": attempts, "attempt_at": utcnow().isoformat()}
        document.pages_done = 0
        return document

    def source_path(self, session: Session, settings: Settings, document: Document) -> Path:
        return media_service.path(
            settings.data_dir / "media", media_service.get(session, document.media_file_id)
        )

    def record_progress(self, session: Session, document_id: int, done: int, total: int) -> None:
        if not DocumentRepository(session).set_progress(document_id, pages=total, pages_done=done):
            raise ProcessingStopped

    def fail(self, session: Session, document_id: int, reason: str) -> None:
        """End in `failed` with `reason`; nothing else changes."""
        document = DocumentRepository(session).get_for_update(document_id)
        if document is not None and document.state == DocumentState.processing:
            self._fail(document, reason)

    def _fail(self, document: Document, reason: str) -> None:
        document.state = DocumentState.failed
        document.failure_reason = reason[:500]
        document.processed_at = utcnow()
        log.info("knowledge.document.failed", document_id=document.id, reason=reason[:120])

    def finish(self, session: Session, document_id: int, content: PdfContent) -> Document:
        """Store what was read and make the document the one that answers. Idempotent: a
        retried attempt replaces the passages of the one before."""
        documents = DocumentRepository(session)
        document = documents.get_for_update(document_id)
        if document is None or document.state != DocumentState.processing:
            raise ProcessingStopped
        drafts = chunk_document(content)
        documents.replace_chunks(
            document.id,
            [
                DocumentChunk(
                    document_id=document.id,
                    page=draft.page,
                    ordinal=ordinal,
                    kind=draft.kind,
                    text=draft.text,
                    rows=draft.rows,
                )
                for ordinal, draft in enumerate(drafts)
            ],
        )
        replaced = (
            documents.get_for_update(document.replaces_document_id)
            if document.replaces_document_id is not None
            else None
        )
        if replaced is not None and replaced.state != DocumentState.ready:
            replaced = None
        found = extract(content)
        applied = catalogue_service.apply_extraction(
            session,
            document_id=document.id,
            replaced_document_id=replaced.id if replaced is not None else None,
            products=found.products,
            courses=found.courses,
        )
        faqs_flagged = 0
        if replaced is not None:
            replaced.state = DocumentState.superseded
            new_pages: dict[int, list[str]] = {}
            for draft in drafts:
                new_pages.setdefault(draft.page, []).append(draft.text)
            faqs_flagged = flag_changed_faqs(
                session,
                old=replaced,
                new=document,
                old_text=normalise_fact(
                    " ".join(chunk.text for chunk in documents.all_chunks(replaced.id))
                ),
                new_pages={page: normalise_fact(" ".join(t)) for page, t in new_pages.items()},
            )
        document.state = DocumentState.ready
        document.pages = document.pages_done = content.page_count
        document.failure_reason = None
        document.processed_at = utcnow()
        document.summary = {
            "chunks": len(drafts),
            "tables": len(page_tables(content)),
            "products": applied.products_added + applied.products_updated,
            "courses": applied.courses_added + applied.courses_updated,
            "products_added": applied.products_added,
            "products_updated": applied.products_updated,
            "products_retired": applied.products_retired,
            "courses_added": applied.courses_added,
            "courses_updated": applied.courses_updated,
            "faqs_flagged": faqs_flagged,
            "pages_without_text": sum(
                1 for page in content.pages if not page.text and not page.tables
            ),
        }
        bump_revision(session)
        log.info(
            "knowledge.document.ready",
            document_id=document.id,
            replaced_document_id=replaced.id if replaced is not None else None,
            chunks=len(drafts),
            products=document.summary["products"],
            courses=document.summary["courses"],
            faqs_flagged=faqs_flagged,
        )
        return document

    def stuck(self, session: Session, now: datetime) -> list[Document]:
        """Documents left `processing` by a worker that died, or whose job was lost."""
        found = []
        for document in DocumentRepository(session).processing():
            attempt_at = document.summary.get("attempt_at")
            if attempt_at is None:
                if document.created_at < now - LOST_AFTER:
                    found.append(document)
            elif datetime.fromisoformat(attempt_at) < now - STUCK_AFTER:
                found.append(document)
        return found

    def redrive(self, session: Session, document: Document) -> None:
        document.summary = {**document.summary, "attempt_at": utcnow().isoformat()}
        enqueue(session, PROCESS_TASK, document.id)


def _check_replaceable(document: Document) -> None:
    if document.state == DocumentState.processing:
        raise Conflict(
            f"“{document.title}” (v{document.version}) is still being read. Wait until it is "
            "ready, then upload the new version."
        )
    if document.state != DocumentState.ready:
        raise Conflict(
            f"“{document.title}” (v{document.version}) is {document.state.value}: only a ready "
            "document can be replaced."
        )


def extract(content: PdfContent) -> Extraction:
    """Products and courses from the tables (a continued table with its header), courses also
    from the text of pages."""
    products: list[ExtractedProduct] = []
    courses: list[ExtractedCourse] = []
    for table in page_tables(content):
        products.extend(products_from_table(table.rows, table.page))
        courses.extend(courses_from_table(table.rows, table.page))
    for page in content.pages:
        if page.text:
            courses.extend(courses_from_text(page.text, page.number))
    return Extraction(products, _distinct_courses(courses))


def _distinct_courses(courses: Sequence[ExtractedCourse]) -> list[ExtractedCourse]:
    """A brochure lists a course in its table and describes it in text: keep the first."""
    seen: set[tuple[str, object]] = set()
    distinct = []
    for course in courses:
        key = (" ".join(course.title.lower().split()), course.starts_on)
        if key not in seen:
            seen.add(key)
            distinct.append(course)
    return distinct


_SLUG_SEPARATORS = re.compile(r"[_\-]+")


def title_of(filename: str) -> str:
    """A title from a file name: "catalogue_2026.pdf" → "catalogue 2026"."""
    stem = PurePath(filename.replace("\\", "/")).name
    if "." in stem:
        stem = stem.rsplit(".", 1)[0]
    if " " not in stem:
        stem = _SLUG_SEPARATORS.sub(" ", stem)
    return tidy_title(stem) or "Untitled document"


def tidy_title(title: str) -> str:
    return " ".join(title.split())[:TITLE_CHARS]


def too_large(limit_bytes: int) -> str:
    return (
        f"The file is over {limit_bytes / (1024 * 1024):g} MB: upload a smaller PDF, or split it."
    )


document_service = DocumentService()
