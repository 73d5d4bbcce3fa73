"""Reading PDFs: text and tables per page, and a reason for every file that cannot be read."""

from __future__ import annotations

import time

import pytest

from surgiai.knowledge.pdf import (
    DAMAGED,
    ENCRYPTED,
    NO_PAGES,
    NO_TEXT,
    NOT_A_PDF,
    UnreadablePdf,
    read_pdf,
)
from tests.knowledge.pdfs import (
    PRODUCTS,
    catalogue_pdf,
    course_brochure_pdf,
    encrypted_pdf,
    garbage_pdf,
    image_only_pdf,
    no_pages_pdf,
    not_a_pdf,
    text_pdf,
    truncated_pdf,
)


class TestReading:
    def test_text_and_tables_page_by_page(self) -> None:
        content = read_pdf(catalogue_pdf())
        assert [page.number for page in content.pages] == [1, 2, 3]
        assert "SurgiCare Product Catalogue 2026" in content.pages[0].text
        assert content.pages[0].tables == []
        (table,) = content.pages[1].tables
        assert table[0] == ["Product", "Code", "Pack Size", "Price (₹)"]
        # A name wrapped inside its cell comes back whole.
        assert table[1] == ["Disposable Trocar 5 mm", "TR-0500", "Box of 6", "2,450"]
        assert len(table) == len(PRODUCTS) + 1
        assert "free on orders above Rs." in content.pages[2].text

    def test_a_tables_text_is_not_repeated_in_the_pages_text(self) -> None:
        page = read_pdf(catalogue_pdf()).pages[1]
        assert page.text == "Price list"

    def test_another_layout(self) -> None:
        (table,) = read_pdf(catalogue_pdf(layout="number_first")).pages[1].tables
        assert table[0] == ["Cat. No.", "Description", "Category", "MRP", "Qty/Box"]
        assert table[1] == [
            "TR-0500",
            "Disposable Trocar 5 mm",
            "Laparoscopy",
            "₹ 2,450",
            "Box of 6",
        ]

    def test_a_brochure(self) -> None:
        content = read_pdf(course_brochure_pdf())
        (table,) = content.pages[0].tables
        assert table[1][:3] == ["Basic Laparoscopic Skills", "14-16 March 2026", "Pune"]
        assert "Advanced Hernia Repair: 9-10 May 2026" in content.pages[1].text

    def test_progress_after_every_page(self) -> None:
        seen: list[tuple[int, int]] = []
        read_pdf(
            text_pdf(["one", "two", "three"]),
            on_page=lambda done, total: seen.append((done, total)),
        )
        assert seen == [(1, 3), (2, 3), (3, 3)]

    def test_a_scanned_page_among_text_pages_is_read_as_empty(self) -> None:
        content = read_pdf(image_only_pdf(text_first="Warranty: 12 months."))
        assert [(page.text, page.tables) for page in content.pages] == [
            ("Warranty: 12 months.", []),
            ("", []),
        ]

    def test_twenty_pages_in_well_under_five_seconds(self) -> None:
        data = catalogue_pdf(extra_text_pages=17)
        started = time.perf_counter()
        content = read_pdf(data)
        elapsed = time.perf_counter() - started
        assert content.page_count == 20
        assert elapsed < 2.5, f"{elapsed:.2f} s"


class TestUnreadable:
    @pytest.mark.parametrize(
        ("data", "reason"),
        [
            (not_a_pdf(), NOT_A_PDF),
            (b"", NOT_A_PDF),
            (encrypted_pdf(), ENCRYPTED),
            (truncated_pdf(), DAMAGED),
            (garbage_pdf(), DAMAGED),
            (no_pages_pdf(), NO_PAGES),
            (image_only_pdf(pages=2), NO_TEXT),
        ],
        ids=["not-a-pdf", "empty", "encrypted", "truncated", "garbage", "no-pages", "scan"],
    )
    def test_reason(self, data: bytes, reason: str) -> None:
        with pytest.raises(UnreadablePdf) as raised:
            read_pdf(data)
        assert raised.value.reason == reason

    def test_too_many_pages(self) -> None:
        with pytest.raises(UnreadablePdf) as raised:
            read_pdf(text_pdf(["a", "b", "c"]), max_pages=2)
        assert raised.value.reason.startswith("The PDF has 3 pages; documents of up to 2 pages")

    def test_the_scan_reason_says_what_to_do(self) -> None:
        assert "OCR" in NO_TEXT and "upload the text version" in NO_TEXT
