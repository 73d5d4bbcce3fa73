from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

OutboundType = Literal[
    "text",
    "template",
    "interactive",
    "image",
    "document",
    "audio",
    "video",
    "sticker",
    "reaction",
    "location",
    "contacts",
]


class MessageCreate(BaseModel):
    """A message in the Cloud API's own shape: `{"to", "type", "<type>": {...}}`."""

    model_config = ConfigDict(extra="allow")

    to: Annotated[str, Field(min_length=5, max_length=32)]
    type: OutboundType
    number_id: int | None = None
    # Quote a message of the conversation (its wamid).
    context_message_id: Annotated[str | None, Field(max_length=128)] = None

    @model_validator(mode="after")
    def _has_type_object(self) -> MessageCreate:
        extra = self.model_extra or {}
        if not isinstance(extra.get(self.type), dict):
            raise ValueError(f'a "{self.type}" object is required for type "{self.type}"')
        unexpected = set(extra) - {self.type}
        if unexpected:
            raise ValueError(f"unexpected fields: {', '.join(sorted(unexpected))}")
        return self

    @property
    def type_object(self) -> dict[str, Any]:
        value: dict[str, Any] = (self.model_extra or {})[self.type]
        return value


class MessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    conversation_id: int
    number_id: int
    wa_id: str
    direction: str
    wamid: str | None
    type: str
    text: str | None
    payload: dict[str, Any]
    status: str
    created_at: datetime
    timestamp: datetime | None
    sent_at: datetime | None
    delivered_at: datetime | None
    read_at: datetime | None
    played_at: datetime | None
    failed_at: datetime | None
    error_code: int | None
    error_title: str | None
    error_reason: str | None
    sender_kind: str
    sender_user_id: int | None
    sender_agent: str | None
    media_file_id: int | None
    attempts: int
    next_attempt_at: datetime | None


class MessagePage(BaseModel):
    items: list[MessageRead]
    next_cursor: int | None
