"""The knowledge revision: bumped with every change to what SurgiAI answers from."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from surgiai.catalogue.models import SINGLE_ROW_ID, KnowledgeRevision


def bump_revision(session: Session) -> None:
    """Call in the transaction that changes products, courses, documents or FAQs."""
    updated = session.execute(
        update(KnowledgeRevision)
        .where(KnowledgeRevision.id == SINGLE_ROW_ID)
        .values(revision=KnowledgeRevision.revision + 1)
    )
    if updated.rowcount == 0:  # type: ignore[attr-defined]
        session.add(KnowledgeRevision(id=SINGLE_ROW_ID, revision=1))
        session.flush()


def current_revision(session: Session) -> int:
    revision = session.scalar(
        select(KnowledgeRevision.revision).where(KnowledgeRevision.id == SINGLE_ROW_ID)
    )
    return revision or 0
