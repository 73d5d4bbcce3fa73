"""Simulator configuration: every knob that changes how faithfully (or how fast) Meta is played.

Durations named `*_seconds` or `*_delay` are *simulated* seconds. Timers that the simulator
schedules itself (status webhooks, webhook retries, template approval, persona think time) run
`time_compression` times faster than that in real time. Limits that compare timestamps (24 h
windows, token buckets, media URL expiry, marketing cooldowns) read the simulator's clock
instead, which tests replace with a `ManualClock` or shift with `POST /control/clock/advance`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from surgiai.simulator.identity import IdentityShape

DAY = 24 * 3600.0

PositiveSeconds = Annotated[float, Field(ge=0)]
Probability = Annotated[float, Field(ge=0, le=1)]


class ThroughputLevel(StrEnum):
    STANDARD = "STANDARD"
    HIGH = "HIGH"
    # Coexistence numbers (Business app + Cloud API) are fixed at 20 mps.
    COEXISTENCE = "COEXISTENCE"


class MessagingTier(StrEnum):
    TIER_250 = "TIER_250"
    TIER_2K = "TIER_2K"
    TIER_10K = "TIER_10K"
    TIER_100K = "TIER_100K"
    TIER_UNLIMITED = "TIER_UNLIMITED"


TIER_LIMITS: dict[MessagingTier, int | None] = {
    MessagingTier.TIER_250: 250,
    MessagingTier.TIER_2K: 2_000,
    MessagingTier.TIER_10K: 10_000,
    MessagingTier.TIER_100K: 100_000,
    MessagingTier.TIER_UNLIMITED: None,
}

# `messaging_limit_tier` (<= v23) predates the 2K tier; Meta turned TIER_1K into TIER_2K.
LEGACY_TIER_NAMES: dict[MessagingTier, str] = {
    MessagingTier.TIER_250: "TIER_250",
    MessagingTier.TIER_2K: "TIER_1K",
    MessagingTier.TIER_10K: "TIER_10K",
    MessagingTier.TIER_100K: "TIER_100K",
    MessagingTier.TIER_UNLIMITED: "TIER_UNLIMITED",
}


class WindowEnforcement(StrEnum):
    # Meta's usual behaviour: 200 + wamid, then a `failed` status webhook with 131047.
    ASYNC = "async"
    # A synchronous 131047 error body instead.
    SYNC = "sync"


class MessagingLimitBehaviour(StrEnum):
    """What happens when a portfolio reaches its messaging-limit tier.

    Meta documents no error code for hitting the messaging limit (131064 is a different,
    enforcement-driven limit), so every option here is an assumption of the simulator:
    `failed_status` accepts the send and then emits a failed status with
    `messaging_limit_error_code`; `sync_error` refuses the request with that code; `allow`
    only counts (useful for benchmarks).
    """

    FAILED_STATUS = "failed_status"
    SYNC_ERROR = "sync_error"
    ALLOW = "allow"


class StatusBehaviour(BaseModel):
    """How status webhooks are produced for an accepted message."""

    model_config = ConfigDict(extra="forbid")

    sent_delay: PositiveSeconds = 0.2
    delivered_delay: PositiveSeconds = 1.0
    read_delay: PositiveSeconds = 3.0
    played_delay: PositiveSeconds = 2.0
    failed_delay: PositiveSeconds = 0.2
    # Recipient never gets the message: only `sent` is emitted.
    deliver: bool = True
    read: bool = True
    # `played` for voice notes (`audio.voice: true`), after `read`.
    play: bool = True
    # The recipient read the message the instant it arrived: `delivered` is skipped.
    skip_delivered: bool = False
    # Emit the lifecycle in reverse order (timestamps keep the true order).
    reorder: bool = False
    # Chance that a status webhook is posted twice (separate deliveries).
    duplicate_probability: Probability = 0.0
    # Which of sent/delivered carries `pricing` (sent when delivered is not emitted).
    pricing_on: Literal["sent", "delivered"] = "sent"
    # `auto` includes `conversation` only for API versions before v24.0.
    conversation: Literal["auto", "always", "never"] = "auto"


def default_media_limits() -> dict[str, int]:
    mb = 1024 * 1024
    return {
        "audio": 16 * mb,
        "document": 100 * mb,
        "image": 5 * mb,
        "sticker": 500 * 1024,
        "video": 16 * mb,
    }


def default_retry_schedule() -> list[float]:
    """Delays before each webhook retry: immediate first, then less and less often (~7 days)."""
    return [
        0.0,
        5.0,
        30.0,
        120.0,
        600.0,
        1800.0,
        3600.0,
        3 * 3600.0,
        6 * 3600.0,
        12 * 3600.0,
        DAY,
        DAY,
        2 * DAY,
        2 * DAY,
    ]


class SimulatorConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    # Real seconds = simulated seconds / time_compression, for the simulator's own timers.
    time_compression: Annotated[float, Field(gt=0)] = 1.0
    seed: int | None = None
    status: StatusBehaviour = Field(default_factory=StatusBehaviour)

    # Errors.
    error_http_status: Annotated[int, Field(ge=400, le=599)] = 400
    auth_error_http_status: Annotated[int, Field(ge=400, le=599)] = 401
    # Use the per-code statuses of the older Meta table (429 for 130429, 503 for 131016, ...)
    # instead of `error_http_status`. Meta says not to rely on the HTTP status either way.
    meta_http_statuses: bool = False
    include_error_subcode: bool = True

    # Customer service window.
    window_seconds: PositiveSeconds = DAY
    window_enforcement: WindowEnforcement = WindowEnforcement.ASYNC

    # Throughput per phone number (messages per second), a token bucket of one second.
    throughput_mps: dict[ThroughputLevel, float] = Field(
        default_factory=lambda: {
            ThroughputLevel.STANDARD: 80.0,
            ThroughputLevel.HIGH: 1000.0,
            ThroughputLevel.COEXISTENCE: 20.0,
        }
    )
    # Meta counts inbound messages too; they take a token when one is available.
    inbound_counts_toward_throughput: bool = True
    upgrade_duration_seconds: PositiveSeconds = 60.0
    # How long a send (POST /messages) takes to be answered; it is counted, checked and
    # accepted on arrival. Meta's answers take a few hundred milliseconds: a sender that waits
    # for each answer before the next send gets nowhere near its number's throughput.
    send_answer_seconds: PositiveSeconds = 0.0

    # Pair rate per (phone number, recipient): 1 message / 6 s with bursts up to 45.
    pair_rate_per_second: Annotated[float, Field(gt=0)] = 1 / 6
    pair_burst: Annotated[int, Field(ge=1)] = 45

    # Messaging limit per business portfolio (see MessagingLimitBehaviour: an assumption).
    messaging_limit_behaviour: MessagingLimitBehaviour = MessagingLimitBehaviour.FAILED_STATUS
    messaging_limit_error_code: int = 131064
    messaging_limit_window_seconds: PositiveSeconds = DAY

    # Scripted recipients: failures arrive as failed statuses, or synchronously if set.
    recipient_errors_sync: bool = False
    marketing_cooldown_seconds: PositiveSeconds = DAY
    # Marketing templates to +1 numbers are not delivered (131049, per Meta's per-user limits).
    us_marketing_blocked: bool = True
    # Rewrite Mexican (52 + 10 digits -> 521...) and Brazilian (drop the mobile 9) wa_ids.
    rewrite_mx_br_numbers: bool = False

    # How webhooks name users. `bsuid` is today's shape (CLOUD_API.md §3.6): business-scoped
    # user IDs everywhere, usernames, phone numbers only when the user shares them, `contacts`
    # on statuses and sends by `recipient`. `legacy` is the early-2026 shape: phone numbers only.
    identity_shape: IdentityShape = "bsuid"
    # Parent BSUIDs (`parent_user_id`, `IN.ENT.…`), shared by the portfolios of one parent
    # business; Meta adds them only where a business has enabled them.
    parent_bsuids: bool = False

    # Templates.
    template_message_status: bool = True
    auto_approve_templates: bool = True
    template_approval_delay: PositiveSeconds = 60.0
    held_release_delay: PositiveSeconds = 30.0
    max_templates_per_waba: Annotated[int, Field(ge=1)] = 250

    # Webhook delivery.
    webhook_timeout_seconds: Annotated[float, Field(gt=0)] = 5.0
    retry_schedule: list[PositiveSeconds] = Field(default_factory=default_retry_schedule)
    verify_callbacks: bool = True
    batch_max_size: Annotated[int, Field(ge=1, le=1000)] = 1
    batch_window_seconds: PositiveSeconds = 0.0
    webhook_duplicate_probability: Probability = 0.0
    webhook_duplicate_delay: PositiveSeconds = 1.0
    delivery_concurrency: Annotated[int, Field(ge=1, le=256)] = 8
    max_recorded_attempts: Annotated[int, Field(ge=1)] = 20_000

    # Media.
    media_url_ttl_seconds: PositiveSeconds = 300.0
    media_ttl_seconds: PositiveSeconds = 30 * DAY
    inbound_media_ttl_seconds: PositiveSeconds = 7 * DAY
    media_size_limits: dict[str, int] = Field(default_factory=default_media_limits)
    inbound_media_url: bool = False

    # Control plane: when set, /control/* needs the `X-Control-Token` header.
    control_token: str | None = None

    def real_delay(self, simulated_seconds: float) -> float:
        return max(0.0, simulated_seconds) / self.time_compression
