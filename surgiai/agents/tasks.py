"""The Master Agent's tasks: answering a conversation, carrying out a follow-up that came due,
the sweepers that re-drive what a dead worker held, and lead scoring's daily decay."""

from __future__ import annotations

from datetime import datetime, timedelta

from surgiai.agents.master import MASTER, PROCESS_TASK
from surgiai.agents.repository import InboundRepository
from surgiai.agents.scheduled import RUN_TASK, scheduled_action_service
from surgiai.db.outbox import enqueue
from surgiai.doctors.leads import lead_service
from surgiai.kit.time import utcnow
from surgiai.runtime import TaskContext
from surgiai.worker.claimants import gone
from surgiai.worker.registry import periodic, sweeper, task

# A burst takes seconds at most (agents time out in a few); a claim this old lost its worker.
STUCK_AFTER = timedelta(minutes=2)
# Longer than any burst wait: a message still pending this long lost its task.
LOST_AFTER = timedelta(minutes=2)
# A follow-up whose task was lost is picked up by the sweeper this long after it was due.
LOST_FOLLOW_UP_AFTER = timedelta(minutes=2)


@task(PROCESS_TASK)
def process_conversation(context: TaskContext, conversation_id: int) -> None:
    context.runtime.get(MASTER).process(context.session, conversation_id)


@task(RUN_TASK)
def run_scheduled_action(context: TaskContext, scheduled_id: int) -> None:
    scheduled_action_service.run(context.session, scheduled_id)


@sweeper("agents.inbound")
def redrive_inbound(context: TaskContext) -> int:
    session = context.session
    now = utcnow()
    inbound = InboundRepository(session)
    conversations: set[int] = set()
    dead = gone(session, inbound.claimants(), now)
    for conversation_id in inbound.stuck(now - STUCK_AFTER, limit=500, gone=dead):
        if inbound.release(conversation_id, now - STUCK_AFTER, gone=dead):
            conversations.add(conversation_id)
    conversations.update(inbound.waiting_since(now - LOST_AFTER, limit=500))
    for conversation_id in conversations:
        enqueue(session, PROCESS_TASK, conversation_id)
    return len(conversations)


@sweeper("agents.scheduled")
def redrive_scheduled(context: TaskContext) -> int:
    """Follow-ups whose task was lost (a restart of the embedded queue, a dead worker)."""
    session = context.session
    ids = scheduled_action_service.overdue(session, utcnow() - LOST_FOLLOW_UP_AFTER, limit=500)
    for scheduled_id in ids:
        enqueue(session, RUN_TASK, scheduled_id)
    return len(ids)


def _before_the_working_day(moment: datetime) -> bool:
    # 02:30 UTC is 08:00 in India: the team starts the day with today's hot leads.
    return moment.hour == 2 and moment.minute == 30


@periodic("agents.lead_scoring_decay", _before_the_working_day)
def decay_lead_scores(context: TaskContext) -> None:
    """Silence cools a lead: scores fade (and hot turns warm, then cold) without a message."""
    lead_service.decay(context.session, utcnow())
