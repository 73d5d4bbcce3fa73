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
    payload: Any


class ExternalEventPage(BaseModel):
    items: list[ExternalEventRead]
    next_cursor: int | None
