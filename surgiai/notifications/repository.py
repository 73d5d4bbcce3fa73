from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from surgiai.notifications.models import Notification


class NotificationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, notification: Notification) -> Notification:
        self.session.add(notification)
        self.session.flush()
        return notification

    def get(self, notification_id: int) -> Notification | None:
        return self.session.get(Notification, notification_id)

    def page(
        self, *, include_dismissed: bool, limit: int, before_id: int | None
    ) -> Sequence[Notification]:
        statement = select(Notification).order_by(Notification.id.desc()).limit(limit)
        if not include_dismissed:
            statement = statement.where(Notification.dismissed_at.is_(None))
        if before_id is not None:
            statement = statement.where(Notification.id < before_id)
        return self.session.scalars(statement).all()
