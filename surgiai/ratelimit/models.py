from __future__ import annotations

from sqlalchemy import Double, Text
from sqlalchemy.orm import Mapped, mapped_column

from surgiai.db.base import Base


class RateLimitState(Base):
    """The GCRA theoretical arrival time of one rate-limited key, in epoch seconds.

    A row whose `tat` is in the past means the same as no row (a full burst is available), so
    such rows may be deleted at any time (`SqlRateLimiter.delete_expired`).
    """

    __tablename__ = "rate_limit_state"

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    tat: Mapped[float] = mapped_column(Double)
