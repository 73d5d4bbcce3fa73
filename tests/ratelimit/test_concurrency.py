"""Several worker processes, each with several threads, share one key's pace exactly."""

from __future__ import annotations

import multiprocessing
import uuid
from bisect import bisect_left
from itertools import pairwise
from typing import TYPE_CHECKING

import pytest

from tests.ratelimit.hammer import Job, Report, run

if TYPE_CHECKING:
    from multiprocessing.queues import Queue

PROCESSES = 4
THREADS = 2
RATE = 80.0
BURST = 5
SECONDS = 2.0
# Epoch seconds in doubles, a clock reading plus the wait the limiter computed from it: a few
# microseconds of rounding at most, far below an interval (12.5 ms).
TOLERANCE = 1e-5


def hammer(job: Job) -> list[Report]:
    """Run `job` in PROCESSES spawned processes at once; one report per process."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    results: Queue[Report] = context.Queue()
    processes = [
        context.Process(target=run, args=(job, barrier, results)) for _ in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    try:
        reports: list[Report] = [results.get(timeout=60) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
    errors = [error for report in reports for error in report.errors]
    assert errors == [], "\n".join(errors)
    return reports


def most_in_one_second(times: list[float]) -> int:
    """The largest number of moments in any window [t, t + 1 s)."""
    return max(bisect_left(times, start + 1.0) - index for index, start in enumerate(times))


def sustained_rate(times: list[float]) -> float:
    """After the burst, one grant per interval: (grants - burst) intervals from first to last."""
    return (len(times) - BURST) / (times[-1] - times[0])


def excess_over_the_gcra(times: list[float]) -> float:
    """How many slots the fullest span [times[i], times[j]] of the sorted schedule holds beyond
    what the GCRA allows in it: the burst, then one slot per interval. Never above zero, on a
    fast machine or a slow one: the limiter's decisions, not the machine, set the schedule."""
    return max(
        (j - i + 1) - BURST - (times[j] - times[i] + TOLERANCE) * RATE
        for i in range(len(times))
        for j in range(i, len(times))
    )


def assert_one_exact_pace(reports: list[Report], backend: str) -> None:
    assert all(report.grants for report in reports), "every process got slots"
    grants = sorted(grant for report in reports for grant in report.grants)
    scheduled = [grant.scheduled for grant in grants]
    waited = [grant.scheduled for grant in grants if grant.wait > 0]
    acted = sorted(moment for report in reports for moment in report.acted)
    print(
        f"\n{backend}: {len(scheduled)} grants (per process "
        f"{[len(report.grants) for report in reports]}, {len(waited)} waited, refused "
        f"{sum(report.refused for report in reports)}); scheduled "
        f"{sustained_rate(scheduled):.2f}/s, peak {most_in_one_second(scheduled)} per 1 s; "
        f"acted {sustained_rate(acted):.2f}/s, peak {most_in_one_second(acted)} per 1 s"
    )
    assert excess_over_the_gcra(scheduled) <= 0
    # A slot that had to wait comes one interval after the one before it: two of them never
    # share a slot, as two reservations that read the same state would.
    assert len(waited) > 1, "hardly a thread had to wait: the shared pace was not put to the test"
    assert min(b - a for a, b in pairwise(waited)) >= 1 / RATE - TOLERANCE
    # The rates are printed, not asserted: slots go unused whenever every thread is late (the
    # limiter cannot hand out a moment that has passed), which is the machine's speed, not the
    # limiter's. When threads actually woke (`acted`) measures the OS scheduler on a loaded
    # machine, which is the outbound_pacing benchmark's job.


def job(backend: str, url: str, **extra: str) -> Job:
    key = f"number:{uuid.uuid4().hex[:8]}"
    return Job(backend, url, key, RATE, BURST, SECONDS, THREADS, **extra)


class TestManyProcessesShareOnePace:
    def test_sql_on_one_sqlite_file(self, sqlite_url: str) -> None:
        assert_one_exact_pace(hammer(job("sql", sqlite_url)), "sqlite")

    @pytest.mark.postgres
    def test_sql_on_postgresql(self, postgres_url: str) -> None:
        assert_one_exact_pace(hammer(job("sql", postgres_url)), "postgres")

    @pytest.mark.redis
    def test_redis(self, redis_url: str, redis_prefix: str) -> None:
        assert_one_exact_pace(hammer(job("redis", redis_url, redis_prefix=redis_prefix)), "redis")
