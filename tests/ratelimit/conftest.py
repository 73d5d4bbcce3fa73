"""Rate limiters on every backend: SQLite file, the session's PostgreSQL database, Redis db 15
under a unique key prefix. Servers that are missing skip the test (fail under
SURGIAI_REQUIRE_SERVICES=1), as in tests/conftest.py."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import Engine, delete

from surgiai.db.base import Base
from surgiai.db.engine import make_engine
from surgiai.ratelimit import RateLimiter, RateLimitState, RedisRateLimiter, SqlRateLimiter

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    pytest.param("redis", id="redis", marks=pytest.mark.redis),
]


class FakeClock:
    """Epoch seconds of today's magnitude, so float resolution is what production sees."""

    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def create_state_table(engine: Engine) -> None:
    table = Base.metadata.tables[RateLimitState.__tablename__]
    Base.metadata.create_all(engine, tables=[table])


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'ratelimit.db'}"
    engine = make_engine(url)
    create_state_table(engine)
    engine.dispose()
    return url


@pytest.fixture
def postgres_url(postgres_database: str) -> Iterator[str]:
    """The session's migrated PostgreSQL database; this test's reservations are removed after."""
    yield postgres_database
    engine = make_engine(postgres_database)
    with engine.begin() as connection:
        connection.execute(delete(RateLimitState))
    engine.dispose()


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    prefix = f"surgiai-test:ratelimit:{uuid.uuid4().hex[:10]}:"
    yield prefix
    client = Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=BACKENDS)
def limiter(request: pytest.FixtureRequest, clock: FakeClock) -> Iterator[RateLimiter]:
    """Every backend, driven by a fake clock."""
    if request.param == "redis":
        client: Redis = request.getfixturevalue("redis_client")
        prefix: str = request.getfixturevalue("redis_prefix")
        yield RedisRateLimiter(client, prefix=prefix, clock=clock)
        return
    engine = make_engine(request.getfixturevalue(f"{request.param}_url"))
    yield SqlRateLimiter(engine, clock=clock)
    engine.dispose()
