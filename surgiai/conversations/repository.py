from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    ColumnElement,
    Double,
    Integer,
    Select,
    Table,
    Update,
    bindparam,
    column,
    delete,
    exists,
    func,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session, lazyload

from surgiai.conversations.models import (
    Conversation,
    ConversationMode,
    ConversationNote,
    ConversationStatus,
    Direction,
    Draft,
    DraftStatus,
    Message,
    MessageState,
    SenderKind,
)
from surgiai.conversations.schemas import LastMessage, MessageStatusChange
from surgiai.db.base import UTCDateTime
from surgiai.db.upsert import conflict_insert, insert_ignore_conflict, insert_returning_new
from surgiai.doctors.models import Doctor, DoctorTag
from surgiai.kit.time import utcnow
from surgiai.numbers.models import WhatsAppNumber
from surgiai.worker.claimants import this_claimant

MESSAGE_TABLE = cast(Table, Message.__table__)
# The sender_agent of campaign messages: the campaign executor sends them and its own sweeper
# re-drives them (`campaigns.tasks`), never the one-message send path.
CAMPAIGN_AGENT = "campaign"
# What a status webhook may tell about the doctor a message went to.
RECIPIENT_FIELDS = ("wa_id", "user_id", "parent_user_id", "username")


class SeenStatus(NamedTuple):
    message_id: int
    status: MessageState
    # The doctor's identifiers as stored, to compare with what the status says.
    recipient: dict[str, str | None]


# The one automatic message a conversation handed to a person still gets: the notice saying so.
HANDOFF_AGENT = "human_handoff"


class ConversationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, conversation_id: int) -> Conversation | None:
        return self.session.get(Conversation, conversation_id)

    def find(self, doctor_id: int, number_id: int) -> Conversation | None:
        return self.session.scalar(
            _CONVERSATION_OF, {"doctor_id": doctor_id, "number_id": number_id}
        )

    def get_or_create(self, doctor_id: int, number: WhatsAppNumber) -> Conversation:
        conversation = self.find(doctor_id, number.id)
        if conversation is not None:
            return conversation
        now = utcnow()
        conversation = insert_returning_new(
            self.session,
            Conversation,
            {
                "doctor_id": doctor_id,
                "number_id": number.id,
                "created_at": now,
                "last_message_at": now,
                "mode": ConversationMode(number.default_mode),
            },
            ["doctor_id", "number_id"],
        )
        if conversation is None:  # another worker created it in between
            conversation = self.find(doctor_id, number.id)
        assert conversation is not None
        return conversation

    def ids_for_doctors(self, doctor_ids: Sequence[int], number: WhatsAppNumber) -> dict[int, int]:
        """Each doctor's conversation id on `number`, the missing ones created together (a
        campaign chunk reaches hundreds of doctors who never wrote to that number)."""
        found = self._ids_for_doctors(doctor_ids, number.id)
        missing = [doctor_id for doctor_id in dict.fromkeys(doctor_ids) if doctor_id not in found]
        if missing:
            now = utcnow()
            table = cast(Table, Conversation.__table__)
            dialect = self.session.get_bind().dialect.name
            statement = conflict_insert(dialect)(table).on_conflict_do_nothing(
                index_elements=["doctor_id", "number_id"]
            )
            mode = ConversationMode(number.default_mode)
            self.session.execute(
                statement,
                [
                    {
                        "doctor_id": doctor_id,
                        "number_id": number.id,
                        "created_at": now,
                        "last_message_at": now,
                        "mode": mode,
                    }
                    for doctor_id in missing
                ],
            )
            # Those another worker created in between are found here too.
            found.update(self._ids_for_doctors(missing, number.id))
        return found

    def _ids_for_doctors(self, doctor_ids: Sequence[int], number_id: int) -> dict[int, int]:
        rows = self.session.execute(
            select(Conversation.doctor_id, Conversation.id).where(
                Conversation.doctor_id.in_(doctor_ids), Conversation.number_id == number_id
            )
        ).all()
        return {doctor_id: conversation_id for doctor_id, conversation_id in rows}

    def for_doctor_recent_first(self, doctor_id: int) -> Sequence[Conversation]:
        """The doctor's conversations, the number they last wrote to first: a message we
        sent from another number (a failover, a campaign) does not move them there."""
        return self.session.scalars(
            select(Conversation)
            .where(Conversation.doctor_id == doctor_id)
            .order_by(
                Conversation.last_inbound_at.desc().nulls_last(),
                Conversation.last_message_at.desc().nulls_last(),
                Conversation.id.desc(),
            )
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

    def doctor_in_human_mode(self, doctor_id: int) -> bool:
        return bool(self.session.scalar(_DOCTOR_IN_HUMAN_MODE, {"doctor_id": doctor_id}))

    def exists_for_number(self, number_id: int) -> bool:
        return bool(
            self.session.scalar(select(exists().where(Conversation.number_id == number_id)))
        )


class MessageRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, message_id: int) -> Message | None:
        return self.session.get(Message, message_id)

    def recipient_of(self, message_id: int) -> Doctor | None:
        """The doctor a message was sent to (or came from)."""
        return self.session.scalar(_DOCTOR_OF_MESSAGE, {"message_id": message_id})

    def recipients_of(self, message_ids: Sequence[int]) -> dict[int, Doctor]:
        """The doctor of each message, by message id, in one query."""
        if not message_ids:
            return {}
        rows = self.session.execute(
            select(Message.id, Doctor)
            .join(Conversation, Conversation.doctor_id == Doctor.id)
            .join(Message, Message.conversation_id == Conversation.id)
            .where(Message.id.in_(set(message_ids)))
        ).all()
        return {message_id: doctor for message_id, doctor in rows}

    def status_by_wamid(self, wamid: str) -> SeenStatus | None:
        row = self.session.execute(_STATUS_BY_WAMID, {"wamid": wamid}).first()
        if row is None:
            return None
        recipient = {name: getattr(row, name) for name in RECIPIENT_FIELDS}
        return SeenStatus(row.id, row.status, recipient)

    def advance_status(
        self, message_id: int, seen: MessageState, status: MessageState, at: datetime
    ) -> bool:
        """Set `status` (and its `<status>_at`) if the message still has the status `seen`.

        In SQL, on the session's connection: three of these for every message sent. A
        `Message` this session holds is not refreshed (read it with `populate_existing`)."""
        result = self.session.connection().execute(
            _ADVANCE_STATUS[status], {"message_id": message_id, "seen": seen, "at": at}
        )
        return bool(result.rowcount == 1)

    def add(self, message: Message) -> Message:
        self.session.add(message)
        self.session.flush()
        return message

    def insert_inbound_once(self, values: dict[str, object]) -> Message | None:
        """Insert an inbound message unless its wamid is already stored: the new message, or
        None for one stored before."""
        return insert_returning_new(self.session, Message, values, ["wamid"])

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
        result = self.session.connection().execute(
            _CLAIM, {"message_id": message_id, "now": now, "claimant": this_claimant()}
        )
        return bool(result.rowcount)

    def sending_claimants(self) -> set[str | None]:
        """The processes holding send claims."""
        return set(
            self.session.scalars(
                select(Message.claimed_by).where(Message.status == MessageState.sending).distinct()
            )
        )

    def stuck_in_sending(
        self, claimed_before: datetime, limit: int, gone: Collection[str] = ()
    ) -> Sequence[Message]:
        """Sends claimed before `claimed_before`, or by a claimant `gone`."""
        return self.session.scalars(
            select(Message)
            .where(
                Message.status == MessageState.sending,
                or_(Message.claimed_at < claimed_before, Message.claimed_by.in_(list(gone))),
                Message.sender_agent.is_distinct_from(CAMPAIGN_AGENT),
            )
            .limit(limit)
        ).all()

    def overdue_queued(self, due_before: datetime, limit: int) -> Sequence[int]:
        """Queued messages nobody picked up (their task was lost): due long enough ago."""
        return self.session.scalars(
            select(Message.id)
            .where(
                Message.status == MessageState.queued,
                Message.direction == Direction.outbound,
                Message.sender_agent.is_distinct_from(CAMPAIGN_AGENT),
                ((Message.next_attempt_at.is_(None)) & (Message.created_at < due_before))
                | (Message.next_attempt_at < due_before),
            )
            .limit(limit)
        ).all()


def mark_accepted(session: Session, message_id: int, wamid: str) -> bool:
    """Record WhatsApp's acceptance unless a status webhook got there first."""
    result = session.connection().execute(_ACCEPT, {"message_id": message_id, "wamid": wamid})
    return bool(result.rowcount)


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
        claimed_by=bindparam("claimant"),
        attempts=MESSAGE_TABLE.c.attempts + 1,
    )
)


def _advance_status(status: MessageState) -> Update:
    at = bindparam("at", type_=MESSAGE_TABLE.c.timestamp.type)
    values: dict[str, object] = {"status": status, "timestamp": at}
    if f"{status.value}_at" in MESSAGE_TABLE.c:
        values[f"{status.value}_at"] = at
    return (
        update(MESSAGE_TABLE)
        .where(
            MESSAGE_TABLE.c.id == bindparam("message_id"),
            MESSAGE_TABLE.c.status == bindparam("seen", type_=MESSAGE_TABLE.c.status.type),
        )
        .values(values)
    )


_ADVANCE_STATUS = {status: _advance_status(status) for status in MessageState}
_STATUS_CHANGES = (
    select(
        MESSAGE_TABLE.c.id,
        MESSAGE_TABLE.c.conversation_id,
        MESSAGE_TABLE.c.status,
        MESSAGE_TABLE.c.timestamp,
        MESSAGE_TABLE.c.sent_at,
        MESSAGE_TABLE.c.delivered_at,
        MESSAGE_TABLE.c.read_at,
        MESSAGE_TABLE.c.played_at,
    )
    .where(
        MESSAGE_TABLE.c.id.in_(bindparam("ids", expanding=True)),
        MESSAGE_TABLE.c.status.in_(
            [MessageState.sent, MessageState.delivered, MessageState.read, MessageState.played]
        ),
    )
    .order_by(MESSAGE_TABLE.c.id)
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


@dataclass(frozen=True)
class ConversationFilters:
    mode: ConversationMode | None = None
    status: ConversationStatus | None = None
    unread: bool | None = None
    number_id: int | None = None
    assigned_user_id: int | None = None
    unassigned: bool = False
    tag: str | None = None
    q: str | None = None
    # Only open conversations whose doctor waits for our answer, longest waiting first.
    awaiting: bool = False


_WORD = re.compile(r"\w+")


def search_words(q: str) -> list[str]:
    """The words of a search, as the full-text index tokenizes them (punctuation dropped, so
    nothing in `q` can reach the query syntax)."""
    return _WORD.findall(q.casefold())[:8]


class InboxRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def list_conversations(
        self,
        filters: ConversationFilters,
        *,
        limit: int,
        after: tuple[datetime, int] | None,
    ) -> Sequence[Conversation]:
        """Newest activity first; `after` is the (last_message_at, id) of the previous page's
        last row. The awaiting queue: longest waiting first, `after` its (awaiting_since, id)."""
        if filters.awaiting:
            statement = select(Conversation).order_by(
                Conversation.awaiting_since.asc(), Conversation.id.asc()
            )
            statement = statement.where(
                Conversation.awaiting_since.is_not(None),
                Conversation.status == ConversationStatus.open,
            )
            if after is not None:
                since, last_id = after
                statement = statement.where(
                    (Conversation.awaiting_since > since)
                    | ((Conversation.awaiting_since == since) & (Conversation.id > last_id))
                )
        else:
            statement = select(Conversation).order_by(
                Conversation.last_message_at.desc(), Conversation.id.desc()
            )
            if after is not None:
                at, last_id = after
                statement = statement.where(
                    (Conversation.last_message_at < at)
                    | ((Conversation.last_message_at == at) & (Conversation.id < last_id))
                )
        if filters.mode is not None:
            statement = statement.where(Conversation.mode == filters.mode)
        if filters.status is not None:
            statement = statement.where(Conversation.status == filters.status)
        if filters.unread is True:
            statement = statement.where(Conversation.unread_count > 0)
        elif filters.unread is False:
            statement = statement.where(Conversation.unread_count == 0)
        if filters.number_id is not None:
            statement = statement.where(Conversation.number_id == filters.number_id)
        if filters.assigned_user_id is not None:
            statement = statement.where(Conversation.assigned_user_id == filters.assigned_user_id)
        if filters.unassigned:
            statement = statement.where(Conversation.assigned_user_id.is_(None))
        if filters.tag is not None:
            statement = statement.where(
                Conversation.doctor_id.in_(
                    select(DoctorTag.doctor_id).where(DoctorTag.tag == filters.tag)
                )
            )
        if filters.q:
            statement = statement.where(self._matches(filters.q))
        return self.session.scalars(statement.limit(limit)).all()

    def _matches(self, q: str) -> ColumnElement[bool]:
        """The doctor's name, username or number, or the text of any message in the
        conversation."""
        needle = q.strip().casefold()
        pattern = f"%{_escape_like(needle.lstrip('@'))}%"
        doctor_match = (
            func.lower(Doctor.name).like(pattern, escape="\\")
            | func.lower(Doctor.profile_name).like(pattern, escape="\\")
            | func.lower(Doctor.username).like(pattern, escape="\\")
        )
        digits = "".join(ch for ch in needle if ch.isdigit())
        if len(digits) >= 3:
            doctor_match = doctor_match | Doctor.wa_id.like(f"%{digits}%")
        by_doctor = Conversation.doctor_id.in_(select(Doctor.id).where(doctor_match))
        words = search_words(q)
        if not words:
            return by_doctor
        return by_doctor | Conversation.id.in_(self._conversations_with_text(words))

    def _conversations_with_text(self, words: list[str]) -> Select[Any]:
        if self.session.get_bind().dialect.name == "sqlite":
            # FTS5 prefix query, each word quoted: `"cathet"* "size"*`.
            query = " ".join(f'"{word}"*' for word in words)
            matching = (
                text("SELECT rowid FROM message_search WHERE message_search MATCH :q")
                .bindparams(q=query)
                .columns(column("rowid", Integer))
            )
            return select(Message.conversation_id).where(Message.id.in_(matching))
        tsquery = " & ".join(f"{word}:*" for word in words)
        vector = func.to_tsvector(literal_column("'simple'"), func.coalesce(Message.text, ""))
        return select(Message.conversation_id).where(
            vector.bool_op("@@")(func.to_tsquery(literal_column("'simple'"), tsquery))
        )

    def thread(
        self, conversation_id: int, *, limit: int, before_id: int | None
    ) -> Sequence[Message]:
        statement = (
            select(Message)
            .where(Message.conversation_id == conversation_id)
            .order_by(Message.id.desc())
            .limit(limit)
        )
        if before_id is not None:
            statement = statement.where(Message.id < before_id)
        return self.session.scalars(statement).all()

    def latest_messages(self, conversation_ids: set[int], count: int) -> dict[int, list[Message]]:
        """Each conversation's latest `count` messages, oldest first, in one query."""
        if not conversation_ids:
            return {}
        ranked = (
            select(
                Message.id,
                func.row_number()
                .over(partition_by=Message.conversation_id, order_by=Message.id.desc())
                .label("rank"),
            )
            .where(Message.conversation_id.in_(conversation_ids))
            .subquery()
        )
        messages = self.session.scalars(
            select(Message)
            .join(ranked, ranked.c.id == Message.id)
            .where(ranked.c.rank <= count)
            .order_by(Message.id)
        ).all()
        found: dict[int, list[Message]] = {}
        for message in messages:
            found.setdefault(message.conversation_id, []).append(message)
        return found

    def last_messages(self, ids: set[int]) -> dict[int, LastMessage]:
        """The inbox's one-line previews: only the columns they show (no payloads)."""
        if not ids:
            return {}
        rows = self.session.execute(
            select(
                Message.id,
                Message.direction,
                Message.type,
                Message.text,
                Message.status,
                Message.sender_kind,
                Message.created_at,
            ).where(Message.id.in_(ids))
        )
        return {row.id: last_message_of(row) for row in rows}

    def last_message_ids_of(self, message_ids: Collection[int]) -> dict[int, int | None]:
        """The conversations these messages are in, each with its last message's id."""
        if not message_ids:
            return {}
        rows = self.session.execute(
            select(Conversation.id, Conversation.last_message_id)
            .where(
                Conversation.id.in_(
                    select(Message.conversation_id).where(Message.id.in_(message_ids))
                )
            )
            .order_by(Conversation.id)
        )
        return {row.id: row.last_message_id for row in rows}

    def status_changes(self, message_ids: Collection[int]) -> list[MessageStatusChange]:
        """The ticks of these messages as they are now, for those sent, delivered, read or
        played (a failed one is told with its reason, as a whole message)."""
        if not message_ids:
            return []
        rows = self.session.execute(_STATUS_CHANGES, {"ids": sorted(set(message_ids))})
        return [
            MessageStatusChange(
                id=row.id,
                conversation_id=row.conversation_id,
                status=row.status.value,
                timestamp=row.timestamp,
                sent_at=row.sent_at,
                delivered_at=row.delivered_at,
                read_at=row.read_at,
                played_at=row.played_at,
            )
            for row in rows
        ]

    def lock_conversation(self, conversation_id: int) -> None:
        """Take the conversation row's lock until the transaction ends (its columns only: a
        lock cannot reach the nullable side of the eager joins)."""
        self.session.execute(
            select(Conversation.id).where(Conversation.id == conversation_id).with_for_update()
        )

    def newest_unread_inbound(self, conversation_id: int) -> Message | None:
        return self.session.scalar(
            select(Message)
            .where(
                Message.conversation_id == conversation_id,
                Message.direction == Direction.inbound,
                Message.read_at.is_(None),
            )
            .order_by(Message.id.desc())
            .limit(1)
        )

    def mark_inbound_read(self, conversation_id: int, now: datetime) -> Message | None:
        """Mark the doctor's unread messages read; returns the newest of them (WhatsApp's read
        receipt on it covers the earlier ones)."""
        newest = self.newest_unread_inbound(conversation_id)
        if newest is None:
            return None
        self.session.execute(
            update(Message)
            .where(
                Message.conversation_id == conversation_id,
                Message.direction == Direction.inbound,
                Message.read_at.is_(None),
            )
            .values(read_at=now)
            .execution_options(synchronize_session=False)
        )
        return newest

    def last_inbound(self, conversation_id: int) -> Message | None:
        return self.session.scalar(
            select(Message)
            .where(
                Message.conversation_id == conversation_id, Message.direction == Direction.inbound
            )
            .order_by(Message.id.desc())
            .limit(1)
        )

    def unanswered_since(self, conversation_id: int) -> datetime | None:
        """When the doctor's oldest message after our last answer arrived (None: answered).
        An answer is a person's or an agent's message that was not cancelled and did not fail;
        system messages (the hand-off notice, campaigns, follow-ups) answer nothing."""
        last_answer = (
            select(func.max(Message.id))
            .where(
                Message.conversation_id == conversation_id,
                Message.direction == Direction.outbound,
                Message.sender_kind.in_([SenderKind.admin, SenderKind.ai])
                | Message.sender_user_id.is_not(None),
                Message.status.not_in([MessageState.failed, MessageState.cancelled]),
            )
            .scalar_subquery()
        )
        return self.session.scalar(
            select(func.min(Message.created_at)).where(
                Message.conversation_id == conversation_id,
                Message.direction == Direction.inbound,
                Message.id > func.coalesce(last_answer, 0),
            )
        )

    def cancel_automatic_queued(self, doctor_id: int, reason: str, now: datetime) -> Sequence[int]:
        """Queued automatic messages to this doctor, on any number, are not sent after all."""
        ids = self.session.scalars(
            select(Message.id)
            .join(Conversation, Message.conversation_id == Conversation.id)
            .where(
                Conversation.doctor_id == doctor_id,
                Message.status == MessageState.queued,
                Message.sender_kind.in_([SenderKind.ai, SenderKind.system]),
                Message.sender_user_id.is_(None),
                Message.sender_agent.is_distinct_from(HANDOFF_AGENT),
            )
        ).all()
        if ids:
            self.session.execute(
                update(Message)
                .where(Message.id.in_(ids), Message.status == MessageState.queued)
                .values(
                    status=MessageState.cancelled,
                    error_reason=reason,
                    failed_at=now,
                    next_attempt_at=None,
                )
                .execution_options(synchronize_session="fetch")
            )
        return ids

    def add_tags(self, doctor_id: int, tags: list[str]) -> None:
        for tag in dict.fromkeys(tags):
            insert_ignore_conflict(
                self.session, DoctorTag, {"doctor_id": doctor_id, "tag": tag}, ["doctor_id", "tag"]
            )

    def set_tags(self, doctor_id: int, tags: list[str]) -> None:
        self.session.execute(delete(DoctorTag).where(DoctorTag.doctor_id == doctor_id))
        for tag in dict.fromkeys(tags):
            self.session.add(DoctorTag(doctor_id=doctor_id, tag=tag))
        self.session.flush()

    def add_note(self, note: ConversationNote) -> ConversationNote:
        self.session.add(note)
        self.session.flush()
        return note

    def notes(self, conversation_id: int) -> Sequence[ConversationNote]:
        return self.session.scalars(
            select(ConversationNote)
            .where(ConversationNote.conversation_id == conversation_id)
            .order_by(ConversationNote.id)
        ).all()


def last_message_of(message: Any) -> LastMessage:
    """A conversation's one-line preview, from a message row or its preview columns."""
    return LastMessage(
        id=message.id,
        direction=message.direction.value,
        type=message.type,
        text=(message.text or "")[:200] or None,
        status=message.status.value,
        sender_kind=message.sender_kind.value,
        created_at=message.created_at,
    )


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class DraftRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, draft_id: int) -> Draft | None:
        return self.session.get(Draft, draft_id)

    def add(self, draft: Draft) -> Draft:
        self.session.add(draft)
        self.session.flush()
        return draft

    def list(
        self,
        *,
        status: DraftStatus | None,
        conversation_id: int | None,
        limit: int,
        before_id: int | None,
    ) -> Sequence[Draft]:
        statement = select(Draft).order_by(Draft.id.desc()).limit(limit)
        if status is not None:
            statement = statement.where(Draft.status == status)
        if conversation_id is not None:
            statement = statement.where(Draft.conversation_id == conversation_id)
        if before_id is not None:
            statement = statement.where(Draft.id < before_id)
        return self.session.scalars(statement).all()

    def claim_decision(
        self, draft_id: int, status: DraftStatus, user_id: int, now: datetime
    ) -> bool:
        """Decide a pending draft; only one of two admins clicking at once wins."""
        result = self.session.execute(
            update(Draft)
            .where(Draft.id == draft_id, Draft.status == DraftStatus.pending)
            .values(status=status, decided_by_user_id=user_id, decided_at=now)
            .execution_options(synchronize_session="fetch")
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


# Built once, like the statements above: looked up for every inbound message or status.
# Lazy, not joined: whoever looks these up on the webhook path holds the doctor, the number and
# the conversation already, and a lazy many-to-one finds them in the session without SQL.
_CONVERSATION_OF = (
    select(Conversation)
    .where(
        Conversation.doctor_id == bindparam("doctor_id"),
        Conversation.number_id == bindparam("number_id"),
    )
    .options(lazyload(Conversation.doctor), lazyload(Conversation.number))
)
_DOCTOR_OF_MESSAGE = (
    select(Doctor)
    .join(Conversation, Conversation.doctor_id == Doctor.id)
    .join(Message, Message.conversation_id == Conversation.id)
    .where(Message.id == bindparam("message_id"))
)
# The doctor's identifiers come along: three statuses per message sent, and the one join
# spares a second query for each.
_STATUS_BY_WAMID = (
    select(Message.id, Message.status, *(getattr(Doctor, name) for name in RECIPIENT_FIELDS))
    .join(Conversation, Message.conversation_id == Conversation.id)
    .join(Doctor, Conversation.doctor_id == Doctor.id)
    .where(Message.wamid == bindparam("wamid"))
)
_DOCTOR_IN_HUMAN_MODE = select(
    exists().where(
        Conversation.doctor_id == bindparam("doctor_id"),
        Conversation.mode == ConversationMode.human,
    )
)
