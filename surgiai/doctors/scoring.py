"""The lead score: an explainable 0-100 figure from what a doctor did, with its breakdown.

Pure (no database): the Lead Scoring agent feeds it the doctor's activity from the agent
context, the lead service the stored breakdown when an event (a read, a day of silence) moves
it. Each factor is capped, so the breakdown reads as "how much of this we have seen":

- recency (≤ 25): the doctor's last message, halving every 14 days of silence;
- frequency (≤ 15): their messages in the last 30 days;
- intent (≤ 45): the strongest buying signal of their recent messages (an order, a price or a
  quote, a course registration, availability, a product or course question), each signal
  fading with its age like recency;
- engagement (≤ 10): our messages they read and campaigns they answered in the last 30 days;
- purchases (≤ 10): orders and course registrations;
- opted_out (-20): they stopped our marketing.

Hot from 70, warm from 40, cold below.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

HALF_LIFE = timedelta(days=14)
WINDOW = timedelta(days=30)
HOT = 70
WARM = 40

RECENCY_POINTS = 25
FREQUENCY_POINTS = 15
FREQUENCY_PER_MESSAGE = 3
INTENT_POINTS = 45
ENGAGEMENT_POINTS = 10
ENGAGEMENT_PER_READ = 1
ENGAGEMENT_PER_CAMPAIGN_REPLY = 5
PURCHASE_POINTS = 10
OPT_OUT_POINTS = -20
# The factors that fade with silence; purchases and an opt-out stay until they change.
FADING = ("recency", "frequency", "intent", "engagement")


class Band(StrEnum):
    hot = "hot"
    warm = "warm"
    cold = "cold"


class Signal(StrEnum):
    """What a message says about buying, strongest first."""

    order = "order"
    price = "price"
    registration = "registration"
    availability = "availability"
    product = "product"
    course = "course"
    offer = "offer"
    info = "info"


SIGNAL_POINTS: Mapping[Signal, int] = {
    Signal.order: 45,
    Signal.price: 30,
    Signal.registration: 30,
    Signal.availability: 22,
    Signal.product: 15,
    Signal.course: 15,
    Signal.offer: 15,
    Signal.info: 8,
}
# Signals that make a lead qualified (they asked what it costs or to buy it).
QUALIFYING = frozenset({Signal.order, Signal.price, Signal.registration})


def _vocabulary(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words of `surgiai.agents.language.words` (lower case, apostrophes dropped, ₹ as "rs"), in
# English and Hinglish, for the signals a model-free reading can be sure of.
_SIGNAL_WORDS: tuple[tuple[Signal, frozenset[str]], ...] = (
    (
        Signal.order,
        _vocabulary(
            "order orders ordered ordering buy buying purchase purchasing dispatch invoice "
            "kharidna khareedna"
        ),
    ),
    (
        Signal.price,
        _vocabulary(
            "price prices pricing rate rates cost costs mrp quote quotation quotations daam "
            "keemat kimat kitna kitne rs"
        ),
    ),
    (
        Signal.registration,
        _vocabulary("register registration enrol enroll enrolment enrollment fee fees"),
    ),
    (
        Signal.availability,
        _vocabulary("available availability stock milega milegi chahiye"),
    ),
)


def signals_in(words: Iterable[str]) -> frozenset[Signal]:
    """The buying signals in a message's words (see `surgiai.agents.language.words`)."""
    present = set(words)
    return frozenset(signal for signal, vocabulary in _SIGNAL_WORDS if present & vocabulary)


@dataclass(frozen=True)
class Expressed:
    """A buying signal and when the doctor expressed it."""

    signal: Signal
    at: datetime


@dataclass(frozen=True)
class Activity:
    """What a doctor did, as of `now`."""

    now: datetime
    last_inbound_at: datetime | None
    # Their messages in the last 30 days (WINDOW).
    inbound_recent: int
    signals: tuple[Expressed, ...] = ()
    # Our messages they read in the last 30 days.
    reads_recent: int = 0
    # Campaign messages they answered in the last 30 days.
    campaign_replies: int = 0
    # Orders and course registrations: fed by the orders and courses domains; until a doctor
    # has one, this factor is 0.
    purchases: int = 0
    opted_out: bool = False


@dataclass(frozen=True)
class Score:
    points: int
    # {factor: points}; their sum is `points` before clamping to 0-100.
    reasons: dict[str, int]

    @property
    def band(self) -> Band:
        return band_of(self.points)


def band_of(points: int) -> Band:
    if points >= HOT:
        return Band.hot
    if points >= WARM:
        return Band.warm
    return Band.cold


def fade(elapsed: timedelta) -> float:
    """The share of a factor left after `elapsed` of silence (1.0 now, 0.5 after HALF_LIFE)."""
    if elapsed <= timedelta(0):
        return 1.0
    return math.pow(0.5, elapsed / HALF_LIFE)


def score(activity: Activity) -> Score:
    now = activity.now
    recency = 0
    if activity.last_inbound_at is not None:
        recency = round(RECENCY_POINTS * fade(now - activity.last_inbound_at))
    frequency = min(FREQUENCY_POINTS, FREQUENCY_PER_MESSAGE * activity.inbound_recent)
    intent = 0
    for expressed in activity.signals:
        if now - expressed.at <= WINDOW:
            points = round(SIGNAL_POINTS[expressed.signal] * fade(now - expressed.at))
            intent = max(intent, points)
    engagement = min(
        ENGAGEMENT_POINTS,
        ENGAGEMENT_PER_READ * activity.reads_recent
        + ENGAGEMENT_PER_CAMPAIGN_REPLY * activity.campaign_replies,
    )
    reasons = {
        "recency": recency,
        "frequency": frequency,
        "intent": intent,
        "engagement": engagement,
        "purchases": min(PURCHASE_POINTS, PURCHASE_POINTS * activity.purchases),
    }
    if activity.opted_out:
        reasons["opted_out"] = OPT_OUT_POINTS
    return Score(_clamp(sum(reasons.values())), reasons)


def rescore(
    reasons: Mapping[str, int],
    *,
    faded_by: timedelta = timedelta(0),
    set_to: Mapping[str, int | None] | None = None,
) -> Score:
    """A stored breakdown moved on between the doctor's messages: its fading factors faded by
    `faded_by` of silence, then the factors in `set_to` set (capped like `score`; None
    removes one). For events the agent does not see: a read receipt, a day of silence."""
    share = fade(faded_by)
    updated = {
        factor: round(points * share) if factor in FADING else int(points)
        for factor, points in reasons.items()
    }
    for factor, value in (set_to or {}).items():
        if value is None:
            updated.pop(factor, None)
        else:
            updated[factor] = min(_CAPS.get(factor, value), value)
    return Score(_clamp(sum(updated.values())), updated)


_CAPS = {
    "recency": RECENCY_POINTS,
    "frequency": FREQUENCY_POINTS,
    "intent": INTENT_POINTS,
    "engagement": ENGAGEMENT_POINTS,
    "purchases": PURCHASE_POINTS,
}


def strongest(signals: Iterable[Expressed]) -> Signal | None:
    kinds = {expressed.signal for expressed in signals}
    return next((signal for signal in Signal if signal in kinds), None)


def _clamp(points: int) -> int:
    return max(0, min(100, points))
