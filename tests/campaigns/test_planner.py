"""The load balancer and the forecast, on plain rows: sticky numbers, capacity, tiers, quality
and quiet hours."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from surgiai.campaigns.planner import (
    Candidate,
    NumberCapacity,
    QuietHours,
    exclusion,
    plan,
    variant_of,
)

NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)  # 11:30 in India


def number(
    id_: int,
    *,
    mps: float = 80,
    quality: str = "GREEN",
    tier: str | None = None,
    portfolio: str = "P1",
    excluded: str | None = None,
) -> NumberCapacity:
    return NumberCapacity(
        id=id_,
        label=f"Sales {id_}",
        portfolio=portfolio,
        quality_rating=quality,
        messaging_tier=tier,
        throughput_mps=mps,
        excluded_reason=excluded,
    )


def doctors(count: int, *, sticky: int | None = None, outside: bool = True) -> list[Candidate]:
    return [Candidate(i, sticky, outside) for i in range(1, count + 1)]


def run(candidates: list[Candidate], numbers: list[NumberCapacity], **options: object):  # type: ignore[no-untyped-def]
    defaults: dict[str, object] = {
        "tier_used": {},
        "counts_against_tier": True,
        "now": NOW,
        "quiet": None,
    }
    defaults.update(options)
    return plan(candidates, numbers, [("A", 100)], **defaults)  # type: ignore[arg-type]


class TestBalancing:
    def test_equal_numbers_share_equally_and_finish_together(self) -> None:
        result = run(doctors(10_000), [number(1), number(2), number(3)])
        assert sorted(result.per_number.values()) == [3333, 3333, 3334]
        assert result.forecast_seconds == pytest.approx(3334 / 80)

    def test_a_faster_number_takes_a_share_in_proportion_to_its_rate(self) -> None:
        result = run(doctors(1_080), [number(1, mps=1000), number(2, mps=80)])
        assert result.per_number == {1: 1000, 2: 80}
        assert result.forecast_seconds == pytest.approx(1.0)

    def test_a_doctor_keeps_their_sticky_number_while_it_can_send(self) -> None:
        result = run(doctors(5, sticky=2), [number(1), number(2)])
        assert {a.number_id for a in result.assignments} == {2}

    def test_a_doctor_whose_number_cannot_send_goes_to_another(self) -> None:
        result = run(doctors(5, sticky=2), [number(1), number(2, excluded="It is paused.")])
        assert {a.number_id for a in result.assignments} == {1}

    def test_yellow_quality_halves_a_numbers_share(self) -> None:
        result = run(doctors(300), [number(1), number(2, quality="YELLOW")])
        assert result.per_number == {1: 200, 2: 100}

    def test_red_quality_and_flags_stop_a_number(self) -> None:
        common = {"can_send": True, "why_not": "", "has_template": True}
        assert exclusion(quality_rating="RED", status="CONNECTED", **common) is not None  # type: ignore[arg-type]
        assert exclusion(quality_rating="GREEN", status="FLAGGED", **common) is not None  # type: ignore[arg-type]
        assert exclusion(quality_rating="YELLOW", status="CONNECTED", **common) is None  # type: ignore[arg-type]

    def test_with_no_number_left_nobody_is_assigned(self) -> None:
        result = run(doctors(3), [number(1, excluded="It is disabled.")])
        assert result.unassigned == 3
        assert {a.number_id for a in result.assignments} == {None}


class TestTiers:
    def test_beyond_the_portfolios_tier_the_rest_waits_a_day(self) -> None:
        result = run(
            doctors(400),
            [number(1, tier="TIER_250"), number(2, tier="TIER_250")],
            tier_used={"P1": 50},
        )
        # The two numbers share one portfolio: 250 - 50 already reached today = 200 now.
        assert result.deferred == 200
        held = [a for a in result.assignments if a.not_before is not None]
        assert len(held) == 200 and all(a.not_before == NOW + timedelta(hours=24) for a in held)
        assert result.tier_budget == 0
        assert result.forecast_seconds == pytest.approx(100 / 80)

    def test_doctors_inside_their_window_do_not_count_against_the_tier(self) -> None:
        result = run(doctors(400, outside=False), [number(1, tier="TIER_250")])
        assert result.deferred == 0

    def test_each_portfolio_has_its_own_budget(self) -> None:
        result = run(
            doctors(600),
            [
                number(1, tier="TIER_250", portfolio="P1"),
                number(2, tier="TIER_250", portfolio="P2"),
            ],
        )
        assert result.deferred == 100
        assert result.tier_budget == 0

    def test_an_unlimited_tier_defers_nobody(self) -> None:
        result = run(doctors(5_000), [number(1, tier="TIER_UNLIMITED")])
        assert result.deferred == 0 and result.tier_budget is None


class TestQuietHours:
    QUIET = QuietHours(21 * 60, 9 * 60, "Asia/Kolkata")

    def test_sending_that_would_run_into_the_night_resumes_at_nine(self) -> None:
        # 20:30 in India, an hour of sending: 30 minutes tonight, 30 after 09:00 tomorrow.
        start = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
        finish, paused = self.QUIET.finish(start, 3600)
        assert paused
        assert finish == datetime(2026, 12, 8, 4, 0, tzinfo=UTC)  # 09:30 IST

    def test_a_start_inside_quiet_hours_waits_for_the_morning(self) -> None:
        night = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)  # 23:30 IST
        assert self.QUIET.resumes_at(night) == datetime(2026, 12, 8, 3, 30, tzinfo=UTC)
        assert self.QUIET.resumes_at(NOW) is None

    def test_the_plan_forecast_skips_the_night(self) -> None:
        start = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
        result = run(doctors(80 * 3600), [number(1)], now=start, quiet=self.QUIET)
        assert result.quiet_hours_pause
        assert result.forecast_finish_at == datetime(2026, 12, 8, 4, 0, tzinfo=UTC)


class TestVariants:
    def test_a_split_is_close_to_its_shares_and_stable(self) -> None:
        shares = [("A", 70), ("B", 30)]
        counted = Counter(variant_of(i, shares) for i in range(1, 10_001))
        assert abs(counted["A"] - 7000) < 150
        assert [variant_of(i, shares) for i in range(50)] == [
            variant_of(i, shares) for i in range(50)
        ]
