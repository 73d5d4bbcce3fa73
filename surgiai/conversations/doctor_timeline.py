"""A doctor's timeline: the messages of all their conversations, their doctor events (score,
stage, tags, profile) and their consent records, newest first in one list. It lives here, not
in `doctors`, because messages are this domain's and `doctors` sits below it."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from surgiai.auth.models import User
from surgiai.conversations.models import Conversation, Direction, Message
from surgiai.doctors.models import ConsentEvent, ConsentSource, Doctor, DoctorEvent
from surgiai.doctors.profiles import describe_event, profile_service
from surgiai.doctors.schemas import DoctorConversation, TimelineItem, TimelinePage
from surgiai.errors import BadRequest
from surgiai.kit.schemas import MAX_ID
from surgiai.numbers.models import WhatsAppNumber

# Ties in time are broken by source, then id, so that a cursor never skips nor repeats.
_MESSAGE, _EVENT, _CONSENT = 0, 1, 2
# Who changed consent when no user did: the doctor (a keyword, their WhatsApp settings).
_CONSENT_ACTORS = {ConsentSource.admin: "an admin", ConsentSource.import_: "an import"}


@dataclass(frozen=True)
class _Position:
    at: datetime
    source: int
    id: int


def _encode(position: _Position) -> str:
    raw = json.dumps([position.at.isoformat(), position.source, position.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> _Position:
    try:
        at, source, row_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(source, int) or not isinstance(row_id, int) or not 0 < row_id <= MAX_ID:
            raise ValueError("not a cursor")
        return _Position(datetime.fromisoformat(at), source, row_id)
    except (ValueError, TypeError, binascii.Error) as error:
        raise BadRequest("The cursor is not one this API returned.") from error


def _older(
    before: _Position | None,
    source: int,
    at: InstrumentedAttribute[datetime],
    row_id: InstrumentedAttribute[int],
) -> ColumnElement[bool] | None:
    """Rows of `source` after `before` in newest-first order (time, source, id descending)."""
    if before is None:
        return None
    if source < before.source:
        return at <= before.at
    if source > before.source:
        return at < before.at
    return or_(at < before.at, and_(at == before.at, row_id < before.id))


class DoctorTimeline:
    def page(
        self, session: Session, doctor_id: int, *, limit: int, before: str | None
    ) -> TimelinePage:
        """Each source gives its newest `limit + 1` before the cursor; merged, the newest
        `limit` are the page (a doctor's rows are found by indexed doctor or conversation)."""
        doctor = profile_service.get(session, doctor_id)
        position = _decode(before) if before else None
        found = [
            *self._messages(session, doctor, position, limit + 1),
            *self._events(session, doctor_id, position, limit + 1),
            *self._consent(session, doctor_id, position, limit + 1),
        ]
        found.sort(key=lambda pair: (pair[0].at, pair[0].source, pair[0].id), reverse=True)
        page = found[:limit]
        return TimelinePage(
            items=[item for _, item in page],
            next_cursor=_encode(page[-1][0]) if len(found) > limit else None,
        )

    def conversations(self, session: Session, doctor_id: int) -> list[DoctorConversation]:
        """The doctor's conversations, the most recently active first."""
        profile_service.get(session, doctor_id)
        rows = session.execute(
            select(Conversation, WhatsAppNumber.label)
            .join(WhatsAppNumber, WhatsAppNumber.id == Conversation.number_id)
            .where(Conversation.doctor_id == doctor_id)
            .order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
        )
        return [
            DoctorConversation(
                id=conversation.id,
                number_id=conversation.number_id,
                number_name=label,
                status=conversation.status.value,
                last_message_at=conversation.last_message_at,
            )
            for conversation, label in rows
        ]

    def _messages(
        self, session: Session, doctor: Doctor, before: _Position | None, limit: int
    ) -> list[tuple[_Position, TimelineItem]]:
        statement = (
            select(Message, User.name)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .outerjoin(User, User.id == Message.sender_user_id)
            .where(Conversation.doctor_id == doctor.id)
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(limit)
        )
        condition = _older(before, _MESSAGE, Message.created_at, Message.id)
        if condition is not None:
            statement = statement.where(condition)
        found = []
        for message, user_name in session.execute(statement):
            inbound = message.direction == Direction.inbound
            item = TimelineItem(
                kind="message",
                at=message.created_at,
                text=message.text or f"[{message.type}]",
                actor=doctor.display_name if inbound else _sender(message, user_name),
                direction="in" if inbound else "out",
                conversation_id=message.conversation_id,
                data={"status": message.status.value, "type": message.type},
            )
            found.append((_Position(message.created_at, _MESSAGE, message.id), item))
        return found

    def _events(
        self, session: Session, doctor_id: int, before: _Position | None, limit: int
    ) -> list[tuple[_Position, TimelineItem]]:
        statement = (
            select(DoctorEvent, User.name)
            .outerjoin(User, User.id == DoctorEvent.actor_user_id)
            .where(DoctorEvent.doctor_id == doctor_id)
            .order_by(DoctorEvent.created_at.desc(), DoctorEvent.id.desc())
            .limit(limit)
        )
        condition = _older(before, _EVENT, DoctorEvent.created_at, DoctorEvent.id)
        if condition is not None:
            statement = statement.where(condition)
        return [
            (
                _Position(event.created_at, _EVENT, event.id),
                TimelineItem(
                    kind=event.kind,
                    at=event.created_at,
                    text=describe_event(event.kind, event.data or {}),
                    actor=user_name or "SurgiAI",
                    data=event.data or {},
                ),
            )
            for event, user_name in session.execute(statement)
        ]

    def _consent(
        self, session: Session, doctor_id: int, before: _Position | None, limit: int
    ) -> list[tuple[_Position, TimelineItem]]:
        statement = (
            select(ConsentEvent, User.name)
            .outerjoin(User, User.id == ConsentEvent.actor_user_id)
            .where(ConsentEvent.doctor_id == doctor_id)
            .order_by(ConsentEvent.created_at.desc(), ConsentEvent.id.desc())
            .limit(limit)
        )
        condition = _older(before, _CONSENT, ConsentEvent.created_at, ConsentEvent.id)
        if condition is not None:
            statement = statement.where(condition)
        found = []
        for event, user_name in session.execute(statement):
            what = "Opted out of marketing" if event.opted_out else "Opted in to marketing"
            detail = f": {event.detail}" if event.detail else ""
            data: dict[str, Any] = {
                "opted_out": event.opted_out,
                "source": event.source.value,
                "number_id": event.number_id,
            }
            item = TimelineItem(
                kind="consent",
                at=event.created_at,
                text=f"{what} ({event.source.value.replace('_', ' ')}){detail}",
                actor=user_name or _CONSENT_ACTORS.get(event.source, "the doctor"),
                data=data,
            )
            found.append((_Position(event.created_at, _CONSENT, event.id), item))
        return found


def _sender(message: Message, user_name: str | None) -> str:
    return user_name or message.sender_agent or "SurgiAI"


doctor_timeline = DoctorTimeline()
