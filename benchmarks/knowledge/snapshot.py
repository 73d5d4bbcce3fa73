"""The knowledge snapshot of a sample catalogue, built in one place. Until the document
pipeline is merged it is built straight from the generator's values (the same ones the PDF
shows); switching it to "process the PDF, then load the snapshot" changes only this function."""

from __future__ import annotations

from benchmarks.knowledge.samples import SampleCatalogue
from surgiai.knowledge.snapshot import (
    CourseFact,
    FaqFact,
    KnowledgeSnapshot,
    Passage,
    ProductFact,
)

DOCUMENT_ID = 1


def build_snapshot(catalogue: SampleCatalogue, revision: int = 1) -> KnowledgeSnapshot:
    passages: list[Passage] = [Passage(1, DOCUMENT_ID, catalogue.title, 1, "text", catalogue.intro)]
    products: list[ProductFact] = []
    for page, rows in catalogue.product_pages():
        citation = f"{catalogue.title}, p. {page}"
        for product in rows:
            products.append(
                ProductFact(
                    id=len(products) + 1,
                    name=product.name,
                    code=product.code,
                    pack_size=product.pack_size,
                    price=product.price,
                    currency="INR",
                    category=product.category,
                    available=product.available,
                    citation=citation,
                )
            )
        table = "\n".join(
            " | ".join(catalogue.cell(product, column) for column in catalogue.columns)
            for product in rows
        )
        passages.append(
            Passage(len(passages) + 1, DOCUMENT_ID, catalogue.title, page, "table", table)
        )
    course_citation = f"{catalogue.title}, p. {catalogue.course_page}"
    courses = tuple(
        CourseFact(
            id=index,
            title=course.title,
            starts_on=course.starts_on,
            ends_on=course.ends_on,
            city=course.city,
            venue=course.venue,
            fee=course.fee,
            currency="INR",
            cme_credits=course.cme_credits,
            seats=course.seats,
            citation=course_citation,
        )
        for index, course in enumerate(catalogue.courses, start=1)
    )
    for page, sections in catalogue.policy_pages():
        for heading, text in sections:
            passages.append(
                Passage(
                    len(passages) + 1,
                    DOCUMENT_ID,
                    catalogue.title,
                    page,
                    "text",
                    f"{heading}\n{text}",
                )
            )
    faqs = tuple(
        FaqFact(
            id=index,
            question=faq.question,
            phrasings=faq.phrasings,
            answer=faq.answer,
            citation=None,
        )
        for index, faq in enumerate(catalogue.faqs, start=1)
    )
    return KnowledgeSnapshot(
        revision=revision,
        products=tuple(products),
        courses=courses,
        faqs=faqs,
        passages=tuple(passages),
    )


def truth_text(catalogue: SampleCatalogue) -> str:
    """Everything the catalogue states, for counting invented facts independently of the
    sources an answer claims."""
    snapshot = build_snapshot(catalogue)
    lines = [catalogue.title, catalogue.company]
    lines += [passage.text + " " + passage.citation for passage in snapshot.passages]
    lines += [f"{p.name} {p.code} {p.pack_size} {p.price} {p.citation}" for p in snapshot.products]
    lines += [
        f"{c.title} {c.starts_on} {c.ends_on} {c.city} {c.venue} {c.fee} {c.cme_credits} "
        f"{c.seats} {c.citation}"
        for c in snapshot.courses
    ]
    lines += [f"{f.answer} FAQ #{f.id}" for f in snapshot.faqs]
    return "\n".join(lines)
