"""`GET /api/v1/stats/traffic`: messages and new doctors per UTC day, every day present, for
every number or one; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from surgiai.auth.roles import Role
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
from tests.conftest import drain
from tests.fixtures import (
    create_number,
    create_user,
    login,
    sign,
    text_message_value,
    webhook_body,
)

COUNTS = ("inbound", "outbound", "outbound_ai", "outbound_admin", "failed", "new_doctors")
ZERO = dict.fromkeys(COUNTS, 0)


def headers_for(client: TestClient, runtime: Runtime, role: Role) -> dict[str, str]:
    email = f"{role.value}@example.com"
    create_user(runtime, email=email, role=role)
    return login(client, email)


@pytest.fixture
def viewer(client: TestClient, runtime: Runtime) -> dict[str, str]:
    return headers_for(client, runtime, Role.viewer)


def midnight(days_ago: int) -> datetime:
    return datetime.combine(datetime.now(UTC).date() - timedelta(days=days_ago), time(), UTC)


class Traffic:
    """Doctors, conversations and messages written straight to the database at chosen times."""

    def __init__(self, runtime: Runtime, number_id: int) -> None:
        self.runtime = runtime
        self.number_id = number_id
        self._doctors = 0

    def doctor(self, first_seen: datetime, number_id: int | None = None) -> int:
        """A doctor first seen at `first_seen`, with a conversation on the number."""
        self._doctors += 1
        with session_scope(self.runtime.session_factory) as session:
            doctor = Doctor(wa_id=f"9198000{self._doctors:05d}", created_at=first_seen)
            session.add(doctor)
            session.flush()
            conversation = Conversation(
                doctor_id=doctor.id,
                number_id=number_id or self.number_id,
                created_at=first_seen,
                last_message_at=first_seen,
            )
            session.add(conversation)
            session.flush()
            return conversation.id

    def message(
        self,
        conversation_id: int,
        at: datetime,
        sender: SenderKind = SenderKind.doctor,
        status: MessageState | None = None,
    ) -> None:
        inbound = sender is SenderKind.doctor
        with session_scope(self.runtime.session_factory) as session:
            session.add(
                Message(
                    conversation_id=conversation_id,
                    direction=Direction.inbound if inbound else Direction.outbound,
                    type="text",
                    text="Price of the 5 mm trocar?",
                    status=status or (MessageState.received if inbound else MessageState.sent),
                    sender_kind=sender,
                    created_at=at,
                )
            )


@pytest.fixture
def number_id(runtime: Runtime) -> int:
    return create_number(runtime)


@pytest.fixture
def traffic(runtime: Runtime, number_id: int) -> Traffic:
    return Traffic(runtime, number_id)


def traffic_of(client: TestClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/stats/traffic", params=params, headers=headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def by_day(answer: dict[str, Any]) -> dict[str, dict[str, int]]:
    return {day["day"]: {name: day[name] for name in COUNTS} for day in answer["days"]}


class TestAccess:
    def test_needs_a_login(self, client: TestClient) -> None:
        response = client.get("/api/v1/stats/traffic")
        assert response.status_code == 401
        assert response.json()["error"] == "NotAuthenticated"

    @pytest.mark.parametrize("role", list(Role))
    def test_every_role_may_read_it(self, client: TestClient, runtime: Runtime, role: Role) -> None:
        traffic_of(client, headers_for(client, runtime, role))


class TestDays:
    def test_every_day_is_there_with_zeros_when_nothing_happened(
        self, client: TestClient, viewer: dict[str, str]
    ) -> None:
        answer = traffic_of(client, viewer, days=7)

        today = datetime.now(UTC).date()
        assert [day["day"] for day in answer["days"]] == [
            (today - timedelta(days=offset)).isoformat() for offset in range(6, -1, -1)
        ]
        assert all(counts == ZERO for counts in by_day(answer).values())
        assert answer["today"] == answer["days"][-1]
        assert answer["totals"] == ZERO
        assert (answer["timezone"], answer["number_id"]) == ("UTC", None)

    def test_fourteen_days_unless_asked(self, client: TestClient, viewer: dict[str, str]) -> None:
        assert len(traffic_of(client, viewer)["days"]) == 14
        assert len(traffic_of(client, viewer, days=90)["days"]) == 90

    @pytest.mark.parametrize("days", [0, 91, "two"])
    def test_refuses_a_period_it_does_not_offer(
        self, client: TestClient, viewer: dict[str, str], days: int | str
    ) -> None:
        response = client.get("/api/v1/stats/traffic", params={"days": days}, headers=viewer)
        assert response.status_code == 422
        assert response.json()["error"] == "ValidationError"

    def test_counts_each_message_and_new_doctor_on_its_utc_day(
        self, client: TestClient, viewer: dict[str, str], traffic: Traffic
    ) -> None:
        today, yesterday = midnight(0), midnight(1)
        asha = traffic.doctor(today)
        vik = traffic.doctor(today + timedelta(microseconds=1))
        rao = traffic.doctor(yesterday + timedelta(hours=9))
        old = traffic.doctor(midnight(20))
        # Today: the first instant of the day belongs to it …
        traffic.message(asha, today)
        traffic.message(vik, today + timedelta(seconds=1))
        traffic.message(asha, today + timedelta(seconds=2), SenderKind.ai, MessageState.read)
        traffic.message(vik, today + timedelta(seconds=3), SenderKind.ai, MessageState.failed)
        traffic.message(vik, today + timedelta(seconds=4), SenderKind.admin, MessageState.queued)
        traffic.message(asha, today + timedelta(seconds=5), SenderKind.system)
        # … and a reply cancelled before it left (a person took over) never went.
        traffic.message(asha, today + timedelta(seconds=6), SenderKind.ai, MessageState.cancelled)
        # Yesterday, up to its last instant.
        traffic.message(rao, yesterday + timedelta(hours=9))
        traffic.message(rao, today - timedelta(microseconds=1), SenderKind.admin)
        # Three days ago; and 20 days ago, outside the 14 days asked for.
        traffic.message(
            old, midnight(3) + timedelta(hours=12), SenderKind.admin, MessageState.failed
        )
        traffic.message(old, midnight(20) + timedelta(hours=1))

        answer = traffic_of(client, viewer, days=14)

        days = by_day(answer)
        assert days[today.date().isoformat()] == {
            "inbound": 2,
            "outbound": 4,
            "outbound_ai": 2,
            "outbound_admin": 1,
            "failed": 1,
            "new_doctors": 2,
        }
        assert days[yesterday.date().isoformat()] == {
            **ZERO,
            "inbound": 1,
            "outbound": 1,
            "outbound_admin": 1,
            "new_doctors": 1,
        }
        assert days[midnight(3).date().isoformat()] == {
            **ZERO,
            "outbound": 1,
            "outbound_admin": 1,
            "failed": 1,
        }
        quiet = set(days) - {midnight(n).date().isoformat() for n in (0, 1, 3)}
        assert len(quiet) == 11 and all(days[day] == ZERO for day in quiet)
        assert answer["today"]["day"] == today.date().isoformat()
        assert answer["totals"] == {
            "inbound": 3,
            "outbound": 6,
            "outbound_ai": 2,
            "outbound_admin": 3,
            "failed": 2,
            "new_doctors": 3,
        }

    def test_a_doctor_writing_for_the_first_time_is_a_lead_of_today(
        self, client: TestClient, runtime: Runtime, viewer: dict[str, str], number_id: int
    ) -> None:
        for wamid, text in (("wamid.s1", "Hello"), ("wamid.s2", "Price of the stapler?")):
            body = webhook_body(text_message_value(wamid, text))
            response = client.post("/webhooks/whatsapp", content=body, headers=sign(body))
            assert response.status_code == 200
        drain(runtime.queue)

        today = traffic_of(client, viewer, days=1)["today"]

        assert today["day"] == datetime.now(UTC).date().isoformat()
        assert (today["inbound"], today["new_doctors"]) == (2, 1)


class TestOneNumber:
    def test_counts_only_that_numbers_conversations_and_doctors(
        self, client: TestClient, runtime: Runtime, viewer: dict[str, str], traffic: Traffic
    ) -> None:
        courses = create_number(
            runtime,
            phone_number_id="106540352242999",
            label="Courses",
            display_phone_number="15550783999",
        )
        today = midnight(0)
        on_sales = traffic.doctor(today)
        on_courses = traffic.doctor(today, number_id=courses)
        traffic.message(on_sales, today)
        traffic.message(on_sales, today, SenderKind.ai)
        traffic.message(on_courses, today)
        traffic.message(on_courses, today, SenderKind.admin, MessageState.failed)

        courses_today = traffic_of(client, viewer, days=3, number_id=courses)["today"]
        everything_today = traffic_of(client, viewer, days=3)["today"]

        assert {name: courses_today[name] for name in COUNTS} == {
            "inbound": 1,
            "outbound": 1,
            "outbound_ai": 0,
            "outbound_admin": 1,
            "failed": 1,
            "new_doctors": 1,
        }
        assert (everything_today["inbound"], everything_today["new_doctors"]) == (2, 2)

    def test_an_unknown_number_is_not_found(
        self, client: TestClient, viewer: dict[str, str]
    ) -> None:
        response = client.get("/api/v1/stats/traffic", params={"number_id": 999}, headers=viewer)
        assert response.status_code == 404
        assert response.json() == {
            "error": "NotFound",
            "detail": "No WhatsApp number with id 999.",
        }
