"""The statistical half of intent classification (`surgiai.agents.intents.classify` runs the
rules first): a multinomial naive Bayes model over word unigrams, word bigrams and character
3-5-grams (the character grams carry the typos and Hinglish spellings that whole words miss),
trained at first use from `data/intents.jsonl`. Training is counting, so it is deterministic
and takes tens of milliseconds; the AI learning engine retrains with `IntentModel.train` and
stores models with `to_json`.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Iterable, Mapping
from importlib import resources
from itertools import pairwise

from surgiai.agents.language import Intent, words

# The model never predicts `admin_command`: it depends on who sends the text, not on the text.
MODEL_INTENTS: tuple[Intent, ...] = tuple(
    intent for intent in Intent if intent is not Intent.admin_command
)

# Bumped whenever `features` or the feature weights change, so a stored model counted on other
# features is refused rather than silently mis-scoring.
FEATURE_VERSION = 1

# A message counts each distinct feature once (presence, not counts: short messages rarely
# repeat a word meaningfully). Character grams are many per word, so each weighs less than a
# word; otherwise they would drown the unigrams and bigrams.
WORD_WEIGHT = 1.0
BIGRAM_WEIGHT = 1.0
CHAR_WEIGHT = 0.5
CHAR_GRAM_SIZES = (3, 4, 5)
# Features are named by kind: "w" + word, "b" + "first second", "c" + character gram.
_WEIGHTS = {"w": WORD_WEIGHT, "b": BIGRAM_WEIGHT, "c": CHAR_WEIGHT}

# Laplace (add-alpha) smoothing of the feature counts per intent.
SMOOTHING = 0.1
# Naive Bayes adds one log-likelihood per feature, so its raw probabilities are all but 0 or 1
# for any message of a few words, which would make the confidence threshold meaningless. The
# sum is divided by the message's known feature weight plus EVIDENCE_DAMPING and multiplied by
# SHARPNESS instead: a paragraph is not more certain than a sentence, and a message of which
# the model knows only a couple of character grams ("thx") stays unsure. Both fitted by
# cross-validated log loss on the training data.
SHARPNESS = 6.0
EVIDENCE_DAMPING = 10.0

_DATA_FILE = "intents.jsonl"

# --- Features ---------------------------------------------------------------------------------

_DIGITS = re.compile(r"\d+")


def features(text: str) -> dict[str, float]:
    """The model's features for `text`, each with its weight. Digits become 0 so that "5mm"
    and "10mm", "qty 2" and "qty 20" look alike."""
    tokens = [_DIGITS.sub("0", word) for word in words(text)]
    padded = f" {' '.join(tokens)} "
    # List comprehensions, not generators: this runs for every message and is twice as fast.
    weighted = dict.fromkeys(
        [
            "c" + padded[start : start + size]
            for size in CHAR_GRAM_SIZES
            for start in range(len(padded) - size + 1)
        ],
        CHAR_WEIGHT,
    )
    weighted.update(dict.fromkeys(["w" + token for token in tokens], WORD_WEIGHT))
    weighted.update(
        dict.fromkeys([f"b{first} {second}" for first, second in pairwise(tokens)], BIGRAM_WEIGHT)
    )
    return weighted


# --- Model ---------------------------------------------------------------------------------------


class IntentModel:
    """Multinomial naive Bayes over `features`, with add-alpha smoothing.

    The model keeps its raw weighted counts (what `to_json` stores) and derives a scoring
    table from them: for each feature, its weighted log-likelihood under every intent followed
    by the feature's weight, so that scoring a message is one dictionary lookup per feature and
    one sum per column, the last column adding up the weight the model knew. Features never
    seen in training are ignored.
    """

    def __init__(
        self,
        documents: Mapping[Intent, int],
        counts: Mapping[Intent, Mapping[str, float]],
    ) -> None:
        intents = tuple(intent for intent in MODEL_INTENTS if documents.get(intent, 0) > 0)
        if not intents:
            raise ValueError("an intent model needs at least one training example")
        self._intents = intents
        self._documents = {intent: documents[intent] for intent in intents}
        self._counts = {intent: dict(counts.get(intent, {})) for intent in intents}
        vocabulary = {feature for table in self._counts.values() for feature in table}
        total_documents = sum(self._documents.values())
        self._log_priors = [
            math.log(self._documents[intent] / total_documents) for intent in intents
        ]
        log_denominators = [
            math.log(math.fsum(self._counts[intent].values()) + SMOOTHING * len(vocabulary))
            for intent in intents
        ]
        # Most features occur under one or two intents: start every row from the smoothed
        # value of an unseen feature and overwrite only the intents that saw it.
        unseen = {
            kind: [
                *(
                    weight * (math.log(SMOOTHING) - log_denominator)
                    for log_denominator in log_denominators
                ),
                weight,
            ]
            for kind, weight in _WEIGHTS.items()
        }
        self._table: dict[str, list[float]] = {}
        for index, intent in enumerate(intents):
            for feature, count in self._counts[intent].items():
                row = self._table.get(feature)
                if row is None:
                    row = self._table[feature] = unseen[feature[0]].copy()
                row[index] = _WEIGHTS[feature[0]] * (
                    math.log(count + SMOOTHING) - log_denominators[index]
                )

    @classmethod
    def train(cls, examples: Iterable[tuple[str, Intent]]) -> IntentModel:
        documents: dict[Intent, int] = {}
        counts: dict[Intent, dict[str, float]] = {}
        for text, intent in examples:
            if intent is Intent.admin_command:
                raise ValueError("admin_command is decided by the sender, not learned from text")
            documents[intent] = documents.get(intent, 0) + 1
            table = counts.setdefault(intent, {})
            for feature, weight in features(text).items():
                table[feature] = table.get(feature, 0.0) + weight
        return cls(documents, counts)

    def predict(self, text: str) -> dict[Intent, float]:
        """The probability of each intent the model was trained on; they sum to 1. A message
        with no known feature gets the training prior."""
        # Lookups and column sums run in C (a long message has ~1,000 features); the feature
        # order is fixed, so the floating-point sums are reproducible.
        rows = [row for row in map(self._table.get, features(text)) if row is not None]
        sums = [sum(column) for column in zip(*rows, strict=True)]
        totals, known_weight = (sums[:-1], sums[-1]) if rows else ([0.0] * len(self._intents), 0.0)
        scale = SHARPNESS / (known_weight + EVIDENCE_DAMPING)
        scores = [
            prior + scale * total for prior, total in zip(self._log_priors, totals, strict=True)
        ]
        highest = max(scores)
        exponentials = [math.exp(score - highest) for score in scores]
        norm = math.fsum(exponentials)
        return {
            intent: exponential / norm
            for intent, exponential in zip(self._intents, exponentials, strict=True)
        }

    def to_json(self) -> str:
        return json.dumps(
            {
                "feature_version": FEATURE_VERSION,
                "documents": {intent.value: n for intent, n in self._documents.items()},
                "counts": {intent.value: table for intent, table in self._counts.items()},
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, data: str) -> IntentModel:
        stored = json.loads(data)
        if stored.get("feature_version") != FEATURE_VERSION:
            raise ValueError(
                f"stored intent model uses features v{stored.get('feature_version')}, "
                f"this code computes v{FEATURE_VERSION}: retrain it"
            )
        documents = {Intent(name): int(n) for name, n in stored["documents"].items()}
        counts = {
            Intent(name): {str(feature): float(count) for feature, count in table.items()}
            for name, table in stored["counts"].items()
        }
        return cls(documents, counts)


def training_examples() -> list[tuple[str, Intent]]:
    """The shipped training data, `data/intents.jsonl`: one {"text", "intent"} per line."""
    source = resources.files("surgiai.agents").joinpath("data", _DATA_FILE)
    examples: list[tuple[str, Intent]] = []
    for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            examples.append((str(record["text"]), Intent(record["intent"])))
        except (ValueError, KeyError) as error:
            raise ValueError(f"{_DATA_FILE} line {number}: {error}") from error
    return examples


_model_lock = threading.Lock()
_default_model: IntentModel | None = None


def default_model() -> IntentModel:
    """The model trained on the shipped data, trained once per process on first use."""
    global _default_model
    model = _default_model
    if model is None:
        with _model_lock:
            if _default_model is None:
                _default_model = IntentModel.train(training_examples())
            model = _default_model
    return model
