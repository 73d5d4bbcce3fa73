from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from surgiai.commands.models import PendingCommand, PendingCommandState


class PendingCommandRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, command: PendingCommand) -> None:
        self.session.add(command)

    def latest_open(self, user_id: int, *, expiring_after: datetime) -> PendingCommand | None:
        """The user's latest unanswered proposal that expires (or expired) after the moment."""
        return self.session.scalars(
            select(PendingCommand)
            .where(
                PendingCommand.user_id == user_id,
                PendingCommand.state == PendingCommandState.pending,
                PendingCommand.expires_at > expiring_after,
            )
            .order_by(PendingCommand.id.desc())
            .limit(1)
        ).first()

    def answer(self, command_id: int, state: PendingCommandState, now: datetime) -> bool:
        """Close a question still open; False if something else closed it first."""
        result = self.session.execute(
            update(PendingCommand)
            .where(
                PendingCommand.id == command_id,
                PendingCommand.state == PendingCommandState.pending,
            )
            .values(state=state, answered_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def supersede_open(self, user_id: int, now: datetime) -> None:
        self.session.execute(
            update(PendingCommand)
            .where(
                PendingCommand.user_id == user_id,
                PendingCommand.state == PendingCommandState.pending,
            )
            .values(state=PendingCommandState.superseded, answered_at=now)
            .execution_options(synchronize_session=False)
        )
