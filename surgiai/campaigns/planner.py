"""The load balancer: which number each recipient leaves from, what waits for the next 24 h,
and when the campaign should end. Pure functions over plain rows, so a 100,000-doctor plan is
one pass in memory after one query.

Capacity of a number:
- its throughput (Meta's 80 or 1,000 messages a second, our `throughput_mps`), halved while
  its quality is YELLOW;
- its business portfolio's messaging tier: doctors reached outside their 24 h window per
  rolling 24 h (250, 2k, 10k, 100k, unlimited), shared by the portfolio's numbers;
- nothing at all while it cannot send, or its quality is RED or it is FLAGGED/RESTRICTED.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

# Doctors a portfolio may reach outside the window per rolling 24 h, by Meta's tier name.
TIER_LIMITS: dict[str, int | None] = {
    "TIER_50": 50,
    "TIER_250": 250,
    "TIER_1K": 1_000,
    "TIER_2K": 2_000,
    "TIER_10K": 10_000,
    "TIER_100K": 100_000,
    "TIER_UNLIMITED": None,
}
# Quality that slows a number, and what stops it for campaigns.
SLOW_QUALITY = {"YELLOW": 0.5}
STOPPING_QUALITY = frozenset({"RED"})
STOPPING_STATUSES = frozenset({"FLAGGED", "RESTRICTED"})
DEFER = timedelta(hours=24)
CUSTOMER_SERVICE_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class NumberCapacity:
    id: int
    label: str
    portfolio: str
    quality_rating: str
    messaging_tier: str | None
    throughput_mps: float
    # None when it may send campaigns; otherwise why not.
    excluded_reason: str | None

    @property
    def rate(self) -> float:
        if self.excluded_reason is not None:
            return 0.0
        return self.throughput_mps * SLOW_QUALITY.get(self.quality_rating, 1.0)


def exclusion(
    *, can_send: bool, why_not: str, quality_rating: str, status: str, has_template: bool
) -> str | None:
    if not can_send:
        return why_not
    if quality_rating in STOPPING_QUALITY:
        return "Its quality rating is RED: sending more would risk a block."
    if status in STOPPING_STATUSES:
        return f"WhatsApp reports it as {status}."
    if not has_template:
        return "The template is not approved on this number's WhatsApp Business Account."
    return None


@dataclass(frozen=True)
class Candidate:
    """A doctor of the audience, as the plan needs them."""

    doctor_id: int
    sticky_number_id: int | None
    # Outside their 24 h window now: a template to them counts against the tier.
    outside_window: bool


@dataclass
class Assignment:
    doctor_id: int
    number_id: int | None
    variant: str
    # Held until then (beyond today's tier budget), or None.
    not_before: datetime | None = None


@dataclass
class Plan:
    assignments: list[Assignment]
    per_number: dict[int, int]
    deferred: int
    # Budget left in the next 24 h over the portfolios used (None: unlimited).
    tier_budget: int | None
    forecast_seconds: float
    forecast_finish_at: datetime
    quiet_hours_pause: bool
    unassigned: int = 0
    problems: list[str] = field(default_factory=list)


def variant_of(doctor_id: int, shares: Sequence[tuple[str, int]]) -> str:
    """A stable, even split: the doctor's place on a hashed scale picks the variant."""
    if len(shares) == 1:
        return shares[0][0]
    total = sum(share for _, share in shares)
    point = (doctor_id * 2654435761) % 4294967296 * total // 4294967296
    for key, share in shares:
        if point < share:
            return key
        point -= share
    return shares[-1][0]


def tier_limit(tier: str | None) -> int | None:
    if tier is None:
        return None
    return TIER_LIMITS.get(tier.upper())


def plan(
    candidates: Iterable[Candidate],
    numbers: Sequence[NumberCapacity],
    shares: Sequence[tuple[str, int]],
    *,
    tier_used: dict[str, int],
    counts_against_tier: bool,
    now: datetime,
    quiet: QuietHours | None,
) -> Plan:
    """Assign every candidate a number and a variant.

    The doctor's sticky number when it can send campaigns; otherwise the number that would
    finish its share soonest (queued ÷ rate), so all numbers end together. Beyond a portfolio's
    tier budget, a recipient is held for 24 h (and counted as deferred)."""
    usable = {n.id: n for n in numbers if n.rate > 0}
    per_number = dict.fromkeys(usable, 0)
    budget: dict[str, int | None] = {}
    for number in usable.values():
        limit = tier_limit(number.messaging_tier)
        budget[number.portfolio] = (
            None if limit is None else max(0, limit - tier_used.get(number.portfolio, 0))
        )
    # Least finishing time first; ties by id for a plan that does not change between calls.
    heap = [(1 / usable[number_id].rate, number_id) for number_id in sorted(usable)]
    heapq.heapify(heap)
    assignments: list[Assignment] = []
    deferred = unassigned = 0
    for candidate in candidates:
        variant = variant_of(candidate.doctor_id, shares)
        if not usable:
            assignments.append(Assignment(candidate.doctor_id, None, variant))
            unassigned += 1
            continue
        number_id = candidate.sticky_number_id
        if number_id not in usable:
            number_id = _least_loaded(heap, per_number, usable)
        assert number_id is not None
        number = usable[number_id]
        per_number[number_id] += 1
        assignment = Assignment(candidate.doctor_id, number_id, variant)
        left = budget[number.portfolio]
        if counts_against_tier and candidate.outside_window and left is not None:
            if left > 0:
                budget[number.portfolio] = left - 1
            else:
                assignment.not_before = now + DEFER
                deferred += 1
        assignments.append(assignment)
    sending_now = dict(per_number)
    for assignment in assignments:
        if assignment.not_before is not None and assignment.number_id is not None:
            sending_now[assignment.number_id] -= 1
    seconds = max(
        (count / usable[number_id].rate for number_id, count in sending_now.items()), default=0.0
    )
    finish, paused = (now + timedelta(seconds=seconds), False)
    if quiet is not None:
        finish, paused = quiet.finish(now, seconds)
    budgets = list(budget.values())
    return Plan(
        assignments=assignments,
        per_number=per_number,
        deferred=deferred,
        tier_budget=None if not budgets or None in budgets else sum(b or 0 for b in budgets),
        forecast_seconds=(finish - now).total_seconds(),
        forecast_finish_at=finish,
        quiet_hours_pause=paused,
        unassigned=unassigned,
    )


def _least_loaded(
    heap: list[tuple[float, int]], per_number: dict[int, int], usable: dict[int, NumberCapacity]
) -> int:
    """The number that would finish soonest with one more recipient. Each heap entry holds
    that finishing time; sticky assignments make some stale (too early), and those are
    corrected as they surface."""
    while True:
        key, number_id = heap[0]
        rate = usable[number_id].rate
        actual = (per_number[number_id] + 1) / rate
        if actual <= key + 1e-12:
            heapq.heapreplace(heap, ((per_number[number_id] + 2) / rate, number_id))
            return number_id
        heapq.heapreplace(heap, (actual, number_id))


@dataclass(frozen=True)
class QuietHours:
    """No campaign sends between `start` and `end` (minutes after midnight) in `time_zone`;
    start > end spans midnight (21:00 to 09:00)."""

    start_minute: int
    end_minute: int
    time_zone: str

    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def resumes_at(self, moment: datetime) -> datetime | None:
        """The end of the quiet period `moment` is in, or None outside quiet hours."""
        if self.start_minute == self.end_minute:
            return None
        local = moment.astimezone(self._zone())
        minute = local.hour * 60 + local.minute
        if self.start_minute < self.end_minute:
            inside = self.start_minute <= minute < self.end_minute
        else:
            inside = minute >= self.start_minute or minute < self.end_minute
        if not inside:
            return None
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        end = midnight + timedelta(minutes=self.end_minute)
        if end <= local:
            end += timedelta(days=1)
        # Wall-clock arithmetic in the zone, then back to UTC (DST-safe for these zones).
        return end.replace(tzinfo=None).replace(tzinfo=self._zone()).astimezone(moment.tzinfo)

    def next_start(self, moment: datetime) -> datetime:
        local = moment.astimezone(self._zone())
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        start = midnight + timedelta(minutes=self.start_minute)
        if start <= local:
            start += timedelta(days=1)
        return start.replace(tzinfo=None).replace(tzinfo=self._zone()).astimezone(moment.tzinfo)

    def finish(self, start: datetime, seconds: float) -> tuple[datetime, bool]:
        """When `seconds` of sending that begins at `start` ends, skipping quiet hours; and
        whether quiet hours interrupt it."""
        moment, left, paused = start, seconds, False
        for _ in range(400):  # a year of nights at most
            resume = self.resumes_at(moment)
            if resume is not None:
                moment, paused = resume, True
                continue
            stop = self.next_start(moment)
            available = (stop - moment).total_seconds()
            if left <= available:
                return moment + timedelta(seconds=left), paused
            left -= available
            moment, paused = stop, True
        return moment + timedelta(seconds=left), paused
