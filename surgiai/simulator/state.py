"""In-memory simulator state. Callers hold `Simulator.lock` while reading or changing it."""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from surgiai.simulator.config import (
    MessagingTier,
    StatusBehaviour,
    ThroughputLevel,
)
from surgiai.simulator.identity import Identity
from surgiai.simulator.limits import RollingUniqueRecipients, TokenBucket

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")


@dataclass
class PhoneNumber:
    phone_number_id: str
    waba_id: str
    business_portfolio_id: str
    display_phone_number: str
    verified_name: str
    # When the number was added (its `last_onboarded_time`).
    registered_at: float = 0.0
    # None accepts any non-empty Bearer token.
    access_token: str | None = None
    app_secret: str | None = None
    webhook_url: str | None = None
    verify_token: str | None = None
    quality_rating: str = "GREEN"
    status: str = "CONNECTED"
    code_verification_status: str = "VERIFIED"
    name_status: str = "APPROVED"
    platform_type: str = "CLOUD_API"
    account_mode: str = "LIVE"
    throughput_level: ThroughputLevel = ThroughputLevel.STANDARD
    upgrading: bool = False
    # Account toggles: each makes every send fail synchronously with its code.
    spam_limited: bool = False  # 131048
    restricted: bool = False  # 368
    locked: bool = False  # 131031
    payment_issue: bool = False  # 131042

    def to_control(self, tier: MessagingTier) -> dict[str, Any]:
        return {
            "phone_number_id": self.phone_number_id,
            "waba_id": self.waba_id,
            "business_portfolio_id": self.business_portfolio_id,
            "display_phone_number": self.display_phone_number,
            "verified_name": self.verified_name,
            "webhook_url": self.webhook_url,
            "quality_rating": self.quality_rating,
            "status": self.status,
            "throughput_level": self.throughput_level.value,
            "tier": tier.value,
            "upgrading": self.upgrading,
            "spam_limited": self.spam_limited,
            "restricted": self.restricted,
            "locked": self.locked,
            "payment_issue": self.payment_issue,
        }


@dataclass
class Portfolio:
    portfolio_id: str
    tier: MessagingTier
    reach: RollingUniqueRecipients


@dataclass
class Template:
    template_id: str
    waba_id: str
    name: str
    language: str
    category: str
    status: str
    components: list[dict[str, Any]]
    parameter_format: str = "POSITIONAL"
    # Paced templates answer `held_for_quality_assessment`; held messages are then sent or
    # dropped with 132015 according to `held_outcome`.
    paced: bool = False
    held_outcome: str = "sent"

    def to_graph(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "parameter_format": self.parameter_format,
            "components": self.components,
            "language": self.language,
            "status": self.status,
            "category": self.category,
            "id": self.template_id,
        }

    def body_placeholders(self) -> dict[str, list[str]]:
        """Distinct placeholders per component (`header`, `body`, `button:<index>`)."""
        found: dict[str, list[str]] = {}
        for component in self.components:
            kind = str(component.get("type", "")).lower()
            if kind in ("header", "body"):
                text = component.get("text")
                if isinstance(text, str):
                    found[kind] = _distinct(PLACEHOLDER.findall(text))
            elif kind == "buttons":
                for index, button in enumerate(component.get("buttons") or []):
                    if isinstance(button, dict) and isinstance(button.get("url"), str):
                        names = _distinct(PLACEHOLDER.findall(button["url"]))
                        if names:
                            found[f"button:{index}"] = names
        return found

    def header_format(self) -> str | None:
        for component in self.components:
            if str(component.get("type", "")).lower() == "header":
                return str(component.get("format", "TEXT")).upper()
        return None

    def quick_replies(self) -> list[str]:
        titles: list[str] = []
        for component in self.components:
            if str(component.get("type", "")).lower() == "buttons":
                for button in component.get("buttons") or []:
                    if (
                        isinstance(button, dict)
                        and str(button.get("type")).upper() == "QUICK_REPLY"
                    ):
                        titles.append(str(button.get("text", "")))
        return titles


def _distinct(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))


@dataclass
class MediaItem:
    media_id: str
    phone_number_id: str
    mime_type: str
    data: bytes
    sha256_hex: str
    created_at: float
    expires_at: float
    filename: str | None = None


@dataclass
class MediaUrl:
    token: str
    media_id: str
    expires_at: float


@dataclass
class StatusRecord:
    status: str
    timestamp: int
    errors: list[dict[str, Any]] | None = None

    def to_dict(self) -> dict[str, Any]:
        record: dict[str, Any] = {"status": self.status, "timestamp": str(self.timestamp)}
        if self.errors:
            record["errors"] = self.errors
        return record


@dataclass
class OutboundMessage:
    wamid: str
    phone_number_id: str
    wa_id: str
    to: str
    type: str
    request: dict[str, Any]
    api_version: str
    accepted_at: float
    window_open: bool
    pricing_category: str
    # Whom the message reached, as its status webhooks name them (fixed when it is accepted).
    recipient: Identity
    # Sent by `recipient` (a BSUID) rather than `to`.
    by_user_id: bool = False
    template: Template | None = None
    message_status: str | None = None
    biz_opaque_callback_data: str | None = None
    priced: bool = False
    statuses: list[StatusRecord] = field(default_factory=list)

    @property
    def is_voice(self) -> bool:
        audio = self.request.get("audio")
        return self.type == "audio" and isinstance(audio, dict) and audio.get("voice") is True

    def has_status(self, status: str) -> bool:
        return any(record.status == status for record in self.statuses)

    def to_dict(self) -> dict[str, Any]:
        return {
            "wamid": self.wamid,
            "phone_number_id": self.phone_number_id,
            "to": self.to,
            "type": self.type,
            "request": self.request,
            "accepted_at": self.accepted_at,
            "message_status": self.message_status,
            "statuses": [record.to_dict() for record in self.statuses],
        }


@dataclass
class InboundMessage:
    wamid: str
    phone_number_id: str
    wa_id: str
    message: dict[str, Any]
    timestamp: float
    read_by_business_at: float | None = None
    typing_indicator_at: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "wamid": self.wamid,
            "phone_number_id": self.phone_number_id,
            "message": self.message,
            "timestamp": self.timestamp,
            "read_by_business_at": self.read_by_business_at,
            "typing_indicator_at": self.typing_indicator_at,
        }


@dataclass
class SimulatedUser:
    """A WhatsApp user the simulator knows, keyed by phone digits (`wa_id`) like every other
    per-user state. Their BSUIDs are derived from the phone (see `UserDirectory`)."""

    wa_id: str
    # How many users held this phone before: a recycled number gets new BSUIDs.
    epoch: int = 0
    # WhatsApp profile name, as the user last sent it.
    name: str | None = None
    username: str | None = None
    # False: a username user whose phone number webhooks do not show.
    phone_shared: bool = True


@dataclass
class RecipientScript:
    undeliverable: bool = False  # 131026 for every message
    # The user's marketing cap is reached: the next marketing template fails with 131049 and
    # starts a cooldown (`marketing_blocked_until`) that every resend inside it extends.
    marketing_capped: bool = False
    opted_out: bool = False  # 131050 for marketing templates
    experiment: bool = False  # 130472 for marketing templates
    marketing_blocked_until: float = 0.0
    status: StatusBehaviour | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "undeliverable": self.undeliverable,
            "marketing_capped": self.marketing_capped,
            "opted_out": self.opted_out,
            "experiment": self.experiment,
            "marketing_blocked_until": self.marketing_blocked_until,
            "status": self.status.model_dump() if self.status else None,
        }


@dataclass
class FaultRule:
    fault_id: str
    code: int
    mode: str  # "sync" or "async"
    remaining: int | None
    rate: float | None
    phone_number_id: str | None
    wa_id: str | None
    http_status: int | None
    details: str | None
    hits: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.fault_id,
            "code": self.code,
            "mode": self.mode,
            "remaining": self.remaining,
            "rate": self.rate,
            "phone_number_id": self.phone_number_id,
            "wa_id": self.wa_id,
            "http_status": self.http_status,
            "details": self.details,
            "hits": self.hits,
        }


@dataclass
class SimulatorState:
    numbers: dict[str, PhoneNumber] = field(default_factory=dict)
    portfolios: dict[str, Portfolio] = field(default_factory=dict)
    templates: dict[str, Template] = field(default_factory=dict)
    media: dict[str, MediaItem] = field(default_factory=dict)
    media_urls: dict[str, MediaUrl] = field(default_factory=dict)
    outbound: dict[str, OutboundMessage] = field(default_factory=dict)
    # Sends refused with a Graph error, by error code (e.g. how often 130429 was hit).
    refusals: dict[int, int] = field(default_factory=dict)
    inbound: dict[str, InboundMessage] = field(default_factory=dict)
    # (phone_number_id, wa_id) -> last inbound message or call.
    windows: dict[tuple[str, str], float] = field(default_factory=dict)
    throughput: dict[str, TokenBucket] = field(default_factory=dict)
    pair_buckets: dict[tuple[str, str], TokenBucket] = field(default_factory=dict)
    recipients: dict[str, RecipientScript] = field(default_factory=dict)
    faults: list[FaultRule] = field(default_factory=list)
    received: dict[str, list[OutboundMessage]] = field(default_factory=dict)
    users: dict[str, SimulatedUser] = field(default_factory=dict)
    # BSUID -> (portfolio id, or None for a parent BSUID; wa_id), filled as BSUIDs are derived.
    # An entry may be stale (the user changed number): check it against the user.
    bsuids: dict[str, tuple[str | None, str]] = field(default_factory=dict)
    # Phone -> how many users have left it (changed to another number).
    phone_epochs: dict[str, int] = field(default_factory=dict)
    sent_by_user: dict[str, list[InboundMessage]] = field(default_factory=dict)
    # Management events emitted with no callback configured, kept for assertions.
    undelivered_events: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=1000))

    def find_template(self, waba_id: str, name: str, language: str) -> Template | None:
        for template in self.templates.values():
            if (template.waba_id, template.name, template.language) == (waba_id, name, language):
                return template
        return None

    def templates_named(self, waba_id: str, name: str) -> list[Template]:
        return [t for t in self.templates.values() if (t.waba_id, t.name) == (waba_id, name)]

    def numbers_in_waba(self, waba_id: str) -> list[PhoneNumber]:
        return [number for number in self.numbers.values() if number.waba_id == waba_id]
