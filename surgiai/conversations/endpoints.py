from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, status

from surgiai.auth.dependencies import CurrentUser, require
from surgiai.auth.models import User
from surgiai.auth.roles import Permission
from surgiai.conversations.events import user_names
from surgiai.conversations.models import Direction, SenderKind
from surgiai.conversations.schemas import MessageCreate, MessagePage, MessageRead
from surgiai.conversations.service import OutboundRequest, message_service
from surgiai.conversations.views import message_read
from surgiai.dependencies import DbSession
from surgiai.kit.schemas import Id, error_responses

router = APIRouter(prefix="/api/v1/messages", tags=["messages"])
Converser = Annotated[User, Depends(require(Permission.converse))]


@router.post(
    "",
    response_model=MessageRead,
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(503),
)
def send_message(body: MessageCreate, user: Converser, session: DbSession) -> MessageRead:
    """Queue a message to a doctor; `GET /api/v1/messages/{id}` follows its fate."""
    message = message_service.queue_outbound(
        session,
        OutboundRequest(
            to=body.to,
            doctor_id=body.doctor_id,
            type=body.type,
            payload=body.type_object,
            sender_kind=SenderKind.admin,
            sender_user_id=user.id,
            number_id=body.number_id,
            context_message_id=body.context_message_id,
        ),
    )
    return message_read(message, {user.id: user.name})


@router.get("/{message_id}", response_model=MessageRead)
def get_message(message_id: Id, _: CurrentUser, session: DbSession) -> MessageRead:
    message = message_service.get(session, message_id)
    return message_read(message, user_names(session, {message.sender_user_id}))


@router.get("", response_model=MessagePage)
def list_messages(
    _: CurrentUser,
    session: DbSession,
    wa_id: Annotated[str, Query(min_length=5, max_length=32, description="The doctor's number")],
    direction: Literal["in", "out"] | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before_id: Annotated[
        Id | None, Query(description="Cursor: next_cursor of the last page")
    ] = None,
) -> MessagePage:
    messages = message_service.list_for_doctor(
        session,
        wa_id,
        direction=Direction(direction) if direction else None,
        limit=limit,
        before_id=before_id,
    )
    names = user_names(session, {message.sender_user_id for message in messages})
    items = [message_read(message, names) for message in messages]
    return MessagePage(items=items, next_cursor=items[-1].id if len(items) == limit else None)
