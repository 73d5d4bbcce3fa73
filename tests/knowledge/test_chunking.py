"""Passages: a few sentences of one page, tables row by row with their headers."""

from __future__ import annotations

from surgiai.knowledge.chunking import (
    MAX_CHARS,
    MIN_CHARS,
    TABLE,
    TEXT,
    chunk_document,
    page_tables,
    passages,
    sections,
    sentences,
    table_pieces,
)
from surgiai.knowledge.pdf import PdfContent, PdfPage, read_pdf
from tests.knowledge.pdfs import PRODUCTS, catalogue_pdf, text_pdf

SENTENCE = "Unopened boxes may be returned within 15 days of delivery for a full refund. "


class TestPassages:
    def test_a_few_sentences_each_within_bounds(self) -> None:
        found = passages(SENTENCE * 40)
        assert len(found) > 3
        assert all(MIN_CHARS <= len(text) <= MAX_CHARS for text in found[:-1])
        assert all(text.endswith("refund.") for text in found)

    def test_a_sentence_longer_than_a_passage_is_cut_between_words(self) -> None:
        found = passages("word " * 400)
        assert all(len(text) <= MAX_CHARS for text in found)
        assert " ".join(found).split() == ["word"] * 400

    def test_abbreviations_do_not_end_a_sentence(self) -> None:
        assert sentences("Shipping is free above Rs. 10,000. Cat. No. TR-0500 ships today.") == [
            "Shipping is free above Rs. 10,000.",
            "Cat. No. TR-0500 ships today.",
        ]

    def test_never_across_pages(self) -> None:
        chunks = chunk_document(read_pdf(text_pdf(["Delivery in 3 days.", "Warranty 12 months."])))
        assert [(chunk.page, chunk.kind, chunk.text) for chunk in chunks] == [
            (1, TEXT, "Delivery in 3 days."),
            (2, TEXT, "Warranty 12 months."),
        ]


class TestSections:
    def test_each_heading_starts_a_passage_that_keeps_it(self) -> None:
        text = (
            "Delivery\n"
            "We deliver across India through our courier partners. Orders placed before 2 pm are\n"
            "dispatched the same working day.\n"
            "Payment\n"
            "We accept NEFT and UPI."
        )
        chunks = chunk_document(PdfContent([PdfPage(1, text, [])]))
        assert [chunk.text for chunk in chunks] == [
            "Delivery\nWe deliver across India through our courier partners. Orders placed "
            "before 2 pm are dispatched the same working day.",
            "Payment\nWe accept NEFT and UPI.",
        ]

    def test_wrapped_lines_and_labels_are_no_headings(self) -> None:
        text = (
            "CME courses\n"
            "Hernia Repair Masterclass\n"
            "Dates: 24 Oct 2026\n"
            "Venue: Hotel Lalit Convention Hall, New Delhi\n"
            "Basic Surgical Skills Course\n"
            "Fee: Rs. 12,500 for the two days of the course, lunch and the course material and\n"
            "Certificate included"
        )
        assert sections(text) == [
            (
                "CME courses\nHernia Repair Masterclass",
                "Dates: 24 Oct 2026 Venue: Hotel Lalit Convention Hall, New Delhi",
            ),
            (
                "Basic Surgical Skills Course",
                "Fee: Rs. 12,500 for the two days of the course, lunch and the course material "
                "and Certificate included",
            ),
        ]

    def test_text_before_the_first_heading(self) -> None:
        assert sections("all prices exclusive of GST.\nReturns\nWithin 7 days.") == [
            ("", "all prices exclusive of GST."),
            ("Returns", "Within 7 days."),
        ]


class TestTables:
    def test_each_row_reads_header_value(self) -> None:
        chunks = chunk_document(read_pdf(catalogue_pdf()))
        tables = [chunk for chunk in chunks if chunk.kind == TABLE]
        assert {chunk.page for chunk in tables} == {2}
        first = tables[0]
        assert first.text.splitlines()[0] == (
            "Product: Disposable Trocar 5 mm; Code: TR-0500; Pack Size: Box of 6; Price (₹): 2,450"
        )
        assert first.rows is not None
        assert first.rows[0] == ["Product", "Code", "Pack Size", "Price (₹)"]
        # Every product row is in exactly one passage, each passage with the header.
        rows = [row for chunk in tables for row in (chunk.rows or [])[1:]]
        assert [row[1] for row in rows] == [product.code for product in PRODUCTS]
        assert all(len(chunk.text) <= MAX_CHARS for chunk in tables)

    def test_a_table_without_a_header(self) -> None:
        ((text, rows),) = table_pieces([["TR-0500", "Trocar 5 mm", None, "2,450"]])
        assert text == "TR-0500 | Trocar 5 mm | 2,450"
        assert rows == [["TR-0500", "Trocar 5 mm", "", "2,450"]]

    def test_a_table_continued_on_the_next_page_keeps_its_header(self) -> None:
        header: list[str | None] = ["Product", "Code", "Price"]
        content = PdfContent(
            [
                PdfPage(1, "", [[header, ["Trocar 5 mm", "TR-0500", "2,450"]]]),
                PdfPage(2, "", [[["Trocar 10 mm", "TR-1000", "2,890"]]]),
            ]
        )
        continued = page_tables(content)[1]
        assert continued.page == 2
        assert continued.rows == [header, ["Trocar 10 mm", "TR-1000", "2,890"]]
