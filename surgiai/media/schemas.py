from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class MediaFileRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    sha256: str
    mime_type: str
    size: int
    filename: str | None
    created_at: datetime
