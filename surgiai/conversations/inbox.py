"""The team inbox: conversations, threads, read receipts, modes and takeover, assignment, notes,
typing, and preview-and-send. Sending goes through `message_service.queue_outbound`, the one
send path, whose outbound rules the preview shows."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import datetime, timedelta

import structlog
from sqlalchemy.orm import Session

from surgiai.audit.service import audit_service
from surgiai.auth.models import User
from surgiai.auth.repository import UserRepository
from surgiai.auth.roles import Permission, has_permission
from surgiai.conversations import events
from surgiai.conversations.human_request import asks_for_human
from surgiai.conversations.models import (
    Conversation,
    ConversationMode,
    ConversationNote,
    ConversationStatus,
    Message,
    SenderKind,
)
from surgiai.conversations.preview import build_preview
from surgiai.conversations.repository import HANDOFF_AGENT, ConversationFilters, InboxRepository
from surgiai.conversations.schemas import (
    AdminTyping,
    AgentTyping,
    ConversationPage,
    ConversationRead,
    ConversationUpdate,
    MessagePage,
    MessageRead,
    NoteRead,
    Preview,
    ThreadMessageCreate,
    TypingRead,
    UserRef,
)
from surgiai.conversations.service import OutboundRequest, message_service
from surgiai.conversations.views import conversation_read, message_read, note_read
from surgiai.conversations.window import window_open
from surgiai.db.outbox import enqueue, publish_now
from surgiai.errors import BadRequest, NotFound
from surgiai.kit.events import Event
from surgiai.kit.schemas import MAX_ID
from surgiai.kit.time import utcnow
from surgiai.notifications.service import notification_service

log = structlog.get_logger(__name__)

MARK_READ_TASK = "conversations.mark_read"
TYPING_TASK = "conversations.send_typing"
# WhatsApp shows "typing…" for up to 25 s; sending it again sooner changes nothing.
TYPING_REFRESH = timedelta(seconds=20)
# Meta advises read receipts within 30 days of the message.
READ_RECEIPT_MAX_AGE = timedelta(days=30)
TAKEOVER_CANCEL_REASON = "Not sent: a team member took this conversation over."
HANDOFF_NOTICE = "Thank you. A member of our team will answer you here shortly."


def encode_cursor(conversation: Conversation, *, awaiting: bool = False) -> str:
    """The row's place in its ordering: its waiting time in the awaiting queue, else its last
    activity."""
    at = conversation.awaiting_since if awaiting else conversation.last_message_at
    assert at is not None
    raw = json.dumps([at.isoformat(), conversation.id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at, conversation_id = json.loads(base64.urlsafe_b64decode(padded))
        if not isinstance(conversation_id, int) or not 1 <= conversation_id <= MAX_ID:
            raise ValueError("not a cursor")
        return datetime.fromisoformat(at), conversation_id
    except (ValueError, TypeError, binascii.Error) as error:
        raise BadRequest("The cursor is not one this API returned.") from error


class InboxService:
    # --- Reading ------------------------------------------------------------------------------

    def get(self, session: Session, conversation_id: int) -> Conversation:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None:
            raise NotFound(f"No conversation with id {conversation_id}.")
        return conversation

    def page(
        self, session: Session, filters: ConversationFilters, *, limit: int, cursor: str | None
    ) -> ConversationPage:
        inbox = InboxRepository(session)
        rows = inbox.list_conversations(
            filters, limit=limit + 1, after=decode_cursor(cursor) if cursor else None
        )
        page = list(rows[:limit])
        items = self.read_many(session, page)
        next_cursor = (
            encode_cursor(page[-1], awaiting=filters.awaiting) if len(rows) > limit else None
        )
        return ConversationPage(items=items, next_cursor=next_cursor)

    def read_many(
        self, session: Session, conversations: Sequence[Conversation]
    ) -> list[ConversationRead]:
        inbox = InboxRepository(session)
        tags = events.doctor_tags(session, {c.doctor_id for c in conversations})
        names = events.user_names(session, {c.assigned_user_id for c in conversations})
        last = inbox.last_messages({c.last_message_id for c in conversations if c.last_message_id})
        now = utcnow()
        return [
            conversation_read(
                c,
                tags=tags[c.doctor_id],
                names=names,
                last_message=last.get(c.last_message_id or 0),
                now=now,
            )
            for c in conversations
        ]

    def read_one(self, session: Session, conversation: Conversation) -> ConversationRead:
        return self.read_many(session, [conversation])[0]

    def thread(
        self,
        session: Session,
        conversation_id: int,
        *,
        limit: int,
        before_id: int | None,
        mark_read: bool,
    ) -> MessagePage:
        """Newest first. Opening the latest page as someone who answers doctors marks the
        doctor's messages read, here and (read receipt) on their phone."""
        conversation = self.get(session, conversation_id)
        messages = InboxRepository(session).thread(
            conversation_id, limit=limit, before_id=before_id
        )
        if mark_read and before_id is None:
            self.mark_read(session, conversation)
        names = events.user_names(session, {m.sender_user_id for m in messages})
        items = [message_read(message, names) for message in messages]
        return MessagePage(items=items, next_cursor=items[-1].id if len(items) == limit else None)

    def mark_conversation_read(self, session: Session, conversation_id: int) -> Conversation:
        conversation = self.get(session, conversation_id)
        self.mark_read(session, conversation)
        return conversation

    def mark_read(self, session: Session, conversation: Conversation) -> None:
        repository = InboxRepository(session)
        if (
            not conversation.unread_count
            and repository.newest_unread_inbound(conversation.id) is None
        ):
            return
        # Lock order: the conversation row, then its messages, as the agents take them. The
        # other order deadlocks (PostgreSQL) against a worker handling the same conversation.
        repository.lock_conversation(conversation.id)
        session.refresh(conversation, attribute_names=["unread_count"])
        now = utcnow()
        newest = repository.mark_inbound_read(conversation.id, now)
        if conversation.unread_count:
            conversation.unread_count = 0
            events.conversation_changed(conversation)
        if newest is None or newest.wamid is None:
            return
        sent_at = newest.timestamp or newest.created_at
        if now - sent_at < READ_RECEIPT_MAX_AGE:
            enqueue(session, MARK_READ_TASK, newest.id)

    # --- Changing -----------------------------------------------------------------------------

    def update(
        self, session: Session, conversation_id: int, body: ConversationUpdate, user: User
    ) -> Conversation:
        conversation = self.get(session, conversation_id)
        changes: dict[str, object] = {}
        if body.status is not None and body.status != conversation.status.value:
            conversation.status = ConversationStatus(body.status)
            if conversation.status is ConversationStatus.closed:
                # Closed means handled: out of the awaiting queue until the doctor writes again.
                conversation.awaiting_since = None
            changes["status"] = body.status
        if (
            "assigned_user_id" in body.model_fields_set
            and body.assigned_user_id != conversation.assigned_user_id
        ):
            self._assign(session, conversation, body.assigned_user_id)
            changes["assigned_user_id"] = body.assigned_user_id
        if body.mode is not None and body.mode != conversation.mode.value:
            self._set_mode(session, conversation, ConversationMode(body.mode))
            changes["mode"] = body.mode
        if body.tags is not None:
            InboxRepository(session).set_tags(conversation.doctor_id, body.tags)
            changes["tags"] = sorted(set(body.tags))
        if changes:
            self._audit(session, user, "conversation.updated", conversation, changes)
            events.conversation_changed(conversation)
        return conversation

    def takeover(self, session: Session, conversation_id: int, user: User) -> Conversation:
        """A person answers from now on: the AI falls silent for this doctor."""
        conversation = self.get(session, conversation_id)
        conversation.assigned_user_id = user.id
        self._set_mode(session, conversation, ConversationMode.human)
        self._audit(session, user, "conversation.takeover", conversation, {})
        events.conversation_changed(conversation)
        return conversation

    def release(self, session: Session, conversation_id: int, user: User) -> Conversation:
        """Back to the number's default mode, and nobody's any more: the takeover is over."""
        conversation = self.get(session, conversation_id)
        default = ConversationMode(conversation.number.default_mode)
        self._set_mode(session, conversation, default)
        released_from = conversation.assigned_user_id
        conversation.assigned_user_id = None
        self._audit(
            session,
            user,
            "conversation.release",
            conversation,
            {"mode": default.value, "unassigned_user_id": released_from},
        )
        events.conversation_changed(conversation)
        return conversation

    def assignees(self, session: Session) -> list[UserRef]:
        """Who a conversation may be given to: active users who may answer doctors."""
        return [
            UserRef(id=user.id, name=user.name)
            for user in UserRepository(session).list()
            if user.is_active and has_permission(user.role, Permission.converse)
        ]

    def _assign(self, session: Session, conversation: Conversation, user_id: int | None) -> None:
        if user_id is not None:
            assignee = UserRepository(session).get(user_id)
            if assignee is None or not assignee.is_active:
                raise BadRequest(f"No active user with id {user_id} to assign.")
            if not has_permission(assignee.role, Permission.converse):
                raise BadRequest(f"{assignee.name} may not answer doctors (role {assignee.role}).")
        conversation.assigned_user_id = user_id

    def _set_mode(
        self, session: Session, conversation: Conversation, mode: ConversationMode
    ) -> None:
        if conversation.mode is mode:
            return
        conversation.mode = mode
        conversation.mode_changed_at = utcnow()
        if mode is ConversationMode.human:
            cancelled = InboxRepository(session).cancel_automatic_queued(
                conversation.doctor_id, TAKEOVER_CANCEL_REASON, utcnow()
            )
            for message_id in cancelled:
                message = session.get(Message, message_id)
                if message is not None:
                    events.message_changed(message)
                    # An agent's reply that will not leave after all answered nobody.
                    message_service.wait_again_if_unanswered(session, message)
        log.info("conversations.mode", conversation_id=conversation.id, mode=mode.value)

    def switch_to_human_if_asked(self, session: Session, message: Message) -> bool:
        """A doctor who asks for a person gets one: human mode, and the team is told."""
        conversation = message.conversation
        if conversation.mode is ConversationMode.human or not asks_for_human(message.text):
            return False
        doctor = conversation.doctor
        name = doctor.display_name
        self.hand_over(
            session,
            conversation,
            kind="conversation.human_requested",
            reason=f"{name} asked to talk to a person.",
            title=f"{name} asked to talk to a person",
            body=(message.text or "")[:500],
        )
        return True

    def hand_over(
        self,
        session: Session,
        conversation: Conversation,
        *,
        reason: str,
        kind: str = "conversation.handed_over",
        title: str | None = None,
        body: str | None = None,
        notice: str = HANDOFF_NOTICE,
    ) -> None:
        """Give the conversation to the team: human mode, a notification, a note saying why,
        and one message (`notice`) telling the doctor a person will answer (when the window
        allows)."""
        if conversation.mode is not ConversationMode.human:
            self._set_mode(session, conversation, ConversationMode.human)
        if conversation.awaiting_since is None:
            # An agent's acknowledgement is no answer: the doctor waits for the person, since
            # the question being handed over.
            asked = InboxRepository(session).last_inbound(conversation.id)
            conversation.awaiting_since = asked.created_at if asked is not None else utcnow()
        events.conversation_changed(conversation)
        doctor = conversation.doctor
        name = doctor.display_name
        notification_service.notify(
            session,
            kind,
            title or f"{name} needs a person",
            body=body or reason,
            conversation_id=conversation.id,
        )
        note = InboxRepository(session).add_note(
            ConversationNote(conversation_id=conversation.id, author_user_id=None, body=reason)
        )
        events.publish_event(
            session, ("note.created", note.id), "note.created", note_read(note, {})
        )
        if window_open(conversation, utcnow()):
            message_service.queue_outbound(
                session,
                OutboundRequest(
                    doctor_id=doctor.id,
                    type="text",
                    payload={"body": notice},
                    sender_kind=SenderKind.system,
                    sender_agent=HANDOFF_AGENT,
                    number_id=conversation.number_id,
                ),
            )

    def add_tags(self, session: Session, doctor_id: int, tags: list[str]) -> None:
        InboxRepository(session).add_tags(doctor_id, tags)

    @staticmethod
    def _audit(
        session: Session,
        user: User,
        action: str,
        conversation: Conversation,
        details: dict[str, object],
    ) -> None:
        audit_service.record(
            session,
            action,
            actor_user_id=user.id,
            actor_email=user.email,
            target_type="conversation",
            target_id=conversation.id,
            details=details,
        )

    # --- Notes --------------------------------------------------------------------------------

    def add_note(self, session: Session, conversation_id: int, body: str, user: User) -> NoteRead:
        conversation = self.get(session, conversation_id)
        note = InboxRepository(session).add_note(
            ConversationNote(conversation_id=conversation.id, author_user_id=user.id, body=body)
        )
        view = note_read(note, {user.id: user.name})
        events.publish_event(session, ("note.created", note.id), "note.created", view)
        return view

    def notes(self, session: Session, conversation_id: int) -> list[NoteRead]:
        self.get(session, conversation_id)
        notes = InboxRepository(session).notes(conversation_id)
        names = events.user_names(session, {note.author_user_id for note in notes})
        return [note_read(note, names) for note in notes]

    # --- Typing -------------------------------------------------------------------------------

    def typing(
        self,
        session: Session,
        conversation: Conversation,
        *,
        active: bool,
        user: User | None = None,
        agent: str | None = None,
    ) -> None:
        """Someone is about to answer: other admins see it at once, and the doctor sees
        WhatsApp's "typing…" on their last message (when the window allows a reply)."""
        actor = (
            AdminTyping(kind="admin", user_id=user.id, name=user.name)
            if user is not None
            else AgentTyping(kind="ai", agent=agent)
        )
        view = TypingRead(conversation_id=conversation.id, actor=actor, active=active)
        publish_now(session, Event("typing", view.model_dump(mode="json")))
        if not active:
            return
        now = utcnow()
        if not window_open(conversation, now):
            return
        if conversation.typing_sent_at and now - conversation.typing_sent_at < TYPING_REFRESH:
            return
        last = InboxRepository(session).last_inbound(conversation.id)
        if last is None or last.wamid is None:
            return
        conversation.typing_sent_at = now
        enqueue(session, TYPING_TASK, last.id)

    # --- Preview and send ---------------------------------------------------------------------

    def _request(
        self, conversation: Conversation, body: ThreadMessageCreate, user: User
    ) -> OutboundRequest:
        return OutboundRequest(
            doctor_id=conversation.doctor_id,
            type=body.type,
            payload=body.type_object,
            sender_kind=SenderKind.admin,
            sender_user_id=user.id,
            number_id=conversation.number_id,
            context_message_id=body.context_message_id,
            template_category=body.template_category,
        )

    def preview(
        self, session: Session, conversation_id: int, body: ThreadMessageCreate, user: User
    ) -> Preview:
        conversation = self.get(session, conversation_id)
        plan = message_service.plan_outbound(session, self._request(conversation, body, user))
        return build_preview(session, plan)

    def send(
        self, session: Session, conversation_id: int, body: ThreadMessageCreate, user: User
    ) -> MessageRead:
        conversation = self.get(session, conversation_id)
        message = message_service.queue_outbound(session, self._request(conversation, body, user))
        return message_read(message, {user.id: user.name})


inbox_service = InboxService()
