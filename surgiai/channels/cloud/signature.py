"""`X-Hub-Signature-256`: HMAC-SHA256 of the exact raw body, keyed with the Meta app secret.

Meta signs the bytes it sends, which escape non-ASCII (`\\u00e9`). Hash the raw request body,
never JSON you parsed and serialised again.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

SIGNATURE_HEADER = "X-Hub-Signature-256"
PREFIX = "sha256="


def _digest(raw_body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()


def sign(raw_body: bytes, secret: str) -> str:
    """The header value Meta would send for `raw_body`: `sha256=<hex>`."""
    return PREFIX + _digest(raw_body, secret)


def verify_signature(raw_body: bytes, header: str | None, secrets: Sequence[str]) -> bool:
    """True when `header` is `sha256=<hex>` for `raw_body` under any of `secrets`.

    Fails closed: no header, another scheme (`sha1=`), a malformed value or no usable secret
    gives False. Every secret is compared in constant time, so timing shows neither how much of
    the digest matched nor which secret did.
    """
    if not header:
        return False
    header = header.strip()
    if header[: len(PREFIX)].lower() != PREFIX:
        return False
    provided = header[len(PREFIX) :].lower()
    if not provided.isascii():
        return False
    matched = False
    for secret in secrets:
        if secret:
            matched |= hmac.compare_digest(_digest(raw_body, secret), provided)
    return matched
