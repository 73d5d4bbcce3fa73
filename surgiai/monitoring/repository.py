from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from surgiai.monitoring.models import HealthState


class HealthStateRepository:
    """What the Health Monitoring agent last saw, per subject."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def all(self) -> dict[str, HealthState]:
        return {row.subject: row for row in self.session.scalars(select(HealthState))}

    def add(self, state: HealthState) -> None:
        self.session.add(state)

    def forget(self, subjects: Sequence[str]) -> None:
        if subjects:
            self.session.execute(delete(HealthState).where(HealthState.subject.in_(subjects)))
