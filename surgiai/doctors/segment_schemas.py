from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from surgiai.doctors.filters import DoctorFilter
from surgiai.doctors.models import LifecycleStage
from surgiai.kit.schemas import JSON_NUMBER, PartialUpdate

SegmentName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
PreviewLimit = Annotated[int, Field(ge=1, le=100), JSON_NUMBER]


class SegmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: SegmentName
    filters: DoctorFilter = DoctorFilter()


class SegmentUpdate(PartialUpdate):
    model_config = ConfigDict(extra="forbid")

    name: SegmentName | None = None
    filters: DoctorFilter | None = None


class SegmentRead(BaseModel):
    id: int
    name: str
    filters: DoctorFilter
    # Doctors matching now.
    count: int
    created_by_user_id: int | None
    created_at: datetime
    updated_at: datetime


class SegmentCount(BaseModel):
    count: int


class SegmentPreviewRequest(BaseModel):
    """Unsaved filters, as the builder has them: their count and first members."""

    model_config = ConfigDict(extra="forbid")

    filters: DoctorFilter = DoctorFilter()
    limit: PreviewLimit = 20


class SegmentMember(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    display_name: str
    wa_id: str | None
    specialty: str | None
    city: str | None
    state: str | None
    lead_score: int
    stage: LifecycleStage
    marketing_opted_out: bool
    last_inbound_at: datetime | None


class SegmentMembers(BaseModel):
    count: int
    items: list[SegmentMember]
