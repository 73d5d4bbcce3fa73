from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import pytest
from sqlalchemy import Engine, insert, select

from surgiai.db.engine import make_engine
from surgiai.ratelimit import RateLimitState, SqlRateLimiter
from tests.ratelimit.conftest import FakeClock

SQL_BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(params=SQL_BACKENDS)
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    engine = make_engine(request.getfixturevalue(f"{request.param}_url"))
    yield engine
    engine.dispose()


def stored_tats(engine: Engine) -> dict[str, float]:
    with engine.connect() as connection:
        rows = connection.execute(select(RateLimitState.key, RateLimitState.tat))
        return {key: tat for key, tat in rows}


class TestState:
    def test_each_key_is_one_row_holding_its_theoretical_arrival_time(
        self, engine: Engine, clock: FakeClock
    ) -> None:
        limiter = SqlRateLimiter(engine, clock=clock)
        for _ in range(3):
            limiter.reserve("number:1", rate_per_second=4.0, burst=2, max_wait=10)
        limiter.reserve("number:2", rate_per_second=4.0, burst=2, max_wait=10)
        limiter.reserve("number:2", rate_per_second=4.0, burst=2, max_wait=0)
        limiter.reserve("number:2", rate_per_second=4.0, burst=2, max_wait=0)  # refused
        assert stored_tats(engine) == pytest.approx(
            {"number:1": clock.now + 0.75, "number:2": clock.now + 0.5}, abs=1e-6
        )

    def test_expired_rows_are_deleted_and_live_ones_kept(
        self, engine: Engine, clock: FakeClock
    ) -> None:
        limiter = SqlRateLimiter(engine, clock=clock)
        limiter.reserve("quiet", rate_per_second=1.0, burst=1, max_wait=0)
        limiter.reserve("busy", rate_per_second=0.01, burst=1, max_wait=0)
        clock.advance(2)
        assert limiter.delete_expired() == 1
        assert set(stored_tats(engine)) == {"busy"}
        assert limiter.reserve("busy", rate_per_second=0.01, burst=1, max_wait=0) < 0


class TestOwnTransaction:
    @pytest.mark.postgres
    @pytest.mark.parametrize("engine", ["postgres"], indirect=True)
    def test_a_reservation_stays_when_the_callers_transaction_rolls_back(
        self, engine: Engine, clock: FakeClock
    ) -> None:
        limiter = SqlRateLimiter(engine, clock=clock)
        one_per_second = partial(limiter.reserve, rate_per_second=1.0, burst=1, max_wait=5)
        with engine.connect() as caller:
            caller.begin()
            caller.execute(insert(RateLimitState).values(key="caller-work", tat=clock.now))
            assert one_per_second("number:1") == 0.0
            caller.rollback()
        assert one_per_second("number:1") == pytest.approx(1.0, abs=1e-6)
        assert set(stored_tats(engine)) == {"number:1"}

    def test_no_lock_is_held_after_a_reservation_returns(
        self, engine: Engine, clock: FakeClock
    ) -> None:
        limiter = SqlRateLimiter(engine, clock=clock)
        limiter.reserve("number:1", rate_per_second=1.0, burst=1, max_wait=5)
        with engine.begin() as caller:
            caller.execute(insert(RateLimitState).values(key="caller-work", tat=clock.now))
        assert set(stored_tats(engine)) == {"number:1", "caller-work"}
