"""Agents' follow-ups: a `Schedule` action is stored, then carried out once when it comes due.

The Master Agent stores it with the burst it answered; a delayed task runs it at `due_at` (the
sweeper re-drives any whose task was lost). Running it re-checks everything that may have
changed meanwhile: the doctor wrote again (cancelled when the action asked for that), a person
took the conversation over or the doctor opted out (the send path refuses, and the refusal is
the recorded outcome). The state change and the queued message share one transaction, so a
follow-up is sent once whatever crashes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy.orm import Session

from surgiai.agents.actions import apply_action
from surgiai.agents.base import Reply, Schedule, SendTemplate
from surgiai.agents.models import ScheduledAction, ScheduledState
from surgiai.agents.repository import ScheduledActionRepository
from surgiai.conversations.models import Conversation, Draft, Message
from surgiai.db.outbox import enqueue
from surgiai.errors import SurgiAIError
from surgiai.kit.time import utcnow

log = structlog.get_logger(__name__)

RUN_TASK = "agents.run_scheduled"


def encode(action: Reply | SendTemplate) -> dict[str, object]:
    if isinstance(action, Reply):
        return {
            "kind": "reply",
            "type": action.type,
            "payload": dict(action.payload),
            "needs_approval_because": action.needs_approval_because,
        }
    return {
        "kind": "template",
        "name": action.name,
        "language": action.language,
        "components": [dict(component) for component in action.components],
        "category": action.category,
    }


def decode(data: Mapping[str, Any]) -> Reply | SendTemplate:
    if data["kind"] == "reply":
        return Reply(
            type=str(data["type"]),
            payload=dict(data["payload"]),
            needs_approval_because=data.get("needs_approval_because"),
        )
    return SendTemplate(
        name=str(data["name"]),
        language=str(data["language"]),
        components=tuple(dict(component) for component in data.get("components") or ()),
        category=data.get("category"),
    )


class ScheduledActionService:
    def schedule(
        self,
        session: Session,
        conversation: Conversation,
        newest: Message,
        agent: str,
        action: Schedule,
    ) -> ScheduledAction:
        scheduled = ScheduledAction(
            conversation_id=conversation.id,
            agent=agent,
            action=encode(action.action),
            reason=action.reason[:300],
            due_at=utcnow() + action.after,
            after_message_id=newest.id,
            unless_doctor_replies=action.unless_doctor_replies,
        )
        ScheduledActionRepository(session).add(scheduled)
        enqueue(session, RUN_TASK, scheduled.id, delay=action.after.total_seconds())
        log.info(
            "agents.scheduled",
            agent=agent,
            scheduled_id=scheduled.id,
            due_at=scheduled.due_at.isoformat(),
        )
        return scheduled

    def run(self, session: Session, scheduled_id: int) -> ScheduledState | None:
        """Carry out one follow-up if it is due and still waiting; returns its new state."""
        scheduled = ScheduledActionRepository(session).get_for_update(scheduled_id)
        now = utcnow()
        if scheduled is None or scheduled.state is not ScheduledState.waiting:
            return None
        if scheduled.due_at > now:
            # Early (a clock or a re-drive): come back when it is due.
            enqueue(session, RUN_TASK, scheduled.id, delay=(scheduled.due_at - now).total_seconds())
            return None
        conversation = session.get(Conversation, scheduled.conversation_id)
        assert conversation is not None  # the row cascades with its conversation
        if scheduled.unless_doctor_replies and ScheduledActionRepository(session).doctor_replied(
            scheduled
        ):
            return self._settle(scheduled, ScheduledState.cancelled, "The doctor wrote first.")
        try:
            with session.begin_nested():
                result = apply_action(
                    session, conversation, None, scheduled.agent, decode(scheduled.action)
                )
        except SurgiAIError as error:
            # Opted out of marketing, the window closed for a free-form reply …
            return self._settle(scheduled, ScheduledState.cancelled, error.detail)
        if result is None:
            return self._settle(
                scheduled, ScheduledState.cancelled, "A person has taken this doctor over."
            )
        if isinstance(result, Draft):
            return self._settle(scheduled, ScheduledState.sent, "Held for an admin's approval.")
        scheduled.message_id = result.id
        return self._settle(scheduled, ScheduledState.sent, None)

    def _settle(
        self, scheduled: ScheduledAction, state: ScheduledState, outcome: str | None
    ) -> ScheduledState:
        scheduled.state = state
        scheduled.settled_at = utcnow()
        scheduled.outcome = outcome[:300] if outcome else None
        log.info(
            "agents.scheduled.settled",
            scheduled_id=scheduled.id,
            agent=scheduled.agent,
            state=state.value,
            outcome=outcome,
        )
        return state

    def overdue(self, session: Session, due_before: datetime, limit: int) -> list[int]:
        return ScheduledActionRepository(session).overdue(due_before, limit)


scheduled_action_service = ScheduledActionService()
