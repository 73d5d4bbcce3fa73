from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from surgiai.audit.models import AuditEvent
from surgiai.db.upsert import insert_ignore_conflict


class AuditRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def insert_once(self, values: dict[str, Any]) -> bool:
        return insert_ignore_conflict(self.session, AuditEvent, values, ["event_key"])

    def page(
        self, *, limit: int, before_id: int | None, action: str | None
    ) -> Sequence[AuditEvent]:
        statement = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
        if before_id is not None:
            statement = statement.where(AuditEvent.id < before_id)
        if action is not None:
            statement = statement.where(AuditEvent.action == action)
        return self.session.scalars(statement).all()
