"""A new version of a document replaces the old one: approved FAQ answers that stated facts of
the old version (prices, dates, codes) are checked against the new one, and those whose facts
are gone wait for an admin's review instead of repeating a stale price."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy.orm import Session

from surgiai.knowledge.facts_text import contains_fact
from surgiai.knowledge.models import Document, FaqEntry
from surgiai.knowledge.repository import DocumentRepository

REVIEW_REASON_CHARS = 500


def flag_changed_faqs(
    session: Session,
    *,
    old: Document,
    new: Document,
    old_text: str,
    new_pages: Mapping[int, str],
) -> int:
    """Check every approved FAQ that rests on `old`: its source is `old`, or (written by an
    admin, with no source) one of its facts is in `old_text`. Each one moves to `new`; one whose
    facts are not all in `new` is flagged for review. `old_text` and `new_pages` (page number →
    text) are normalised (`facts_text.normalise_fact`). Returns how many were flagged."""
    new_text = " ".join(new_pages[page] for page in sorted(new_pages))
    flagged = 0
    for faq in DocumentRepository(session).approved_faqs():
        if not _rests_on(faq, old, old_text):
            continue
        missing = [fact for fact in faq.facts if not contains_fact(new_text, fact)]
        if faq.source_document_id == old.id:
            faq.source_document_id = new.id
            faq.source_page = _page_of(faq.facts, new_pages) or faq.source_page
        if missing:
            faq.needs_review = True
            faq.review_reason = review_reason(missing, new)
            flagged += 1
    return flagged


def _rests_on(faq: FaqEntry, old: Document, old_text: str) -> bool:
    if faq.source_document_id == old.id:
        return True
    # An entry citing another document is that document's to check.
    if faq.source_document_id is not None:
        return False
    return any(contains_fact(old_text, fact) for fact in faq.facts)


def _page_of(facts: Sequence[str], pages: Mapping[int, str]) -> int | None:
    """The first page holding every fact (None when no page does, or there are none)."""
    if not facts:
        return None
    for page in sorted(pages):
        if all(contains_fact(pages[page], fact) for fact in facts):
            return page
    return None


def review_reason(missing: Sequence[str], new: Document) -> str:
    """ "₹ 2,450 is no longer in Catalogue 2026 (v2)"."""
    verb = "is" if len(missing) == 1 else "are"
    listed = ", ".join(missing)
    reason = f"{listed} {verb} no longer in {new.title} (v{new.version})"
    if len(reason) <= REVIEW_REASON_CHARS:
        return reason
    tail = f" … {verb} no longer in {new.title} (v{new.version})"
    return listed[: REVIEW_REASON_CHARS - len(tail)] + tail
