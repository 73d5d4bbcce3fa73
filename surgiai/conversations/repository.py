from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Double, Integer, Table, bindparam, exists, select, text, update
from sqlalchemy.orm import Session

from surgiai.conversations.models import Conversation, Direction, Message, MessageState
from surgiai.db.base import UTCDateTime
from surgiai.db.upsert import insert_ignore_conflict
from surgiai.doctors.models import Doctor
from surgiai.kit.time import utcnow

MESSAGE_TABLE = cast(Table, Message.__table__)


class ConversationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, conversation_id: int) -> Conversation | None:
        return self.session.get(Conversation, conversation_id)

    def find(self, doctor_id: int, number_id: int) -> Conversation | None:
        return self.session.scalar(
            select(Conversation).where(
                Conversation.doctor_id == doctor_id, Conversation.number_id == number_id
            )
        )

    def get_or_create(self, doctor_id: int, number_id: int) -> Conversation:
        conversation = self.find(doctor_id, number_id)
        if conversation is not None:
            return conversation
        insert_ignore_conflict(
            self.session,
            Conversation,
            {"doctor_id": doctor_id, "number_id": number_id, "created_at": utcnow()},
            ["doctor_id", "number_id"],
        )
        conversation = self.find(doctor_id, number_id)
        assert conversation is not None
        return conversation

    def for_doctor_recent_first(self, doctor_id: int) -> Sequence[Conversation]:
        return self.session.scalars(
            select(Conversation)
            .where(Conversation.doctor_id == doctor_id)
            .order_by(Conversation.last_message_at.desc().nulls_last(), Conversation.id.desc())
        ).all()

    def reserve_pair_slot(
        self, conversation_id: int, *, now: float, interval: float, burst: int
    ) -> float:
        """GCRA for the pair rate: 0 to send now, else -seconds to come back in. Reserves the
        slot when admitted; runs in the caller's transaction (the row stays locked)."""
        admitted = self.session.execute(
            _RESERVE_PAIR,
            {"id": conversation_id, "now": now, "interval": interval, "horizon": burst * interval},
        ).scalar_one_or_none()
        if admitted is not None:
            return 0.0
        tat = self.session.execute(
            select(Conversation.pair_tat).where(Conversation.id == conversation_id)
        ).scalar_one()
        return -(max(tat or now, now) + interval - burst * interval - now)

    def exists_for_number(self, number_id: int) -> bool:
        return bool(
            self.session.scalar(select(exists().where(Conversation.number_id == number_id)))
        )


class MessageRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, message_id: int) -> Message | None:
        return self.session.get(Message, message_id)

    def get_by_wamid(self, wamid: str) -> Message | None:
        return self.session.scalar(select(Message).where(Message.wamid == wamid))

    def add(self, message: Message) -> Message:
        self.session.add(message)
        self.session.flush()
        return message

    def insert_inbound_once(self, values: dict[str, object]) -> bool:
        """Insert an inbound message unless its wamid is already stored."""
        return insert_ignore_conflict(self.session, Message, values, ["wamid"])

    def list_for_doctor(
        self, wa_id: str, *, direction: Direction | None, limit: int, before_id: int | None
    ) -> Sequence[Message]:
        statement = (
            select(Message)
            .join(Conversation, Message.conversation_id == Conversation.id)
            .join(Doctor, Conversation.doctor_id == Doctor.id)
            .where(Doctor.wa_id == wa_id)
            .order_by(Message.id.desc())
            .limit(limit)
        )
        if direction is not None:
            statement = statement.where(Message.direction == direction)
        if before_id is not None:
            statement = statement.where(Message.id < before_id)
        return self.session.scalars(statement).all()

    def claim_for_sending(self, message_id: int, now: datetime) -> bool:
        """Move a queued message whose time has come to `sending`. Only one worker wins."""
        # On the session's connection: the ORM's statement handling is not needed for Core.
        result = self.session.connection().execute(_CLAIM, {"message_id": message_id, "now": now})
        return bool(result.rowcount)

    def stuck_in_sending(self, claimed_before: datetime, limit: int) -> Sequence[Message]:
        return self.session.scalars(
            select(Message)
            .where(Message.status == MessageState.sending, Message.claimed_at < claimed_before)
            .limit(limit)
        ).all()

    def overdue_queued(self, due_before: datetime, limit: int) -> Sequence[int]:
        """Queued messages nobody picked up (their task was lost): due long enough ago."""
        return self.session.scalars(
            select(Message.id)
            .where(
                Message.status == MessageState.queued,
                Message.direction == Direction.outbound,
                ((Message.next_attempt_at.is_(None)) & (Message.created_at < due_before))
                | (Message.next_attempt_at < due_before),
            )
            .limit(limit)
        ).all()


def mark_accepted(session: Session, message_id: int, wamid: str) -> None:
    """Record WhatsApp's acceptance unless a status webhook got there first."""
    session.connection().execute(_ACCEPT, {"message_id": message_id, "wamid": wamid})


# Built once: these run for every message sent, and building the expressions (and their cache
# keys) on each call cost more than executing them. The Core table, not the ORM entity, for
# the same reason.
_CLAIM = (
    update(MESSAGE_TABLE)
    .where(
        MESSAGE_TABLE.c.id == bindparam("message_id"),
        MESSAGE_TABLE.c.status == MessageState.queued,
        MESSAGE_TABLE.c.wamid.is_(None),
        MESSAGE_TABLE.c.next_attempt_at.is_(None)
        | (MESSAGE_TABLE.c.next_attempt_at <= bindparam("now", type_=UTCDateTime())),
    )
    .values(
        status=MessageState.sending,
        claimed_at=bindparam("now", type_=UTCDateTime()),
        attempts=MESSAGE_TABLE.c.attempts + 1,
    )
)
_RESERVE_PAIR = text(
    """
    UPDATE conversation
    SET pair_tat = (CASE WHEN pair_tat > :now THEN pair_tat ELSE :now END) + :interval
    WHERE id = :id
      AND (CASE WHEN pair_tat > :now THEN pair_tat ELSE :now END) + :interval - :now <= :horizon
    RETURNING pair_tat
    """
).bindparams(
    bindparam("id", type_=Integer()),
    bindparam("now", type_=Double()),
    bindparam("interval", type_=Double()),
    bindparam("horizon", type_=Double()),
)
_ACCEPT = (
    update(MESSAGE_TABLE)
    .where(MESSAGE_TABLE.c.id == bindparam("message_id"), MESSAGE_TABLE.c.wamid.is_(None))
    .values(wamid=bindparam("wamid"), status=MessageState.accepted, claimed_at=None)
)
