"""Notifications for the team, pushed live to the dashboard (`notification.created`)."""

from __future__ import annotations

from collections.abc import Sequence

import structlog
from sqlalchemy.orm import Session

from surgiai.db.outbox import publish
from surgiai.errors import NotFound
from surgiai.kit.events import Event
from surgiai.kit.time import utcnow
from surgiai.notifications.models import Notification
from surgiai.notifications.repository import NotificationRepository
from surgiai.notifications.schemas import NotificationRead

log = structlog.get_logger(__name__)


class NotificationService:
    def notify(
        self,
        session: Session,
        kind: str,
        title: str,
        *,
        body: str | None = None,
        conversation_id: int | None = None,
    ) -> Notification:
        notification = Notification(
            kind=kind, title=title[:300], body=body, conversation_id=conversation_id
        )
        NotificationRepository(session).add(notification)
        log.info("notifications.created", kind=kind, notification_id=notification.id)
        publish(
            session,
            ("notification.created", notification.id),
            lambda: Event(
                "notification.created",
                NotificationRead.model_validate(notification).model_dump(mode="json"),
            ),
        )
        return notification

    def list(
        self, session: Session, *, include_dismissed: bool, limit: int, before_id: int | None
    ) -> Sequence[Notification]:
        return NotificationRepository(session).page(
            include_dismissed=include_dismissed, limit=limit, before_id=before_id
        )

    def dismiss(self, session: Session, notification_id: int, user_id: int) -> Notification:
        notification = NotificationRepository(session).get(notification_id)
        if notification is None:
            raise NotFound(f"No notification with id {notification_id}.")
        if notification.dismissed_at is None:
            notification.dismissed_at = utcnow()
            notification.dismissed_by_user_id = user_id
        return notification


notification_service = NotificationService()
