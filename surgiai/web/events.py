"""Every real-time event a dashboard may receive: its type, and the model of its `data`.

Events are published where things change (`Event(type, model.model_dump(mode="json"))` in each
domain); this catalogue is where they are all named, for the dashboard's generated types
(`events_document`, written to `events.json` by `surgiai.web.contract`) and for the test that
checks every event the server publishes against it (tests/web/test_event_catalogue.py). It
lives with the entry points because it names many domains' schemas: a domain never imports it.

A type missing here is still sent (the dashboard ignores types it does not know), but the test
fails; add it here and run `make api-client`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from surgiai.agents.schemas import AgentSettingRead, CrashReportRead
from surgiai.auth.roles import Role
from surgiai.campaigns.schemas import CampaignProgress
from surgiai.conversations.schemas import (
    ConversationRead,
    ConversationRemoved,
    ConversationsTouched,
    DraftRead,
    MessageRead,
    MessageStatusesChanged,
    NoteRead,
    TypingRead,
)
from surgiai.notifications.schemas import NotificationRead
from surgiai.numbers.schemas import NumberChanged
from surgiai.workspace.schemas import WorkspaceSettingsRead

# --- Events of the connection itself (web/live.py) -------------------------------------------


class HelloUser(BaseModel):
    id: int
    email: str
    name: str
    role: Role


class Hello(BaseModel):
    """The first message on every connection: whom it serves. What a dashboard shows may have
    changed while it was not listening: it refetches."""

    user: HelloUser


class Pong(BaseModel):
    """The answer to the client's `{"type": "ping"}`."""


# --- The catalogue ---------------------------------------------------------------------------

EVENTS: Mapping[str, type[BaseModel]] = MappingProxyType(
    {
        "hello": Hello,
        "pong": Pong,
        "message.created": MessageRead,
        "message.updated": MessageRead,
        "messages.status_changed": MessageStatusesChanged,
        "conversation.updated": ConversationRead,
        "conversation.removed": ConversationRemoved,
        "conversations.touched": ConversationsTouched,
        "note.created": NoteRead,
        "typing": TypingRead,
        "draft.created": DraftRead,
        "draft.updated": DraftRead,
        "notification.created": NotificationRead,
        "number.updated": NumberChanged,
        "agent.updated": AgentSettingRead,
        "crash_report.created": CrashReportRead,
        "settings.updated": WorkspaceSettingsRead,
        "campaign.progress": CampaignProgress,
    }
)

UNION = "RealtimeEvent"
_REF = "#/components/schemas/{model}"


def event_schema_name(event_type: str) -> str:
    """The name of the `{type, data}` schema of one event: `message.created` is
    `MessageCreatedEvent`."""
    return "".join(part.capitalize() for part in re.split(r"[._]", event_type)) + "Event"


def events_document() -> dict[str, Any]:
    """An OpenAPI document without paths whose `components.schemas` hold each event's data model
    (as the model serialises: `model_dump(mode="json")`), one `{type, data}` schema per event, and
    `RealtimeEvent`, the union of them all, told apart by `type`."""
    models = list(dict.fromkeys(EVENTS.values()))
    refs, definitions = models_json_schema(
        [(model, "serialization") for model in models], ref_template=_REF
    )
    schemas: dict[str, Any] = dict(definitions.get("$defs", {}))
    members: dict[str, str] = {}
    for event_type, model in EVENTS.items():
        name = event_schema_name(event_type)
        if name in schemas:
            raise ValueError(f"{name} (for {event_type!r}) is already a schema's name")
        schemas[name] = {
            "type": "object",
            "properties": {
                "type": {"type": "string", "enum": [event_type]},
                "data": refs[(model, "serialization")],
            },
            "required": ["type", "data"],
            "additionalProperties": False,
            "title": name,
        }
        members[event_type] = _REF.format(model=name)
    schemas[UNION] = {
        "oneOf": [{"$ref": ref} for ref in members.values()],
        "discriminator": {"propertyName": "type", "mapping": members},
        "title": UNION,
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "SurgiAI real-time events",
            "version": "1",
            "description": (
                "What /api/v1/ws sends: JSON text messages `{type, data}`, one of RealtimeEvent. "
                "A client ignores a type it does not know (the server may be newer)."
            ),
        },
        "paths": {},
        "components": {"schemas": dict(sorted(schemas.items()))},
    }
