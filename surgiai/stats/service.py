"""Traffic and leads over the last days, for the overview's trend."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from surgiai.kit.time import utcnow
from surgiai.numbers.service import number_service
from surgiai.stats.repository import MessageCounts, StatsRepository
from surgiai.stats.schemas import TrafficCounts, TrafficDay, TrafficStats

# No workspace time zone exists yet: days are UTC calendar days, and the answer says so.
TIMEZONE = "UTC"


class StatsService:
    def traffic(
        self,
        session: Session,
        *,
        days: int,
        number_id: int | None = None,
        now: datetime | None = None,
    ) -> TrafficStats:
        """The last `days` calendar days up to today, oldest first; days without traffic are
        zeros, so a chart never skips one."""
        if number_id is not None:
            number_service.get(session, number_id)  # 404 for a number that does not exist
        today = (now or utcnow()).astimezone(UTC).date()
        dates = [today - timedelta(days=offset) for offset in range(days - 1, -1, -1)]
        midnights = [datetime.combine(day, time(), UTC) for day in dates]
        bounds = [(midnight, midnight + timedelta(days=1)) for midnight in midnights]
        repository = StatsRepository(session)
        messages = repository.message_counts(bounds, number_id)
        doctors = repository.new_doctor_counts(bounds, number_id)
        series = [
            _day(day, messages.get(index, MessageCounts()), doctors.get(index, 0))
            for index, day in enumerate(dates)
        ]
        return TrafficStats(
            timezone=TIMEZONE,
            number_id=number_id,
            days=series,
            today=series[-1],
            totals=TrafficCounts.model_validate(
                {
                    name: sum(getattr(day, name) for day in series)
                    for name in TrafficCounts.model_fields
                }
            ),
        )


def _day(day: date, counts: MessageCounts, new_doctors: int) -> TrafficDay:
    return TrafficDay(
        day=day,
        inbound=counts.inbound,
        outbound=counts.outbound,
        outbound_ai=counts.outbound_ai,
        outbound_admin=counts.outbound_admin,
        failed=counts.failed,
        new_doctors=new_doctors,
    )


stats_service = StatsService()
