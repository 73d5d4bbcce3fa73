"""Generic cell rate algorithm (GCRA) rate limiting shared by every worker process: per-number
throughput and per-(number, doctor) pair rate on the WhatsApp send path."""

from __future__ import annotations

from typing import TYPE_CHECKING

from redis import Redis
from sqlalchemy import Engine

from surgiai.ratelimit.base import RateLimiter, acquire
from surgiai.ratelimit.models import RateLimitState
from surgiai.ratelimit.redis import RedisRateLimiter
from surgiai.ratelimit.sql import SqlRateLimiter

if TYPE_CHECKING:
    from surgiai.config import Settings


def make_rate_limiter(settings: Settings, engine: Engine) -> RateLimiter:
    """Redis when the deployment has one (distributed), else the database (embedded)."""
    if settings.redis_url:
        return RedisRateLimiter(Redis.from_url(settings.redis_url))
    return SqlRateLimiter(engine)


__all__ = [
    "RateLimitState",
    "RateLimiter",
    "RedisRateLimiter",
    "SqlRateLimiter",
    "acquire",
    "make_rate_limiter",
]
