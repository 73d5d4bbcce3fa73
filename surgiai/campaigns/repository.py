"""All SQL of campaigns. The executor's statements are Core and built once: they run for every
chunk of every campaign."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import lru_cache
from itertools import islice
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import (
    Connection,
    CursorResult,
    Dialect,
    Row,
    Table,
    and_,
    bindparam,
    case,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from surgiai.campaigns.models import Campaign, CampaignRecipient, CampaignStatus, RecipientState
from surgiai.conversations.models import (
    Conversation,
    ConversationMode,
    Direction,
    Message,
    MessageState,
)
from surgiai.db.base import UTCDateTime
from surgiai.doctors import filters
from surgiai.doctors.filters import DoctorFilter
from surgiai.doctors.models import Doctor
from surgiai.numbers.models import WhatsAppNumber

RECIPIENTS = cast(Table, CampaignRecipient.__table__)
MESSAGES = cast(Table, Message.__table__)
CONVERSATIONS = cast(Table, Conversation.__table__)

# The doctor's columns a plan and a rendering need (not the whole row: 100,000 of them).
AUDIENCE_COLUMNS = (
    Doctor.id,
    Doctor.name,
    Doctor.profile_name,
    Doctor.specialty,
    Doctor.city,
    Doctor.state,
    Doctor.hospital,
    Doctor.email,
    Doctor.registration_number,
    Doctor.sticky_number_id,
    Doctor.last_inbound_at,
    Doctor.marketing_opted_out,
    Doctor.unreachable_reason,
    Doctor.wa_id,
    Doctor.user_id,
    Doctor.parent_user_id,
)


class CampaignRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- Campaigns ----------------------------------------------------------------------------

    def get(self, campaign_id: int, *, lock: bool = False) -> Campaign | None:
        if lock:
            return self.session.get(
                Campaign, campaign_id, with_for_update=True, populate_existing=True
            )
        return self.session.get(Campaign, campaign_id)

    def page(
        self, *, limit: int, cursor: int | None, status: CampaignStatus | None
    ) -> Sequence[Campaign]:
        statement = select(Campaign).order_by(Campaign.id.desc()).limit(limit)
        if cursor is not None:
            statement = statement.where(Campaign.id < cursor)
        if status is not None:
            statement = statement.where(Campaign.status == status)
        return self.session.scalars(statement).all()

    def with_status(self, *statuses: CampaignStatus) -> Sequence[Campaign]:
        return self.session.scalars(select(Campaign).where(Campaign.status.in_(statuses))).all()

    # --- Audience -----------------------------------------------------------------------------

    def audience(self, doctor_filter: DoctorFilter) -> Sequence[Row[Any]]:
        # Plain rows from the connection (flushed first, as the session's execute would): the
        # ORM's handling of 100,000 result rows cost as much as the query.
        self.session.flush()
        return (
            self.session.connection()
            .execute(  # type: ignore[return-value]
                select(*AUDIENCE_COLUMNS).where(filters.where(doctor_filter)).order_by(Doctor.id)
            )
            .all()
        )

    def tier_used(self, numbers: Sequence[WhatsAppNumber], since: datetime) -> dict[str, int]:
        """Doctors each business portfolio reached with a template in the last 24 h (Meta's
        tier counts unique people reached outside their window; a template is how we reach
        them there)."""
        used: dict[str, int] = {}
        by_portfolio: dict[str, list[int]] = {}
        for number in numbers:
            by_portfolio.setdefault(portfolio_of(number), []).append(number.id)
        for portfolio, number_ids in by_portfolio.items():
            used[portfolio] = (
                self.session.scalar(
                    select(func.count(func.distinct(Conversation.doctor_id)))
                    .select_from(Message)
                    .join(Conversation, Conversation.id == Message.conversation_id)
                    .where(
                        Conversation.number_id.in_(number_ids),
                        Message.direction == Direction.outbound,
                        Message.type == "template",
                        Message.created_at >= since,
                        Message.status.not_in([MessageState.failed, MessageState.cancelled]),
                    )
                )
                or 0
            )
        return used

    # --- Recipients ---------------------------------------------------------------------------

    def insert_recipients(self, rows: Iterable[dict[str, Any]]) -> int:
        """Insert rows with every column of `RECIPIENT_COLUMNS`, `payload` as JSON text
        (`json_dumps`); how many. SQLAlchemy's generic handling of each row (even through
        Core) cost as much as the database's own insert, so only the columns whose type
        converts a value are processed, and each batch goes to the driver: SQLite's
        executemany, PostgreSQL's COPY (psycopg's executemany spent more on each row than
        the server did)."""
        connection = self.session.connection()
        dialect = connection.dialect
        sql, keys, processors = _recipients_insert(dialect)
        ordered = itemgetter(*keys)
        copy = dialect.name == "postgresql"
        inserted = 0
        rows = iter(rows)
        while batch := list(islice(rows, 5000)):
            parameters: list[tuple[Any, ...]] = []
            for row in batch:
                values = list(ordered(row))
                for index, process in processors:
                    values[index] = process(values[index])
                parameters.append(tuple(values))
            if copy:
                _copy(connection, keys, parameters)
            else:
                connection.exec_driver_sql(sql, parameters)
            inserted += len(batch)
        return inserted

    def numbers_with_work(self, campaign_id: int) -> list[int]:
        return list(
            self.session.scalars(
                select(CampaignRecipient.number_id)
                .where(
                    CampaignRecipient.campaign_id == campaign_id,
                    CampaignRecipient.state == RecipientState.pending,
                    CampaignRecipient.number_id.is_not(None),
                )
                .distinct()
            )
        )

    def next_due(self, campaign_id: int, number_id: int) -> datetime | None:
        """The earliest moment a pending recipient of this number may go (None: none left)."""
        row = self.session.execute(
            select(
                func.count(),
                func.min(CampaignRecipient.not_before),
                func.sum(case((CampaignRecipient.not_before.is_(None), 1), else_=0)),
            ).where(
                CampaignRecipient.campaign_id == campaign_id,
                CampaignRecipient.number_id == number_id,
                CampaignRecipient.state == RecipientState.pending,
            )
        ).one()
        count, earliest, unheld = row
        if not count:
            return None
        if unheld:
            return datetime.min
        return earliest  # type: ignore[no-any-return]

    def unfinished(self, campaign_id: int) -> int:
        return (
            self.session.scalar(
                select(func.count()).where(
                    CampaignRecipient.campaign_id == campaign_id,
                    CampaignRecipient.state.in_([RecipientState.pending, RecipientState.sending]),
                )
            )
            or 0
        )

    def claim(
        self, campaign_id: int, number_id: int, *, limit: int, now: datetime, claimant: str
    ) -> list[int]:
        """Take up to `limit` due recipients of this number for sending. On PostgreSQL other
        workers skip the rows taken (SKIP LOCKED); SQLite runs one writer at a time."""
        due = (
            select(CampaignRecipient.id)
            .where(
                CampaignRecipient.campaign_id == campaign_id,
                CampaignRecipient.number_id == number_id,
                CampaignRecipient.state == RecipientState.pending,
                or_(CampaignRecipient.not_before.is_(None), CampaignRecipient.not_before <= now),
            )
            .order_by(CampaignRecipient.id)
            .limit(limit)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        claimed = self.session.execute(
            update(CampaignRecipient)
            .where(CampaignRecipient.id.in_(due.scalar_subquery()))
            .values(
                state=RecipientState.sending,
                claimed_at=now,
                claimed_by=claimant,
                attempts=CampaignRecipient.attempts + 1,
            )
            .returning(CampaignRecipient.id)
            .execution_options(synchronize_session=False)
        )
        return sorted(claimed.scalars())

    def claimed(self, ids: Sequence[int]) -> Sequence[Row[Any]]:
        """The claimed rows with what the checks before sending need."""
        return self.session.execute(
            select(
                CampaignRecipient.id,
                CampaignRecipient.doctor_id,
                CampaignRecipient.message_type,
                CampaignRecipient.payload,
                CampaignRecipient.preview,
                CampaignRecipient.message_id,
                Doctor.wa_id,
                Doctor.user_id,
                Doctor.marketing_opted_out,
                Doctor.unreachable_reason,
                Doctor.last_inbound_at,
                Message.wamid.label("message_wamid"),
                Message.status.label("message_status"),
            )
            .join(Doctor, Doctor.id == CampaignRecipient.doctor_id)
            .outerjoin(Message, Message.id == CampaignRecipient.message_id)
            .where(CampaignRecipient.id.in_(ids))
            .order_by(CampaignRecipient.id)
        ).all()

    def human_mode_doctors(self, doctor_ids: Sequence[int]) -> set[int]:
        return set(
            self.session.scalars(
                select(Conversation.doctor_id).where(
                    Conversation.doctor_id.in_(doctor_ids),
                    Conversation.mode == ConversationMode.human,
                )
            )
        )

    def add_messages(self, rows: list[dict[str, Any]]) -> list[int]:
        """Insert the chunk's messages; their ids in the order given."""
        if not rows:
            return []
        result = self.session.execute(
            insert(Message).returning(Message.id, sort_by_parameter_order=True), rows
        )
        return list(result.scalars())

    def link_messages(self, pairs: list[dict[str, Any]]) -> None:
        if pairs:
            self.session.execute(_LINK_MESSAGE, pairs)

    def touch_conversations(
        self, conversation_ids: list[int], last: dict[int, int], at: datetime
    ) -> None:
        if conversation_ids:
            self.session.execute(
                _TOUCH_CONVERSATION,
                [{"cid": cid, "mid": last[cid], "at": at} for cid in conversation_ids],
            )

    def finish(self, rows: list[dict[str, Any]]) -> None:
        """Record outcomes: `rid`, `state`, `reason`, `code`, `sent_at`, `not_before`."""
        if rows:
            self.session.execute(_FINISH, rows)

    def accept_messages(self, rows: list[dict[str, Any]]) -> None:
        """`mid`, `wamid`: WhatsApp accepted them (unless a status webhook said so first)."""
        if rows:
            self.session.execute(_ACCEPT_MESSAGE, rows)

    def fail_messages(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.session.execute(_FAIL_MESSAGE, rows)

    def move_pending(self, campaign_id: int, from_number: int, to_numbers: Sequence[int]) -> int:
        """Spread a number's pending recipients over others, round robin by id."""
        ids = list(
            self.session.scalars(
                select(CampaignRecipient.id).where(
                    CampaignRecipient.campaign_id == campaign_id,
                    CampaignRecipient.number_id == from_number,
                    CampaignRecipient.state == RecipientState.pending,
                )
            )
        )
        if not ids or not to_numbers:
            return 0
        self.session.execute(
            update(RECIPIENTS)
            .where(RECIPIENTS.c.id == bindparam("rid"))
            .values(number_id=bindparam("nid")),
            [{"rid": rid, "nid": to_numbers[i % len(to_numbers)]} for i, rid in enumerate(ids)],
            execution_options={"synchronize_session": False},
        )
        return len(ids)

    def status(self, campaign_id: int) -> CampaignStatus | None:
        """As committed now (not the session's copy of the campaign)."""
        return self.session.scalar(select(Campaign.status).where(Campaign.id == campaign_id))

    def cancel_unsent(self, campaign_id: int) -> int:
        """Pending recipients to cancelled. On PostgreSQL, rows a worker holds (claimed in a
        transaction not yet committed: they become `sending`) are skipped, not waited for:
        waiting on them deadlocked with the worker's own updates of its chunk."""
        unsent = select(CampaignRecipient.id).where(
            CampaignRecipient.campaign_id == campaign_id,
            CampaignRecipient.state == RecipientState.pending,
        )
        if self.session.get_bind().dialect.name == "postgresql":
            unsent = unsent.with_for_update(skip_locked=True)
        result = self.session.execute(
            update(CampaignRecipient)
            .where(CampaignRecipient.id.in_(unsent.scalar_subquery()))
            .values(state=RecipientState.cancelled, reason=CANCELLED)
            .execution_options(synchronize_session=False)
        )
        return cast(CursorResult[Any], result).rowcount

    def requeue_failed(
        self, campaign_id: int, reasons: Sequence[str], retryable: Sequence[str]
    ) -> int:
        """Failed recipients back to pending with no message: the next claim creates and sends
        a new one (the failed message stays in the thread as it was)."""
        wanted = reasons or retryable
        result = self.session.execute(
            update(CampaignRecipient)
            .where(
                CampaignRecipient.campaign_id == campaign_id,
                CampaignRecipient.state == RecipientState.failed,
                CampaignRecipient.reason.in_(wanted),
            )
            .values(
                state=RecipientState.pending,
                message_id=None,
                not_before=None,
                error_code=None,
                reason=None,
                claimed_at=None,
                claimed_by=None,
            )
            .execution_options(synchronize_session=False)
        )
        return cast(CursorResult[Any], result).rowcount

    def stuck(
        self, claimed_before: datetime, gone: set[str], gone_claimed_before: datetime, limit: int
    ) -> Sequence[CampaignRecipient]:
        """Rows in `sending` whose worker died: claimed long ago, or by a claimant known gone
        (and before `gone_claimed_before`, so a status webhook had time to come)."""
        condition = CampaignRecipient.claimed_at < claimed_before
        if gone:
            condition = or_(
                condition,
                and_(
                    CampaignRecipient.claimed_by.in_(gone),
                    CampaignRecipient.claimed_at < gone_claimed_before,
                ),
            )
        return self.session.scalars(
            select(CampaignRecipient)
            .where(CampaignRecipient.state == RecipientState.sending, condition)
            .limit(limit)
        ).all()

    def sending_claimants(self) -> set[str]:
        return set(
            self.session.scalars(
                select(CampaignRecipient.claimed_by)
                .where(
                    CampaignRecipient.state == RecipientState.sending,
                    CampaignRecipient.claimed_by.is_not(None),
                )
                .distinct()
            )
        )

    def get_recipient(self, recipient_id: int) -> CampaignRecipient | None:
        return self.session.get(CampaignRecipient, recipient_id)

    def detach_message(self, recipient_id: int) -> None:
        """The next attempt gets a new message (this one failed, and stays in the thread)."""
        self.session.execute(
            update(RECIPIENTS).where(RECIPIENTS.c.id == recipient_id).values(message_id=None)
        )

    def message_wamid(self, message_id: int) -> str | None:
        return self.session.scalar(select(Message.wamid).where(Message.id == message_id))

    def touch_doctors(self, doctor_ids: list[int], number_id: int, at: datetime) -> None:
        """Their last outbound time (segments filter on it), and a sticky number for those
        who had none."""
        if doctor_ids:
            self.session.execute(
                update(Doctor)
                .where(Doctor.id.in_(doctor_ids))
                .values(
                    last_outbound_at=at,
                    sticky_number_id=func.coalesce(Doctor.sticky_number_id, number_id),
                )
                .execution_options(synchronize_session=False)
            )

    def for_message(self, message_id: int) -> CampaignRecipient | None:
        return self.session.scalar(
            select(CampaignRecipient).where(CampaignRecipient.message_id == message_id)
        )


def portfolio_of(number: WhatsAppNumber) -> str:
    return number.business_portfolio_id or f"waba:{number.waba_id}"


# The reason of the recipients a cancel left unsent.
CANCELLED = "Campaign cancelled"
# What starting a campaign writes for each recipient.
RECIPIENT_COLUMNS = (
    "campaign_id",
    "doctor_id",
    "variant",
    "number_id",
    "state",
    "message_type",
    "payload",
    "preview",
    "reason",
    "not_before",
    "attempts",
    "marketing_limit_retried",
)
# Inline: no RETURNING of the new ids, which nothing reads.
_INSERT_RECIPIENTS = insert(RECIPIENTS).inline()


@lru_cache(maxsize=4)
def _recipients_insert(
    dialect: Dialect,
) -> tuple[str, tuple[str, ...], tuple[tuple[int, Callable[[Any], Any]], ...]]:
    """The insert as the dialect's SQL, its columns in the order it takes them, and the
    converters of the columns whose type has one (dates, enums, …), by their place."""
    compiled = _INSERT_RECIPIENTS.compile(dialect=dialect, column_keys=list(RECIPIENT_COLUMNS))
    keys = tuple(compiled.positiontup or ()) if compiled.positional else RECIPIENT_COLUMNS
    processors = []
    for index, key in enumerate(keys):
        process = RECIPIENTS.c[key].type.dialect_impl(dialect).bind_processor(dialect)
        # The payload comes as JSON text already.
        if process is not None and key != "payload":
            processors.append((index, process))
    return compiled.string, keys, tuple(processors)


def _copy(connection: Connection, keys: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        columns = ", ".join(keys)
        with cursor.copy(f"COPY {RECIPIENTS.name} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    finally:
        cursor.close()


_LINK_MESSAGE = (
    update(RECIPIENTS)
    .where(RECIPIENTS.c.id == bindparam("rid"))
    .values(message_id=bindparam("mid"))
)
_TOUCH_CONVERSATION = (
    update(CONVERSATIONS)
    .where(CONVERSATIONS.c.id == bindparam("cid"))
    .values(last_message_at=bindparam("at", type_=UTCDateTime()), last_message_id=bindparam("mid"))
)
_FINISH = (
    update(RECIPIENTS)
    .where(RECIPIENTS.c.id == bindparam("rid"), RECIPIENTS.c.state == RecipientState.sending)
    .values(
        state=bindparam("new_state"),
        reason=bindparam("reason"),
        error_code=bindparam("code"),
        sent_at=bindparam("sent_at", type_=UTCDateTime()),
        not_before=bindparam("hold", type_=UTCDateTime()),
        claimed_at=None,
        claimed_by=None,
    )
)
_ACCEPT_MESSAGE = (
    update(MESSAGES)
    .where(MESSAGES.c.id == bindparam("mid"), MESSAGES.c.wamid.is_(None))
    .values(
        wamid=bindparam("new_wamid"),
        status=MessageState.accepted,
        claimed_at=None,
        sent_at=None,
    )
)
_FAIL_MESSAGE = (
    update(MESSAGES)
    .where(MESSAGES.c.id == bindparam("mid"), MESSAGES.c.wamid.is_(None))
    .values(
        status=bindparam("new_status"),
        error_code=bindparam("code"),
        error_title=bindparam("title"),
        error_reason=bindparam("reason"),
        failed_at=bindparam("at", type_=UTCDateTime()),
        claimed_at=None,
    )
)
