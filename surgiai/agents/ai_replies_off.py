"""What still goes to the Master Agent while an admin has switched AI replies off on the
Settings page: a doctor's consent, which must be recorded whoever answers (STOP, START, in so
many words), and a user's command from their registered phone. Everything else waits for the
team, as in a conversation a person has taken over."""

from __future__ import annotations

from sqlalchemy.orm import Session

from surgiai.agents.intents import classify
from surgiai.agents.language import Intent
from surgiai.agents.service import agent_service
from surgiai.commands.grammar import parse_command
from surgiai.commands.service import admin_command_service
from surgiai.conversations.models import Message

CONSENT = frozenset({Intent.opt_out, Intent.opt_in})


def handled_without_ai_replies(session: Session, message: Message) -> bool:
    text = (message.text or "").strip()
    if not text:
        return False
    classification = classify(text)
    # Only the doctor's explicit word: a model's guess would be answered with a question.
    if classification.source == "rule" and classification.intent in CONSENT:
        return True
    if parse_command(text, known_agents=agent_service.known_names()) is None:
        return False
    wa_id = message.conversation.doctor.wa_id
    return admin_command_service.user_for_phone(session, wa_id) is not None
