"""Reading uploaded documents, and re-driving those a dead worker left half read."""

from __future__ import annotations

import time

import structlog

from surgiai.kit.time import utcnow
from surgiai.knowledge.documents import (
    FILE_GONE,
    GENERIC_FAILURE,
    PROCESS_TASK,
    ProcessingStopped,
    document_service,
)
from surgiai.knowledge.pdf import UnreadablePdf, read_pdf
from surgiai.runtime import TaskContext
from surgiai.worker.registry import sweeper, task

log = structlog.get_logger(__name__)

# Progress is committed at most this often: each commit takes SQLite's write lock, which the
# rest of SurgiAI (doctors' messages) needs more than the dashboard needs a smoother bar.
PROGRESS_INTERVAL_SECONDS = 0.5


@task(PROCESS_TASK)
def process_document(context: TaskContext, document_id: int) -> None:
    """Read the document's PDF and make it ready, or failed with the reason. No transaction
    is held while the file is read: progress is committed on its own as it goes, and what was
    read is stored in one last transaction (which the runner commits)."""
    session = context.session
    document = document_service.start(session, document_id)
    session.commit()
    if document is None:
        return
    try:
        path = document_service.source_path(session, context.settings, document)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            document_service.fail(session, document_id, FILE_GONE)
            return
        last_commit = 0.0

        def progress(done: int, total: int) -> None:
            nonlocal last_commit
            now = time.monotonic()
            if done == 1 or now - last_commit >= PROGRESS_INTERVAL_SECONDS:
                document_service.record_progress(session, document_id, done, total)
                session.commit()
                last_commit = now

        content = read_pdf(data, max_pages=context.settings.document_max_pages, on_page=progress)
        document_service.finish(session, document_id, content)
    except ProcessingStopped:
        session.rollback()
        log.info("knowledge.document.stopped", document_id=document_id)
    except UnreadablePdf as error:
        session.rollback()
        document_service.fail(session, document_id, error.reason)
    except Exception:
        session.rollback()
        log.exception("knowledge.document.processing_failed", document_id=document_id)
        document_service.fail(session, document_id, GENERIC_FAILURE)


@sweeper("knowledge.documents")
def redrive_documents(context: TaskContext) -> int:
    """Documents a dead worker left `processing`, or whose job was lost, are read again."""
    documents = document_service.stuck(context.session, utcnow())
    for document in documents:
        document_service.redrive(context.session, document)
    return len(documents)
