"""Meta's webhooks: the subscription handshake, the signature and the envelope.

The endpoints themselves are SurgiAI's (`surgiai.external_events`); these keep Meta's details
in this package.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

import orjson

from surgiai.channels.base import UnreadableWebhook, WebhookAccounts
from surgiai.channels.cloud.payloads import WEBHOOK_OBJECT
from surgiai.channels.cloud.signature import (
    SIGNATURE_HEADER,
    signing_secrets,
    verify_signature,
)
from surgiai.channels.cloud.signature import well_formed as signature_well_formed
from surgiai.kit.jsondepth import nesting_depth

__all__ = [
    "MAX_NESTING",
    "SIGNATURE_HEADER",
    "accounts_named",
    "check_envelope",
    "decode",
    "only_statuses",
    "signature_well_formed",
    "signing_secrets",
    "subscription_challenge",
    "verify_signature",
]

# The deepest real payloads nest 12 levels (object → entry[] → entry → changes[] → change →
# value → messages[] → message → contacts[] → contact → phones[] → phone; receipts with
# `errors[].error_data` reach 11: tests/channels/cloud/fixtures, CLOUD_API.md §3.3 to §3.5, the
# simulator's envelopes). 32 leaves Meta room for new nested fields while refusing what only an
# attacker (or a fuzzer) sends before any parser recurses into it.
MAX_NESTING = 32


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


def check_envelope(raw_body: bytes) -> WebhookAccounts:
    """Refuse a (signed) body that is not a WhatsApp Business Account webhook; name whom one
    that is speaks for."""
    payload = decode(raw_body)
    if payload.get("object") != WEBHOOK_OBJECT:
        raise UnreadableWebhook(f'Not a WhatsApp webhook: "object" must be "{WEBHOOK_OBJECT}".')
    return accounts_named(payload)


def decode(raw_body: bytes) -> dict[str, Any]:
    """The JSON object of a body, checked for depth before it is parsed (`MAX_NESTING`)."""
    # Fewer brackets than the limit cannot nest deeper: most deliveries are never scanned.
    brackets = raw_body.count(b"[") + raw_body.count(b"{")
    if brackets > MAX_NESTING and (depth := nesting_depth(raw_body)) > MAX_NESTING:
        raise UnreadableWebhook(
            f"The body nests {depth} levels deep; WhatsApp webhooks nest at most {MAX_NESTING}."
        )
    try:
        payload = orjson.loads(raw_body)
    except orjson.JSONDecodeError as error:
        raise UnreadableWebhook(f"The body is not valid JSON: {error}") from None
    if not isinstance(payload, dict):
        raise UnreadableWebhook("Not a WhatsApp webhook: the body is not a JSON object.")
    return payload


def accounts_named(payload: Mapping[str, Any]) -> WebhookAccounts:
    """Each change's `value.metadata.phone_number_id`; for a change without one, its entry's
    `id` (the WABA). Shapes that are not Meta's name nobody ("")."""
    sender_ids: set[str] = set()
    account_ids: set[str] = set()
    for entry in _items(payload.get("entry")):
        changes = _items(entry.get("changes"))
        if not changes:
            account_ids.add("")
        for change in changes:
            value = change.get("value")
            metadata = value.get("metadata") if isinstance(value, dict) else None
            sender = metadata.get("phone_number_id") if isinstance(metadata, dict) else None
            if isinstance(sender, str) and sender:
                sender_ids.add(sender)
            else:
                account = entry.get("id")
                account_ids.add(account if isinstance(account, str) else "")
    return WebhookAccounts(frozenset(sender_ids), frozenset(account_ids))


def _items(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


def only_statuses(body: bytes) -> bool:
    """A delivery that carries delivery receipts and nothing else. A key is looked for as JSON
    writes it (`"statuses":`): inside a doctor's text a quote is escaped (`\\"`), so text can
    never pass for one."""
    return b'"statuses":' in body and b'"messages":' not in body
