"""The campaigns API: what the dashboard and API clients send and get."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from surgiai.campaigns.models import CampaignKind, CampaignStatus, RecipientState
from surgiai.kit.schemas import JSON_NUMBER, BodyId, Moment, PartialUpdate

CampaignName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
]
MinuteOfDay = Annotated[int, Field(ge=0, le=1439), JSON_NUMBER]
Share = Annotated[int, Field(ge=1, le=100), JSON_NUMBER]
# The doctor's fields a variable or a {field} of free text may take its value from.
DoctorField = Literal[
    "name",
    "first_name",
    "specialty",
    "city",
    "state",
    "hospital",
    "email",
    "registration_number",
]


class ValueSource(BaseModel):
    """Where one template variable's value comes from: a doctor's field (with a fallback for a
    doctor who lacks it) or the same text for everyone."""

    model_config = ConfigDict(extra="forbid")

    field: DoctorField | None = None
    value: Annotated[str, StringConstraints(max_length=1024)] | None = None
    # Used when the doctor's field is empty ("Doctor" for a missing name).
    fallback: Annotated[str, StringConstraints(max_length=1024)] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> ValueSource:
        if (self.field is None) == (self.value is None):
            raise ValueError("give either a doctor field or a constant value")
        return self


class VariantIn(BaseModel):
    """One message of the campaign. Several variants make an A/B test, split by `share`."""

    model_config = ConfigDict(extra="forbid")

    key: Annotated[str, StringConstraints(pattern=r"^[A-Z]$")] = "A"
    share: Share = 100
    # kind = template: the synced template and its variables by component, keyed as the
    # template names them: {"body": {"1": {"field": "name"}}, "header": {...}}.
    template_name: Annotated[str, StringConstraints(min_length=1, max_length=512)] | None = None
    language: Annotated[str, StringConstraints(min_length=1, max_length=32)] | None = None
    parameters: dict[
        Literal["header", "body", "button"],
        dict[Annotated[str, StringConstraints(min_length=1, max_length=64)], ValueSource],
    ] = {}
    # kind = text: the message, with {name}-style DoctorField values filled per doctor.
    text: Annotated[str, StringConstraints(min_length=1, max_length=4096)] | None = None


class CampaignCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: CampaignName
    kind: CampaignKind
    segment_id: BodyId
    variants: Annotated[list[VariantIn], Field(min_length=1, max_length=4)]
    header_media_file_id: BodyId | None = None
    # None: start when someone presses Start. A time: start then (it must be in the future).
    scheduled_at: Moment | None = None
    quiet_start_minute: MinuteOfDay | None = None
    quiet_end_minute: MinuteOfDay | None = None


class CampaignUpdate(PartialUpdate):
    """Only a draft or a scheduled campaign can be changed."""

    model_config = ConfigDict(extra="forbid")

    name: CampaignName | None = None
    segment_id: BodyId | None = None
    variants: Annotated[list[VariantIn], Field(min_length=1, max_length=4)] | None = None
    header_media_file_id: BodyId | None = None
    scheduled_at: Moment | None = None
    quiet_start_minute: MinuteOfDay | None = None
    quiet_end_minute: MinuteOfDay | None = None


class RecipientCounts(BaseModel):
    """Recipients by state, and how far the sent ones got."""

    total: int = 0
    pending: int = 0
    sending: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    cancelled: int = 0
    # Of those sent: how far WhatsApp says they got, and who answered within 72 h.
    delivered: int = 0
    read: int = 0
    replied: int = 0
    # Pending rows held back until later (quiet hours, the messaging tier, a retry).
    deferred: int = 0


class CampaignRead(BaseModel):
    id: int
    name: str
    status: CampaignStatus
    kind: CampaignKind
    segment_id: int | None
    segment_name: str | None
    variants: list[VariantIn]
    header_media_file_id: int | None
    scheduled_at: datetime | None
    quiet_start_minute: int | None
    quiet_end_minute: int | None
    time_zone: str
    created_by_user_id: int | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    paused_reason: str | None
    forecast_finish_at: datetime | None
    counts: RecipientCounts


class CampaignPage(BaseModel):
    items: list[CampaignRead]
    next_cursor: int | None


class NumberPlan(BaseModel):
    """One number's share of the campaign, as the planner sees it now."""

    number_id: int
    label: str
    quality_rating: str
    messaging_tier: str | None
    # Messages a second this campaign may use (throughput, slowed for YELLOW quality).
    rate_per_second: float
    recipients: int
    # The number cannot send (paused, blocked, RED): nothing is planned on it.
    excluded_reason: str | None = None


class RecipientPreview(BaseModel):
    doctor_id: int
    doctor_name: str
    variant: str
    number_id: int | None
    # The message as this doctor will read it.
    text: str
    # Why this doctor will not get it (opted out, outside the 24 h window, no number…).
    skip_reason: str | None = None


class CampaignPlan(BaseModel):
    """What starting now would do: who gets it, from which number, and when it ends."""

    recipients: int
    # Excluded at start, by reason ("Opted out of marketing": 12).
    skipped: dict[str, int]
    numbers: list[NumberPlan]
    # Beyond the messaging tier's budget for the next 24 h: sent the day after.
    deferred: int
    # The tier's budget of doctors outside the window left in the next 24 h (None: unlimited).
    tier_budget: int | None
    forecast_seconds: float
    forecast_finish_at: datetime
    quiet_hours_pause: bool
    samples: list[RecipientPreview]
    # Problems that stop it from starting (no approved template, no number can send…).
    problems: list[str]


class RecipientRead(BaseModel):
    id: int
    doctor_id: int
    doctor_name: str
    wa_id: str | None
    variant: str
    number_id: int | None
    state: RecipientState
    # The message's WhatsApp status once sent: accepted, sent, delivered, read, failed.
    message_status: str | None
    message_id: int | None
    reason: str | None
    error_code: int | None
    not_before: datetime | None
    sent_at: datetime | None
    replied_at: datetime | None


class RecipientPage(BaseModel):
    items: list[RecipientRead]
    next_cursor: int | None


class RetryFailed(BaseModel):
    """Send failed recipients again. `reasons`: only those failed for these reasons (among the
    results' `retryable_reasons`); empty: every failed recipient whose failure a retry can help."""

    model_config = ConfigDict(extra="forbid")

    reasons: Annotated[
        list[Annotated[str, StringConstraints(max_length=300)]], Field(max_length=50)
    ] = []


class RetryResult(BaseModel):
    requeued: int


class ResultRow(BaseModel):
    """Results of one variant or one number."""

    key: str
    sent: int
    delivered: int
    read: int
    replied: int
    failed: int


class CostLine(BaseModel):
    category: str
    country: str
    messages: int
    # Estimated, in the price list's currency (`currency`).
    amount: float


class CampaignResults(BaseModel):
    counts: RecipientCounts
    by_variant: list[ResultRow]
    by_number: list[ResultRow]
    failed_by_reason: dict[str, int]
    # The reasons of `failed_by_reason` a retry can help (`retry-failed` refuses the others).
    retryable_reasons: list[str]
    skipped_by_reason: dict[str, int]
    # Doctors who opted out of marketing after the campaign reached them.
    opted_out_after: int
    cost: list[CostLine]
    currency: str
    estimated_cost: float


class CampaignProgress(BaseModel):
    """The real-time event `campaign.progress`: a campaign's status and counts changed."""

    id: int
    status: CampaignStatus
    counts: RecipientCounts
    paused_reason: str | None
