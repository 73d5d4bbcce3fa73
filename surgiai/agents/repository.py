from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    bindparam,
    case,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from surgiai.agents.base import MessageView
from surgiai.agents.models import (
    AgentRun,
    AgentSetting,
    CrashReport,
    RunOutcome,
    ScheduledAction,
    ScheduledState,
)
from surgiai.conversations.models import Conversation, Direction, Message
from surgiai.db.upsert import insert_ignore_conflict
from surgiai.doctors.models import DoctorTag
from surgiai.worker.claimants import this_claimant

RAN = (RunOutcome.ok, RunOutcome.error, RunOutcome.timeout)
FAILED = (RunOutcome.error, RunOutcome.timeout)
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
            _CLAIM, {"ids": ids, "token": token, "when": now, "claimant": this_claimant()}
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

    def activity(self, doctor_id: int, since: datetime) -> tuple[int, int]:
        """(their messages, ours they read) since `since`, over all their conversations."""
        row = self.session.execute(_ACTIVITY, {"doctor_id": doctor_id, "since": since}).one()
        return int(row.inbound or 0), int(row.reads or 0)

    def claimants(self) -> set[str | None]:
        """The processes holding claims on bursts."""
        return set(
            self.session.scalars(
                select(Message.agent_claimed_by).where(Message.agent_state == PROCESSING).distinct()
            )
        )

    def stuck(
        self, claimed_before: datetime, limit: int, gone: Collection[str] = ()
    ) -> Sequence[int]:
        """Conversations whose burst was claimed by a worker that died: claimed before
        `claimed_before`, or by a claimant `gone`."""
        return self.session.scalars(
            select(Message.conversation_id)
            .where(Message.agent_state == PROCESSING, _dead_claim(claimed_before, gone))
            .distinct()
            .limit(limit)
        ).all()

    def release(
        self, conversation_id: int, claimed_before: datetime, gone: Collection[str] = ()
    ) -> int:
        result = self.session.execute(
            update(Message)
            .where(
                Message.conversation_id == conversation_id,
                Message.agent_state == PROCESSING,
                _dead_claim(claimed_before, gone),
            )
            .values(
                agent_state=PENDING,
                agent_claim=None,
                agent_claimed_at=None,
                agent_claimed_by=None,
            )
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
        agent_claimed_by=bindparam("claimant"),
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
_ACTIVITY = select(
    func.sum(case((Message.direction == Direction.inbound, 1), else_=0)).label("inbound"),
    func.sum(
        case(
            (and_(Message.direction == Direction.outbound, Message.read_at.is_not(None)), 1),
            else_=0,
        )
    ).label("reads"),
).where(
    Message.conversation_id.in_(
        select(Conversation.id).where(Conversation.doctor_id == bindparam("doctor_id"))
    ),
    Message.created_at >= bindparam("since"),
)
_TAGS = select(DoctorTag.tag).where(DoctorTag.doctor_id == bindparam("doctor_id"))


@dataclass
class RunTally:
    """One agent's runs within the long window."""

    ran_long: int = 0
    failed_long: int = 0
    ran_short: int = 0
    failed_short: int = 0
    latest_at: datetime | None = None
    latest_outcome: RunOutcome | None = None
    last_failure_at: datetime | None = None


class RunStatsRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def tallies(
        self, names: Sequence[str], *, since_long: datetime, since_short: datetime
    ) -> dict[str, RunTally]:
        statement = (
            select(
                AgentRun.agent,
                AgentRun.outcome,
                func.count(),
                func.sum(case((AgentRun.started_at >= since_short, 1), else_=0)),
                func.max(AgentRun.started_at),
            )
            .where(AgentRun.agent.in_(names), AgentRun.started_at >= since_long)
            .group_by(AgentRun.agent, AgentRun.outcome)
        )
        tallies: dict[str, RunTally] = {}
        for agent, outcome, count, count_short, latest in self.session.execute(statement):
            tally = tallies.setdefault(agent, RunTally())
            if outcome in RAN:
                tally.ran_long += count
                tally.ran_short += int(count_short or 0)
            if outcome in FAILED:
                tally.failed_long += count
                tally.failed_short += int(count_short or 0)
                if tally.last_failure_at is None or latest > tally.last_failure_at:
                    tally.last_failure_at = latest
            if tally.latest_at is None or latest > tally.latest_at:
                tally.latest_at, tally.latest_outcome = latest, outcome
        return tallies

    def recent_durations(
        self, agent: str, *, since: datetime, limit: int
    ) -> list[tuple[datetime, float]]:
        """(started_at, duration_ms) of its latest runs that ran, newest first."""
        rows = self.session.execute(
            select(AgentRun.started_at, AgentRun.duration_ms)
            .where(
                AgentRun.agent == agent,
                AgentRun.started_at >= since,
                AgentRun.outcome.in_(RAN),
            )
            .order_by(AgentRun.started_at.desc())
            .limit(limit)
        )
        return [(started_at, duration) for started_at, duration in rows]

    def failure_text(self, agent: str, *, at_or_after: datetime) -> str | None:
        return self.session.scalars(
            select(AgentRun.error)
            .where(
                AgentRun.agent == agent,
                AgentRun.started_at >= at_or_after,
                AgentRun.outcome.in_(FAILED),
            )
            .order_by(AgentRun.started_at.desc())
            .limit(1)
        ).first()


class ScheduledActionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, scheduled: ScheduledAction) -> ScheduledAction:
        self.session.add(scheduled)
        self.session.flush()
        return scheduled

    def get_for_update(self, scheduled_id: int) -> ScheduledAction | None:
        return self.session.get(ScheduledAction, scheduled_id, with_for_update=True)

    def doctor_replied(self, scheduled: ScheduledAction) -> bool:
        """Whether the doctor wrote since the follow-up was scheduled."""
        newer = exists().where(
            Message.conversation_id == scheduled.conversation_id,
            Message.direction == Direction.inbound,
            Message.id > (scheduled.after_message_id or 0),
        )
        return bool(self.session.scalar(select(newer)))

    def overdue(self, due_before: datetime, limit: int) -> list[int]:
        return list(
            self.session.scalars(
                select(ScheduledAction.id)
                .where(
                    ScheduledAction.state == ScheduledState.waiting,
                    ScheduledAction.due_at < due_before,
                )
                .order_by(ScheduledAction.due_at)
                .limit(limit)
            )
        )


class AgentSettingRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def disabled_names(self) -> set[str]:
        return set(self.session.scalars(select(AgentSetting.agent).where(AgentSetting.disabled)))

    def get_or_create_for_update(self, name: str) -> AgentSetting:
        # Two admins switching the same agent for the first time must not collide on its key.
        insert_ignore_conflict(self.session, AgentSetting, {"agent": name}, ["agent"])
        setting = self.session.get(AgentSetting, name, populate_existing=True, with_for_update=True)
        assert setting is not None
        return setting


class CrashReportRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, report: CrashReport) -> CrashReport:
        self.session.add(report)
        self.session.flush()
        return report

    def page(self, *, limit: int, before_id: int | None) -> Sequence[CrashReport]:
        statement = select(CrashReport).order_by(CrashReport.id.desc()).limit(limit)
        if before_id is not None:
            statement = statement.where(CrashReport.id < before_id)
        return self.session.scalars(statement).all()


def _dead_claim(claimed_before: datetime, gone: Collection[str]) -> ColumnElement[bool]:
    return or_(Message.agent_claimed_at < claimed_before, Message.agent_claimed_by.in_(list(gone)))
