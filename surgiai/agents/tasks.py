"""The Master Agent's task, and the sweeper that re-drives messages a dead worker held."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from surgiai.agents.master import PROCESS_TASK, current_master
from surgiai.agents.repository import InboundRepository
from surgiai.kit.time import utcnow
from surgiai.runtime import current_runtime
from surgiai.worker.queue import enqueue
from surgiai.worker.registry import sweeper, task

# A burst takes seconds at most (agents time out in a few); a claim this old lost its worker.
STUCK_AFTER = timedelta(minutes=2)
# Longer than any burst wait: a message still pending this long lost its task.
LOST_AFTER = timedelta(minutes=2)


@task(PROCESS_TASK)
def process_conversation(session: Session, conversation_id: int) -> None:
    current_master(current_runtime().settings).process(session, conversation_id)


@sweeper("agents.inbound")
def redrive_inbound(session: Session) -> int:
    now = utcnow()
    inbound = InboundRepository(session)
    conversations: set[int] = set()
    for conversation_id in inbound.stuck(now - STUCK_AFTER, limit=500):
        if inbound.release(conversation_id, now - STUCK_AFTER):
            conversations.add(conversation_id)
    conversations.update(inbound.waiting_since(now - LOST_AFTER, limit=500))
    for conversation_id in conversations:
        enqueue(session, PROCESS_TASK, conversation_id)
    return len(conversations)
