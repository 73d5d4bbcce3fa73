"""Phone numbers as WhatsApp sees them: digits only, with the country code."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

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


@dataclass(frozen=True)
class ParsedPhone:
    # "+919876543210"
    e164: str
    # "919876543210": the digits WhatsApp calls the wa_id
    wa_id: str


class NotAMobileNumber(ValueError):
    """The reason, in words a person can act on."""


_MOBILE_TYPES = frozenset(
    {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE, PhoneNumberType.UNKNOWN}
)


def parse_mobile(text: str, default_region: str = "IN") -> ParsedPhone:
    """A phone number as people type it ("098765 43210", "+91-98765-43210", "0091 98765
    43210", "9876543210" with the default region `IN`) as E.164 and wa_id. Refuses, with the
    reason, what is no possible mobile number (too short or long, letters, a landline) rather
    than guess."""
    raw = " ".join(text.split())
    if not raw:
        raise NotAMobileNumber("no number")
    if re.search(r"[A-Za-z]", raw):
        raise NotAMobileNumber(f"{raw!r} has letters in it")
    candidate = "+" + raw[2:].lstrip() if raw.startswith("00") else raw
    try:
        number = phonenumbers.parse(candidate, default_region.upper())
    except NumberParseException as error:
        raise NotAMobileNumber(f"{raw!r} is not a phone number") from error
    if not phonenumbers.is_possible_number(number):
        raise NotAMobileNumber(f"{raw!r} has too few or too many digits for its country")
    if not phonenumbers.is_valid_number(number):
        raise NotAMobileNumber(f"{raw!r} is not a valid number for its country")
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise NotAMobileNumber(f"{raw!r} is a landline, not a mobile number")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return ParsedPhone(e164=e164, wa_id=e164.lstrip("+"))
