from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, case, func, select
from sqlalchemy.orm import Session

from surgiai.conversations.models import Conversation, Direction, Message, MessageState
from surgiai.numbers.models import WhatsAppNumber


class NumberRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, number_id: int) -> WhatsAppNumber | None:
        return self.session.get(WhatsAppNumber, number_id)

    def get_by_phone_number_id(self, phone_number_id: str) -> WhatsAppNumber | None:
        return self.session.scalar(_BY_PHONE_NUMBER_ID, {"phone_number_id": phone_number_id})

    def list(self) -> Sequence[WhatsAppNumber]:
        return self.session.scalars(select(WhatsAppNumber).order_by(WhatsAppNumber.id)).all()

    def list_for_waba(self, waba_id: str) -> Sequence[WhatsAppNumber]:
        return self.session.scalars(
            select(WhatsAppNumber).where(WhatsAppNumber.waba_id == waba_id)
        ).all()

    def add(self, number: WhatsAppNumber) -> WhatsAppNumber:
        self.session.add(number)
        self.session.flush()
        return number

    def delete(self, number: WhatsAppNumber) -> None:
        self.session.delete(number)
        self.session.flush()

    def outbound_counts_since(self, since: datetime) -> dict[int, tuple[int, int]]:
        """Per number: (outbound messages handed to WhatsApp, of which failed) since `since`."""
        failed = case((Message.status == MessageState.failed, 1), else_=0)
        rows = self.session.execute(
            select(Conversation.number_id, func.count(), func.coalesce(func.sum(failed), 0))
            .join(Message, Message.conversation_id == Conversation.id)
            .where(
                Message.direction == Direction.outbound,
                Message.created_at >= since,
                Message.status.not_in([MessageState.queued, MessageState.sending]),
            )
            .group_by(Conversation.number_id)
        ).all()
        return {number_id: (int(total), int(failures)) for number_id, total, failures in rows}


# Built once: looked up for every webhook delivery.
_BY_PHONE_NUMBER_ID = select(WhatsAppNumber).where(
    WhatsAppNumber.phone_number_id == bindparam("phone_number_id")
)
