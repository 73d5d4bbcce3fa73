"""The doctors' API shapes: a profile, a page of them, what creates and changes one, and the
timeline (which the conversations domain fills: messages live there)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from surgiai.doctors.models import LifecycleStage
from surgiai.kit.schemas import JSON_NUMBER, PartialUpdate
from surgiai.kit.schemas import MAX_ID as MAX_ID  # doctors.endpoints and the timeline use it

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
Long = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Registration = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
]
Language = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=16)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Tags = Annotated[list[Tag], Field(max_length=50)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
FieldValue = str | Annotated[int, Field(ge=-MAX_ID - 1, le=MAX_ID)] | float | bool | None
CustomFields = Annotated[
    dict[Annotated[str, StringConstraints(min_length=1, max_length=64)], FieldValue],
    Field(max_length=50),
]


class ConsentRead(BaseModel):
    opted_out: bool
    # When they opted out; null while they accept marketing.
    since: datetime | None


class DoctorRead(BaseModel):
    id: int
    display_name: str
    name: str | None
    # Their own WhatsApp profile name.
    profile_name: str | None
    # E.164 ("+919876543210") and its digits, WhatsApp's wa_id; null for a doctor known only by
    # their WhatsApp user id.
    phone: str | None
    wa_id: str | None
    user_id: str | None
    parent_user_id: str | None
    username: str | None
    specialty: str | None
    city: str | None
    state: str | None
    hospital: str | None
    registration_number: str | None
    email: str | None
    preferred_language: str | None
    custom_fields: dict[str, Any]
    tags: list[str]
    lead_score: int
    # The score's factor breakdown, as the scorer last explained it.
    score_reasons: dict[str, Any]
    score_overridden: bool
    stage: LifecycleStage
    stage_overridden: bool
    consent: ConsentRead
    # Set when WhatsApp says they cannot receive messages.
    unreachable_reason: str | None
    sticky_number_id: int | None
    last_inbound_at: datetime | None
    last_outbound_at: datetime | None
    created_at: datetime
    updated_at: datetime


class DoctorPage(BaseModel):
    items: list[DoctorRead]
    # Pass as `cursor` for the next page; null on the last page.
    next_cursor: str | None


class DoctorCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    # As people type it: "98765 43210", "+91-98765-43210", "0091 98765 43210".
    phone: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    specialty: Short | None = None
    city: Short | None = None
    state: Short | None = None
    hospital: Long | None = None
    registration_number: Registration | None = None
    email: Email | None = None
    preferred_language: Language | None = None
    custom_fields: CustomFields = {}
    tags: Tags = []


class DoctorUpdate(PartialUpdate):
    """The fields to change; a profile field sent as null is cleared (name excepted).

    `stage` and `lead_score` are an admin's override and need a `reason`: the scorer leaves an
    overridden value alone; null clears the override and hands it back to the scorer."""

    clearable = frozenset(
        {
            "specialty",
            "city",
            "state",
            "hospital",
            "registration_number",
            "email",
            "preferred_language",
            "custom_fields",
            "stage",
            "lead_score",
            "reason",
        }
    )

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    specialty: Short | None = None
    city: Short | None = None
    state: Short | None = None
    hospital: Long | None = None
    registration_number: Registration | None = None
    email: Email | None = None
    preferred_language: Language | None = None
    # Replaces the custom fields as a whole.
    custom_fields: CustomFields | None = None
    add_tags: Tags = []
    remove_tags: Tags = []
    stage: LifecycleStage | None = None
    lead_score: Annotated[int, Field(ge=0, le=100), JSON_NUMBER] | None = None
    reason: Reason | None = None


class TimelineItem(BaseModel):
    # "message", "consent", or the doctor event's kind ("score", "stage", "tag_added", …).
    kind: str
    at: datetime
    # What happened, in words ("Stage set to qualified by Asha: met at the conference").
    text: str
    # Who: the doctor, a user's name, an agent, or "SurgiAI".
    actor: str
    # Messages only: "in" from the doctor, "out" to them, and their conversation.
    direction: Literal["in", "out"] | None = None
    conversation_id: int | None = None
    data: dict[str, Any] = {}


class TimelinePage(BaseModel):
    items: list[TimelineItem]
    # Pass as `before` for older items; null when there are none.
    next_cursor: str | None


class DoctorConversation(BaseModel):
    """One of the doctor's conversations: one per number that talks to them."""

    id: int
    number_id: int
    number_name: str
    status: str
    last_message_at: datetime | None
