"""The team inbox API: conversations, threads, takeover, notes, typing, preview-and-send, and
the approval queue of AI drafts."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response, status

from surgiai.auth.dependencies import CurrentUser, require
from surgiai.auth.models import User
from surgiai.auth.roles import Permission, has_permission
from surgiai.conversations.drafts import draft_service
from surgiai.conversations.inbox import inbox_service
from surgiai.conversations.models import ConversationMode, ConversationStatus, DraftStatus
from surgiai.conversations.repository import ConversationFilters
from surgiai.conversations.schemas import (
    ConversationPage,
    ConversationRead,
    ConversationUpdate,
    DraftApprove,
    DraftPage,
    DraftRead,
    DraftReject,
    MessagePage,
    MessageRead,
    NoteCreate,
    NoteRead,
    Preview,
    ThreadMessageCreate,
    TypingCreate,
    UserRef,
)
from surgiai.dependencies import DbSession
from surgiai.kit.schemas import Id, error_responses

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])
drafts_router = APIRouter(prefix="/api/v1/drafts", tags=["drafts"])
Converser = Annotated[User, Depends(require(Permission.converse))]


@router.get("", response_model=ConversationPage)
def list_conversations(
    user: CurrentUser,
    session: DbSession,
    mode: Literal["ai", "draft", "human"] | None = None,
    conversation_status: Annotated[Literal["open", "closed"] | None, Query(alias="status")] = None,
    unread: Annotated[bool | None, Query(description="Only with (true) or without unread")] = None,
    number_id: Id | None = None,
    assigned: Annotated[
        str | None,
        Query(pattern=r"^(me|none|[1-9][0-9]{0,17})$", description='"me", "none" or a user id'),
    ] = None,
    tag: Annotated[str | None, Query(max_length=64)] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Doctor name or number, or message text")
    ] = None,
    awaiting: Annotated[
        bool,
        Query(
            description="Only open conversations waiting for our answer (the doctor wrote last, "
            "or an agent only acknowledged and handed over), longest waiting first"
        ),
    ] = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200, description="next_cursor")] = None,
) -> ConversationPage:
    """Newest activity first (the awaiting queue: longest waiting first)."""
    filters = ConversationFilters(
        mode=ConversationMode(mode) if mode else None,
        status=ConversationStatus(conversation_status) if conversation_status else None,
        unread=unread,
        number_id=number_id,
        assigned_user_id=(
            user.id
            if assigned == "me"
            else int(assigned)
            if assigned and assigned.isdigit()
            else None
        ),
        unassigned=assigned == "none",
        tag=tag,
        q=q.strip() if q and q.strip() else None,
        awaiting=awaiting,
    )
    return inbox_service.page(session, filters, limit=limit, cursor=cursor)


@router.get("/assignees", response_model=list[UserRef])
def list_assignees(_: Converser, session: DbSession) -> list[UserRef]:
    """The colleagues a conversation can be assigned to: active users who may answer doctors."""
    return inbox_service.assignees(session)


@router.get("/{conversation_id}", response_model=ConversationRead)
def get_conversation(conversation_id: Id, _: CurrentUser, session: DbSession) -> ConversationRead:
    return inbox_service.read_one(session, inbox_service.get(session, conversation_id))


@router.patch("/{conversation_id}", response_model=ConversationRead)
def update_conversation(
    conversation_id: Id, body: ConversationUpdate, user: Converser, session: DbSession
) -> ConversationRead:
    """Open/close, assign (`assigned_user_id`, null to unassign), set the mode, set tags."""
    conversation = inbox_service.update(session, conversation_id, body, user)
    return inbox_service.read_one(session, conversation)


@router.get("/{conversation_id}/messages", response_model=MessagePage)
def get_thread(
    conversation_id: Id,
    user: CurrentUser,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before_id: Annotated[Id | None, Query(description="next_cursor of the last page")] = None,
) -> MessagePage:
    """Newest first. Opening it (first page) as a user who answers doctors marks the doctor's
    messages read and sends WhatsApp's read receipt; viewers leave them unread."""
    return inbox_service.thread(
        session,
        conversation_id,
        limit=limit,
        before_id=before_id,
        mark_read=has_permission(user.role, Permission.converse),
    )


@router.post("/{conversation_id}/read", response_model=ConversationRead)
def mark_read(conversation_id: Id, _: Converser, session: DbSession) -> ConversationRead:
    """Mark the doctor's messages read (and send WhatsApp's read receipt): for a message that
    arrives in the conversation someone has open."""
    conversation = inbox_service.mark_conversation_read(session, conversation_id)
    return inbox_service.read_one(session, conversation)


@router.post(
    "/{conversation_id}/messages",
    response_model=MessageRead | Preview,
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(503),
)
def send_in_conversation(
    conversation_id: Id,
    body: ThreadMessageCreate,
    user: Converser,
    session: DbSession,
    response: Response,
) -> MessageRead | Preview:
    """Send to this conversation's doctor from its number (202, the queued message), or with
    `"preview": true` show what would be sent and whether it can be (200, nothing sent)."""
    if body.preview:
        response.status_code = status.HTTP_200_OK
        return inbox_service.preview(session, conversation_id, body, user)
    return inbox_service.send(session, conversation_id, body, user)


@router.post("/{conversation_id}/takeover", response_model=ConversationRead)
def take_over(conversation_id: Id, user: Converser, session: DbSession) -> ConversationRead:
    """Human mode, assigned to you: no automatic message reaches this doctor until release."""
    conversation = inbox_service.takeover(session, conversation_id, user)
    return inbox_service.read_one(session, conversation)


@router.post("/{conversation_id}/release", response_model=ConversationRead)
def release(conversation_id: Id, user: Converser, session: DbSession) -> ConversationRead:
    """Back to the number's default mode (usually `ai`)."""
    conversation = inbox_service.release(session, conversation_id, user)
    return inbox_service.read_one(session, conversation)


@router.get("/{conversation_id}/notes", response_model=list[NoteRead])
def list_notes(conversation_id: Id, _: CurrentUser, session: DbSession) -> list[NoteRead]:
    return inbox_service.notes(session, conversation_id)


@router.post(
    "/{conversation_id}/notes", response_model=NoteRead, status_code=status.HTTP_201_CREATED
)
def add_note(
    conversation_id: Id, body: NoteCreate, user: Converser, session: DbSession
) -> NoteRead:
    """An internal note: the team sees it, the doctor never does."""
    return inbox_service.add_note(session, conversation_id, body.body, user)


@router.post("/{conversation_id}/typing", status_code=status.HTTP_204_NO_CONTENT)
def typing(
    conversation_id: Id, body: TypingCreate, user: Converser, session: DbSession
) -> Response:
    """You are writing a reply: other admins see it, and so does the doctor (WhatsApp's
    typing indicator, refreshed at most every 20 s)."""
    conversation = inbox_service.get(session, conversation_id)
    inbox_service.typing(session, conversation, active=body.active, user=user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- Approval queue ------------------------------------------------------------------------------


@drafts_router.get("", response_model=DraftPage)
def list_drafts(
    _: CurrentUser,
    session: DbSession,
    draft_status: Annotated[
        Literal["pending", "approved", "rejected"] | None, Query(alias="status")
    ] = "pending",
    conversation_id: Id | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before_id: Annotated[Id | None, Query(description="next_cursor of the last page")] = None,
) -> DraftPage:
    """Pending drafts by default, newest first."""
    drafts = draft_service.find(
        session,
        status=DraftStatus(draft_status) if draft_status else None,
        conversation_id=conversation_id,
        limit=limit,
        before_id=before_id,
    )
    items = draft_service.read(session, drafts)
    return DraftPage(items=items, next_cursor=items[-1].id if len(items) == limit else None)


@drafts_router.get("/{draft_id}", response_model=DraftRead)
def get_draft(draft_id: Id, _: CurrentUser, session: DbSession) -> DraftRead:
    return draft_service.read(session, [draft_service.get(session, draft_id)])[0]


@drafts_router.post("/{draft_id}/approve", response_model=DraftRead)
def approve_draft(
    draft_id: Id, user: Converser, session: DbSession, body: DraftApprove | None = None
) -> DraftRead:
    """Send it as proposed (empty body), or send your edit (`{"type": "text", "text": {...}}`);
    both versions are kept."""
    draft = draft_service.approve(session, draft_id, user, body or DraftApprove())
    return draft_service.read(session, [draft])[0]


@drafts_router.post("/{draft_id}/reject", response_model=DraftRead)
def reject_draft(
    draft_id: Id, user: Converser, session: DbSession, body: DraftReject | None = None
) -> DraftRead:
    draft = draft_service.reject(session, draft_id, user, body.reason if body else None)
    return draft_service.read(session, [draft])[0]
