"""Meta's webhooks: the subscription handshake, the signature and the envelope.

The endpoints themselves are SurgiAI's (`surgiai.external_events`); these keep Meta's details
in this package.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

import orjson

from surgiai.channels.base import UnreadableWebhook
from surgiai.channels.cloud.payloads import WEBHOOK_OBJECT
from surgiai.channels.cloud.signature import SIGNATURE_HEADER, verify_signature

__all__ = [
    "SIGNATURE_HEADER",
    "check_envelope",
    "only_statuses",
    "subscription_challenge",
    "verify_signature",
]


def subscription_challenge(params: Mapping[str, str], verify_token: str) -> str | None:
    """The `hub.challenge` to answer with (HTTP 200, raw body) when Meta's verification request
    carries `hub.mode=subscribe` and our verify token; None means answer 403."""
    mode = params.get("hub.mode")
    token = params.get("hub.verify_token") or ""
    challenge = params.get("hub.challenge")
    if mode != "subscribe" or challenge is None or not verify_token:
        return None
    if not hmac.compare_digest(token.encode(), verify_token.encode()):
        return None
    return challenge


def check_envelope(raw_body: bytes) -> None:
    """Refuse a (signed) body that is not a WhatsApp Business Account webhook."""
    try:
        payload = orjson.loads(raw_body)
    except orjson.JSONDecodeError as error:
        raise UnreadableWebhook(f"The body is not valid JSON: {error}") from None
    if not isinstance(payload, dict) or payload.get("object") != WEBHOOK_OBJECT:
        raise UnreadableWebhook(f'Not a WhatsApp webhook: "object" must be "{WEBHOOK_OBJECT}".')


def only_statuses(body: bytes) -> bool:
    """A delivery that carries delivery receipts and nothing else. A key is looked for as JSON
    writes it (`"statuses":`): inside a doctor's text a quote is escaped (`\\"`), so text can
    never pass for one."""
    return b'"statuses":' in body and b'"messages":' not in body
