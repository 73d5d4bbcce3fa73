from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from surgiai.doctors.models import ConsentSource
from surgiai.kit.schemas import Flag


class ConsentChange(BaseModel):
    """A team member records a doctor's consent: what they said, and where they said it."""

    model_config = ConfigDict(extra="forbid")

    opted_out: Flag
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


class ConsentEventRead(BaseModel):
    id: int
    opted_out: bool
    source: ConsentSource
    number_id: int | None
    # The number's label, while the number exists.
    number_label: str | None
    actor_user_id: int | None
    actor_name: str | None
    detail: str | None
    created_at: datetime


class ConsentLedger(BaseModel):
    doctor_id: int
    marketing_opted_out: bool
    marketing_opted_out_at: datetime | None
    # Newest first.
    events: list[ConsentEventRead]
