"""`X-Hub-Signature-256`: HMAC-SHA256 of the exact raw body, keyed with the Meta app secret.

Meta signs the bytes it sends, which escape non-ASCII (`\\u00e9`). Hash the raw request body,
never JSON you parsed and serialised again.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence

SIGNATURE_HEADER = "X-Hub-Signature-256"
PREFIX = "sha256="
_DIGEST = re.compile(r"[0-9a-f]{64}")


def _digest(raw_body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()


def sign(raw_body: bytes, secret: str) -> str:
    """The header value Meta would send for `raw_body`: `sha256=<hex>`."""
    return PREFIX + _digest(raw_body, secret)


def well_formed(header: str | None) -> bool:
    """Whether `header` is `sha256=` and 64 hexadecimal digits (any case, spaces around)."""
    return _provided_digest(header) is not None


def verify_signature(raw_body: bytes, header: str | None, secrets: Sequence[str]) -> bool:
    """True when `header` is `sha256=<hex>` for `raw_body` under any of `secrets`.

    Fails closed: no header, another scheme (`sha1=`), a malformed value or no usable secret
    gives False. Every secret is compared in constant time, so timing shows neither how much of
    the digest matched nor which secret did.
    """
    return bool(signing_secrets(raw_body, header, secrets))


def signing_secrets(raw_body: bytes, header: str | None, secrets: Sequence[str]) -> list[str]:
    """Those of `secrets` under which `header` signs `raw_body` (see `verify_signature`).
    Every secret is compared, whichever matched."""
    provided = _provided_digest(header)
    if provided is None:
        return []
    matched: list[str] = []
    for secret in secrets:
        if secret and hmac.compare_digest(_digest(raw_body, secret), provided):
            matched.append(secret)
    return matched


def _provided_digest(header: str | None) -> str | None:
    if not header:
        return None
    header = header.strip()
    if header[: len(PREFIX)].lower() != PREFIX:
        return None
    provided = header[len(PREFIX) :].lower()
    return provided if _DIGEST.fullmatch(provided) else None
