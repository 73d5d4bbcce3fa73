"""Smart Reply: answers doctors' questions about products, prices, courses and policies from the
catalogue, the approved FAQs and the company's documents, citing where each answer came from.

What it may not answer alone it does not guess: a clinical question, an unknown product or a
doubtful match gets a polite promise of a colleague, a hand-off, and a suggestion on the FAQ
page that teaches it for next time. Answers built from raw document text wait for approval
unless the workspace's answer policy allows them. Its standby answers from structured rows and
approved FAQs only, with the least code that can fail."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import ClassVar

from surgiai.agents.base import (
    Action,
    AgentConfig,
    AgentContext,
    HandOff,
    Reply,
    SuggestFaq,
)
from surgiai.agents.greeting.agent import ACKNOWLEDGEMENTS, salutation
from surgiai.agents.language import Intent
from surgiai.agents.llm import LanguageModel
from surgiai.knowledge.answers import Answer, AnswerKind, answer_from_approved
from surgiai.knowledge.facts import unsupported_facts
from surgiai.knowledge.index import Knowledge
from surgiai.workspace.models import AnswerPolicy

KNOWLEDGE = "knowledge"
ANSWER_POLICY = "answer_policy"
DOCUMENT_REASON = (
    "Built from document text: check it before it goes out (answer policy). Approve its "
    "suggestion on the FAQ page too, and the same question is answered on its own next time."
)

# The reply's wording for an answer: the template's, or the language model's.
Phrase = Callable[[str, Answer], str]
HANDLES = frozenset(
    {
        Intent.product_question,
        Intent.course,
        Intent.info_request,
        Intent.order,
        Intent.offer,
        Intent.other,
    }
)
# A question about one particular order ("order 4821 dispatch hua kya?") goes to a person but
# is no FAQ material.
_ORDER_NUMBER = re.compile(r"\d{3,}")


class SmartReplyConfig(AgentConfig):
    # Room for the optional language model (1.5 s by default) on top of the answer itself.
    timeout_seconds: float = 2.5


class SmartReplyAgent:
    name: ClassVar[str] = "smart_reply"
    description: ClassVar[str] = (
        "Answers product, price, course and policy questions from the catalogue, approved FAQs "
        "and documents, with the source; hands clinical and unknown questions to the team."
    )
    handles: ClassVar[frozenset[Intent]] = HANDLES

    def __init__(
        self, config: SmartReplyConfig | None = None, language_model: LanguageModel | None = None
    ) -> None:
        self.config = config or SmartReplyConfig()
        self.language_model = language_model

    def handle(self, context: AgentContext) -> list[Action]:
        knowledge = context.extras.get(KNOWLEDGE)
        if not isinstance(knowledge, Knowledge) or knowledge.answerer is None:
            raise RuntimeError("the knowledge index is not available")
        answer = answer_burst(knowledge.answerer.answer, context)
        policy = context.extras.get(ANSWER_POLICY, AnswerPolicy.approved_only)
        return actions_for(context, answer, policy, self._phrased)

    def _phrased(self, question: str, answer: Answer) -> str:
        """The language model's wording when it adds no fact; the template's otherwise."""
        assert answer.text is not None
        if self.language_model is None:
            return answer.text
        phrased = self.language_model.rephrase(question, answer.text)
        if phrased is None:
            return answer.text
        if unsupported_facts(phrased, f"{answer.sources_text}\n{answer.text}"):
            return answer.text
        return phrased


class ApprovedAnswersAgent:
    """Standby for Smart Reply: the catalogue's rows and approved FAQs only (no retrieval, no
    documents, no language model); anything else goes to a person."""

    name: ClassVar[str] = "approved_answers"
    description: ClassVar[str] = (
        "Standby: answers from the catalogue and approved FAQs only; the rest to a person."
    )
    handles: ClassVar[frozenset[Intent]] = HANDLES

    def __init__(self, config: AgentConfig | None = None) -> None:
        self.config = config or AgentConfig(timeout_seconds=1.5)

    def handle(self, context: AgentContext) -> list[Action]:
        knowledge = context.extras.get(KNOWLEDGE)
        if not isinstance(knowledge, Knowledge):
            raise RuntimeError("the knowledge snapshot is not available")
        snapshot = knowledge.snapshot
        answer = answer_burst(lambda text: answer_from_approved(snapshot, text), context)
        return actions_for(context, answer, AnswerPolicy.approved_only, lambda _, a: a.text or "")


def answer_burst(answer: Callable[[str], Answer], context: AgentContext) -> Answer:
    """The burst as one question; if that finds nothing, its last message alone ("Hi" / "Dr Rao
    here" / "5mm trocar price?": the greeting lines are no part of the question)."""
    whole = answer(context.text)
    last = context.burst[-1].text if context.burst else None
    if whole.kind is AnswerKind.unknown and last and last.strip() != context.text.strip():
        alone = answer(last)
        if alone.kind is not AnswerKind.unknown:
            return alone
    return whole


def actions_for(
    context: AgentContext,
    answer: Answer,
    policy: object,
    phrase: Phrase,
) -> list[Action]:
    name = salutation(context)
    question = context.text
    if answer.kind in (AnswerKind.catalogue, AnswerKind.faq, AnswerKind.clarify):
        return [Reply("text", {"body": phrase(question, answer)}, sources=answer.citations)]
    if answer.kind is AnswerKind.document:
        held = None if policy == AnswerPolicy.allow_documents else DOCUMENT_REASON
        text = phrase(question, answer)
        return [
            Reply("text", {"body": text}, needs_approval_because=held, sources=answer.citations),
            SuggestFaq(
                question=question,
                answer=answer.suggestion or text,
                citation=answer.suggestion_citation or _first(answer.citations),
                facts=answer.facts,
            ),
        ]
    if answer.kind is AnswerKind.clinical:
        return [
            HandOff(
                "Clinical question: SurgiAI does not advise on patient care. Please answer the "
                "doctor personally.",
                notice=(
                    f"Thank you, {name}. For a clinical question like this one, a colleague from "
                    "our team will answer you personally here shortly."
                ),
            )
        ]
    # Nothing reliable to say.
    if context.intent is Intent.info_request:
        return [Reply("text", {"body": VAGUE_REQUEST.format(name=name)})]
    if not _looks_like_a_question(question):
        template = ACKNOWLEDGEMENTS.get(context.intent, ACKNOWLEDGEMENT)
        return [Reply("text", {"body": template.format(name=name)})]
    actions: list[Action] = []
    if not (context.intent is Intent.order and _ORDER_NUMBER.search(question)):
        actions.append(
            SuggestFaq(
                question=question,
                answer=answer.suggestion or "",
                citation=answer.suggestion_citation,
                facts=answer.facts if answer.suggestion else (),
            )
        )
    return [
        *actions,
        HandOff(
            "SurgiAI found no approved answer to this question; a suggestion waits on the FAQ "
            "page.",
            notice=(
                f"Thank you, {name}. I will check this with a colleague, who will answer you here "
                "shortly."
            ),
        ),
    ]


VAGUE_REQUEST = (
    "Of course, {name}. What would you like to know? For example a product's price or pack "
    "size, a CME course's dates and fees, or our delivery and payment terms."
)
ACKNOWLEDGEMENT = "Thank you, {name}. We have your message and will get back to you shortly."


def _looks_like_a_question(text: str) -> bool:
    stripped = text.strip()
    return stripped.endswith("?") or len(stripped.split()) >= 4


def _first(citations: tuple[str, ...]) -> str | None:
    return citations[0] if citations else None
