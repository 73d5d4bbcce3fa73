from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class ExternalEventRead(BaseModel):
    id: int
    source: str
    received_at: datetime
    state: str
    processed_at: datetime | None
    attempts: int
    error: str | None
    # The delivery's JSON; None with `payload_error` saying why when it cannot be shown (a row
    # stored before today's checks, say, nested too deep to read).
    payload: Any
    payload_error: str | None


class ExternalEventPage(BaseModel):
    items: list[ExternalEventRead]
    next_cursor: int | None
