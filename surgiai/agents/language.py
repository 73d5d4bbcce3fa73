"""The words of a doctor's message as SurgiAI reads them: the intents a message can have, and
how text is folded into words (shared by the rules of `intents` and the model of
`classifier`)."""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum


class Intent(StrEnum):
    greeting = "greeting"
    # Products and prices: "price of 5mm trocar?", "do you have titanium clips".
    product_question = "product_question"
    # Placing, changing or tracking an order.
    order = "order"
    # CME courses, webinars, certificates, registration and dates.
    course = "course"
    # Discounts, deals, coupons.
    offer = "offer"
    # A wish for information that does not yet say about what: "I need some info", "send
    # details", "catalogue bhejo". Answered with a question, not handed to a person.
    info_request = "info_request"
    # Damaged or wrong items, late delivery, bad experience, refunds.
    complaint = "complaint"
    human_request = "human_request"
    opt_out = "opt_out"
    opt_in = "opt_in"
    # Set only by the Master Agent, when a registered admin phone sends text that parses as a
    # command (`surgiai.commands.grammar`); `classify` never returns it.
    admin_command = "admin_command"
    other = "other"


_APOSTROPHES = str.maketrans({"'": None, "\u2019": None, "\u2018": None, "`": None})
# Indic vowel signs and viramas are combining marks, which `\w` leaves out: without them
# "नमस्ते" would fall apart into fragments. The dandas (U+0964, U+0965) are punctuation.
_WORD = re.compile(r"(?:[^\W_]|[\u0900-\u0963\u0966-\u0d7f])+")
# "hiiii", "plsss": three or more of a letter become two, so elongations share features.
_ELONGATION = re.compile(r"([^\W\d_])\1{2,}")


def words(text: str) -> list[str]:
    """Lower-case words (letters and digits), apostrophes dropped ("don't" is "dont"), the rupee
    sign as "rs", emoji and punctuation ignored."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    folded = _ELONGATION.sub(r"\1\1", folded.replace("\u20b9", " rs "))
    return _WORD.findall(folded)
