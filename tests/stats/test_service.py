"""Which days the traffic covers, whatever the caller's clock says."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from surgiai.db.engine import session_scope
from surgiai.runtime import Runtime
from surgiai.stats.service import stats_service

INDIA = timezone(timedelta(hours=5, minutes=30))


class TestCalendarDays:
    def test_days_are_utc_days_ending_with_today_in_utc(self, runtime: Runtime) -> None:
        # 04:00 on 1 March in India is still 28 February in UTC.
        now = datetime(2027, 3, 1, 4, 0, tzinfo=INDIA)
        with session_scope(runtime.session_factory) as session:
            traffic = stats_service.traffic(session, days=3, now=now)

        assert [day.day for day in traffic.days] == [
            date(2027, 2, 26),
            date(2027, 2, 27),
            date(2027, 2, 28),
        ]
        assert traffic.today.day == date(2027, 2, 28)
        assert traffic.timezone == "UTC"

    def test_one_day_is_just_today(self, runtime: Runtime) -> None:
        now = datetime(2027, 1, 1, 0, 0, tzinfo=UTC)
        with session_scope(runtime.session_factory) as session:
            traffic = stats_service.traffic(session, days=1, now=now)
        assert [day.day for day in traffic.days] == [date(2027, 1, 1)]
