from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from surgiai.agents.base import MessageView
from surgiai.conversations.models import Direction, Message
from surgiai.doctors.models import DoctorTag

PENDING = "pending"
PROCESSING = "processing"
DONE = "done"


class InboundRepository:
    """Doctors' messages as the Master Agent works through them."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def pending(self, conversation_id: int) -> Sequence[Message]:
        return self.session.scalars(_PENDING, {"conversation_id": conversation_id}).all()

    def claim(self, ids: list[int], token: str, now: datetime) -> bool:
        """Take these pending messages for this run; False if any is no longer pending."""
        result = self.session.connection().execute(
            _CLAIM, {"ids": ids, "token": token, "when": now}
        )
        return result.rowcount == len(ids)

    def finish(self, ids: list[int], token: str) -> bool:
        """Mark the burst answered, only if the claim is still this run's."""
        result = self.session.connection().execute(_FINISH, {"ids": ids, "token": token})
        return result.rowcount == len(ids)

    def history(self, conversation_id: int, *, before_id: int, limit: int) -> list[MessageView]:
        """Newest first; only what agents read (no payloads, no joined rows)."""
        rows = self.session.execute(
            _HISTORY, {"conversation_id": conversation_id, "before_id": before_id, "limit": limit}
        )
        return [
            MessageView(
                id=row.id,
                direction=row.direction.value,
                type=row.type,
                text=row.text,
                sender_kind=row.sender_kind.value,
                created_at=row.created_at,
            )
            for row in rows
        ]

    def tags(self, doctor_id: int) -> list[str]:
        return sorted(self.session.scalars(_TAGS, {"doctor_id": doctor_id}))

    def stuck(self, claimed_before: datetime, limit: int) -> Sequence[int]:
        """Conversations whose burst was claimed by a worker that died."""
        return self.session.scalars(
            select(Message.conversation_id)
            .where(Message.agent_state == PROCESSING, Message.agent_claimed_at < claimed_before)
            .distinct()
            .limit(limit)
        ).all()

    def release(self, conversation_id: int, claimed_before: datetime) -> int:
        result = self.session.execute(
            update(Message)
            .where(
                Message.conversation_id == conversation_id,
                Message.agent_state == PROCESSING,
                Message.agent_claimed_at < claimed_before,
            )
            .values(agent_state=PENDING, agent_claim=None, agent_claimed_at=None)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def waiting_since(self, created_before: datetime, limit: int) -> Sequence[int]:
        """Conversations with messages pending for long (their task was lost)."""
        return self.session.scalars(
            select(Message.conversation_id)
            .where(
                Message.agent_state == PENDING,
                Message.direction == Direction.inbound,
                Message.created_at < created_before,
            )
            .distinct()
            .limit(limit)
        ).all()


# Built once: the Master Agent runs these for every burst it answers (see
# conversations/repository.py on why).
_MESSAGES = cast(Table, Message.__table__)
_PENDING = (
    select(Message)
    .where(Message.conversation_id == bindparam("conversation_id"), Message.agent_state == PENDING)
    .order_by(Message.id)
)
_CLAIM = (
    update(_MESSAGES)
    .where(
        _MESSAGES.c.id.in_(bindparam("ids", expanding=True)),
        _MESSAGES.c.agent_state == PENDING,
    )
    .values(
        agent_state=PROCESSING,
        agent_claim=bindparam("token"),
        agent_claimed_at=bindparam("when"),
    )
)
_FINISH = (
    update(_MESSAGES)
    .where(
        _MESSAGES.c.id.in_(bindparam("ids", expanding=True)),
        _MESSAGES.c.agent_state == PROCESSING,
        _MESSAGES.c.agent_claim == bindparam("token"),
    )
    .values(agent_state=DONE)
)
_HISTORY = (
    select(
        Message.id,
        Message.direction,
        Message.type,
        Message.text,
        Message.sender_kind,
        Message.created_at,
    )
    .where(
        Message.conversation_id == bindparam("conversation_id"),
        Message.id < bindparam("before_id"),
    )
    .order_by(Message.id.desc())
    .limit(bindparam("limit"))
)
_TAGS = select(DoctorTag.tag).where(DoctorTag.doctor_id == bindparam("doctor_id"))
