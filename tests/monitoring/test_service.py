"""The Health Monitoring agent: alerts on transitions only, for agents and numbers, on the
dashboard and on admins' phones through the one send path. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from structlog.testing import capture_logs

from surgiai.agents.models import RunOutcome
from surgiai.agents.service import agent_service
from surgiai.auth.models import User
from surgiai.auth.roles import Permission, Role
from surgiai.conversations.models import (
    Conversation,
    ConversationMode,
    Direction,
    Message,
    MessageState,
    SenderKind,
)
from surgiai.db.engine import session_scope
from surgiai.doctors.models import Doctor
from surgiai.kit.time import utcnow
from surgiai.monitoring.models import HealthState
from surgiai.monitoring.service import Alert, AlertChannel, health_monitor
from surgiai.monitoring.tasks import MONITOR_TASK
from surgiai.notifications.models import Notification
from surgiai.numbers.models import WhatsAppNumber
from surgiai.numbers.service import number_service
from surgiai.runtime import Runtime, TaskContext
from tests.agents.test_health import seed_runs
from tests.fixtures import create_number, create_user

NO_TEMPLATE = AlertChannel(template=None, language="en")
ADMIN_PHONE = "+91 98111 22233"
ADMIN_WA_ID = "919811122233"
DEGRADED_TEXT = (
    "SurgiAI: Agent greeting is degraded. 1 of its 10 runs in the last 5 minutes failed."
)


def run_monitor(
    runtime: Runtime, now: datetime, channel: AlertChannel = NO_TEMPLATE
) -> list[Alert]:
    with session_scope(runtime.session_factory) as session:
        return health_monitor.run(session, channel, now=now)


def degrade_greeting(runtime: Runtime, now: datetime) -> None:
    seed_runs(runtime, "greeting", at=now - timedelta(minutes=2), durations_ms=[10.0] * 9)
    seed_runs(
        runtime,
        "greeting",
        at=now - timedelta(minutes=1),
        durations_ms=[10.0],
        outcome=RunOutcome.error,
        error="RuntimeError('boom')",
    )


def notifications(runtime: Runtime) -> list[tuple[str, str, str | None]]:
    with session_scope(runtime.session_factory) as session:
        return [
            (n.kind, n.title, n.body)
            for n in session.scalars(select(Notification).order_by(Notification.id))
        ]


def outbound(runtime: Runtime) -> list[Message]:
    with session_scope(runtime.session_factory) as session:
        return list(
            session.scalars(
                select(Message).where(Message.direction == Direction.outbound).order_by(Message.id)
            )
        )


def user_with_phone(runtime: Runtime, email: str, role: Role, phone: str) -> int:
    user_id = create_user(runtime, email=email, role=role).id
    with session_scope(runtime.session_factory) as session:
        user = session.get(User, user_id)
        assert user is not None
        user.phone = phone
    return user_id


def open_window(
    runtime: Runtime, number_id: int, wa_id: str, now: datetime, **extra: object
) -> int:
    """This phone wrote to the number an hour ago."""
    with session_scope(runtime.session_factory) as session:
        doctor = Doctor(wa_id=wa_id)
        session.add(doctor)
        session.flush()
        conversation = Conversation(
            doctor_id=doctor.id,
            number_id=number_id,
            last_inbound_at=now - timedelta(hours=1),
            last_message_at=now - timedelta(hours=1),
            **extra,
        )
        session.add(conversation)
        session.flush()
        return conversation.id


class TestTransitions:
    def test_subjects_first_seen_healthy_raise_nothing(self, runtime: Runtime) -> None:
        number_id = create_number(runtime)
        assert run_monitor(runtime, utcnow()) == []
        assert notifications(runtime) == []
        with session_scope(runtime.session_factory) as session:
            states = {s.subject: s.state for s in session.scalars(select(HealthState))}
        assert states["agent:greeting"] == "healthy"
        assert states[f"number:{number_id}"] == "healthy"

    def test_degraded_alerts_once_then_recovery_alerts(self, runtime: Runtime) -> None:
        now = utcnow()
        run_monitor(runtime, now - timedelta(minutes=3))
        degrade_greeting(runtime, now)
        [alert] = run_monitor(runtime, now)
        assert alert == Alert(
            "agent:greeting",
            "health.degraded",
            "Agent greeting is degraded",
            "1 of its 10 runs in the last 5 minutes failed.",
            Permission.manage_settings,
        )
        assert alert.text == DEGRADED_TEXT
        assert run_monitor(runtime, now + timedelta(minutes=1)) == []
        # Five minutes later the failure has left the window.
        [recovery] = run_monitor(runtime, now + timedelta(minutes=6))
        assert (recovery.kind, recovery.title, recovery.body) == (
            "health.recovered",
            "Agent greeting has recovered",
            "It is healthy again (it was degraded).",
        )
        assert notifications(runtime) == [
            (
                "health.degraded",
                "Agent greeting is degraded",
                "1 of its 10 runs in the last 5 minutes failed.",
            ),
            (
                "health.recovered",
                "Agent greeting has recovered",
                "It is healthy again (it was degraded).",
            ),
        ]

    def test_an_admin_disabling_an_agent_is_not_an_alert(self, runtime: Runtime) -> None:
        now = utcnow()
        run_monitor(runtime, now)
        user = create_user(runtime, email="admin@example.com", role=Role.admin)
        with session_scope(runtime.session_factory) as session:
            agent_service.disable(session, "greeting", user, None)
        assert run_monitor(runtime, now + timedelta(minutes=1)) == []
        with session_scope(runtime.session_factory) as session:
            agent_service.enable(session, "greeting", user)
        assert run_monitor(runtime, now + timedelta(minutes=2)) == []

    def test_numbers_paused_and_losing_quality(self, runtime: Runtime) -> None:
        number_id = create_number(runtime)
        now = utcnow()
        run_monitor(runtime, now)

        def change(**values: object) -> list[tuple[str, str]]:
            with session_scope(runtime.session_factory) as session:
                number = session.get(WhatsAppNumber, number_id)
                assert number is not None
                if values.pop("pause", False):
                    number_service.pause(number, "Error 131048: spam rate limit hit")
                for key, value in values.items():
                    setattr(number, key, value)
            return [(a.title, a.body) for a in run_monitor(runtime, utcnow())]

        assert change(pause=True) == [
            ("Number Sales is down", "It is paused: Error 131048: spam rate limit hit.")
        ]
        assert change() == []
        assert change(paused=False, quality_rating="YELLOW") == [
            ("Number Sales is degraded", "Its quality rating is YELLOW.")
        ]
        assert change(quality_rating="RED") == [
            ("Number Sales is degraded", "Its quality rating is RED.")
        ]
        assert change(quality_rating="GREEN") == [
            ("Number Sales has recovered", "It is healthy again (it was degraded).")
        ]


class TestWhatsAppAlerts:
    @pytest.fixture
    def number_id(self, runtime: Runtime) -> int:
        return create_number(runtime)

    @pytest.fixture
    def admin_id(self, runtime: Runtime) -> int:
        # Only roles that may act on an agent are told; the others' phones stay quiet.
        user_with_phone(runtime, "viewer@example.com", Role.viewer, "+91 98111 00001")
        user_with_phone(runtime, "agent@example.com", Role.agent, "+91 98111 00002")
        return user_with_phone(runtime, "admin@example.com", Role.admin, ADMIN_PHONE)

    def test_free_text_while_the_admins_window_is_open(
        self, runtime: Runtime, number_id: int, admin_id: int
    ) -> None:
        now = utcnow()
        conversation_id = open_window(runtime, number_id, ADMIN_WA_ID, now)
        run_monitor(runtime, now - timedelta(minutes=3))
        degrade_greeting(runtime, now)
        run_monitor(runtime, now)
        [message] = outbound(runtime)
        assert message.conversation_id == conversation_id
        assert (message.type, message.payload) == ("text", {"body": DEGRADED_TEXT})
        assert (message.sender_kind, message.sender_agent, message.sender_user_id) == (
            SenderKind.system,
            "health_monitor",
            None,
        )
        assert message.status is MessageState.queued
        run_monitor(runtime, now + timedelta(minutes=1))
        assert len(outbound(runtime)) == 1

    def test_the_alert_template_outside_the_window(
        self, runtime: Runtime, number_id: int, admin_id: int
    ) -> None:
        now = utcnow()
        run_monitor(runtime, now - timedelta(minutes=3))
        degrade_greeting(runtime, now)
        run_monitor(runtime, now, AlertChannel(template="ops_alert", language="en_US"))
        [message] = outbound(runtime)
        assert message.type == "template"
        assert message.payload == {
            "name": "ops_alert",
            "language": {"code": "en_US"},
            "components": [
                {"type": "body", "parameters": [{"type": "text", "text": DEGRADED_TEXT}]}
            ],
        }
        with session_scope(runtime.session_factory) as session:
            conversation = session.get(Conversation, message.conversation_id)
            assert conversation is not None
            assert conversation.doctor.wa_id == ADMIN_WA_ID

    def test_skipped_and_logged_without_window_or_template(
        self, runtime: Runtime, number_id: int, admin_id: int
    ) -> None:
        now = utcnow()
        run_monitor(runtime, now - timedelta(minutes=3))
        degrade_greeting(runtime, now)
        with capture_logs() as logs:
            assert len(run_monitor(runtime, now)) == 1
        assert outbound(runtime) == []
        assert {
            "event": "monitoring.whatsapp_skipped",
            "user_id": admin_id,
            "why": "window_closed_and_no_alert_template",
            "log_level": "info",
        } in logs
        assert [kind for kind, _, _ in notifications(runtime)] == ["health.degraded"]

    def test_a_refused_send_loses_only_that_message(
        self, runtime: Runtime, number_id: int, admin_id: int
    ) -> None:
        now = utcnow()
        # A person has the admin's own conversation: nothing automatic may reach that phone.
        open_window(runtime, number_id, ADMIN_WA_ID, now, mode=ConversationMode.human)
        run_monitor(runtime, now - timedelta(minutes=3))
        degrade_greeting(runtime, now)
        with capture_logs() as logs:
            run_monitor(runtime, now)
        assert outbound(runtime) == []
        assert any(
            log["event"] == "monitoring.whatsapp_refused" and log["error"] == "HumanTakeover"
            for log in logs
        )
        assert [kind for kind, _, _ in notifications(runtime)] == ["health.degraded"]


class TestPeriodicTask:
    def test_runs_every_minute_unless_disabled(self, runtime: Runtime) -> None:
        spec = runtime.tasks.spec(MONITOR_TASK)
        assert spec.schedule is not None and spec.schedule(utcnow())
        user = create_user(runtime, email="admin@example.com", role=Role.admin)
        with session_scope(runtime.session_factory) as session:
            agent_service.disable(session, "health_monitor", user, "too noisy")
        with session_scope(runtime.session_factory) as session:
            spec.function(TaskContext(session, runtime))
        with session_scope(runtime.session_factory) as session:
            assert session.scalars(select(HealthState)).all() == []
            agent_service.enable(session, "health_monitor", user)
        with session_scope(runtime.session_factory) as session:
            spec.function(TaskContext(session, runtime))
        with session_scope(runtime.session_factory) as session:
            assert session.get(HealthState, "agent:greeting") is not None
