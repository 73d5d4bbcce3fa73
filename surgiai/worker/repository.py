from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from surgiai.db.upsert import conflict_insert
from surgiai.worker.models import WorkerHeartbeat


class HeartbeatRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def beat(self, worker_id: str, values: Mapping[str, Any]) -> None:
        insert = conflict_insert(self.session.get_bind().dialect.name)
        self.session.execute(
            insert(WorkerHeartbeat)
            .values(worker_id=worker_id, **values)
            .on_conflict_do_update(index_elements=["worker_id"], set_=dict(values))
        )

    def remove(self, worker_id: str) -> None:
        self.session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.worker_id == worker_id))

    def last_beats(self, worker_ids: Iterable[str]) -> dict[str, datetime]:
        return {
            worker_id: last_beat_at
            for worker_id, last_beat_at in self.session.execute(
                select(WorkerHeartbeat.worker_id, WorkerHeartbeat.last_beat_at).where(
                    WorkerHeartbeat.worker_id.in_(list(worker_ids))
                )
            )
        }

    def all(self) -> Sequence[WorkerHeartbeat]:
        return self.session.scalars(
            select(WorkerHeartbeat).order_by(WorkerHeartbeat.worker_id)
        ).all()

    def forget_silent_since(self, moment: datetime) -> int:
        result = self.session.execute(
            delete(WorkerHeartbeat).where(WorkerHeartbeat.last_beat_at < moment)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
