from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from surgiai.external_events.models import EventState, ExternalEvent


class ExternalEventRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def insert_new(self, rows: list[dict[str, Any]]) -> list[int]:
        """Insert many events at once; returns the ids of those not already stored."""
        if not rows:
            return []
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = (
            insert(ExternalEvent)
            .on_conflict_do_nothing(index_elements=["source", "external_id"])
            .returning(ExternalEvent.id)
        )
        return [row[0] for row in self.session.execute(statement, rows)]

    def get(self, event_id: int) -> ExternalEvent | None:
        return self.session.get(ExternalEvent, event_id)

    def pending_before(self, moment: datetime, limit: int) -> Sequence[int]:
        return self.session.scalars(
            select(ExternalEvent.id)
            .where(ExternalEvent.state == EventState.pending, ExternalEvent.received_at < moment)
            .order_by(ExternalEvent.id)
            .limit(limit)
        ).all()

    def page(
        self, *, state: EventState | None, limit: int, before_id: int | None
    ) -> Sequence[ExternalEvent]:
        statement = select(ExternalEvent).order_by(ExternalEvent.id.desc()).limit(limit)
        if state is not None:
            statement = statement.where(ExternalEvent.state == state)
        if before_id is not None:
            statement = statement.where(ExternalEvent.id < before_id)
        return self.session.scalars(statement).all()
