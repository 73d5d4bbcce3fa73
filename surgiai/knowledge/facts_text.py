"""Facts compared as text: "₹2450", "Rs. 2,450" and "2,450" are one fact, and a fact is found
in a text only as whole words ("2450" is not in "12450")."""

from __future__ import annotations

import re

_DIGIT_GROUP_SEPARATOR = re.compile(r"(?<=\d)[,\u00a0\u202f](?=\d)")
_ZERO_DECIMALS = re.compile(r"(?<=\d)\.0+(?!\d)")
_LETTER_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")
_NOT_WORD = re.compile(r"[\W_]+")
# Currency words carry no fact: the amount does.
_CURRENCY_WORDS = frozenset({"rs", "inr", "rupee", "rupees"})


def normalise_fact(text: str) -> str:
    """Lower-case words of letters and digits, one space apart: digit groups joined ("2,450"
    → "2450"), zero decimals dropped ("2450.00" → "2450"), letters and digits apart ("5mm" →
    "5 mm", "TR0500" and "TR-0500" → "tr 0500"), currency signs and words left out."""
    text = _DIGIT_GROUP_SEPARATOR.sub("", text.lower())
    text = _ZERO_DECIMALS.sub("", text)
    text = _LETTER_DIGIT.sub(" ", text)
    words = _NOT_WORD.sub(" ", text).split()
    return " ".join(word for word in words if word not in _CURRENCY_WORDS)


def contains_fact(haystack_normalised: str, fact: str) -> bool:
    """Whether `fact` is in a text already passed through `normalise_fact`, as whole words."""
    needle = normalise_fact(fact)
    if not needle:
        return True
    return f" {needle} " in f" {haystack_normalised} "
