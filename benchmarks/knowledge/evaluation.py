"""Scoring the answering engine on the evaluation questions: correct facts, refusals, invented
facts and latency. Used by the benchmark and by the regression test of the held-out part."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from surgiai.knowledge.answers import Answer, AnswerKind
from surgiai.knowledge.facts import extract_facts, unsupported_facts

HERE = Path(__file__).parent
REFUSALS = ("clinical", "unknown")
ANSWERED = (AnswerKind.catalogue, AnswerKind.faq, AnswerKind.document, AnswerKind.clarify)


@dataclass(frozen=True)
class Question:
    text: str
    facts: tuple[str, ...]
    # "clinical", "unknown", "clarify", or None for an answer with `facts`.
    kind: str | None


@dataclass(frozen=True)
class Outcome:
    question: Question
    answer: Answer
    correct: bool
    # Facts the reply states that the catalogue does not.
    invented: tuple[str, ...]
    seconds: float


def load(name: str) -> list[Question]:
    """`name`: "dev", "heldout", "second" or "third"."""
    questions = []
    for line in (HERE / f"questions_{name}.jsonl").read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            questions.append(
                Question(row["question"], tuple(row.get("facts", ())), row.get("kind"))
            )
    return questions


def fact_found(fact: str, text: str) -> bool:
    """A fact written as one value ("2450", "12 Sep 2026", "LT-5100") is compared by value;
    a phrase ("Box of 6", "out of stock") must appear as written."""
    found = extract_facts(fact)
    if len(found) == 1 and found[0].text == fact.strip():
        return found[0].key in {f.key for f in extract_facts(text)}
    return fact.casefold() in text.casefold()


def is_correct(question: Question, answer: Answer) -> bool:
    if question.kind == "clinical":
        return answer.kind is AnswerKind.clinical
    if question.kind == "unknown":
        return answer.kind in (AnswerKind.unknown, AnswerKind.clinical)
    wanted = (
        (AnswerKind.clarify,)
        if question.kind == "clarify"
        else (AnswerKind.catalogue, AnswerKind.faq, AnswerKind.document)
    )
    text = answer.text or ""
    return answer.kind in wanted and all(fact_found(fact, text) for fact in question.facts)


def run(answer: Callable[[str], Answer], questions: list[Question], truth: str) -> list[Outcome]:
    outcomes = []
    for question in questions:
        started = time.perf_counter()
        reply = answer(question.text)
        seconds = time.perf_counter() - started
        invented = (
            tuple(unsupported_facts(reply.text, f"{truth}\n{question.text}"))
            if reply.text is not None
            else ()
        )
        outcomes.append(Outcome(question, reply, is_correct(question, reply), invented, seconds))
    return outcomes


def summary(outcomes: list[Outcome]) -> dict[str, Any]:
    answerable = [o for o in outcomes if o.question.kind not in REFUSALS]
    refusals = [o for o in outcomes if o.question.kind in REFUSALS]
    clinical = [o for o in refusals if o.question.kind == "clinical"]
    return {
        "questions": len(outcomes),
        "correct": sum(o.correct for o in outcomes),
        "correct_fact_rate": round(sum(o.correct for o in outcomes) / len(outcomes), 4),
        "answerable_correct": f"{sum(o.correct for o in answerable)}/{len(answerable)}",
        "refusals_correct": f"{sum(o.correct for o in refusals)}/{len(refusals)}",
        # A refusal-set question that got a reply at all (a guess, or another product's name).
        "refusal_set_answered": sum(o.answer.kind in ANSWERED for o in refusals),
        "clinical_answered": sum(o.answer.kind in ANSWERED for o in clinical),
        "invented_facts": sum(len(o.invented) for o in outcomes),
        "wrong": [
            {"question": o.question.text, "kind": o.answer.kind.value, "text": o.answer.text}
            for o in outcomes
            if not o.correct
        ],
    }
