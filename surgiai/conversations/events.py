"""Real-time events of the inbox, published after the transaction that caused them commits.

Each builder runs just before the commit, from the rows as they are then, so an event never
shows a state that was rolled back, and several changes to one row in one transaction make one
event.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session, object_session

from surgiai.auth.repository import UserRepository
from surgiai.conversations.models import Conversation, Draft, Message
from surgiai.conversations.schemas import (
    ConversationsTouched,
    DraftRead,
    LastMessage,
    MessageStatusesChanged,
    TouchedConversation,
)
from surgiai.db.outbox import publish
from surgiai.doctors.repository import DoctorRepository
from surgiai.kit.events import Event
from surgiai.kit.time import utcnow


def _session_of(row: object) -> Session:
    session = object_session(row)
    if session is None:
        raise RuntimeError("a real-time event needs a row that belongs to a session")
    return session


def user_names(session: Session, ids: set[int | None]) -> dict[int, str]:
    """The names of the users views mention (senders, assignees, authors)."""
    return UserRepository(session).names({user_id for user_id in ids if user_id is not None})


def doctor_tags(session: Session, doctor_ids: set[int]) -> dict[int, list[str]]:
    """Every doctor's tags, an empty list for one without."""
    return DoctorRepository(session).tags_of(doctor_ids)


# Messages read per conversation to find what a draft answers (it shows fewer recent ones).
DRAFT_THREAD_TAIL = 20


def read_drafts(session: Session, drafts: Sequence[Draft]) -> list[DraftRead]:
    """Drafts as the API and their events show them: with the doctor's messages each answers
    and the thread around it, so that nobody approves one blind."""
    from surgiai.conversations.repository import InboxRepository
    from surgiai.conversations.views import draft_read

    tails = InboxRepository(session).latest_messages(
        {draft.conversation_id for draft in drafts}, DRAFT_THREAD_TAIL
    )
    tags = doctor_tags(session, {draft.conversation.doctor_id for draft in drafts})
    names = user_names(
        session,
        {draft.decided_by_user_id for draft in drafts}
        | {message.sender_user_id for tail in tails.values() for message in tail},
    )
    return [
        draft_read(
            draft,
            tags=tags[draft.conversation.doctor_id],
            names=names,
            tail=tails.get(draft.conversation_id, []),
        )
        for draft in drafts
    ]


def message_changed(message: Message, *, created: bool = False) -> None:
    session = _session_of(message)
    from surgiai.conversations.views import message_read

    event_type = "message.created" if created else "message.updated"

    def build() -> Event:
        names = user_names(session, {message.sender_user_id})
        data: dict[str, Any] = message_read(message, names).model_dump(mode="json")
        return Event(event_type, data)

    publish(session, (event_type, message.id), build)


def conversation_changed(conversation: Conversation, latest: Message | None = None) -> None:
    """`latest`: a message the caller has at hand that may be the conversation's last one,
    which saves looking it up."""
    session = _session_of(conversation)
    from surgiai.conversations.repository import InboxRepository, last_message_of
    from surgiai.conversations.views import conversation_read

    def build() -> Event:
        last_id = conversation.last_message_id
        last: LastMessage | None
        if latest is not None and latest.id == last_id:
            last = last_message_of(latest)
        else:
            last = (
                InboxRepository(session).last_messages({last_id}).get(last_id) if last_id else None
            )
        view = conversation_read(
            conversation,
            tags=doctor_tags(session, {conversation.doctor_id})[conversation.doctor_id],
            names=user_names(session, {conversation.assigned_user_id}),
            last_message=last,
            now=utcnow(),
        )
        return Event("conversation.updated", view.model_dump(mode="json"))

    publish(session, ("conversation.updated", conversation.id), build)


TOUCHED_EVENT = "conversations.touched"


def messages_added_in_bulk(session: Session, message_ids: Sequence[int]) -> None:
    """Messages written in SQL in bulk (a campaign's chunk): one event naming their
    conversations, not a `message.created` and a `conversation.updated` each. A campaign sends
    hundreds a second; its chunks come about twice a second per number whatever the rate, so
    this keeps a dashboard's frames few, and costs one query per chunk, only while one listens."""
    if not message_ids:
        return
    ids = list(message_ids)

    def build() -> Event:
        from surgiai.conversations.repository import InboxRepository

        touched = InboxRepository(session).last_message_ids_of(ids)
        view = ConversationsTouched(
            conversations=[
                TouchedConversation(id=conversation_id, last_message_id=last_id)
                for conversation_id, last_id in touched.items()
            ]
        )
        return Event(TOUCHED_EVENT, view.model_dump(mode="json"))

    # One event per batch: the batch's first message names it.
    publish(session, (TOUCHED_EVENT, min(ids)), build)


STATUSES_EVENT = "messages.status_changed"


def message_statuses_changed(session: Session, message_ids: Sequence[int]) -> None:
    """Messages that receipts applied together moved forward (sent, delivered, read, played):
    one event with their ticks, not a `message.updated` each. Three receipts come for every
    message a campaign sends, and while a dashboard listened, building and sending each one's
    whole view cost more CPU than applying it. Read in one query as the group commits, and only
    then if one listens; a message that failed meanwhile is left out (its `message.updated`
    says why)."""
    if not message_ids:
        return
    ids = list(message_ids)

    def build() -> Event:
        from surgiai.conversations.repository import InboxRepository

        view = MessageStatusesChanged(messages=InboxRepository(session).status_changes(ids))
        return Event(STATUSES_EVENT, view.model_dump(mode="json"))

    # One event per group: its first message names it.
    publish(session, (STATUSES_EVENT, min(ids)), build)


def draft_changed(draft: Draft, *, created: bool = False) -> None:
    session = _session_of(draft)
    event_type = "draft.created" if created else "draft.updated"

    def build() -> Event:
        [view] = read_drafts(session, [draft])
        return Event(event_type, view.model_dump(mode="json"))

    publish(session, (event_type, draft.id), build)


def publish_event(
    session: Session, key: tuple[str, object], event_type: str, view: BaseModel
) -> None:
    """An event whose data is already built."""
    data = view.model_dump(mode="json")
    publish(session, key, lambda: Event(event_type, data))
