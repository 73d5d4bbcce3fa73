"""GCRA state in a database table, for the embedded (SQLite) and PostgreSQL deployments."""

from __future__ import annotations

import time

from sqlalchemy import Double, Engine, Text, bindparam, delete, text

from surgiai.ratelimit.base import RESOLUTION, Clock, check_limits, wait_after
from surgiai.ratelimit.models import RateLimitState


class SqlRateLimiter:
    """One short transaction of its own per reservation: a single `INSERT … ON CONFLICT DO
    UPDATE … WHERE wait <= max_wait RETURNING tat`, which the database applies atomically
    (PostgreSQL locks the row; SQLite holds the write lock of BEGIN IMMEDIATE), so every process
    and thread sharing the database shares one exact pace.

    On SQLite, call `reserve` outside any transaction of your own on the same file that has
    written: with `make_engine`, such a transaction holds the write lock, and the reservation
    would wait for it.
    """

    def __init__(self, engine: Engine, *, clock: Clock = time.time) -> None:
        if engine.dialect.name not in {"sqlite", "postgresql"}:
            raise ValueError(f"no rate limiter for the {engine.dialect.name} dialect")
        self._engine = engine
        self._clock = clock

    def reserve(
        self, key: str, *, rate_per_second: float, burst: int, max_wait: float, count: int = 1
    ) -> float:
        interval = check_limits(rate_per_second, burst, max_wait, count)
        now = self._clock()
        span = count * interval
        params = {
            "key": key,
            "now": now,
            "interval": interval,
            "span": span,
            "horizon": burst * interval + max_wait + RESOLUTION,
        }
        with self._engine.begin() as connection:
            new_tat = connection.execute(_RESERVE, params).scalar_one_or_none()
            if new_tat is not None:
                first_tat = new_tat - span + interval
                return wait_after(first_tat, now=now, interval=interval, burst=burst)
            # Refused: the row exists and this transaction holds its lock, so it is still there.
            tat = connection.execute(_READ_TAT, {"key": key}).scalar_one()
        return -wait_after(max(tat, now) + interval, now=now, interval=interval, burst=burst)

    def reset(self, key: str) -> None:
        with self._engine.begin() as connection:
            connection.execute(delete(RateLimitState).where(RateLimitState.key == key))

    def delete_expired(self) -> int:
        """Delete rows whose time has passed (they mean the same as no row); returns how many."""
        expired = delete(RateLimitState).where(RateLimitState.tat < self._clock())
        with self._engine.begin() as connection:
            return connection.execute(expired).rowcount


# One statement, the same on SQLite and PostgreSQL, kept as text: it runs for every message
# sent, and building it from expressions each time cost more than executing it.
# new tat = max(tat, now) + span (count · interval); admitted while the first slot's tat,
# max(tat, now) + interval, minus now is at most burst·interval + max_wait.
_RESERVE = text(
    """
    INSERT INTO rate_limit_state (key, tat) VALUES (:key, :now + :span)
    ON CONFLICT (key) DO UPDATE
    SET tat = CASE WHEN rate_limit_state.tat > :now THEN rate_limit_state.tat ELSE :now END
        + :span
    WHERE (CASE WHEN rate_limit_state.tat > :now THEN rate_limit_state.tat ELSE :now END)
        + :interval - :now <= :horizon
    RETURNING tat
    """
).bindparams(
    bindparam("key", type_=Text()),
    bindparam("now", type_=Double()),
    bindparam("interval", type_=Double()),
    bindparam("span", type_=Double()),
    bindparam("horizon", type_=Double()),
)
_READ_TAT = text("SELECT tat FROM rate_limit_state WHERE key = :key")
