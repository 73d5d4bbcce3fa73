"""A sample catalogue through the real document pipeline: its PDF is written (`pdf.write_pdf`),
read (`read_pdf`), chunked and extracted as `DocumentService.finish` does, and the result shaped
into the KnowledgeSnapshot `load_snapshot` would load once the document is ready (every product
row with its page, the extracted courses as if an admin had confirmed them, the chunks as
passages, the catalogue's approved FAQs). What the pipeline gets wrong the answers get wrong too,
and `exactness` says which rows it was."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.knowledge.pdf import write_pdf
from benchmarks.knowledge.samples import SampleCatalogue, price_text
from surgiai.knowledge.chunking import ChunkDraft, chunk_document
from surgiai.knowledge.documents import Extraction, extract
from surgiai.knowledge.pdf import PdfContent, read_pdf
from surgiai.knowledge.snapshot import (
    CourseFact,
    FaqFact,
    KnowledgeSnapshot,
    Passage,
    ProductFact,
)

DOCUMENT_ID = 1


@dataclass(frozen=True)
class Processed:
    catalogue: SampleCatalogue
    content: PdfContent
    chunks: list[ChunkDraft]
    extraction: Extraction
    # Reading, chunking and extracting the PDF (writing it is not counted).
    seconds: float


def pdf_bytes(catalogue: SampleCatalogue) -> bytes:
    with tempfile.TemporaryDirectory() as directory:
        return write_pdf(catalogue, Path(directory) / "catalogue.pdf").read_bytes()


def process(catalogue: SampleCatalogue) -> Processed:
    data = pdf_bytes(catalogue)
    started = time.perf_counter()
    content = read_pdf(data)
    chunks = chunk_document(content)
    extraction = extract(content)
    seconds = time.perf_counter() - started
    return Processed(catalogue, content, chunks, extraction, seconds)


def build_snapshot(processed: Processed, revision: int = 1) -> KnowledgeSnapshot:
    title = processed.catalogue.title
    products = tuple(
        ProductFact(
            id=index,
            name=item.name,
            code=item.code,
            pack_size=item.pack_size,
            price=item.price,
            currency=item.currency,
            category=item.category,
            # What `apply_extraction` stores for a product a document lists.
            available=item.available is not False,
            citation=f"{title}, p. {item.page}",
        )
        for index, item in enumerate(processed.extraction.products, start=1)
    )
    courses = tuple(
        CourseFact(
            id=index,
            title=item.title,
            starts_on=item.starts_on,
            ends_on=item.ends_on,
            city=item.city,
            venue=item.venue,
            fee=item.fee,
            currency=item.currency,
            cme_credits=item.cme_credits,
            seats=item.seats,
            citation=f"{title}, p. {item.page}",
        )
        for index, item in enumerate(processed.extraction.courses, start=1)
    )
    passages = tuple(
        Passage(ordinal, DOCUMENT_ID, title, chunk.page, chunk.kind, chunk.text)
        for ordinal, chunk in enumerate(processed.chunks, start=1)
    )
    faqs = tuple(
        FaqFact(
            id=index,
            question=faq.question,
            phrasings=faq.phrasings,
            answer=faq.answer,
            citation=None,
        )
        for index, faq in enumerate(processed.catalogue.faqs, start=1)
    )
    return KnowledgeSnapshot(
        revision=revision, products=products, courses=courses, faqs=faqs, passages=passages
    )


def truth_text(catalogue: SampleCatalogue) -> str:
    """Everything the catalogue states, from its values rather than from what the pipeline
    read, for counting invented facts independently of the sources an answer claims."""
    lines = [catalogue.title, catalogue.company, catalogue.intro]
    for page, rows in catalogue.product_pages():
        for product in rows:
            cells = " ".join(catalogue.cell(product, column) for column in catalogue.columns)
            lines.append(f"{cells} {catalogue.title}, p. {page}")
    for course in catalogue.courses:
        lines.append(
            f"{course.title} {course.starts_on} {course.ends_on} {course.city} {course.venue} "
            f"{price_text(course.fee)} {course.cme_credits} {course.seats} "
            f"{catalogue.title}, p. {catalogue.course_page}"
        )
    for page, sections in catalogue.policy_pages():
        for heading, text in sections:
            lines.append(f"{heading} {text} {catalogue.title}, p. {page}")
    lines += [f"{faq.answer} FAQ #{index}" for index, faq in enumerate(catalogue.faqs, 1)]
    return "\n".join(lines)


def exactness(processed: Processed) -> dict[str, Any]:
    """Every product row and course of the catalogue against what the pipeline extracted:
    name, code, pack size, price and page; title, dates, city, venue (as printed, so with or
    without its city), fee, CME credits, seats and page. Lists each row with a wrong field
    (`{field: [expected, extracted]}`), each row missing and each extracted from nothing."""
    catalogue = processed.catalogue
    product_errors: list[dict[str, Any]] = []
    extracted = list(processed.extraction.products)
    expected = [(product, page) for page, rows in catalogue.product_pages() for product in rows]
    for product, page in expected:
        found = [item for item in extracted if item.code == product.code]
        if not found:
            product_errors.append({"row": product.code, "missing": True})
            continue
        extracted.remove(found[0])
        wrong = _wrong(
            {
                "name": (product.name, found[0].name),
                "pack_size": (product.pack_size, found[0].pack_size),
                "price": (product.price, found[0].price),
                "available": (product.available, found[0].available is not False),
                "page": (page, found[0].page),
            }
        )
        if wrong:
            product_errors.append({"row": product.code, **wrong})
    product_errors += [{"row": item.code, "unexpected": item.name} for item in extracted]

    course_errors: list[dict[str, Any]] = []
    courses = list(processed.extraction.courses)
    for course in catalogue.courses:
        found_courses = [item for item in courses if item.title == course.title]
        if not found_courses:
            course_errors.append({"row": course.title, "missing": True})
            continue
        got = found_courses[0]
        courses.remove(got)
        printed_venue = f"{course.venue}, {course.city}"
        wrong = _wrong(
            {
                "starts_on": (course.starts_on, got.starts_on),
                "ends_on": (course.ends_on, got.ends_on),
                "city": (course.city, got.city),
                "venue": (got.venue if got.venue == printed_venue else course.venue, got.venue),
                "fee": (course.fee, got.fee),
                "cme_credits": (course.cme_credits, got.cme_credits),
                "seats": (course.seats, got.seats),
                "page": (catalogue.course_page, got.page),
            }
        )
        if wrong:
            course_errors.append({"row": course.title, **wrong})
    course_errors += [{"row": item.title, "unexpected": True} for item in courses]

    wrong_products = sum("unexpected" not in error for error in product_errors)
    wrong_courses = sum("unexpected" not in error for error in course_errors)
    return {
        "pages": processed.content.page_count,
        "seconds": round(processed.seconds, 3),
        "products_exact": f"{len(expected) - wrong_products}/{len(expected)}",
        "courses_exact": f"{len(catalogue.courses) - wrong_courses}/{len(catalogue.courses)}",
        "exact": not product_errors and not course_errors,
        "product_errors": product_errors,
        "course_errors": course_errors,
    }


def _wrong(fields: dict[str, tuple[Any, Any]]) -> dict[str, list[str | None]]:
    """The fields whose extracted value differs, as text JSON can print."""
    return {name: [_text(want), _text(got)] for name, (want, got) in fields.items() if want != got}


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
