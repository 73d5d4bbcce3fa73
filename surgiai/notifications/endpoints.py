from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from surgiai.auth.dependencies import CurrentUser, require
from surgiai.auth.models import User
from surgiai.auth.roles import Permission
from surgiai.dependencies import DbSession
from surgiai.kit.schemas import Id
from surgiai.notifications.schemas import NotificationPage, NotificationRead
from surgiai.notifications.service import notification_service

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])
Converser = Annotated[User, Depends(require(Permission.converse))]


@router.get("", response_model=NotificationPage)
def list_notifications(
    _: CurrentUser,
    session: DbSession,
    include_dismissed: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before_id: Annotated[Id | None, Query(description="next_cursor of the last page")] = None,
) -> NotificationPage:
    rows = notification_service.list(
        session, include_dismissed=include_dismissed, limit=limit, before_id=before_id
    )
    items = [NotificationRead.model_validate(row) for row in rows]
    return NotificationPage(items=items, next_cursor=items[-1].id if len(items) == limit else None)


@router.post("/{notification_id}/dismiss", response_model=NotificationRead)
def dismiss_notification(
    notification_id: Id, user: Converser, session: DbSession
) -> NotificationRead:
    return NotificationRead.model_validate(
        notification_service.dismiss(session, notification_id, user.id)
    )
