"""Agents' actions carried out through the domain services: an agent only returns actions, the
Master Agent (and, for a follow-up that came due, `surgiai.agents.scheduled`) applies them here.
Every message goes through the one send path."""

from __future__ import annotations

from sqlalchemy.orm import Session

from surgiai.agents.base import (
    Action,
    AddTags,
    AdjustScore,
    HandOff,
    NotifyTeam,
    Reply,
    Schedule,
    SendTemplate,
    SetMarketingPreference,
    SuggestFaq,
    UpdateLead,
)
from surgiai.conversations.drafts import AiReply, draft_service
from surgiai.conversations.inbox import HANDOFF_NOTICE, inbox_service
from surgiai.conversations.models import Conversation, Draft, Message, SenderKind
from surgiai.conversations.service import OutboundRequest, message_service
from surgiai.doctors.consent import consent_service
from surgiai.doctors.leads import lead_service
from surgiai.doctors.models import ConsentSource
from surgiai.doctors.service import doctor_service
from surgiai.knowledge.faqs import FaqSuggestion, faq_service
from surgiai.notifications.service import notification_service


def apply_action(
    session: Session,
    conversation: Conversation,
    newest: Message | None,
    agent: str,
    action: Action,
) -> Message | Draft | None:
    """Carry out one agent action through the domain services (the one send path for
    messages). `newest`: the doctor's message being answered, which a reply quotes. Returns
    the message queued or the draft held for approval, when the action sends one."""
    doctor = conversation.doctor
    if isinstance(action, Reply):
        return draft_service.deliver_ai_reply(
            session,
            conversation,
            AiReply(
                agent=agent,
                type=action.type,
                payload=dict(action.payload),
                context_wamid=newest.wamid if newest is not None else None,
                needs_approval_because=action.needs_approval_because,
                sources=action.sources,
            ),
        )
    elif isinstance(action, SendTemplate):
        payload: dict[str, object] = {
            "name": action.name,
            "language": {"code": action.language},
        }
        if action.components:
            payload["components"] = [dict(component) for component in action.components]
        return message_service.queue_outbound(
            session,
            OutboundRequest(
                doctor_id=doctor.id,
                type="template",
                payload=payload,
                sender_kind=SenderKind.ai,
                sender_agent=agent,
                number_id=conversation.number_id,
                template_category=action.category,
            ),
        )
    elif isinstance(action, AddTags):
        inbox_service.add_tags(session, doctor.id, list(action.tags))
    elif isinstance(action, AdjustScore):
        doctor_service.adjust_score(doctor, action.delta)
    elif isinstance(action, UpdateLead):
        lead_service.update(
            session,
            doctor,
            score=action.score,
            reasons=action.reasons,
            add_tags=action.add_tags,
            remove_tags=action.remove_tags,
            specialty=action.specialty,
            city=action.city,
            stage=action.stage,
        )
    elif isinstance(action, HandOff):
        inbox_service.hand_over(
            session, conversation, reason=action.reason, notice=action.notice or HANDOFF_NOTICE
        )
    elif isinstance(action, SetMarketingPreference):
        # The doctor's own words, on the number they wrote to: consent holds on every number.
        consent_service.record(
            session,
            doctor,
            opted_out=action.opted_out,
            source=ConsentSource.keyword,
            number_id=conversation.number_id,
            detail=newest.text if newest is not None else None,
        )
    elif isinstance(action, NotifyTeam):
        notification_service.notify(
            session,
            "agent.notice",
            action.title,
            body=action.body,
            conversation_id=conversation.id,
        )
    elif isinstance(action, SuggestFaq):
        faq_service.suggest(
            session,
            FaqSuggestion(
                question=action.question,
                answer=action.answer,
                citation=action.citation,
                facts=action.facts,
                message_id=newest.id if newest is not None else None,
                conversation_id=conversation.id,
            ),
        )
    elif isinstance(action, Schedule):
        raise TypeError("a scheduled action cannot schedule another")
    return None
