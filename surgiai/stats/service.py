"""Traffic and leads over the last days, for the overview's trend, and each number's traffic
over the last hour, for its card."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from surgiai.kit.time import utcnow, zone
from surgiai.numbers.models import WhatsAppNumber
from surgiai.numbers.schemas import NumberRead
from surgiai.numbers.service import number_service
from surgiai.stats.repository import MessageCounts, StatsRepository, outbound_counts_by_number
from surgiai.stats.schemas import TrafficCounts, TrafficDay, TrafficStats


class StatsService:
    def traffic(
        self,
        session: Session,
        *,
        days: int,
        number_id: int | None = None,
        timezone: str = "UTC",
        now: datetime | None = None,
    ) -> TrafficStats:
        """The last `days` calendar days in `timezone` (the team's) up to today, oldest first;
        days without traffic are zeros, so a chart never skips one."""
        if number_id is not None:
            number_service.get(session, number_id)  # 404 for a number that does not exist
        local = zone(timezone)
        today = (now or utcnow()).astimezone(local).date()
        dates = [today - timedelta(days=offset) for offset in range(days - 1, -1, -1)]

        def midnight(day: date) -> datetime:
            # Local midnight in UTC; a day across a DST change is 23 or 25 hours long.
            return datetime.combine(day, time(), local).astimezone(UTC)

        bounds = [(midnight(day), midnight(day + timedelta(days=1))) for day in dates]
        repository = StatsRepository(session)
        messages = repository.message_counts(bounds, number_id)
        doctors = repository.new_doctor_counts(bounds, number_id)
        series = [
            _day(day, messages.get(index, MessageCounts()), doctors.get(index, 0))
            for index, day in enumerate(dates)
        ]
        return TrafficStats(
            timezone=timezone,
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

    def numbers(self, session: Session, numbers: Sequence[WhatsAppNumber]) -> list[NumberRead]:
        """Numbers with their health and last hour's traffic, as the dashboard shows them."""
        traffic = outbound_counts_by_number(session, utcnow() - timedelta(hours=1))
        return number_service.read(numbers, traffic)


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
