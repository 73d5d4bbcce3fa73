"""Phone numbers as WhatsApp sees them: digits only, with the country code."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

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
    # "+91 98765 43210": as people read it
    international: str = field(default="", compare=False)
    # "IN": the country the number belongs to
    region: str = field(default="", compare=False)


class NotAMobileNumber(ValueError):
    """The reason, in words a person can act on."""


_MOBILE_TYPES = frozenset(
    {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE, PhoneNumberType.UNKNOWN}
)


def parse_phone(text: str, default_region: str = "IN", *, mobile_only: bool = True) -> ParsedPhone:
    """A phone number as people type it ("098765 43210", "+91-98765-43210", "0091 98765
    43210", "9876543210" with the default region `IN`) as E.164 and wa_id. Refuses, with the
    reason, what is no possible number (too short or long, letters) rather than guess; with
    `mobile_only`, a landline too (a WhatsApp Business number may be one)."""
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
    if mobile_only and phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise NotAMobileNumber(f"{raw!r} is a landline, not a mobile number")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return ParsedPhone(
        e164=e164,
        wa_id=e164.lstrip("+"),
        international=phonenumbers.format_number(
            number, phonenumbers.PhoneNumberFormat.INTERNATIONAL
        ),
        region=phonenumbers.region_code_for_number(number) or default_region.upper(),
    )


def parse_mobile(text: str, default_region: str = "IN") -> ParsedPhone:
    """`parse_phone` for the numbers doctors and users message from: mobiles only."""
    return parse_phone(text, default_region, mobile_only=True)


def region_is_known(region: str) -> bool:
    """Whether `region` (ISO 3166 code) has a telephone numbering plan phonenumbers knows."""
    return region.upper() in phonenumbers.SUPPORTED_REGIONS
