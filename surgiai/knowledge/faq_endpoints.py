"""`/api/v1/faqs`: the answers SurgiAI may give on its own, and the suggestions waiting for an
admin. Everyone on the team reads them; owners and admins decide."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from surgiai.auth.dependencies import CurrentUser, KnowledgeManager
from surgiai.dependencies import DbSession
from surgiai.kit.schemas import Id
from surgiai.knowledge.faq_schemas import (
    FaqApprove,
    FaqApproved,
    FaqCreate,
    FaqPage,
    FaqRead,
    FaqUpdate,
)
from surgiai.knowledge.faqs import FaqChanges, faq_service
from surgiai.knowledge.models import FaqStatus

router = APIRouter(prefix="/api/v1/faqs", tags=["knowledge"])
EntryId = Annotated[int, Path(ge=1, le=2**63 - 1)]


def _changes(data: FaqUpdate | FaqCreate) -> FaqChanges:
    fields = data.model_dump(exclude_unset=True)
    return FaqChanges(
        question=fields.get("question"),
        phrasings=fields.get("phrasings"),
        answer=fields.get("answer"),
        citation=fields.get("citation"),
        needs_review=fields.get("needs_review"),
    )


@router.get("", response_model=FaqPage)
def list_faqs(
    _: CurrentUser,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before_id: Annotated[
        Id | None, Query(description="Cursor: next_cursor of the last page")
    ] = None,
    faq_status: Annotated[FaqStatus | None, Query(alias="status")] = None,
    needs_review: bool | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> FaqPage:
    entries = faq_service.page(
        session,
        limit=limit,
        before_id=before_id,
        status=faq_status,
        needs_review=needs_review,
        q=q,
    )
    items = [FaqRead.model_validate(entry) for entry in entries]
    return FaqPage(
        items=items,
        next_cursor=items[-1].id if len(items) == limit else None,
        counts=faq_service.counts(session),
    )


@router.post("", response_model=FaqRead, status_code=status.HTTP_201_CREATED)
def create_faq(user: KnowledgeManager, session: DbSession, data: FaqCreate) -> FaqRead:
    """An answer written by an admin: approved at once."""
    return FaqRead.model_validate(faq_service.create(session, user, _changes(data)))


@router.get("/{entry_id}", response_model=FaqRead)
def get_faq(_: CurrentUser, session: DbSession, entry_id: EntryId) -> FaqRead:
    return FaqRead.model_validate(faq_service.get(session, entry_id))


@router.patch("/{entry_id}", response_model=FaqRead)
def update_faq(
    user: KnowledgeManager, session: DbSession, entry_id: EntryId, data: FaqUpdate
) -> FaqRead:
    return FaqRead.model_validate(faq_service.update(session, user, entry_id, _changes(data)))


@router.post("/{entry_id}/approve", response_model=FaqApproved)
def approve_faq(
    user: KnowledgeManager, session: DbSession, entry_id: EntryId, data: FaqApprove
) -> FaqApproved:
    """Approve, with the edits sent; `reply_to_asker` also answers the doctor who asked."""
    outcome = faq_service.approve(
        session, user, entry_id, _changes(data), reply_to_asker=data.reply_to_asker
    )
    return FaqApproved(
        entry=FaqRead.model_validate(outcome.entry),
        reply_message_id=outcome.reply_message_id,
        reply_problem=outcome.reply_problem,
    )


@router.post("/{entry_id}/reject", response_model=FaqRead)
def reject_faq(user: KnowledgeManager, session: DbSession, entry_id: EntryId) -> FaqRead:
    return FaqRead.model_validate(faq_service.reject(session, user, entry_id))


@router.delete("/{entry_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_faq(user: KnowledgeManager, session: DbSession, entry_id: EntryId) -> None:
    faq_service.delete(session, user, entry_id)
