from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr

from surgiai.kit.schemas import JSON_NUMBER, Flag, PartialUpdate

# The mode new conversations on a number start in, and that `release` returns them to.
DefaultMode = Literal["ai", "draft", "human"]
IdString = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_\-]+$")]


class NumberCreate(BaseModel):
    label: Annotated[str, Field(min_length=1, max_length=100)]
    channel: Literal["cloud"] = "cloud"
    phone_number_id: IdString
    waba_id: IdString
    display_phone_number: Annotated[str, Field(min_length=5, max_length=32)]
    access_token: Annotated[SecretStr, Field(min_length=8, max_length=1500)]
    app_secret: Annotated[SecretStr | None, Field(min_length=8, max_length=500)] = None
    business_portfolio_id: IdString | None = None
    throughput_mps: Annotated[int, Field(ge=1, le=1000), JSON_NUMBER] | None = None
    default_mode: DefaultMode = "ai"


def _false_only(value: object) -> object:
    """JSON false, not 0 (which pydantic would take for it)."""
    if value is not False:
        raise ValueError("must be false (to resume the number)")
    return value


class NumberUpdate(PartialUpdate):
    label: Annotated[str | None, Field(min_length=1, max_length=100)] = None
    display_phone_number: Annotated[str | None, Field(min_length=5, max_length=32)] = None
    access_token: Annotated[SecretStr | None, Field(min_length=8, max_length=1500)] = None
    app_secret: Annotated[SecretStr | None, Field(min_length=8, max_length=500)] = None
    business_portfolio_id: IdString | None = None
    enabled: Flag | None = None
    throughput_mps: Annotated[int, Field(ge=1, le=1000), JSON_NUMBER] | None = None
    default_mode: DefaultMode | None = None
    # Admins resume a paused number once the cause is fixed.
    paused: Annotated[Literal[False], BeforeValidator(_false_only)] | None = None


NumberStateCode = Literal[
    "sending",
    "quality_dropping",
    "not_checked",
    "check_failing",
    "token_rejected",
    "paused",
    "blocked",
    "disabled",
]


class NumberState(BaseModel):
    """The one thing to know about a number now, in the team's words (`number_service.state`):
    the Numbers page shows it and the Overview counts `sending` from it."""

    code: NumberStateCode
    label: str
    tone: Literal["green", "yellow", "red", "gray"]
    # What is going on, in one or two sentences.
    explanation: str
    # What to try; None when nothing needs doing.
    fix: str | None
    # Whether it counts as a number that sends: confirmed by WhatsApp and not stopped.
    sending: bool


class NumberHealth(BaseModel):
    state: NumberState
    status: str
    quality_rating: str
    messaging_tier: str | None
    throughput_level: str
    throughput_mps: int
    paused: bool
    paused_reason: str | None
    paused_at: datetime | None
    last_error_code: int | None
    last_error_reason: str | None
    last_error_at: datetime | None
    checked_at: datetime | None
    check_error: str | None
    sent_last_hour: int
    failed_last_hour: int
    error_rate_last_hour: float
    can_send: bool


class NumberRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    label: str
    channel: str
    phone_number_id: str
    waba_id: str
    business_portfolio_id: str | None
    display_phone_number: str
    verified_name: str | None
    access_token_hint: str
    has_app_secret: bool
    enabled: bool
    default_mode: DefaultMode
    created_at: datetime
    health: NumberHealth


class NumberChanged(BaseModel):
    """The `number.updated` event names the number that changed: a dashboard reads it again
    from the API, with its traffic (from `stats`, which `numbers` does not use)."""

    id: int
