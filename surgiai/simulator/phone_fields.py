"""`GET /{phone-number-id}?fields=…`: the fields of Meta's `WhatsAppBusinessPhoneNumber` node,
read from a simulated number (CLOUD_API.md §6). A field the node does not have is Meta's
"nonexisting field" error, as is `messaging_limit_tier` from v24.0 on."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any

from surgiai.simulator.config import LEGACY_TIER_NAMES, MessagingTier, ThroughputLevel
from surgiai.simulator.errors import GraphError
from surgiai.simulator.identity import country_of, dialling_prefix
from surgiai.simulator.ids import digits_only
from surgiai.simulator.state import PhoneNumber

DEFAULT_FIELDS = (
    "verified_name",
    "code_verification_status",
    "display_phone_number",
    "quality_rating",
    "platform_type",
    "throughput",
    "webhook_configuration",
)
# Meta's description of error 141006, as `health_status` reports it on a blocked WABA.
PAYMENT_ERROR = {
    "error_code": 141006,
    "error_description": "There is an error with the payment method. This will block business "
    "initiated conversations.",
    "possible_solution": "There was an error with your payment method. Please add a new payment "
    "method to the account.",
}

Reader = Callable[[PhoneNumber, MessagingTier], Any]


def _throughput(number: PhoneNumber, _: MessagingTier) -> dict[str, str]:
    # Meta documents STANDARD and HIGH; coexistence numbers report STANDARD.
    level = "HIGH" if number.throughput_level is ThroughputLevel.HIGH else "STANDARD"
    return {"level": level}


def _health_status(number: PhoneNumber, _: MessagingTier) -> dict[str, Any]:
    number_blocked = number.status != "CONNECTED" or number.restricted or number.locked
    phone = {
        "entity_type": "PHONE_NUMBER",
        "id": number.phone_number_id,
        "can_send_message": "BLOCKED" if number_blocked else "AVAILABLE",
    }
    waba: dict[str, Any] = {
        "entity_type": "WABA",
        "id": number.waba_id,
        "can_send_message": "BLOCKED" if number.payment_issue else "AVAILABLE",
    }
    if number.payment_issue:
        waba["errors"] = [PAYMENT_ERROR]
    business = {
        "entity_type": "BUSINESS",
        "id": number.business_portfolio_id,
        "can_send_message": "AVAILABLE",
    }
    blocked = number_blocked or number.payment_issue
    return {
        "can_send_message": "BLOCKED" if blocked else "AVAILABLE",
        "entities": [phone, waba, business],
    }


def _certificate(number: PhoneNumber, _: MessagingTier) -> str:
    """Meta's display-name certificate is an opaque base64 blob; this one names the number."""
    blob = f"{number.phone_number_id}:{number.verified_name}".encode()
    return base64.b64encode(blob).decode("ascii")


def _country_code(number: PhoneNumber, _: MessagingTier) -> str:
    return country_of(digits_only(number.display_phone_number))


def _country_dial_code(number: PhoneNumber, _: MessagingTier) -> str:
    digits = digits_only(number.display_phone_number)
    return dialling_prefix(digits) or digits[:2]


def _last_onboarded_time(number: PhoneNumber, _: MessagingTier) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(number.registered_at))


READERS: dict[str, Reader] = {
    "account_mode": lambda number, _: number.account_mode,
    "certificate": _certificate,
    "code_verification_status": lambda number, _: number.code_verification_status,
    "conversational_automation": lambda number, _: {
        "enable_welcome_message": False,
        "prompts": [],
        "commands": [],
    },
    "country_code": _country_code,
    "country_dial_code": _country_dial_code,
    "display_phone_number": lambda number, _: number.display_phone_number,
    "eligibility_for_api_business_global_search": lambda number, _: "ELIGIBLE",
    "health_status": _health_status,
    "is_official_business_account": lambda number, _: False,
    "is_on_biz_app": lambda number, _: number.throughput_level is ThroughputLevel.COEXISTENCE,
    "is_pin_enabled": lambda number, _: False,
    "is_preverified_number": lambda number, _: False,
    "last_onboarded_time": _last_onboarded_time,
    "messaging_limit_tier": lambda number, tier: LEGACY_TIER_NAMES[tier],
    "name_status": lambda number, _: number.name_status,
    "new_name_status": lambda number, _: "NONE",
    "platform_type": lambda number, _: number.platform_type,
    "quality_rating": lambda number, _: number.quality_rating,
    "quality_score": lambda number, _: {"score": number.quality_rating},
    "search_visibility": lambda number, _: "VISIBLE",
    "status": lambda number, _: number.status,
    "throughput": _throughput,
    "verified_name": lambda number, _: number.verified_name,
    "webhook_configuration": lambda number, _: (
        {"application": number.webhook_url} if number.webhook_url else {}
    ),
    "whatsapp_business_manager_messaging_limit": lambda number, tier: tier.value,
}


def read_fields(
    number: PhoneNumber, fields: list[str] | None, tier: MessagingTier, api_major: int
) -> dict[str, Any]:
    """The requested fields (or Meta's defaults) in the order asked, then `id`."""
    result: dict[str, Any] = {}
    for name in fields or DEFAULT_FIELDS:
        if name == "id":
            continue
        reader = READERS.get(name)
        if reader is None or (name == "messaging_limit_tier" and api_major >= 24):
            raise GraphError(
                100,
                f"Tried accessing nonexisting field ({name}) on node type "
                "(WhatsAppBusinessPhoneNumber)",
            )
        result[name] = reader(number, tier)
    result["id"] = number.phone_number_id
    return result
