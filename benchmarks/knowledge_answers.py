"""The answering engine on the evaluation set (benchmarks/knowledge/): correct-fact rate on the
development and held-out questions and on a second, differently laid-out catalogue; invented
facts and clinical answers on the refusal set (target 0); answer latency (target p95 ≤ 150 ms)
on the sample catalogue and on a large one (500 products, 200 FAQs, 2,000 passages); index
build time, peak memory, and the installed size of the libraries the knowledge features use."""

from __future__ import annotations

import statistics
import tempfile
import time
import tracemalloc
from datetime import date
from decimal import Decimal
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.knowledge import evaluation, pdf, samples
from benchmarks.knowledge.snapshot import build_snapshot, truth_text
from surgiai.knowledge.answers import Answerer
from surgiai.knowledge.snapshot import (
    CourseFact,
    FaqFact,
    KnowledgeSnapshot,
    Passage,
    ProductFact,
)

DISTRIBUTIONS = (
    "pdfplumber",
    "pdfminer.six",
    "pypdfium2",
    "pillow",
    "rapidfuzz",
    "bm25s",
    "numpy",
    "openpyxl",
)
LARGE_PRODUCTS = 500
LARGE_FAQS = 200
LARGE_PASSAGES = 2_000


def run() -> dict[str, Any]:
    figures: dict[str, Any] = {"pdfs": _pdfs()}
    snapshot = build_snapshot(samples.SURGICARE)
    started = time.perf_counter()
    answerer = Answerer(snapshot)
    figures["index_build_ms"] = round((time.perf_counter() - started) * 1000, 2)
    truth = truth_text(samples.SURGICARE)
    seconds: list[float] = []
    for part in ("dev", "heldout"):
        outcomes = evaluation.run(answerer.answer, evaluation.load(part), truth)
        figures[part] = evaluation.summary(outcomes)
        seconds += [outcome.seconds for outcome in outcomes]
    second = evaluation.run(
        Answerer(build_snapshot(samples.ORTHOLINE)).answer,
        evaluation.load("second"),
        truth_text(samples.ORTHOLINE),
    )
    figures["second_catalogue"] = evaluation.summary(second)
    figures["answer_latency"] = _latency(seconds)
    figures["large"] = _large()
    figures["installed_mb"] = _installed_mb()
    return figures


def _pdfs() -> dict[str, int]:
    sizes = {}
    with tempfile.TemporaryDirectory() as directory:
        for catalogue in (samples.SURGICARE, samples.ORTHOLINE):
            path = pdf.write_pdf(catalogue, Path(directory) / "catalogue.pdf")
            sizes[catalogue.title] = path.stat().st_size
    return sizes


def _large() -> dict[str, Any]:
    """A realistic upper size: index build, latency and peak Python memory."""
    questions = [q.text for q in evaluation.load("dev")]
    snapshot = large_snapshot()
    started = time.perf_counter()
    answerer = Answerer(snapshot)
    build = time.perf_counter() - started
    seconds = []
    for question in questions * 3:
        started = time.perf_counter()
        answerer.answer(question)
        seconds.append(time.perf_counter() - started)
    # Memory on a second run: tracing slows everything it measures.
    tracemalloc.start()
    traced = Answerer(snapshot)
    for question in questions:
        traced.answer(question)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "products": len(snapshot.products),
        "faqs": len(snapshot.faqs),
        "passages": len(snapshot.passages),
        "index_build_ms": round(build * 1000, 1),
        "answer_latency": _latency(seconds),
        "peak_memory_mb": round(peak / 1e6, 1),
    }


def large_snapshot() -> KnowledgeSnapshot:
    """The sample catalogue grown to 500 products, 200 FAQs and 2,000 passages: variants of
    its products, FAQs and policy sentences with other numbers."""
    base = build_snapshot(samples.SURGICARE)
    products = list(base.products)
    variant = 0
    while len(products) < LARGE_PRODUCTS:
        variant += 1
        for product in base.products:
            if len(products) >= LARGE_PRODUCTS:
                break
            products.append(
                ProductFact(
                    id=len(products) + 1,
                    name=f"{product.name} Series {variant}",
                    code=f"{product.code}-S{variant}",
                    pack_size=product.pack_size,
                    price=(product.price or Decimal(0)) + variant,
                    currency="INR",
                    category=product.category,
                    available=product.available,
                    citation=f"Large Catalogue, p. {len(products) // 20 + 2}",
                )
            )
    faqs = list(base.faqs)
    while len(faqs) < LARGE_FAQS:
        faq = base.faqs[len(faqs) % len(base.faqs)]
        faqs.append(
            FaqFact(len(faqs) + 1, f"{faq.question} ({len(faqs)})", faq.phrasings, faq.answer, None)
        )
    passages = list(base.passages)
    texts = [p.text for p in base.passages if p.kind == "text"]
    while len(passages) < LARGE_PASSAGES:
        index = len(passages)
        passages.append(
            Passage(
                index + 1,
                2 + index // 100,
                f"Brochure {index // 100}",
                index % 40 + 1,
                "text",
                f"{texts[index % len(texts)]} Reference {index}.",
            )
        )
    courses = list(base.courses) + [
        CourseFact(
            100 + i,
            f"Regional Skills Course {i}",
            date(2027, 2, 1 + i),
            date(2027, 2, 1 + i),
            "Mumbai",
            "Convention Centre",
            Decimal(5000 + i),
            "INR",
            Decimal(4),
            40,
            None,
        )
        for i in range(20)
    ]
    return KnowledgeSnapshot(
        revision=1,
        products=tuple(products),
        courses=tuple(courses),
        faqs=tuple(faqs),
        passages=tuple(passages),
    )


def _latency(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(s * 1000 for s in seconds)
    return {
        "answers": len(ordered),
        "p50_ms": round(statistics.median(ordered), 3),
        "p95_ms": round(ordered[max(int(len(ordered) * 0.95) - 1, 0)], 3),
        "max_ms": round(ordered[-1], 3),
    }


def _installed_mb() -> dict[str, float]:
    """Each distribution's installed files (its site-packages directories, metadata
    included)."""
    sizes = {}
    for name in DISTRIBUTIONS:
        try:
            files = metadata.distribution(name).files or []
        except metadata.PackageNotFoundError:
            continue
        total = 0
        for file in files:
            path = Path(str(file.locate()))
            if path.is_file():
                total += path.stat().st_size
        sizes[name] = round(total / 1e6, 1)
    sizes["total"] = round(sum(sizes.values()), 1)
    return sizes
