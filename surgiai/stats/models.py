"""No tables of its own: the indexes on other domains' tables that the traffic figures read.

They are declared here, beside the only queries that need them, so nobody drops them as unused.
"""

from __future__ import annotations

from sqlalchemy import Index

from surgiai.conversations.models import Message
from surgiai.doctors.models import Doctor

# Covering: a day's counts come from the index alone, without reading the message rows (whose
# payloads make them wide). The number filter joins the conversation on conversation_id.
MESSAGE_TRAFFIC_INDEX = Index(
    "ix_message_created_at",
    Message.created_at,
    Message.direction,
    Message.sender_kind,
    Message.status,
    Message.conversation_id,
)
DOCTOR_CREATED_INDEX = Index("ix_doctor_created_at", Doctor.created_at)
