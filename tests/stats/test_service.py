"""Which days the traffic covers, whatever the caller's clock says."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from surgiai.conversations.models import (
    Conversation,
    Direction,
    Message,
    MessageState,
    SenderKind,
)
from surgiai.db.engine import session_scope
from surgiai.doctors.models import Doctor
from surgiai.runtime import Runtime
from surgiai.stats.service import stats_service
from tests.fixtures import create_number

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


class TestTheTeamsTimeZone:
    def test_days_are_the_teams_calendar_days(self, runtime: Runtime) -> None:
        # 04:00 on 1 March in India: the team's today is 1 March, though UTC says 28 February.
        now = datetime(2027, 3, 1, 4, 0, tzinfo=INDIA)
        with session_scope(runtime.session_factory) as session:
            traffic = stats_service.traffic(session, days=2, now=now, timezone="Asia/Kolkata")
        assert [day.day for day in traffic.days] == [date(2027, 2, 28), date(2027, 3, 1)]
        assert traffic.timezone == "Asia/Kolkata"

    def test_a_message_counts_on_the_teams_day_not_utcs(self, runtime: Runtime) -> None:
        number_id = create_number(runtime)
        # 20:00 UTC on 28 February is 01:30 on 1 March in India.
        written = datetime(2027, 2, 28, 20, 0, tzinfo=UTC)
        with session_scope(runtime.session_factory) as session:
            doctor = Doctor(wa_id="919800000001", created_at=written)
            session.add(doctor)
            session.flush()
            conversation = Conversation(
                doctor_id=doctor.id, number_id=number_id, created_at=written
            )
            session.add(conversation)
            session.flush()
            session.add(
                Message(
                    conversation_id=conversation.id,
                    direction=Direction.inbound,
                    type="text",
                    text="Is the CME course on Saturday?",
                    status=MessageState.received,
                    sender_kind=SenderKind.doctor,
                    created_at=written,
                )
            )
        now = datetime(2027, 3, 1, 12, 0, tzinfo=INDIA)
        with session_scope(runtime.session_factory) as session:
            india = stats_service.traffic(session, days=2, now=now, timezone="Asia/Kolkata")
            utc = stats_service.traffic(session, days=2, now=now, timezone="UTC")
        assert [(d.day, d.inbound, d.new_doctors) for d in india.days] == [
            (date(2027, 2, 28), 0, 0),
            (date(2027, 3, 1), 1, 1),
        ]
        assert [(d.day, d.inbound) for d in utc.days] == [
            (date(2027, 2, 28), 1),
            (date(2027, 3, 1), 0),
        ]

    def test_a_day_across_a_clock_change_is_counted_whole(self, runtime: Runtime) -> None:
        # Europe/London moved to summer time at 01:00 UTC on 28 March 2027: a 23-hour day.
        now = datetime(2027, 3, 29, 12, 0, tzinfo=UTC)
        with session_scope(runtime.session_factory) as session:
            traffic = stats_service.traffic(session, days=3, now=now, timezone="Europe/London")
        assert [day.day for day in traffic.days] == [
            date(2027, 3, 27),
            date(2027, 3, 28),
            date(2027, 3, 29),
        ]
