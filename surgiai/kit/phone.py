"""Phone numbers as WhatsApp sees them: digits only, with the country code."""

from __future__ import annotations

import re

from surgiai.errors import BadRequest

_ALLOWED = re.compile(r"^\+?[\d\s\-().]+$")


def to_wa_id(number: str) -> str:
    """`+91 98765-43210` → `919876543210`; refuses what cannot be a phone number."""
    candidate = number.strip()
    digits = re.sub(r"\D", "", candidate)
    if not _ALLOWED.match(candidate) or not 8 <= len(digits) <= 15:
        raise BadRequest(
            f"{number!r} is not a phone number: use the country code and 8 to 15 digits."
        )
    return digits


VISIBLE_DIGITS = 4


def mask_number(number: str | None) -> str:
    """`+919812345678` → `+********5678`, for logs; formatting characters are dropped.

    Short inputs are masked completely, so an id or a typo never leaks whole.
    """
    digits = "".join(ch for ch in number or "" if ch.isdigit())
    if len(digits) <= VISIBLE_DIGITS:
        return "*" * len(digits)
    return "+" + "*" * (len(digits) - VISIBLE_DIGITS) + digits[-VISIBLE_DIGITS:]
