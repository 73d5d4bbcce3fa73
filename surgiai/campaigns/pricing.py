"""What a campaign costs, estimated: Meta charges each template message by its category and the
recipient's country; free-form messages inside the doctor's 24 h window are counted as free.

The built-in rates are ESTIMATES in US dollars per message, meant as Meta's USD per-message rate
card for the WhatsApp Business Platform (early 2026), rounded. They are not traceable to a dated
copy of that card: the commit that added them (fd733c9) cites none, and when they were reviewed
(7 Dec 2026) Meta's card, a download from developers.facebook.com/documentation/business-
messaging/whatsapp/pricing, could not be retrieved, so no figure was changed. Known gaps, from
providers' notices rather than Meta's card: since 1 Oct 2026 Meta charges free-form (service)
messages too (counted free here) and utility templates inside the window (always charged here);
Bangladesh, Nepal and Sri Lanka have rates of their own (here, the "Rest of Asia Pacific"
figures); a country of one of Meta's regional groups without a line here (Australia, Kenya …)
costs the "other" rate, not its region's. Meta also bills some markets in local currency and
gives volume discounts on utility and authentication: the invoice is the truth, this is a
forecast. To use other rates, point `SURGIAI_CAMPAIGN_PRICES_FILE` at a JSON file shaped like
`PriceList` (`{"currency": "USD", "as_of": "...", "rates": {"IN": {"MARKETING": 0.0118, ...},
"other": {...}}}`): countries missing from it cost what "other" costs."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Annotated

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, NumberParseException
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from surgiai.campaigns.schemas import CostLine

MARKETING = "MARKETING"
UTILITY = "UTILITY"
AUTHENTICATION = "AUTHENTICATION"
# Free-form messages (and templates answered inside the window) that Meta does not charge.
SERVICE = "SERVICE"
CATEGORIES = (MARKETING, UTILITY, AUTHENTICATION)

OTHER = "other"
# A doctor who reached us by WhatsApp user id only: we do not know their country.
UNKNOWN = "unknown"

Rate = Annotated[float, Field(ge=0, le=10)]


class PriceList(BaseModel):
    model_config = ConfigDict(extra="forbid")

    currency: Annotated[str, Field(min_length=3, max_length=3)] = "USD"
    # Where the rates come from and when, for whoever reads the results.
    as_of: str = ""
    # ISO 3166 country (or "other") → category → price of one message.
    rates: dict[str, dict[str, Rate]]

    @field_validator("rates")
    @classmethod
    def _known_categories(cls, rates: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for country, by_category in rates.items():
            unknown = set(by_category) - set(CATEGORIES)
            if unknown:
                raise ValueError(f"{country}: unknown categories {sorted(unknown)}")
        if set(rates.get(OTHER, {})) != set(CATEGORIES):
            raise ValueError('needs an "other" rate for MARKETING, UTILITY and AUTHENTICATION')
        return {key if key == OTHER else key.upper(): value for key, value in rates.items()}

    def rate(self, category: str, country: str) -> float:
        """One message's price; free for a category Meta does not charge (SERVICE)."""
        if category not in CATEGORIES:
            return 0.0
        by_category = self.rates.get(country) or {}
        fallback = self.rates[OTHER]
        return by_category.get(category, fallback[category])


# Estimates, not checked against Meta's rate card: see the module's docstring for their basis.
DEFAULT_PRICES = PriceList(
    currency="USD",
    as_of="Approximate USD rates per message, not checked against Meta's current rate card: "
    "estimates (set SURGIAI_CAMPAIGN_PRICES_FILE to your own)",
    rates={
        "IN": {MARKETING: 0.0118, UTILITY: 0.0014, AUTHENTICATION: 0.0014},
        "AE": {MARKETING: 0.0384, UTILITY: 0.0157, AUTHENTICATION: 0.0178},
        "SA": {MARKETING: 0.0455, UTILITY: 0.0115, AUTHENTICATION: 0.0107},
        "GB": {MARKETING: 0.0529, UTILITY: 0.0220, AUTHENTICATION: 0.0358},
        # Meta's "North America" market.
        "US": {MARKETING: 0.0250, UTILITY: 0.0034, AUTHENTICATION: 0.0135},
        "CA": {MARKETING: 0.0250, UTILITY: 0.0034, AUTHENTICATION: 0.0135},
        "ID": {MARKETING: 0.0411, UTILITY: 0.0250, AUTHENTICATION: 0.0250},
        # Nepal, Bangladesh, Sri Lanka … are in Meta's "Rest of Asia Pacific".
        "NP": {MARKETING: 0.0732, UTILITY: 0.0113, AUTHENTICATION: 0.0797},
        "BD": {MARKETING: 0.0732, UTILITY: 0.0113, AUTHENTICATION: 0.0797},
        "LK": {MARKETING: 0.0732, UTILITY: 0.0113, AUTHENTICATION: 0.0797},
        # Meta's "Other" market: every country without a rate of its own.
        OTHER: {MARKETING: 0.0604, UTILITY: 0.0077, AUTHENTICATION: 0.0424},
    },
)


class PriceFileError(ValueError):
    """The prices file cannot be used, with the reason."""


def load_price_file(path: Path) -> PriceList:
    """The price list in a JSON file; PriceFileError, with the reason on one line, if unusable."""
    try:
        return PriceList.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
            for problem in error.errors()
        )
        raise PriceFileError(f"{path}: {problems}") from error
    except (OSError, ValueError) as error:
        raise PriceFileError(f"{path}: {error}") from error


def price_list(prices_file: Path | None) -> PriceList:
    """The rates in use: the file's (`SURGIAI_CAMPAIGN_PRICES_FILE`), else the built-in ones."""
    return _cached_file(prices_file) if prices_file else DEFAULT_PRICES


@lru_cache(maxsize=4)
def _cached_file(path: Path) -> PriceList:
    return load_price_file(path)


def category_of(message_type: str, template_category: str | None) -> str:
    """What Meta charges a campaign message as. A template whose category we never learnt is
    counted as marketing, the dearest, so the estimate errs high rather than low."""
    if message_type != "template":
        return SERVICE
    category = (template_category or MARKETING).upper()
    return category if category in CATEGORIES else MARKETING


# --- Countries ------------------------------------------------------------------------------
# Calling codes never prefix one another (ITU E.164), so a wa_id's first three digits fix its
# code: results group doctors by those digits in SQL, and only numbers whose code several
# countries share (+1, +7, +44 …) are parsed one by one.

PREFIX_LENGTH = 3


@lru_cache(maxsize=1024)
def country_of_prefix(prefix: str) -> str | None:
    """The country of every number starting with these digits, or None when the calling code
    belongs to several countries (the number decides); "other" for no country at all."""
    for length in range(1, min(PREFIX_LENGTH, len(prefix)) + 1):
        regions = COUNTRY_CODE_TO_REGION_CODE.get(int(prefix[:length]))
        if regions is None:
            continue
        if len(regions) > 1:
            return None
        return regions[0] if regions[0] != "001" else OTHER
    return OTHER


def country_of(wa_id: str | None) -> str:
    """The country of a wa_id ("IN" for 919876543210); "unknown" for a doctor known only by
    their WhatsApp user id."""
    if not wa_id:
        return UNKNOWN
    country = country_of_prefix(wa_id[:PREFIX_LENGTH])
    if country is not None:
        return country
    try:
        number = phonenumbers.parse(f"+{wa_id}")
    except NumberParseException:
        return OTHER
    # A number no country's plan knows yet is counted in its calling code's main country.
    known = phonenumbers.region_code_for_number(number)
    region = known or phonenumbers.region_code_for_country_code(number.country_code or 0)
    return region if region and region not in ("001", "ZZ") else OTHER


def cost_lines(
    prices: PriceList, counted: Iterable[tuple[str, str, int]]
) -> tuple[list[CostLine], float]:
    """(category, country, messages) → one line per category and country, dearest first, and
    the total."""
    merged: dict[tuple[str, str], int] = {}
    for category, country, messages in counted:
        merged[(category, country)] = merged.get((category, country), 0) + messages
    lines = [
        CostLine(
            category=category,
            country=country,
            messages=messages,
            amount=round(messages * prices.rate(category, country), 4),
        )
        for (category, country), messages in merged.items()
    ]
    lines.sort(key=lambda line: (-line.amount, line.category, line.country))
    return lines, round(sum(line.amount for line in lines), 4)
