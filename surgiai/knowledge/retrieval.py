"""Retrieval for policy and free questions: BM25 (bm25s) over approved FAQs and document
passages, ranked by BM25 and accepted only when the best text covers most of what was asked
(idf-weighted): BM25 always ranks something first, and "what is the weather in Pune" must not
come back as the delivery policy because both say "Pune"."""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import bm25s  # type: ignore[import-untyped]
import numpy as np

from surgiai.knowledge.matching import normalise, word_set

# Function words and Hinglish fillers; words that carry the question ("price", "days",
# "credit") stay. "Facility" says nothing in Indian English ("COD facility", "credit facility").
STOPWORDS = word_set(
    """
    a an the of for to in on at by with from and or is are was be been it this that these those
    me my i we you your our us they them please pls plz kindly sir madam mam dr doctor doc hi
    hello hey ok okay thanks thank ji bhai what whats which how can could would will shall
    should do does did have has had get got give tell send share need want know about
    regarding detail details info information policy policies rule rules term terms there here
    facility facilities kya kyaa hai hain h ka ki ke ko se me mein main toh to bhi aur ya
    batao bataye btao hoga hogi ho hota hoti kare karein karu karna karte aaya aya aayi lagega
    lagegi lagta milega milegi milta mile sakte sakta sakti kaise kitne kitna kitni any some if
    so kiya kiye
    """
)
# Hinglish and English words of one meaning, folded to one term on both sides.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "delivery": ("deliver",),
    "delivered": ("deliver",),
    "deliveries": ("deliver",),
    "shipping": ("deliver",),
    "ship": ("deliver",),
    "shipped": ("deliver",),
    "shipment": ("deliver",),
    "courier": ("deliver",),
    "bhejte": ("deliver",),
    "bhejoge": ("deliver",),
    "bhej": ("deliver",),
    "dispatched": ("dispatch",),
    "cod": ("cash", "deliver"),
    "din": ("day",),
    "saal": ("year",),
    "wapas": ("return",),
    "wapis": ("return",),
    "vapas": ("return",),
    "bill": ("invoice",),
    "guarantee": ("warranty",),
    "payment": ("pay",),
    "paying": ("pay",),
    "kharab": ("damag",),
    "toota": ("damag",),
    "broken": ("damag",),
    "cancelled": ("cancel",),
    "cancellation": ("cancel",),
    "refunded": ("refund",),
}


def terms(text: str) -> list[str]:
    """The words of `text` that retrieval compares: no fillers, one form per word."""
    found: list[str] = []
    for word in re.findall(r"[a-z]+|\d+", normalise(text)):
        if word in STOPWORDS:
            continue
        found.extend(_stem(term) for term in SYNONYMS.get(word, (word,)))
    return found


@dataclass(frozen=True)
class Hit:
    index: int
    score: float
    # The idf-weighted share of the question's terms the text contains.
    coverage: float


class TermIndex:
    """BM25 over a fixed list of texts, built once."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.documents = [terms(text) for text in texts]
        self.term_sets = [frozenset(document) for document in self.documents]
        counts = Counter(term for document in self.term_sets for term in document)
        self.size = len(self.documents)
        self.idf = {term: math.log(1 + self.size / count) for term, count in counts.items()}
        # A term no text contains weighs as much as the rarest one: it is what the doctor
        # asked about and nothing here says it.
        self.unseen_idf = math.log(1 + self.size / 0.5) if self.size else 1.0
        self.bm25 = bm25s.BM25()
        if self.documents:
            self.bm25.index(self.documents, show_progress=False)

    def search(self, question: str, limit: int = 3) -> list[Hit]:
        asked = list(dict.fromkeys(terms(question)))
        if not asked or not self.documents:
            return []
        scores = np.asarray(self.bm25.get_scores(asked), dtype=float)
        ranked = np.argsort(-scores)[:limit]
        return [
            Hit(int(index), float(scores[index]), self.coverage(asked, int(index)))
            for index in ranked
            if scores[index] > 0
        ]

    def coverage(self, asked: list[str], index: int) -> float:
        weights = {term: self.idf.get(term, self.unseen_idf) for term in asked}
        total = sum(weights.values())
        found = sum(weight for term, weight in weights.items() if term in self.term_sets[index])
        return found / total if total else 0.0

    def term_weight(self, term: str) -> float:
        return self.idf.get(term, self.unseen_idf)


@functools.lru_cache(maxsize=65_536)
def _stem(word: str) -> str:
    """Plural and verb endings off, enough for "returns"/"return", "days"/"day"."""
    if word.isdigit() or len(word) <= 3:
        return word
    for suffix, replacement in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "es" and not re.search(r"(?:s|x|ch|sh)es$", word):
                continue
            if suffix == "s" and word.endswith("ss"):
                continue
            word = word[: -len(suffix)] + replacement
            break
    # "charge"/"charged", "damage"/"damaged" fold to one form.
    return word[:-1] if word.endswith("e") and len(word) > 4 else word
