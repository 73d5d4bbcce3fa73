from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class TemplateRead(BaseModel):
    """One template in one language, with what the dashboard needs to show it and to build its
    parameter form."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    waba_id: str
    template_id: str | None
    name: str
    language: str
    status: str
    # Only APPROVED templates can be sent.
    sendable: bool
    category: str | None
    parameter_format: str
    quality: str | None
    rejected_reason: str | None
    # As WhatsApp returns them.
    components: list[dict[str, Any]]
    # TEXT, IMAGE, VIDEO, DOCUMENT, LOCATION…: a media header needs a media parameter.
    header_format: str | None
    header_text: str | None
    body_text: str | None
    footer_text: str | None
    button_texts: list[str]
    # Per component, the variables to fill: `{"body": ["1", "2"]}`, `{"body": ["first_name"]}`,
    # `"button:<index>"` for a URL button with a variable.
    variables: dict[str, list[str]]
    synced_at: datetime
    updated_at: datetime


class TemplateSyncRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    waba_id: str
    # A sync is queued and no worker has started it yet.
    pending: bool
    requested_at: datetime | None
    started_at: datetime | None
    synced_at: datetime | None
    template_count: int | None
    # Why the last attempt failed; None when it succeeded.
    last_error: str | None
    last_error_at: datetime | None


class TemplatePage(BaseModel):
    items: list[TemplateRead]
    # The sync records of the WhatsApp Business Accounts listed.
    syncs: list[TemplateSyncRead]
