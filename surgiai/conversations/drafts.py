"""The approval queue (Manual Message Preview Handler): AI replies that wait for a person.

A reply waits when its conversation is in `draft` mode or when the agent that wrote it asks for
approval. An admin approves it as is, edits then approves it, or rejects it. The proposed and
the approved versions are both kept: that edit is what the AI learning engine learns from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import structlog
from sqlalchemy.orm import Session

from surgiai.audit.service import audit_service
from surgiai.auth.models import User
from surgiai.channels.base import OutboundMessage
from surgiai.channels.validation import validate_outbound
from surgiai.conversations import events
from surgiai.conversations.models import (
    Conversation,
    ConversationMode,
    Draft,
    DraftStatus,
    Message,
    SenderKind,
)
from surgiai.conversations.repository import ConversationRepository, DraftRepository
from surgiai.conversations.schemas import DraftApprove, DraftRead
from surgiai.conversations.service import (
    OutboundRequest,
    message_service,
    summary_text,
)
from surgiai.errors import Conflict, NotFound
from surgiai.kit.time import utcnow

log = structlog.get_logger(__name__)

DRAFT_MODE_REASON = "The conversation is in draft mode: AI replies wait for approval."


@dataclass(frozen=True)
class AiReply:
    """A reply an AI agent wants to send in a conversation."""

    agent: str
    type: str
    payload: dict[str, object]
    context_wamid: str | None = None
    template_category: str | None = None
    # The agent's own doubt ("low confidence", "quotes a price"): the reply waits for a person.
    needs_approval_because: str | None = None
    # Where the agent found the answer ("Catalogue 2026, p. 3"): the approver checks it there.
    sources: tuple[str, ...] = ()


class DraftService:
    def deliver_ai_reply(
        self, session: Session, conversation: Conversation, reply: AiReply
    ) -> Message | Draft | None:
        """Send an AI reply, hold it for approval, or drop it if a person has the doctor."""
        if ConversationRepository(session).doctor_in_human_mode(conversation.doctor_id):
            log.info(
                "conversations.ai_reply.silenced",
                conversation_id=conversation.id,
                agent=reply.agent,
            )
            return None
        reason = reply.needs_approval_because
        if conversation.mode is ConversationMode.draft:
            reason = reason or DRAFT_MODE_REASON
        if reason is not None:
            return self.create(session, conversation, reply, reason)
        return message_service.queue_outbound(
            session,
            OutboundRequest(
                doctor_id=conversation.doctor_id,
                type=reply.type,
                payload=dict(reply.payload),
                sender_kind=SenderKind.ai,
                sender_agent=reply.agent,
                number_id=conversation.number_id,
                context_message_id=reply.context_wamid,
                template_category=reply.template_category,
            ),
        )

    def create(
        self, session: Session, conversation: Conversation, reply: AiReply, reason: str
    ) -> Draft:
        payload = dict(reply.payload)
        to, recipient = conversation.doctor.address
        # A draft nobody could send is refused now, not when an admin tries to approve it.
        validate_outbound(
            OutboundMessage(to=to, recipient=recipient, type=reply.type, payload=payload)
        )
        draft = DraftRepository(session).add(
            Draft(
                conversation_id=conversation.id,
                agent=reply.agent,
                reason=reason[:300],
                type=reply.type,
                payload=payload,
                text=summary_text(reply.type, payload),
                template_category=reply.template_category,
                context_wamid=reply.context_wamid,
                sources=list(reply.sources),
            )
        )
        events.draft_changed(draft, created=True)
        log.info("conversations.draft.created", draft_id=draft.id, agent=reply.agent)
        return draft

    def get(self, session: Session, draft_id: int) -> Draft:
        draft = DraftRepository(session).get(draft_id)
        if draft is None:
            raise NotFound(f"No draft with id {draft_id}.")
        return draft

    def find(
        self,
        session: Session,
        *,
        status: DraftStatus | None,
        conversation_id: int | None,
        limit: int,
        before_id: int | None,
    ) -> Sequence[Draft]:
        return DraftRepository(session).list(
            status=status, conversation_id=conversation_id, limit=limit, before_id=before_id
        )

    def read(self, session: Session, drafts: Sequence[Draft]) -> list[DraftRead]:
        """The drafts with what they answer and the thread around them."""
        return events.read_drafts(session, drafts)

    def approve(self, session: Session, draft_id: int, user: User, body: DraftApprove) -> Draft:
        """Send the draft (or the admin's edit of it) through the one send path. If the send
        is refused (window closed, number paused …) the whole approval is undone and the
        draft stays pending."""
        draft = self.get(session, draft_id)
        drafts = DraftRepository(session)
        if not drafts.claim_decision(draft.id, DraftStatus.approved, user.id, utcnow()):
            raise Conflict(f"Draft {draft.id} was already {draft.status.value}.")
        edit = body.edit
        type_, payload = edit if edit is not None else (draft.type, draft.payload)
        if edit is not None:
            draft.edited_type, draft.edited_payload = type_, payload
        conversation = draft.conversation
        message = message_service.queue_outbound(
            session,
            OutboundRequest(
                doctor_id=conversation.doctor_id,
                type=type_,
                payload=payload,
                # Rewritten, it is the editor's message (on the agent's cue); approved as
                # proposed, the AI's, vouched for by the approver: no longer automatic either way.
                sender_kind=SenderKind.admin if edit is not None else SenderKind.ai,
                sender_agent=draft.agent,
                sender_user_id=user.id,
                number_id=conversation.number_id,
                context_message_id=draft.context_wamid,
                template_category=draft.template_category,
            ),
        )
        draft.message_id = message.id
        audit_service.record(
            session,
            "draft.approved",
            actor_user_id=user.id,
            actor_email=user.email,
            target_type="draft",
            target_id=draft.id,
            details={"edited": edit is not None, "message_id": message.id},
        )
        events.draft_changed(draft)
        return draft

    def reject(self, session: Session, draft_id: int, user: User, reason: str | None) -> Draft:
        draft = self.get(session, draft_id)
        if not DraftRepository(session).claim_decision(
            draft.id, DraftStatus.rejected, user.id, utcnow()
        ):
            raise Conflict(f"Draft {draft.id} was already {draft.status.value}.")
        draft.rejection_reason = reason
        audit_service.record(
            session,
            "draft.rejected",
            actor_user_id=user.id,
            actor_email=user.email,
            target_type="draft",
            target_id=draft.id,
            details={"reason": reason},
        )
        events.draft_changed(draft)
        return draft


draft_service = DraftService()
