from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class NotificationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    title: str
    body: str | None
    conversation_id: int | None
    created_at: datetime
    dismissed_at: datetime | None
    dismissed_by_user_id: int | None


class NotificationPage(BaseModel):
    items: list[NotificationRead]
    next_cursor: int | None
