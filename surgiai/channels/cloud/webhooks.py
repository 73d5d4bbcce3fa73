"""Webhook endpoint helpers: the GET verification handshake and the POST signature check.

The endpoint itself lives with the lead's routes; these keep it free of Meta's details.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence

from surgiai.channels.cloud.signature import SIGNATURE_HEADER, verify_signature


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


def signature_header(headers: Mapping[str, str]) -> str | None:
    """`X-Hub-Signature-256`, whatever the case of the header name."""
    value = headers.get(SIGNATURE_HEADER)
    if value is not None:
        return value
    wanted = SIGNATURE_HEADER.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)


def verify_request(raw_body: bytes, headers: Mapping[str, str], secrets: Sequence[str]) -> bool:
    """True when the request's signature matches its exact raw body under any app secret."""
    return verify_signature(raw_body, signature_header(headers), secrets)
