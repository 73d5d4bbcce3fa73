"""The answering engine the Smart Reply agent calls: a doctor's question in, a WhatsApp reply
with its source out, or a refusal (clinical) or a hand-off (unknown). Pure: it reads only the
`KnowledgeSnapshot` it was built with.

Order of trust: the product or course row (structured), then an approved FAQ, then the
sentences of a document passage. Every reply's numbers, prices, dates and codes are checked
against the text it was built from (`facts.unsupported_facts`) before it is returned; a reply
that fails becomes a hand-off."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from rapidfuzz import fuzz, process

from surgiai.knowledge.chunking import sentences
from surgiai.knowledge.facts import (
    TIMES,
    code_key,
    number_value,
    stated_facts,
    unsupported_facts,
)
from surgiai.knowledge.matching import (
    Attribute,
    Matcher,
    detect_attributes,
    normalise,
    sizes,
)
from surgiai.knowledge.money import format_inr
from surgiai.knowledge.retrieval import TermIndex, terms
from surgiai.knowledge.snapshot import (
    CourseFact,
    FaqFact,
    KnowledgeSnapshot,
    Passage,
    ProductFact,
)

# Tuned on the development questions (benchmarks/knowledge/questions_dev.jsonl).
FAQ_MIN_COVERAGE = 0.6
PASSAGE_MIN_COVERAGE = 0.5
# A draft for the team may be weaker: a person reads it before anyone else does.
SUGGESTION_MIN_COVERAGE = 0.4
PHRASING_MIN_RATIO = 88.0
# The standby's name match: most of a product's name in the question, words within a typo.
STANDBY_NAME_MIN_COVERAGE = 0.6
STANDBY_WORD_MIN_RATIO = 85.0
MAX_CLARIFY_OPTIONS = 6

PRODUCT_ATTRIBUTES = frozenset(
    {Attribute.price, Attribute.pack, Attribute.code, Attribute.availability}
)
COURSE_ATTRIBUTES = frozenset(
    {Attribute.date, Attribute.fee, Attribute.credits, Attribute.venue, Attribute.seats}
)

_CLINICAL = re.compile(
    r"\b(?:doses?|dosage|dosing|mg ?/ ?kg|side ?-?effects?|adverse|contra-?indicat\w*"
    r"|diagnos\w*|treat|treats|treating|treatment|therapy|prescri\w*|antibiotics?|symptoms?"
    r"|prognosis|complications?|pregnan\w*|patients?|mareez|marij|mariz|ilaj|ilaaj|dawa|dawai"
    r"|prophylaxis|infection|indications?|indicated|suitable for|should i use|can i use"
    r"|which (?:mesh|suture|product|stapler|one|size) (?:is |should |to |for |suits )"
    r"|best (?:for|treatment|suture|mesh|option))\b"
)
_FREE_DELIVERY = re.compile(
    r"(?:deliver\w*|shipping)[^.]*?\bfree\b[^.]*?(?:above|over|of|exceeding)\s*"
    r"(?:rs\.?|inr|₹)\s*(\d[\d,]*(?:\.\d+)?)([^.]*)",
    re.I,
)
_DELIVERY_CHARGE = re.compile(
    r"(?:delivery|shipping) charge[^.]*?(?:rs\.?|inr|₹)\s*(\d[\d,]*(?:\.\d+)?)", re.I
)


class AnswerKind(StrEnum):
    catalogue = "catalogue"  # from a product or course row
    faq = "faq"  # from an approved FAQ
    document = "document"  # from document passages (the agent may hold it for approval)
    clarify = "clarify"  # several products fit: ask which (names only, no prices)
    clinical = "clinical"  # dosage, diagnosis, treatment, which product for a patient
    unknown = "unknown"  # nothing reliable: the agent promises a colleague and hands off


@dataclass(frozen=True)
class Answer:
    kind: AnswerKind
    # The WhatsApp reply for catalogue/faq/document/clarify; None otherwise.
    text: str | None
    # "Catalogue 2026, p. 3", "FAQ #12".
    citations: tuple[str, ...]
    # 0..1
    confidence: float
    # The numbers, prices, dates and codes the text states.
    facts: tuple[str, ...]
    # The source text the facts were checked against.
    sources_text: str
    # When answered from an approved FAQ.
    faq_id: int | None = None
    # For unknown/clinical/document answers: what the team could approve as an FAQ answer
    # (drafted only from document passages, with its citation), or None.
    suggestion: str | None = None
    suggestion_citation: str | None = None


def is_clinical(question: str) -> bool:
    """Dosage, diagnosis, treatment, a patient: for a doctor's colleague, never a bot."""
    return _CLINICAL.search(normalise(question).replace("-", " ")) is not None


@dataclass(frozen=True)
class _Draft:
    """A reply before the facts check."""

    kind: AnswerKind
    text: str
    citations: tuple[str, ...]
    confidence: float
    sources: str
    faq_id: int | None = None


@dataclass(frozen=True)
class _DeliveryRule:
    free_from: Decimal | None
    # "Rs. 10,000 and above" includes the amount, "above INR 15,000" does not.
    free_inclusive: bool
    charge: Decimal | None
    sources: str
    citation: str


class Answerer:
    """Builds the indexes of one snapshot once; `answer` then reads them only."""

    def __init__(self, snapshot: KnowledgeSnapshot) -> None:
        self.snapshot = snapshot
        self.matcher = Matcher(snapshot.products, snapshot.courses)
        self.faq_index = TermIndex(
            [" ".join((faq.question, *faq.phrasings, faq.answer)) for faq in snapshot.faqs]
        )
        # Tables are the catalogue's rows: answered from the structured rows, never as text
        # (a table passage would quote other products' prices).
        self.passages = [passage for passage in snapshot.passages if passage.kind == "text"]
        self.passage_index = TermIndex([passage.text for passage in self.passages])
        self.delivery_rule = _delivery_rule(snapshot, self.passages)

    def answer(self, question: str) -> Answer:
        if is_clinical(question):
            return Answer(AnswerKind.clinical, None, (), 1.0, (), "")
        draft = self._draft(question)
        if draft is None or unsupported_facts(draft.text, draft.sources):
            return self._unknown(question)
        suggestion, suggestion_citation = (None, None)
        if draft.kind is AnswerKind.document:
            suggestion, suggestion_citation = draft.text, draft.citations[0]
        return Answer(
            draft.kind,
            draft.text,
            draft.citations,
            round(draft.confidence, 3),
            stated_facts(draft.text),
            draft.sources,
            draft.faq_id,
            suggestion,
            suggestion_citation,
        )

    def _draft(self, question: str) -> _Draft | None:
        found = self.matcher.recognise(question)
        if found.unknown_code is not None:
            return None
        structured = found.attributes & (PRODUCT_ATTRIBUTES | COURSE_ATTRIBUTES)
        named = bool(found.entities) and not found.unexplained
        if named and len(found.entities) == 1:
            entity = found.entities[0]
            if entity.product is not None:
                if found.is_policy and found.quantity is not None:
                    return self._delivery(entity.product, found.quantity)
                if not found.is_policy or structured or found.by_code:
                    return _product_reply(
                        entity.product, found.attributes, found.quantity, found.confidence
                    )
            elif entity.course is not None and (not found.is_policy or structured):
                return _course_reply(entity.course, found.attributes, found.confidence)
        if named and len(found.entities) > 1:
            if found.by_code:
                return _several_products(
                    [e.product for e in found.entities if e.product is not None], found.attributes
                )
            if not found.is_policy or structured - {Attribute.availability}:
                return _clarify([entity.name for entity in found.entities])
        # A product attribute of a product not in the catalogue is a hand-off, never a
        # passage that happens to mention prices.
        if not found.is_policy and (
            found.entities or (structured & PRODUCT_ATTRIBUTES and found.unexplained)
        ):
            return None
        return self._from_faqs(question) or self._from_passages(question)

    def _from_faqs(self, question: str) -> _Draft | None:
        faqs = self.snapshot.faqs
        if not faqs:
            return None
        asked = normalise(question)
        phrasings = [
            (normalise(wording), index)
            for index, faq in enumerate(faqs)
            for wording in (faq.question, *faq.phrasings)
        ]
        best = process.extractOne(
            asked, [wording for wording, _ in phrasings], scorer=fuzz.token_sort_ratio
        )
        if best is not None and best[1] >= PHRASING_MIN_RATIO:
            return _faq_reply(faqs[phrasings[best[2]][1]], best[1] / 100)
        hits = self.faq_index.search(question, limit=1)
        if hits and hits[0].coverage >= FAQ_MIN_COVERAGE:
            return _faq_reply(faqs[hits[0].index], hits[0].coverage)
        return None

    def _from_passages(self, question: str) -> _Draft | None:
        drafted = self._passage_sentences(question, PASSAGE_MIN_COVERAGE)
        if drafted is None:
            return None
        passage, sentences, coverage = drafted
        return _Draft(
            AnswerKind.document,
            f"{sentences}\n_Source: {passage.citation}_",
            (passage.citation,),
            coverage,
            f"{passage.text}\n{passage.citation}",
        )

    def _passage_sentences(
        self, question: str, min_coverage: float
    ) -> tuple[Passage, str, float] | None:
        """The best passage's sentences that answer the question (at most two), never the
        whole page."""
        hits = self.passage_index.search(question, limit=1)
        if not hits or hits[0].coverage < min_coverage:
            return None
        passage = self.passages[hits[0].index]
        asked = set(terms(question))
        # A passage's heading lines ("Delivery\n…") are no part of the answer.
        found = sentences(passage.text.rsplit("\n", 1)[-1])
        said = [set(terms(sentence)) for sentence in found]

        def weight(covered: set[str]) -> float:
            return sum(self.passage_index.term_weight(term) for term in covered)

        first = max(range(len(found)), key=lambda i: weight(asked & said[i]), default=None)
        if first is None or weight(asked & said[first]) <= 0:
            return None
        chosen = [first]
        # The second sentence for what the first leaves unanswered ("deliver" and "Pune"),
        # else the next best.
        rest = [i for i in range(len(found)) if i != first]
        if rest:
            second = max(
                rest,
                key=lambda i: (weight(asked & said[i] - said[first]), weight(asked & said[i])),
            )
            if weight(asked & said[second]) > 0:
                chosen.append(second)
        text = " ".join(found[i] for i in sorted(chosen))
        return passage, text, hits[0].coverage

    def _delivery(self, product: ProductFact, quantity: int) -> _Draft | None:
        rule = self.delivery_rule
        if rule is None or product.price is None:
            return None
        total = product.price * quantity
        lines = [
            _product_title(product),
            f"{quantity} {TIMES} {format_inr(product.price)} = {format_inr(total)}",
        ]
        free = rule.free_from is not None and (
            total >= rule.free_from if rule.free_inclusive else total > rule.free_from
        )
        if free and rule.free_from is not None:
            lines.append(
                f"Delivery is free on orders {'from' if rule.free_inclusive else 'above'} "
                f"{format_inr(rule.free_from)}, so this order ships free."
            )
        elif rule.charge is not None:
            lines.append(
                f"Delivery charge {format_inr(rule.charge)}: "
                f"{format_inr(total)} + {format_inr(rule.charge)} = "
                f"{format_inr(total + rule.charge)}"
            )
        else:
            return None
        citations = tuple(dict.fromkeys(filter(None, (product.citation, rule.citation))))
        lines.append(_source_line(citations))
        return _Draft(
            AnswerKind.catalogue,
            "\n".join(lines),
            citations,
            0.9,
            "\n".join((_product_sources(product), rule.sources, f"Quantity asked: {quantity}")),
        )

    def _unknown(self, question: str) -> Answer:
        drafted = self._passage_sentences(question, SUGGESTION_MIN_COVERAGE)
        if drafted is None:
            return Answer(AnswerKind.unknown, None, (), 0.0, (), "")
        passage, sentences, _ = drafted
        return Answer(AnswerKind.unknown, None, (), 0.0, (), "", None, sentences, passage.citation)


def answer_from_approved(snapshot: KnowledgeSnapshot, question: str) -> Answer:
    """The standby's path when the Answerer cannot run: structured rows and approved FAQs only,
    no index and no documents, the least code that can fail. Exact code, then a close product
    or course name, then a close FAQ wording; anything else is a hand-off."""
    if is_clinical(question):
        return Answer(AnswerKind.clinical, None, (), 1.0, (), "")
    attributes = detect_attributes(normalise(question))
    draft = _standby_draft(snapshot, question, attributes)
    if draft is None or unsupported_facts(draft.text, draft.sources):
        return Answer(AnswerKind.unknown, None, (), 0.0, (), "")
    return Answer(
        draft.kind,
        draft.text,
        draft.citations,
        round(draft.confidence, 3),
        stated_facts(draft.text),
        draft.sources,
        draft.faq_id,
    )


def _standby_draft(
    snapshot: KnowledgeSnapshot, question: str, attributes: frozenset[Attribute]
) -> _Draft | None:
    words = re.findall(r"[a-z0-9]+", question.lower())
    spans = {code_key("".join(words[i : i + n])) for n in (1, 2, 3) for i in range(len(words))}
    for product in snapshot.products:
        if product.code and code_key(product.code) in spans:
            return _product_reply(product, attributes, None, 1.0)
    asked = normalise(question)
    asked_sizes = sizes(asked)
    names: list[tuple[str, ProductFact | CourseFact]] = [
        (normalise(p.name), p) for p in snapshot.products if asked_sizes <= sizes(p.name)
    ]
    if not asked_sizes:
        names += [(normalise(c.title), c) for c in snapshot.courses]
    scored = sorted(
        ((_name_coverage(asked, name), index) for index, (name, _) in enumerate(names)),
        reverse=True,
    )
    top = [hit for hit in scored if hit[0] >= STANDBY_NAME_MIN_COVERAGE]
    if len(top) == 1 or (len(top) > 1 and top[0][0] > top[1][0]):
        row = names[top[0][1]][1]
        if isinstance(row, ProductFact):
            return _product_reply(row, attributes, None, top[0][0])
        return _course_reply(row, attributes, top[0][0])
    wordings = [
        (normalise(wording), faq)
        for faq in snapshot.faqs
        for wording in (faq.question, *faq.phrasings)
    ]
    best = process.extractOne(asked, [w for w, _ in wordings], scorer=fuzz.token_sort_ratio)
    if best is not None and best[1] >= PHRASING_MIN_RATIO:
        return _faq_reply(wordings[best[2]][1], best[1] / 100)
    return None


def _name_coverage(asked: str, name: str) -> float:
    """The share of a name's words the question contains (each within a typo), counting only
    when a word with letters is among them: doctors say "5mm trocar", not the catalogue's
    "Disposable Trocar 5 mm"."""
    asked_words = asked.split()
    name_words = name.split()
    if not name_words or not asked_words:
        return 0.0
    found = [
        word
        for word in name_words
        if any(
            word == other or (len(word) > 3 and fuzz.ratio(word, other) >= STANDBY_WORD_MIN_RATIO)
            for other in asked_words
        )
    ]
    if not any(any(ch.isalpha() for ch in word) and len(word) > 2 for word in found):
        return 0.0
    return len(found) / len(name_words)


def _product_title(product: ProductFact) -> str:
    return f"*{product.name}*" + (f" ({product.code})" if product.code else "")


def _product_lines(
    product: ProductFact, attributes: frozenset[Attribute], quantity: int | None
) -> list[str] | None:
    """The lines answering `attributes` (a short card when none was asked), or None when the
    catalogue does not hold what was asked."""
    asked = set(attributes & PRODUCT_ATTRIBUTES)
    if quantity is not None:
        asked |= {Attribute.price}
    if not asked:
        # The card: the title carries the code, the price line the pack.
        asked = {Attribute.price} if product.price is not None else {Attribute.pack}
        if not product.available:
            asked.add(Attribute.availability)
    lines = []
    if Attribute.price in asked:
        if product.price is None:
            return None
        pack = f" ({product.pack_size})" if product.pack_size else ""
        lines.append(f"Price: {format_inr(product.price)}{pack}")
        if quantity is not None and quantity > 1:
            total = product.price * quantity
            lines.append(
                f"Total: {quantity} {TIMES} {format_inr(product.price)} = {format_inr(total)}"
            )
    if Attribute.pack in asked:
        if product.pack_size is None:
            return None
        lines.append(f"Pack: {product.pack_size}")
    if Attribute.code in asked and product.code:
        lines.append(f"Code: {product.code}")
    if Attribute.availability in asked:
        lines.append("In stock" if product.available else "Currently out of stock")
    return lines


def _product_reply(
    product: ProductFact,
    attributes: frozenset[Attribute],
    quantity: int | None,
    confidence: float,
) -> _Draft | None:
    lines = _product_lines(product, attributes, quantity)
    if lines is None:
        return None
    citations = (product.citation,) if product.citation else ()
    sources = _product_sources(product)
    if quantity is not None:
        sources += f"\nQuantity asked: {quantity}"
    text = "\n".join([_product_title(product), *lines, _source_line(citations)])
    return _Draft(AnswerKind.catalogue, text, citations, confidence, sources)


def _several_products(
    products: list[ProductFact], attributes: frozenset[Attribute]
) -> _Draft | None:
    """Codes of several products in one message ("LT-5100 and PM-1515 rate")."""
    blocks, sources, citations = [], [], []
    for product in products:
        lines = _product_lines(product, attributes, None)
        if lines is None:
            return None
        blocks.append("\n".join([_product_title(product), *lines]))
        sources.append(_product_sources(product))
        citations += [product.citation] if product.citation else []
    unique = tuple(dict.fromkeys(citations))
    return _Draft(
        AnswerKind.catalogue,
        "\n\n".join(blocks) + "\n" + _source_line(unique),
        unique,
        1.0,
        "\n".join(sources),
    )


def _product_sources(product: ProductFact) -> str:
    return " | ".join(
        str(value)
        for value in (
            product.name,
            product.code,
            product.pack_size,
            product.price,
            "in stock" if product.available else "out of stock",
            product.citation,
        )
        if value is not None
    )


def _course_reply(
    course: CourseFact, attributes: frozenset[Attribute], confidence: float
) -> _Draft | None:
    asked = set(attributes & COURSE_ATTRIBUTES)
    if Attribute.price in attributes:
        asked |= {Attribute.fee}
    if not asked:
        asked = set(COURSE_ATTRIBUTES)
    lines: list[str] = []
    for attribute in (
        Attribute.date,
        Attribute.venue,
        Attribute.fee,
        Attribute.credits,
        Attribute.seats,
    ):
        if attribute not in asked:
            continue
        line = _course_line(course, attribute)
        if line is None and len(asked) == 1:
            return None
        if line is not None:
            lines.append(line)
    citations = (course.citation,) if course.citation else ()
    text = "\n".join([f"*{course.title}*", *lines, _source_line(citations, "our course list")])
    sources = " | ".join(
        str(value)
        for value in (
            course.title,
            course.starts_on and course.starts_on.isoformat(),
            course.ends_on and course.ends_on.isoformat(),
            course.city,
            course.venue,
            course.fee,
            course.cme_credits,
            course.seats,
            course.citation,
        )
        if value is not None
    )
    return _Draft(AnswerKind.catalogue, text, citations, confidence, sources)


def _course_line(course: CourseFact, attribute: Attribute) -> str | None:
    if attribute is Attribute.date and course.starts_on is not None:
        if course.ends_on is None or course.ends_on == course.starts_on:
            return f"Date: {_day(course.starts_on)}"
        return f"Dates: {_day(course.starts_on)} to {_day(course.ends_on)}"
    if attribute is Attribute.venue and (course.venue or course.city):
        # A brochure's venue often names its city already ("Ruby Hall Skills Lab, Pune").
        city = course.city
        if city and course.venue and course.venue.casefold().endswith(city.casefold()):
            city = None
        return "Venue: " + ", ".join(filter(None, (course.venue, city)))
    if attribute is Attribute.fee and course.fee is not None:
        return f"Fee: {format_inr(course.fee)}"
    if attribute is Attribute.credits and course.cme_credits is not None:
        return f"CME credits: {number_value(str(course.cme_credits))}"
    if attribute is Attribute.seats and course.seats is not None:
        return f"Seats: {course.seats}"
    return None


def _clarify(names: list[str]) -> _Draft:
    options = list(dict.fromkeys(names))[:MAX_CLARIFY_OPTIONS]
    text = "Which one do you mean?\n" + "\n".join(f"• *{name}*" for name in options)
    return _Draft(AnswerKind.clarify, text, (), 0.5, "\n".join(options))


def _faq_reply(faq_entry: FaqFact, confidence: float) -> _Draft:
    citation = faq_entry.citation or f"FAQ #{faq_entry.id}"
    citations = tuple(dict.fromkeys((f"FAQ #{faq_entry.id}", citation)))
    return _Draft(
        AnswerKind.faq,
        f"{faq_entry.answer}\n_Source: {citation}_",
        citations,
        confidence,
        f"{faq_entry.answer}\n{' '.join(citations)}",
        faq_entry.id,
    )


def _source_line(citations: tuple[str, ...], fallback: str = "our product list") -> str:
    """The source line; a row an admin entered by hand has no document to cite."""
    return f"_Source: {'; '.join(citations) or fallback}_"


def _day(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


def _delivery_rule(snapshot: KnowledgeSnapshot, passages: list[Passage]) -> _DeliveryRule | None:
    """The delivery charge rule the company's own texts state (free from an amount, a flat
    charge below it), for "shipping on 12 boxes" questions; None when they state none."""
    texts = [(faq.answer, faq.citation or f"FAQ #{faq.id}") for faq in snapshot.faqs] + [
        (passage.text, passage.citation) for passage in passages
    ]
    for text, citation in texts:
        free = _FREE_DELIVERY.search(text)
        charge = _DELIVERY_CHARGE.search(text)
        if free is None and charge is None:
            continue
        free_value = number_value(free.group(1)) if free else None
        charge_value = number_value(charge.group(1)) if charge else None
        inclusive = bool(free) and bool(
            free is not None and re.search(r"and above|or more", free.group(2))
        )
        return _DeliveryRule(
            Decimal(free_value) if free_value else None,
            inclusive,
            Decimal(charge_value) if charge_value else None,
            f"{text}\n{citation}",
            citation,
        )
    return None
