from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, select, update
from sqlalchemy.orm import Session

from surgiai.db.upsert import conflict_insert
from surgiai.external_events.models import EventState, ExternalEvent


class ExternalEventRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def claim_pending(self, limit: int, now: datetime) -> list[int]:
        """Mark up to `limit` pending events as processing; only one worker gets each."""
        oldest = (
            select(ExternalEvent.id)
            .where(ExternalEvent.state == EventState.pending)
            .order_by(ExternalEvent.id)
            .limit(limit)
        )
        statement = (
            update(ExternalEvent)
            .where(ExternalEvent.id.in_(oldest), ExternalEvent.state == EventState.pending)
            .values(
                state=EventState.processing, claimed_at=now, attempts=ExternalEvent.attempts + 1
            )
            .returning(ExternalEvent.id)
        )
        return sorted(self.session.scalars(statement).all())

    def release_stale(self, claimed_before: datetime) -> int:
        """Processing claims of a worker that died go back to pending."""
        result = self.session.execute(
            update(ExternalEvent)
            .where(
                ExternalEvent.state == EventState.processing,
                ExternalEvent.claimed_at < claimed_before,
            )
            .values(state=EventState.pending, claimed_at=None)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def get(self, event_id: int) -> ExternalEvent | None:
        return self.session.get(ExternalEvent, event_id)

    def has_pending_before(self, moment: datetime) -> bool:
        return (
            self.session.scalar(
                select(ExternalEvent.id)
                .where(
                    ExternalEvent.state == EventState.pending, ExternalEvent.received_at < moment
                )
                .limit(1)
            )
            is not None
        )

    def page(
        self, *, state: EventState | None, limit: int, before_id: int | None
    ) -> Sequence[ExternalEvent]:
        statement = select(ExternalEvent).order_by(ExternalEvent.id.desc()).limit(limit)
        if state is not None:
            statement = statement.where(ExternalEvent.state == state)
        if before_id is not None:
            statement = statement.where(ExternalEvent.id < before_id)
        return self.session.scalars(statement).all()


def insert_ignoring_duplicates(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Store many deliveries in one statement; a delivery already stored is skipped."""
    insert = conflict_insert(connection.dialect.name)
    # The Core table, not the mapped class: the ORM's bulk path costs more than the insert.
    table = cast(Table, ExternalEvent.__table__)
    statement = insert(table).on_conflict_do_nothing(index_elements=["source", "external_id"])
    connection.execute(statement, rows)
