"""The Health Monitoring agent: every minute it compares each agent's and each WhatsApp
number's state with the one it saw last, and tells the team when one degrades or recovers: a
dashboard notification, and a WhatsApp message to the phone of every active user who may act
on it.

It alerts on changes only: nothing for a subject first seen healthy, nothing again while a
state persists. A WhatsApp alert goes as free text while the user's 24 h window is open on some
number, else through the alert template of the workspace settings; with neither it is skipped
(and logged), like any refusal of the send path: the monitor itself never fails over an alert it
could not send. Admins can switch WhatsApp alerts off there; the dashboard is still told.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy.orm import Session

from surgiai.agents.health import AgentState
from surgiai.agents.registry import HEALTH_MONITOR_AGENT
from surgiai.agents.service import agent_service
from surgiai.auth.models import User
from surgiai.auth.repository import UserRepository
from surgiai.auth.roles import Permission, has_permission
from surgiai.conversations.models import SenderKind
from surgiai.conversations.repository import ConversationRepository
from surgiai.conversations.service import OutboundRequest, message_service
from surgiai.conversations.window import window_open
from surgiai.doctors.service import doctor_service
from surgiai.errors import SurgiAIError
from surgiai.kit.phone import to_wa_id
from surgiai.kit.time import utcnow
from surgiai.monitoring.models import HealthState
from surgiai.monitoring.repository import HealthStateRepository
from surgiai.notifications.service import notification_service
from surgiai.numbers.models import WhatsAppNumber
from surgiai.numbers.repository import NumberRepository
from surgiai.numbers.service import BLOCKED_STATUSES, number_service

log = structlog.get_logger(__name__)

DEGRADED_KIND = "health.degraded"
RECOVERED_KIND = "health.recovered"
UNHEALTHY = frozenset({AgentState.degraded, AgentState.down})
DEGRADED_QUALITY = frozenset({"YELLOW", "RED"})


@dataclass(frozen=True)
class Observation:
    subject: str
    title: str  # "Agent greeting", "Number Sales"
    state: AgentState
    # A stable key for what exactly is wrong; a change of it within one state is news too.
    condition: str
    reason: str | None
    # Who may act on it, and so is told.
    permission: Permission


@dataclass(frozen=True)
class Alert:
    subject: str
    kind: str
    title: str
    body: str
    permission: Permission

    @property
    def text(self) -> str:
        """One line: it also fills a template parameter, which may hold no line breaks."""
        return f"SurgiAI: {self.title}. {self.body}"


@dataclass(frozen=True)
class AlertChannel:
    """How alerts reach phones outside the 24 h window."""

    template: str | None
    language: str
    # False: alerts reach the dashboard only.
    whatsapp: bool = True


def observe_agents(session: Session, now: datetime) -> list[Observation]:
    return [
        Observation(
            subject=f"agent:{health.name}",
            title=f"Agent {health.name}",
            state=health.state,
            condition=health.state.value,
            reason=health.reason,
            permission=Permission.manage_settings,
        )
        for health in agent_service.health(session, now=now)
    ]


def observe_number(number: WhatsAppNumber) -> Observation:
    def observation(state: AgentState, condition: str, reason: str | None) -> Observation:
        return Observation(
            f"number:{number.id}",
            f"Number {number.label}",
            state,
            condition,
            reason,
            Permission.manage_numbers,
        )

    if not number.enabled:
        return observation(AgentState.disabled, "disabled", "an admin disabled it")
    if number.paused:
        return observation(AgentState.down, "paused", f"it is paused: {number.paused_reason}")
    if number.status in BLOCKED_STATUSES:
        return observation(
            AgentState.down,
            f"status:{number.status}",
            f"WhatsApp reports its status as {number.status}, so it cannot send",
        )
    if number.quality_rating in DEGRADED_QUALITY:
        return observation(
            AgentState.degraded,
            f"quality:{number.quality_rating}",
            f"its quality rating is {number.quality_rating}",
        )
    return observation(AgentState.healthy, AgentState.healthy.value, None)


def alert_for(previous: HealthState | None, observation: Observation) -> Alert | None:
    """What to say about this observation, given the state seen last (None: first sight)."""
    if (
        previous is not None
        and previous.state == observation.state
        and previous.condition == observation.condition
    ):
        return None
    if observation.state in UNHEALTHY:
        assert observation.reason is not None
        return Alert(
            observation.subject,
            DEGRADED_KIND,
            f"{observation.title} is {observation.state.value}",
            _sentence(observation.reason),
            observation.permission,
        )
    if (
        observation.state is AgentState.healthy
        and previous is not None
        and previous.state in UNHEALTHY
    ):
        return Alert(
            observation.subject,
            RECOVERED_KIND,
            f"{observation.title} has recovered",
            f"It is healthy again (it was {previous.state}).",
            observation.permission,
        )
    # Disabled by an admin, or first seen healthy: nothing anyone needs telling.
    return None


def _sentence(reason: str) -> str:
    return reason[:1].upper() + reason[1:] + ("" if reason.endswith(".") else ".")


class HealthMonitor:
    def run(
        self, session: Session, channel: AlertChannel, *, now: datetime | None = None
    ) -> list[Alert]:
        """Observe everything once, record what changed and raise its alerts."""
        now = now or utcnow()
        observations = observe_agents(session, now) + [
            observe_number(number) for number in NumberRepository(session).list()
        ]
        states = HealthStateRepository(session)
        seen = states.all()
        alerts: list[Alert] = []
        for observation in observations:
            previous = seen.get(observation.subject)
            alert = alert_for(previous, observation)
            if alert is not None:
                alerts.append(alert)
            if previous is None:
                states.add(
                    HealthState(
                        subject=observation.subject,
                        state=observation.state.value,
                        condition=observation.condition,
                        changed_at=now,
                    )
                )
            elif (previous.state, previous.condition) != (
                observation.state.value,
                observation.condition,
            ):
                previous.state = observation.state.value
                previous.condition = observation.condition
                previous.changed_at = now
        # Numbers deleted and agents retired: their next appearance starts afresh.
        states.forget(sorted(set(seen) - {o.subject for o in observations}))
        for alert in alerts:
            self.raise_alert(session, alert, channel, now)
        return alerts

    def raise_alert(
        self, session: Session, alert: Alert, channel: AlertChannel, now: datetime
    ) -> None:
        log.warning("monitoring.alert", subject=alert.subject, kind=alert.kind)
        notification_service.notify(session, alert.kind, alert.title, body=alert.body)
        if not channel.whatsapp:
            return
        for user in self.recipients(session, alert.permission):
            self.send_whatsapp(session, user, alert.text, channel, now)

    @staticmethod
    def recipients(session: Session, permission: Permission) -> Sequence[User]:
        return [
            user
            for user in UserRepository(session).list()
            if user.is_active and user.phone and has_permission(user.role, permission)
        ]

    def send_whatsapp(
        self, session: Session, user: User, text: str, channel: AlertChannel, now: datetime
    ) -> None:
        assert user.phone is not None
        try:
            wa_id = to_wa_id(user.phone)
        except SurgiAIError:
            log.warning("monitoring.whatsapp_skipped", user_id=user.id, why="bad_phone")
            return
        number_id = self.open_window_number(session, wa_id, now)
        if number_id is not None:
            request = OutboundRequest(
                to=wa_id,
                type="text",
                payload={"body": text},
                sender_kind=SenderKind.system,
                sender_agent=HEALTH_MONITOR_AGENT,
                number_id=number_id,
            )
        elif channel.template:
            request = OutboundRequest(
                to=wa_id,
                type="template",
                payload={
                    "name": channel.template,
                    "language": {"code": channel.language},
                    "components": [
                        {"type": "body", "parameters": [{"type": "text", "text": text}]}
                    ],
                },
                sender_kind=SenderKind.system,
                sender_agent=HEALTH_MONITOR_AGENT,
            )
        else:
            log.info(
                "monitoring.whatsapp_skipped",
                user_id=user.id,
                why="window_closed_and_no_alert_template",
            )
            return
        try:
            with session.begin_nested():
                message_service.queue_outbound(session, request)
        except SurgiAIError as error:
            log.warning(
                "monitoring.whatsapp_refused",
                user_id=user.id,
                error=error.public_name,
                detail=error.detail,
            )

    @staticmethod
    def open_window_number(session: Session, wa_id: str, now: datetime) -> int | None:
        """A number this phone wrote to in the last 24 h that can send now."""
        doctor = doctor_service.get_by_wa_id(session, wa_id)
        if doctor is None:
            return None
        for conversation in ConversationRepository(session).for_doctor_recent_first(doctor.id):
            if window_open(conversation, now) and number_service.can_send(conversation.number):
                return conversation.number_id
        return None


health_monitor = HealthMonitor()
