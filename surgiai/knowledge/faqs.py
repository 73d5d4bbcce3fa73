"""The Admin-Approved FAQ engine: answers an admin approved go out on their own; questions
nothing approved answers become suggestions, drafted from the documents with their citation.

Approving teaches: the doctor's own wording stays as a phrasing of the entry (when the admin
rewrote the question), so the same question in other words is then answered automatically.
Approving may also send the answer to the doctor who asked, as the approving admin.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from rapidfuzz import fuzz
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from surgiai.audit.service import audit_service
from surgiai.auth.models import User
from surgiai.catalogue.revision import bump_revision
from surgiai.conversations.models import Conversation, SenderKind
from surgiai.conversations.service import OutboundRequest, message_service
from surgiai.errors import Conflict, NotFound, SurgiAIError, Unprocessable
from surgiai.kit.time import utcnow
from surgiai.knowledge.facts import stated_facts
from surgiai.knowledge.models import FaqEntry, FaqStatus

log = structlog.get_logger(__name__)

# A doctor's question this close to an open suggestion's question or phrasings is the same
# question asked again: it is counted there, not suggested twice.
SAME_QUESTION = 88.0
MAX_PHRASINGS = 50


def fold(text: str) -> str:
    """A question as matching compares it: lower case, words only."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.findall(r"\w+", text))


@dataclass(frozen=True)
class FaqSuggestion:
    question: str
    answer: str
    citation: str | None = None
    facts: tuple[str, ...] = ()
    source_document_id: int | None = None
    source_page: int | None = None
    message_id: int | None = None
    conversation_id: int | None = None


@dataclass(frozen=True)
class FaqChanges:
    """What an admin sets on an entry; None leaves a field as it is."""

    question: str | None = None
    phrasings: Sequence[str] | None = None
    answer: str | None = None
    citation: str | None = None
    # False: the admin checked the entry after a new document version flagged it.
    needs_review: bool | None = None


@dataclass(frozen=True)
class ApprovalOutcome:
    entry: FaqEntry
    # The answer queued to the doctor who asked, when that was asked for and possible.
    reply_message_id: int | None = None
    # Why the answer could not go to the doctor (their 24 h window closed …).
    reply_problem: str | None = None


class FaqService:
    # --- Reading ------------------------------------------------------------------------------

    def get(self, session: Session, entry_id: int) -> FaqEntry:
        entry = session.get(FaqEntry, entry_id)
        if entry is None:
            raise NotFound(f"No FAQ entry with id {entry_id}.")
        return entry

    def page(
        self,
        session: Session,
        *,
        limit: int,
        before_id: int | None = None,
        status: FaqStatus | None = None,
        needs_review: bool | None = None,
        q: str | None = None,
    ) -> list[FaqEntry]:
        query = select(FaqEntry).order_by(FaqEntry.id.desc()).limit(limit)
        if before_id is not None:
            query = query.where(FaqEntry.id < before_id)
        if status is not None:
            query = query.where(FaqEntry.status == status)
        if needs_review is not None:
            query = query.where(FaqEntry.needs_review.is_(needs_review))
        if q:
            pattern = f"%{q.casefold()}%"
            query = query.where(
                or_(
                    func.lower(FaqEntry.question).like(pattern),
                    func.lower(FaqEntry.answer).like(pattern),
                )
            )
        return list(session.scalars(query))

    def counts(self, session: Session) -> dict[str, int]:
        rows = session.execute(
            select(FaqEntry.status, func.count()).group_by(FaqEntry.status)
        ).all()
        counts = {status.value: 0 for status in FaqStatus}
        counts.update({status.value: count for status, count in rows})
        counts["needs_review"] = (
            session.scalar(
                select(func.count())
                .select_from(FaqEntry)
                .where(FaqEntry.needs_review.is_(True), FaqEntry.status == FaqStatus.approved)
            )
            or 0
        )
        return counts

    # --- Suggestions (from the Smart Reply agent) ------------------------------------------

    def suggest(self, session: Session, suggestion: FaqSuggestion) -> FaqEntry:
        """Record a question nothing approved answers. The same question again (in close
        enough words) counts on the open suggestion, and its wording joins the phrasings."""
        question = " ".join(suggestion.question.split())[:500]
        if not question:
            raise Unprocessable("A suggested FAQ needs the question.")
        existing = self._open_suggestion_for(session, question)
        if existing is not None:
            existing.asked_count += 1
            if fold(question) not in {fold(p) for p in [existing.question, *existing.phrasings]}:
                existing.phrasings = [*existing.phrasings, question][-MAX_PHRASINGS:]
            if not existing.answer and suggestion.answer:
                existing.answer = suggestion.answer
                existing.citation = suggestion.citation
                existing.facts = list(suggestion.facts)
            existing.asked_message_id = suggestion.message_id or existing.asked_message_id
            existing.asked_conversation_id = (
                suggestion.conversation_id or existing.asked_conversation_id
            )
            return existing
        entry = FaqEntry(
            question=question,
            phrasings=[],
            answer=suggestion.answer,
            citation=suggestion.citation,
            status=FaqStatus.suggested,
            facts=list(suggestion.facts),
            source_document_id=suggestion.source_document_id,
            source_page=suggestion.source_page,
            asked_message_id=suggestion.message_id,
            asked_conversation_id=suggestion.conversation_id,
            asked_count=1,
        )
        session.add(entry)
        session.flush()
        log.info("knowledge.faq.suggested", faq_id=entry.id)
        return entry

    def _open_suggestion_for(self, session: Session, question: str) -> FaqEntry | None:
        folded = fold(question)
        best: tuple[float, FaqEntry] | None = None
        for entry in session.scalars(
            select(FaqEntry).where(FaqEntry.status == FaqStatus.suggested)
        ):
            score = max(
                fuzz.token_set_ratio(folded, fold(wording))
                for wording in [entry.question, *entry.phrasings]
            )
            if score >= SAME_QUESTION and (best is None or score > best[0]):
                best = (score, entry)
        return best[1] if best else None

    # --- Admins' decisions --------------------------------------------------------------------

    def create(self, session: Session, user: User, changes: FaqChanges) -> FaqEntry:
        """An entry an admin writes: approved at once."""
        if not changes.question or not changes.answer:
            raise Unprocessable("An FAQ entry needs a question and an answer.")
        entry = FaqEntry(
            question=changes.question,
            phrasings=_clean_phrasings(changes.phrasings or (), changes.question),
            answer=changes.answer,
            citation=changes.citation or f"Answered by {user.name}",
            status=FaqStatus.approved,
            facts=list(stated_facts(changes.answer)),
            decided_by_user_id=user.id,
            decided_at=utcnow(),
        )
        session.add(entry)
        session.flush()
        bump_revision(session)
        self._audit(session, user, "faq.created", entry, {"question": entry.question})
        return entry

    def update(self, session: Session, user: User, entry_id: int, changes: FaqChanges) -> FaqEntry:
        entry = self.get(session, entry_id)
        changed = self._apply(entry, changes)
        if changed and entry.status is FaqStatus.approved:
            bump_revision(session)
        if changed:
            self._audit(session, user, "faq.updated", entry, {"fields": changed})
        return entry

    def approve(
        self,
        session: Session,
        user: User,
        entry_id: int,
        changes: FaqChanges,
        *,
        reply_to_asker: bool = False,
    ) -> ApprovalOutcome:
        """Approve a suggestion (or a rejected entry), with the admin's edits. The doctor's
        wording is kept as a phrasing when the admin rewrote the question."""
        entry = self.get(session, entry_id)
        if entry.status is FaqStatus.approved:
            raise Conflict("This FAQ entry is already approved.")
        asked = entry.question
        edited = self._apply(entry, changes)
        if not entry.answer.strip():
            raise Unprocessable("Write the answer before approving: there is no draft to approve.")
        if fold(asked) != fold(entry.question):
            entry.phrasings = _clean_phrasings([asked, *entry.phrasings], entry.question)
        entry.status = FaqStatus.approved
        entry.needs_review = False
        entry.review_reason = None
        entry.decided_by_user_id = user.id
        entry.decided_at = utcnow()
        if not entry.citation:
            entry.citation = f"Answered by {user.name}"
        session.flush()
        bump_revision(session)
        self._audit(session, user, "faq.approved", entry, {"edited": edited})
        log.info("knowledge.faq.approved", faq_id=entry.id, edited=bool(edited))
        if not reply_to_asker:
            return ApprovalOutcome(entry)
        return self._reply_to_asker(session, user, entry)

    def reject(self, session: Session, user: User, entry_id: int) -> FaqEntry:
        entry = self.get(session, entry_id)
        was_approved = entry.status is FaqStatus.approved
        entry.status = FaqStatus.rejected
        entry.decided_by_user_id = user.id
        entry.decided_at = utcnow()
        session.flush()
        if was_approved:
            bump_revision(session)
        self._audit(session, user, "faq.rejected", entry, {})
        return entry

    def delete(self, session: Session, user: User, entry_id: int) -> None:
        entry = self.get(session, entry_id)
        was_approved = entry.status is FaqStatus.approved
        self._audit(session, user, "faq.deleted", entry, {"question": entry.question})
        session.delete(entry)
        session.flush()
        if was_approved:
            bump_revision(session)

    def _reply_to_asker(self, session: Session, user: User, entry: FaqEntry) -> ApprovalOutcome:
        conversation = (
            session.get(Conversation, entry.asked_conversation_id)
            if entry.asked_conversation_id is not None
            else None
        )
        if conversation is None:
            return ApprovalOutcome(entry, reply_problem="No doctor's conversation to answer.")
        body = entry.answer if not entry.citation else f"{entry.answer}\n\n_{entry.citation}_"
        try:
            with session.begin_nested():
                message = message_service.queue_outbound(
                    session,
                    OutboundRequest(
                        doctor_id=conversation.doctor_id,
                        type="text",
                        payload={"body": body},
                        sender_kind=SenderKind.admin,
                        sender_user_id=user.id,
                        number_id=conversation.number_id,
                    ),
                )
        except SurgiAIError as error:
            return ApprovalOutcome(entry, reply_problem=str(error))
        return ApprovalOutcome(entry, reply_message_id=message.id)

    @staticmethod
    def _apply(entry: FaqEntry, changes: FaqChanges) -> list[str]:
        changed: list[str] = []
        if changes.question is not None and changes.question != entry.question:
            entry.question = changes.question
            changed.append("question")
        if changes.answer is not None and changes.answer != entry.answer:
            entry.answer = changes.answer
            entry.facts = list(stated_facts(changes.answer))
            changed.append("answer")
        if changes.citation is not None and changes.citation != entry.citation:
            entry.citation = changes.citation or None
            changed.append("citation")
        if changes.phrasings is not None:
            phrasings = _clean_phrasings(changes.phrasings, entry.question)
            if phrasings != entry.phrasings:
                entry.phrasings = phrasings
                changed.append("phrasings")
        if changes.needs_review is not None and changes.needs_review != entry.needs_review:
            entry.needs_review = changes.needs_review
            if not changes.needs_review:
                entry.review_reason = None
            changed.append("needs_review")
        return changed

    @staticmethod
    def _audit(
        session: Session, user: User, action: str, entry: FaqEntry, details: dict[str, Any]
    ) -> None:
        audit_service.record(
            session,
            action,
            actor_user_id=user.id,
            actor_email=user.email,
            target_type="faq_entry",
            target_id=entry.id,
            details=details,
        )


def _clean_phrasings(phrasings: Sequence[str], question: str) -> list[str]:
    """Trimmed, distinct from each other and from the question, at most MAX_PHRASINGS."""
    seen = {fold(question)}
    kept: list[str] = []
    for phrasing in phrasings:
        text = " ".join(phrasing.split())[:500]
        key = fold(text)
        if key and key not in seen:
            seen.add(key)
            kept.append(text)
    return kept[:MAX_PHRASINGS]


faq_service = FaqService()
