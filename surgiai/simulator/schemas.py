"""Control-plane request bodies (the simulator's own API, not Meta's)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from surgiai.simulator.config import MessagingTier, StatusBehaviour, ThroughputLevel


class NumberUpsert(BaseModel):
    """Register or update a simulated number; unset fields keep their value (or default)."""

    model_config = ConfigDict(extra="forbid")

    waba_id: str | None = None
    business_portfolio_id: str | None = None
    display_phone_number: str | None = None
    verified_name: str | None = None
    access_token: str | None = None
    app_secret: str | None = None
    webhook_url: str | None = None
    verify_token: str | None = None
    quality_rating: Literal["GREEN", "YELLOW", "RED", "NA", "UNKNOWN"] | None = None
    status: str | None = None
    code_verification_status: str | None = None
    name_status: str | None = None
    account_mode: Literal["LIVE", "SANDBOX"] | None = None
    throughput_level: ThroughputLevel | None = None
    tier: MessagingTier | None = None
    upgrading: bool | None = None
    spam_limited: bool | None = None
    restricted: bool | None = None
    locked: bool | None = None
    payment_issue: bool | None = None


class TemplateRegistration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    waba_id: str
    name: str
    language: str = "en_US"
    category: Literal["MARKETING", "UTILITY", "AUTHENTICATION"] = "UTILITY"
    status: str = "APPROVED"
    components: list[dict[str, Any]] = Field(default_factory=list)
    parameter_format: Literal["POSITIONAL", "NAMED"] = "POSITIONAL"
    paced: bool = False
    held_outcome: Literal["sent", "dropped"] = "sent"
    template_id: str | None = None


class TemplateStatusUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: str
    reason: str = "NONE"
    emit_webhook: bool = True


# WhatsApp usernames: lowercase letters, digits, dots and underscores.
Username = Annotated[str, Field(pattern=r"^[a-z0-9._]{3,35}$")]


class InboundRequest(BaseModel):
    """A doctor's message: `{phone_number_id, from, name, type, <type>: {...}, context?}`.

    `from` is the doctor's phone (or a BSUID the simulator gave them). `username` and
    `phone_shared`, when given, update the doctor's record before the message is built (as
    `PUT /control/users/{wa_id}` would); a `null` username clears it."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    phone_number_id: str
    from_: Annotated[str, Field(alias="from", min_length=1)]
    name: str | None = None
    username: Username | None = None
    phone_shared: bool | None = None
    type: str
    context: dict[str, Any] | None = None
    referral: dict[str, Any] | None = None
    # Add the inbound media `url` (Meta's gradual rollout since Nov 2025); default from config.
    with_url: bool | None = None
    # Value-level `errors[]` to attach (e.g. a 131000 system error).
    value_errors: list[dict[str, Any]] | None = None

    def type_object(self) -> Any:
        return (self.model_extra or {}).get(self.type)


class StatusCommand(BaseModel):
    model_config = ConfigDict(extra="forbid")

    wamid: str
    status: Literal["sent", "delivered", "read", "played", "failed"]
    error_code: int | None = None
    details: str | None = None


class StatusBehaviourUpdate(BaseModel):
    """Global status knobs, or per-recipient ones when `wa_id` is given."""

    model_config = ConfigDict(extra="forbid")

    behaviour: StatusBehaviour
    wa_id: str | None = None


class ManagementEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str
    value: dict[str, Any]
    waba_id: str | None = None
    phone_number_id: str | None = None
    time: int | None = None
    # Apply the event to the simulator (template status, marketing opt-out), not just emit it.
    apply: bool = True

    @model_validator(mode="after")
    def _needs_owner(self) -> ManagementEvent:
        if self.waba_id is None and self.phone_number_id is None:
            raise ValueError("give waba_id or phone_number_id")
        return self


class RecipientUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    undeliverable: bool | None = None
    marketing_capped: bool | None = None
    opted_out: bool | None = None
    experiment: bool | None = None
    status: StatusBehaviour | None = None


class UserUpdate(BaseModel):
    """Change a simulated user; unset fields keep their value, a `null` username clears it."""

    model_config = ConfigDict(extra="forbid")

    username: Username | None = None
    phone_shared: bool | None = None
    name: str | None = None


class NumberChange(BaseModel):
    """The user moves to `new_wa_id`. The system message goes to `phone_number_id`, or to every
    number the user has exchanged messages with."""

    model_config = ConfigDict(extra="forbid")

    new_wa_id: Annotated[str, Field(min_length=1)]
    phone_number_id: str | None = None


class IdentityChange(BaseModel):
    """The user's security code changed; notified as for `NumberChange`."""

    model_config = ConfigDict(extra="forbid")

    phone_number_id: str | None = None


class FaultCreate(BaseModel):
    """Inject an error: the next `count` sends (or a `rate` share of them) fail with `code`."""

    model_config = ConfigDict(extra="forbid")

    code: int
    mode: Literal["sync", "async"] = "sync"
    count: Annotated[int, Field(ge=1)] | None = None
    rate: Annotated[float, Field(gt=0, le=1)] | None = None
    phone_number_id: str | None = None
    wa_id: str | None = None
    http_status: Annotated[int, Field(ge=400, le=599)] | None = None
    details: str | None = None

    @model_validator(mode="after")
    def _default_count(self) -> FaultCreate:
        if self.count is None and self.rate is None:
            self.count = 1
        return self


class WindowOpen(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone_number_id: str
    wa_id: str
    seconds_ago: Annotated[float, Field(ge=0)] = 0.0


class ClockAdvance(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seconds: Annotated[float, Field(ge=0)]


class ResetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keep_numbers: bool = False
    keep_templates: bool = False


class DrainRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timeout: Annotated[float, Field(gt=0, le=300)] = 5.0
