"""GCRA state in a database table, for the embedded (SQLite) and PostgreSQL deployments."""

from __future__ import annotations

import time

from sqlalchemy import ColumnElement, Double, Engine, case, delete, literal, select
from sqlalchemy.dialects import postgresql, sqlite

from surgiai.ratelimit.base import RESOLUTION, Clock, check_limits, wait_after
from surgiai.ratelimit.models import RateLimitState


class SqlRateLimiter:
    """One short transaction of its own per reservation: a single `INSERT … ON CONFLICT DO
    UPDATE … WHERE wait <= max_wait RETURNING tat`, which the database applies atomically
    (PostgreSQL locks the row; SQLite holds the write lock of BEGIN IMMEDIATE), so every process
    and thread sharing the database shares one exact pace.

    On SQLite, call `reserve` outside any transaction of your own on the same file: with
    `make_engine`, an open transaction holds the write lock, and the reservation would wait for it.
    """

    def __init__(self, engine: Engine, *, clock: Clock = time.time) -> None:
        if engine.dialect.name not in {"sqlite", "postgresql"}:
            raise ValueError(f"no rate limiter for the {engine.dialect.name} dialect")
        self._engine = engine
        self._clock = clock

    def reserve(self, key: str, *, rate_per_second: float, burst: int, max_wait: float) -> float:
        interval = check_limits(rate_per_second, burst, max_wait)
        now = self._clock()
        next_tat = _later_of_tat_and(now) + interval
        admitted = (next_tat - now) - burst * interval <= max_wait + RESOLUTION
        insert = (
            postgresql.insert(RateLimitState)
            if self._engine.dialect.name == "postgresql"
            else sqlite.insert(RateLimitState)
        )
        upsert = (
            insert.values(key=key, tat=now + interval)
            .on_conflict_do_update(
                index_elements=[RateLimitState.key], set_={"tat": next_tat}, where=admitted
            )
            .returning(RateLimitState.tat)
        )
        with self._engine.begin() as connection:
            new_tat = connection.execute(upsert).scalar_one_or_none()
            if new_tat is not None:
                return wait_after(new_tat, now=now, interval=interval, burst=burst)
            # Refused: the row exists and this transaction holds its lock, so it is still there.
            tat = connection.execute(
                select(RateLimitState.tat).where(RateLimitState.key == key)
            ).scalar_one()
        return -wait_after(max(tat, now) + interval, now=now, interval=interval, burst=burst)

    def reset(self, key: str) -> None:
        with self._engine.begin() as connection:
            connection.execute(delete(RateLimitState).where(RateLimitState.key == key))

    def delete_expired(self) -> int:
        """Delete rows whose time has passed (they mean the same as no row); returns how many."""
        expired = delete(RateLimitState).where(RateLimitState.tat < self._clock())
        with self._engine.begin() as connection:
            return connection.execute(expired).rowcount


def _later_of_tat_and(now: float) -> ColumnElement[float]:
    """max(stored tat, now), written as CASE to read the same on SQLite and PostgreSQL."""
    return case((RateLimitState.tat > now, RateLimitState.tat), else_=literal(now, Double()))
