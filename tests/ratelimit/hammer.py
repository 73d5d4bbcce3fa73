"""A worker process for the concurrency tests: it builds its own limiter (as a real worker
would), waits at a barrier for its siblings, then runs threads that take slots of one key as
fast as the limiter allows. For each slot it reports when the limiter scheduled it (the clock
reading the limiter used plus the wait it returned), that wait, and when the thread, having
slept, acted."""

from __future__ import annotations

import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from redis import Redis

from surgiai.db.engine import make_engine
from surgiai.ratelimit import RateLimiter, RedisRateLimiter, SqlRateLimiter

if TYPE_CHECKING:
    from multiprocessing.queues import Queue
    from multiprocessing.synchronize import Barrier


@dataclass(frozen=True)
class Job:
    backend: str  # "sql" or "redis"
    url: str
    key: str
    rate: float
    burst: int
    seconds: float
    threads: int
    redis_prefix: str = ""


@dataclass(frozen=True, order=True)
class Grant:
    scheduled: float  # when the slot is, by the limiter's clock
    wait: float  # what `reserve` returned: 0.0 within the burst


@dataclass
class Report:
    grants: list[Grant] = field(default_factory=list)
    acted: list[float] = field(default_factory=list)
    refused: int = 0
    errors: list[str] = field(default_factory=list)


class RecordingClock:
    """time.time, remembering per thread the reading the limiter last took."""

    def __init__(self) -> None:
        self._local = threading.local()

    def __call__(self) -> float:
        self._local.now = time.time()
        return float(self._local.now)

    @property
    def last(self) -> float:
        return float(self._local.now)


def build(job: Job, clock: RecordingClock) -> RateLimiter:
    if job.backend == "redis":
        return RedisRateLimiter(Redis.from_url(job.url), prefix=job.redis_prefix, clock=clock)
    return SqlRateLimiter(make_engine(job.url), clock=clock)


def run(job: Job, barrier: Barrier, results: Queue[Report]) -> None:
    """Process entry point: puts one Report on `results`."""
    report = Report()
    try:
        clock = RecordingClock()
        limiter = build(job, clock)
        barrier.wait(timeout=30)
        deadline = time.time() + job.seconds

        def take_slots() -> None:
            try:
                while time.time() < deadline:
                    wait = limiter.reserve(
                        job.key, rate_per_second=job.rate, burst=job.burst, max_wait=1.0
                    )
                    if wait < 0:
                        report.refused += 1
                        time.sleep(-wait)
                        continue
                    report.grants.append(Grant(clock.last + wait, wait))
                    time.sleep(wait)
                    report.acted.append(time.time())
            except Exception:
                report.errors.append(traceback.format_exc())

        threads = [threading.Thread(target=take_slots) for _ in range(job.threads)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    except Exception:
        report.errors.append(traceback.format_exc())
    results.put(report)
