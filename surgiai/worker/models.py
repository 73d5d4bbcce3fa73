from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from surgiai.db.base import Base
from surgiai.kit.time import utcnow


class WorkerHeartbeat(Base):
    """A worker process says it is alive; one that stops beating is shown as down."""

    __tablename__ = "worker_heartbeat"

    worker_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_beat_at: Mapped[datetime] = mapped_column(default=utcnow)
    threads: Mapped[int] = mapped_column(default=0)
    embedded: Mapped[bool] = mapped_column(default=False)
