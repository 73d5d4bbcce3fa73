"""WhatsApp's 24 h customer-service window: free-form messages only within 24 h of the
doctor's last message on that number; outside it, only approved templates."""

from __future__ import annotations

from datetime import datetime, timedelta

from surgiai.conversations.models import Conversation

CUSTOMER_SERVICE_WINDOW = timedelta(hours=24)


def window_open(conversation: Conversation, now: datetime) -> bool:
    last = conversation.last_inbound_at
    return last is not None and now - last < CUSTOMER_SERVICE_WINDOW


WINDOW_CLOSED_REASON = (
    "More than 24 hours have passed since this doctor last wrote on this number (or they never "
    "have): only an approved template can be sent."
)
