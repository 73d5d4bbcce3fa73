from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, or_, select, update
from sqlalchemy.orm import Session

from surgiai.db.upsert import conflict_insert
from surgiai.external_events.models import EventState, ExternalEvent
from surgiai.worker.claimants import this_claimant


@dataclass(frozen=True)
class ClaimedEvent:
    id: int
    source: str
    body: bytes
    attempts: int
    receipts_only: bool = False


class ExternalEventRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def claim_pending(self, limit: int, now: datetime) -> list[ClaimedEvent]:
        """Mark up to `limit` pending events as processing and return them with their bodies;
        only one worker gets each. Deliveries with more than receipts come first (a doctor's
        message, a quality downgrade), then receipts, oldest first in each: statuses only move
        forward, so a receipt applied late is the same receipt."""
        rows = self.session.connection().execute(
            _CLAIM, {"limit": limit, "when": now, "claimant": this_claimant()}
        )
        return sorted(
            (
                ClaimedEvent(row.id, row.source, bytes(row.body), row.attempts, row.receipts_only)
                for row in rows
            ),
            key=lambda event: (event.receipts_only, event.id),
        )

    def finish(self, ids: list[int], state: EventState, now: datetime) -> None:
        """Record the outcome of events processed without error."""
        if ids:
            self.session.connection().execute(
                _FINISH, {"ids": ids, "new_state": state.value, "when": now}
            )

    def record_outcome(
        self, event_id: int, state: EventState, error: str, processed_at: datetime | None
    ) -> None:
        """One event's outcome with its reason (failed, retried or unrouted)."""
        self.session.connection().execute(
            _OUTCOME,
            {
                "event_id": event_id,
                "new_state": state.value,
                "reason": error[:1000],
                "when": processed_at,
            },
        )

    def claimants(self) -> set[str | None]:
        """The processes holding processing claims."""
        return set(
            self.session.scalars(
                select(ExternalEvent.claimed_by)
                .where(ExternalEvent.state == EventState.processing)
                .distinct()
            )
        )

    def release_stale(self, claimed_before: datetime, gone: Collection[str] = ()) -> int:
        """Processing claims of a worker that died (claimed before `claimed_before`, or by a
        claimant `gone`) go back to pending."""
        result = self.session.execute(
            update(ExternalEvent)
            .where(
                ExternalEvent.state == EventState.processing,
                or_(
                    ExternalEvent.claimed_at < claimed_before,
                    ExternalEvent.claimed_by.in_(list(gone)),
                ),
            )
            .values(state=EventState.pending, claimed_at=None, claimed_by=None)
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


# Built once: these run for every webhook delivery (see conversations/repository.py).
_TABLE = cast(Table, ExternalEvent.__table__)
_OLDEST_PENDING = (
    select(_TABLE.c.id)
    .where(_TABLE.c.state == EventState.pending.value)
    .order_by(_TABLE.c.receipts_only, _TABLE.c.id)
    .limit(bindparam("limit"))
)
_CLAIM = (
    update(_TABLE)
    .where(_TABLE.c.id.in_(_OLDEST_PENDING), _TABLE.c.state == EventState.pending.value)
    .values(
        state=EventState.processing.value,
        claimed_at=bindparam("when"),
        claimed_by=bindparam("claimant"),
        attempts=_TABLE.c.attempts + 1,
    )
    .returning(
        _TABLE.c.id, _TABLE.c.source, _TABLE.c.body, _TABLE.c.attempts, _TABLE.c.receipts_only
    )
)
_FINISH = (
    update(_TABLE)
    .where(_TABLE.c.id.in_(bindparam("ids", expanding=True)))
    .values(state=bindparam("new_state"), processed_at=bindparam("when"), error=None)
)
_OUTCOME = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("event_id"))
    .values(state=bindparam("new_state"), error=bindparam("reason"), processed_at=bindparam("when"))
)
