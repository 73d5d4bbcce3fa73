from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from surgiai.db.base import Base
from surgiai.kit.time import utcnow


class HealthState(Base):
    """The last state the Health Monitoring agent saw for one subject (`agent:greeting`,
    `number:3`): it alerts when that state changes, never again while it persists."""

    __tablename__ = "health_state"

    subject: Mapped[str] = mapped_column(String(80), primary_key=True)
    # healthy, degraded, down or disabled.
    state: Mapped[str] = mapped_column(String(16))
    # What exactly is wrong, as a stable key ("quality:RED", "paused"): a number whose quality
    # drops from YELLOW to RED stays degraded, yet is news.
    condition: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
